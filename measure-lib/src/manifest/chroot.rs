//! `--chroot DIR`: resolving a path's symlinks as if `DIR` were `/` (Gramine's
//! `resolve_symlinks`): absolute link targets restart at the chroot, and `..` at the chroot's root
//! stays there, so the resolved path never leaves the chroot.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{ManifestError, pypath};
use crate::error::Result;

/// The host path of `inner` (an absolute path inside the chroot).
pub fn outer(chroot: &Path, inner: &str) -> PathBuf {
    chroot.join(inner.trim_start_matches('/'))
}

fn parent(inner: &str) -> String {
    match inner.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => inner[..i].to_string(),
    }
}

/// Resolves every symlink of the absolute path `path` inside `chroot`, returning the resolved
/// absolute path as seen from inside.
pub fn resolve(path: &str, chroot: &Path) -> Result<String> {
    let mut seen = HashMap::new();
    resolve_rec(path, chroot, &mut seen)
}

fn resolve_rec(
    path: &str,
    chroot: &Path,
    seen: &mut HashMap<String, Option<String>>,
) -> Result<String> {
    let path = pypath::normalize(path);
    if !path.starts_with('/') {
        return Err(ManifestError::ChrootRelative {
            path: pypath::repr_str(&path),
        }
        .into());
    }
    let mut inner = "/".to_string();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if !outer(chroot, &inner).is_dir() {
            return Err(ManifestError::ChrootNotDirectory {
                path,
                chroot: chroot.to_path_buf(),
                inner,
            }
            .into());
        }
        if part == ".." {
            inner = parent(&inner);
            continue;
        }
        inner = pypath::join(&inner, part);
        let out = outer(chroot, &inner);
        if !out
            .symlink_metadata()
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false)
        {
            continue;
        }
        if !seen.contains_key(&inner) {
            seen.insert(inner.clone(), None);
            let target =
                std::fs::read_link(&out).map_err(|source| ManifestError::ChrootReadLink {
                    link: out.clone(),
                    source,
                })?;
            let Some(target) = target.to_str() else {
                return Err(ManifestError::ChrootLinkNotUtf8 { link: out }.into());
            };
            let target = pypath::normalize(target);
            let next = if target.starts_with('/') {
                target
            } else {
                pypath::join(&parent(&inner), &target)
            };
            let resolved = resolve_rec(&next, chroot, seen)?;
            seen.insert(inner.clone(), Some(resolved));
        }
        match seen.get(&inner) {
            Some(Some(r)) => inner = r.clone(),
            _ => {
                return Err(ManifestError::ChrootLoop {
                    path: inner,
                    chroot: chroot.to_path_buf(),
                }
                .into());
            }
        }
    }
    Ok(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_stay_inside_the_chroot() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("usr/lib/libc.so.6"), b"x").unwrap();
        symlink("/usr/lib", root.join("lib")).unwrap();
        symlink(
            "../../../../../../usr/lib/libc.so.6",
            root.join("usr/lib/up"),
        )
        .unwrap();
        symlink("/etc/passwd", root.join("usr/lib/host")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        assert_eq!(
            resolve("/lib/libc.so.6", root).unwrap(),
            "/usr/lib/libc.so.6"
        );
        assert_eq!(resolve("/usr/lib/up", root).unwrap(), "/usr/lib/libc.so.6");
        assert_eq!(
            resolve("/../../lib/libc.so.6", root).unwrap(),
            "/usr/lib/libc.so.6"
        );
        // An absolute target restarts at the chroot: the host's /etc/passwd is never reached.
        assert_eq!(resolve("/usr/lib/host", root).unwrap(), "/etc/passwd");
        assert!(!outer(root, "/etc/passwd").exists());
        assert!(
            resolve("/loop1", root)
                .unwrap_err()
                .to_string()
                .contains("symbolic links")
        );
        assert!(
            resolve("lib/x", root)
                .unwrap_err()
                .to_string()
                .contains("only absolute paths")
        );
        assert!(
            resolve("/usr/lib/libc.so.6/x", root)
                .unwrap_err()
                .to_string()
                .contains("not a directory")
        );
    }
}
