//! Signing an enclave as `gramine-sgx-sign` does, through one builder: [`Signer`].
//!
//! Given the Gramine version, the tomli_w release of the signing machine, the PAL, a key (or a
//! signature made elsewhere) and the SIGSTRUCT date, it turns a source manifest into the final
//! manifest bytes (the `.manifest.sgx`), the SIGSTRUCT (the `.sig`) and MRENCLAVE, byte-identical
//! to Gramine's.
//!
//! Signing one of Gramine's own test vectors (its trusted files carry their hashes, so no other
//! file is read) gives the bytes `gramine-sgx-sign` v1.9 wrote:
//!
//! ```
//! use measure_lib::signer::Signer;
//! use measure_lib::sigstruct::{load_private_key, parse_date};
//! use measure_core::GramineVersion;
//!
//! let case = "../testdata/vectors/public/p21-tf-hash-tables";
//! let signed = Signer::new(GramineVersion::V1_9)
//!     .libpal_file("../testdata/vectors/public/elf/pal-basic.so".as_ref())?
//!     .key(load_private_key("../testdata/vectors/test-signing-key.pem".as_ref(), None)?)
//!     .date(parse_date("2026-01-01")?)
//!     // Gramine's LibOS is not installed here: the hash of the one the vector was signed with.
//!     .libos_sha256("4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62")
//!     .sign(&std::fs::read(format!("{case}/input.manifest")).expect("manifest"))?;
//!
//! let gramine = format!("{case}/expected/v1.9_tomliw-1.2.0");
//! assert_eq!(signed.manifest.as_bytes(), std::fs::read(format!("{gramine}/out.manifest.sgx")).unwrap());
//! assert_eq!(signed.sigstruct.to_bytes().as_slice(), std::fs::read(format!("{gramine}/out.sig")).unwrap());
//! assert_eq!(
//!     hex::encode(signed.mrenclave()),
//!     "1f95e292d3f0275abe69bc419fb2f1c8ac7ba9adbbbbcc8069b2c7f8506be0aa"
//! );
//! # Ok::<(), measure_lib::Error>(())
//! ```
//!
//! `measure-lib/examples/sign.rs` is a complete program around it (outputs written together).
//!
//! Two-step signing (the key is elsewhere, e.g. in an HSM): [`Signer::prepare`] gives the
//! [`Unsigned`] result, whose [`Unsigned::signing_data`] is what the key signs;
//! [`Unsigned::attach`] then takes the signature.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use measure_core::profile::GramineVersion;
use measure_core::sigstruct::SigDate;
use rsa::{PrivateKey, PublicKey};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::hashing::FileHasher;
use crate::measure::{Measured, measure_parsed};
use crate::pipeline::{self, Final, Options, Warnings};
use crate::sigstruct::{self, Sigstruct, attach_signature, make_sigstruct};
use crate::toml::TomlWriter;

/// Gramine's default PAL (Debian/Ubuntu packages).
pub const DEFAULT_LIBPAL: &str = "/usr/lib/x86_64-linux-gnu/gramine/sgx/libpal.so";

/// Reads a PAL. The default path missing (no Gramine installed here) is said to be the default,
/// with how to name another PAL, rather than reported as any missing file.
pub fn read_libpal(path: &Path) -> Result<Vec<u8>> {
    fsutil::read(path, "libpal").map_err(|e| match e {
        crate::Error::Read { ref source, .. }
            if source.kind() == std::io::ErrorKind::NotFound
                && path == Path::new(DEFAULT_LIBPAL) =>
        {
            crate::Error::Invalid(format!(
                "libpal {DEFAULT_LIBPAL} not found: it is the default, where Gramine installs its PAL; give the PAL with -l/--libpal (for example testdata/example/libpal.so, or sgx/libpal.so of a Gramine build)"
            ))
        }
        e => e,
    })
}

/// How the SIGSTRUCT gets its signature.
#[derive(Clone, Debug, Default)]
pub enum SigningKey {
    /// None: [`Signer::sign`] refuses; use [`Signer::prepare`] for two-step signing.
    #[default]
    None,
    /// An RSA-3072 private key with exponent 3.
    Key(PrivateKey),
    /// A signature made elsewhere over the signing data, and the public key that checks it (the
    /// big-endian PKCS#1 v1.5 signature `openssl pkeyutl -sign` writes).
    Signature {
        /// The signer's public key.
        public_key: PublicKey,
        /// The signature.
        signature: Vec<u8>,
    },
}

/// Builder of `gramine-sgx-sign`'s job (see the [module](self) documentation).
#[derive(Clone, Debug)]
pub struct Signer {
    options: Options,
    libpal: Option<(Vec<u8>, String)>,
    date: Option<SigDate>,
    key: SigningKey,
}

impl Signer {
    /// A signer with the rules of Gramine `version` and its defaults (tomli_w 1.x, Gramine's
    /// installed LibOS, today's date).
    pub fn new(version: GramineVersion) -> Self {
        Signer::with_options(Options::new(version))
    }

    /// A signer with these pipeline options.
    pub fn with_options(options: Options) -> Self {
        Signer {
            options,
            libpal: None,
            date: None,
            key: SigningKey::None,
        }
    }

    /// The TOML writer of the signing machine: tomli_w 1.x (the default) or 0.4 for Gramine
    /// v1.4 and later (v1.0 to v1.3 always write with toml 0.10.2).
    pub fn writer(mut self, writer: TomlWriter) -> Self {
        self.options.writer = Some(writer);
        self
    }

    /// Measures trusted files inside `dir` as if it were `/` (`--chroot`, v1.6 and later).
    pub fn chroot(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.chroot = Some(dir.into());
        self
    }

    /// The LibOS inserted as `loader.entrypoint.uri` when the manifest has none (v1.8 and
    /// later).
    pub fn libos(mut self, path: impl Into<PathBuf>) -> Self {
        self.options.libos = path.into();
        self
    }

    /// The LibOS's SHA-256 (64 hex digits), instead of reading the LibOS.
    pub fn libos_sha256(mut self, hex: impl Into<String>) -> Self {
        self.options.libos_sha256 = Some(hex.into());
        self
    }

    /// Where Gramine's warnings go.
    pub fn warnings(mut self, warnings: Warnings) -> Self {
        self.options.warnings = warnings;
        self
    }

    /// The PAL's bytes, and its name for errors.
    pub fn libpal(mut self, bytes: Vec<u8>, name: impl Into<String>) -> Self {
        self.libpal = Some((bytes, name.into()));
        self
    }

    /// Reads the PAL from a file.
    pub fn libpal_file(self, path: &Path) -> Result<Self> {
        let bytes = read_libpal(path)?;
        Ok(self.libpal(bytes, path.display().to_string()))
    }

    /// The SIGSTRUCT date (default: today, as `--date today`).
    pub fn date(mut self, date: SigDate) -> Self {
        self.date = Some(date);
        self
    }

    /// Signs with this key.
    pub fn key(mut self, key: PrivateKey) -> Self {
        self.key = SigningKey::Key(key);
        self
    }

    /// Uses a signature made elsewhere over the signing data.
    pub fn external_signature(mut self, public_key: PublicKey, signature: Vec<u8>) -> Self {
        self.key = SigningKey::Signature {
            public_key,
            signature,
        };
        self
    }

    /// The pipeline options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Runs the manifest pipeline: the final manifest and what is measured of it.
    pub fn expand(&self, manifest: &[u8], hasher: &mut FileHasher) -> Result<Final> {
        pipeline::run(manifest, &self.options, hasher)
    }

    /// Measures a final manifest with the PAL and builds its to-be-signed SIGSTRUCT.
    pub fn measure(&self, fin: Final) -> Result<Unsigned> {
        let (libpal, name) = self
            .libpal
            .as_ref()
            .ok_or_else(|| Error::Invalid("no PAL given to the signer".into()))?;
        let date = match self.date {
            Some(d) => d,
            None => sigstruct::parse_date("today")?,
        };
        let version = self.options.version;
        let deps = fin.deps.clone();
        let (text, table) = fin.into_measured()?;
        let measured = measure_parsed(text.as_bytes(), table, libpal, name, version)?;
        let sigstruct = make_sigstruct(&measured.manifest, measured.mrenclave, version, date)?;
        Ok(Unsigned {
            manifest: text,
            measured,
            sigstruct,
            deps,
        })
    }

    /// Expands and measures a source manifest, without signing (two-step signing).
    pub fn prepare(&self, manifest: &[u8], hasher: &mut FileHasher) -> Result<Unsigned> {
        self.measure(self.expand(manifest, hasher)?)
    }

    /// Signs a source manifest with the key or signature given, hashing trusted files without
    /// a cache.
    pub fn sign(&self, manifest: &[u8]) -> Result<Signed> {
        self.sign_with(manifest, &mut FileHasher::new(None)?)
    }

    /// Signs a source manifest with the key or signature given.
    pub fn sign_with(&self, manifest: &[u8], hasher: &mut FileHasher) -> Result<Signed> {
        if matches!(self.key, SigningKey::None) {
            return Err(Error::Invalid(
                "no signing key or signature given to the signer".into(),
            ));
        }
        self.prepare(manifest, hasher)?.finish(&self.key)
    }
}

/// A measured enclave whose SIGSTRUCT is not signed yet.
#[derive(Debug)]
pub struct Unsigned {
    /// The final manifest (`.manifest.sgx`).
    pub manifest: Arc<String>,
    /// Its measurement (layout, memory map, MRENCLAVE).
    pub measured: Measured,
    /// The to-be-signed SIGSTRUCT (signature fields zero).
    pub sigstruct: Sigstruct,
    /// Files the result depends on (expanded trusted files), for `--depfile`.
    pub deps: Vec<PathBuf>,
}

impl Unsigned {
    /// The 256 bytes the key signs.
    pub fn signing_data(&self) -> [u8; measure_core::sigstruct::SIGNING_DATA_SIZE] {
        self.sigstruct.signing_data()
    }

    /// MRENCLAVE.
    pub fn mrenclave(&self) -> [u8; 32] {
        self.measured.mrenclave
    }

    /// Signs with `key`.
    pub fn sign(mut self, key: &PrivateKey) -> Result<Signed> {
        sigstruct::sign(&mut self.sigstruct, key)?;
        Ok(self.into_signed())
    }

    /// Attaches a signature made elsewhere (checked against `public_key`).
    pub fn attach(mut self, public_key: &PublicKey, signature_be: &[u8]) -> Result<Signed> {
        attach_signature(&mut self.sigstruct, public_key, signature_be)?;
        Ok(self.into_signed())
    }

    /// Signs as `key` says.
    pub fn finish(self, key: &SigningKey) -> Result<Signed> {
        match key {
            SigningKey::None => Err(Error::Invalid(
                "no signing key or signature given to the signer".into(),
            )),
            SigningKey::Key(k) => self.sign(k),
            SigningKey::Signature {
                public_key,
                signature,
            } => self.attach(public_key, signature),
        }
    }

    fn into_signed(self) -> Signed {
        Signed {
            manifest: self.manifest,
            measured: self.measured,
            sigstruct: self.sigstruct,
            deps: self.deps,
        }
    }
}

/// A signed enclave: what `gramine-sgx-sign` writes.
#[derive(Debug)]
pub struct Signed {
    /// The final manifest (`.manifest.sgx`).
    pub manifest: Arc<String>,
    /// Its measurement (layout, memory map, MRENCLAVE).
    pub measured: Measured,
    /// The signed SIGSTRUCT (`.sig`: [`Sigstruct::to_bytes`]).
    pub sigstruct: Sigstruct,
    /// Files the result depends on (expanded trusted files), for `--depfile`.
    pub deps: Vec<PathBuf>,
}

impl Signed {
    /// MRENCLAVE.
    pub fn mrenclave(&self) -> [u8; 32] {
        self.measured.mrenclave
    }
}
