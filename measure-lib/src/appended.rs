//! The verifier's side for entries of any size: the append policy, MRENCLAVE and CONFIGID of a
//! base bundle plus a data owner's entries, read as a stream ([`EntriesInput`]) instead of held.
//!
//! A first pass checks each entry against the policy's rules, adds up the length of the final
//! manifest and hashes the canonical list (CONFIGID). Repeated URIs are looked for only if the
//! URIs are not strictly ascending (`hash-files` writes them ascending): then a second pass keeps
//! a 24-byte record per entry, sorted (O(n log n), see `measure_core::append::duplicates`). The
//! last pass renders the manifest into the measurement (and, if asked, into a file). Memory is
//! one read buffer, plus the records for unsorted lists. A file that changes between passes is
//! refused (each pass compares its hash of the list with the first).

use std::collections::HashMap;
use std::io::Write;

use measure_core::append::{
    self, ListForm, ManifestShape, PolicyKind, PolicyViolation, check_entry, duplicates,
    fits_inline, uri_hash,
};
use measure_core::bundle::Bundle;
use measure_core::engine::{self, ManifestSource, SourceError};
use measure_core::entries::Entry;
use measure_core::measure::MeasurementHasher;

use crate::entries::stream::{EntriesInput, Pass};
use crate::error::{Error, Result};

/// An entry the append policy refuses, with the URIs concerned (decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The rule and the entries.
    pub violation: PolicyViolation,
    /// The URI of entry `violation.index`.
    pub uri: String,
    /// For a repeated URI, the URI of entry `violation.other` (the same).
    pub other_uri: Option<String>,
}

impl Refusal {
    /// The refusal as this library's error (URIs shown as Python's `repr` shows them).
    pub fn into_error(self) -> Error {
        let repr = |u: &str| crate::manifest::pypath::repr_str(u);
        Error::Policy {
            violation: self.violation,
            uri: repr(&self.uri),
            other: (self.violation.kind == PolicyKind::Duplicate).then(|| {
                (
                    self.violation.other,
                    repr(self.other_uri.as_deref().unwrap_or(&self.uri)),
                )
            }),
        }
    }
}

/// When to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Only if the policy admits every entry.
    IfAllowed,
    /// Even if the policy refuses an entry (what the enclave would measure anyway).
    Always,
}

/// What [`evaluate`] found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Number of entries.
    pub count: usize,
    /// CONFIGID of the entries.
    pub configid: [u8; 64],
    /// The policy's verdict.
    pub policy: std::result::Result<(), Refusal>,
    /// MRENCLAVE with the entries appended (`None` when not measured).
    pub mrenclave: Option<[u8; 32]>,
}

fn decoded(raw_field: &[u8]) -> String {
    let line = [raw_field, b"\tx"].concat();
    match measure_core::entries::parse_line(&line, 0) {
        Ok(e) => String::from_utf8_lossy(&e.uri.bytes().collect::<Vec<u8>>()).into_owned(),
        Err(_) => String::from_utf8_lossy(raw_field).into_owned(),
    }
}

fn changed() -> Error {
    Error::Invalid("the entries changed while they were being read".into())
}

/// Checks the policy, computes CONFIGID and (see [`Measure`]) MRENCLAVE of `bundle` with the
/// entries of `input` appended; with `manifest_out`, the final manifest is written there as it is
/// measured (only when measured).
pub fn evaluate(
    bundle: &Bundle<'_>,
    input: &EntriesInput,
    measure: Measure,
    manifest_out: Option<&mut dyn Write>,
) -> Result<Outcome> {
    // Pass 1: rules, order, lengths, CONFIGID.
    let inline = ManifestShape::new(bundle, true, true);
    let sections = ManifestShape::new(bundle, true, false);
    let has_inline = inline.form() == ListForm::Inline;
    let (mut len_inline, mut len_sections, mut all_fit) = (0u64, 0u64, has_inline);
    let mut first_bad: Option<(usize, PolicyKind, String)> = None;
    let (mut checked, mut ascending) = (0usize, true);
    let mut prev: Vec<u8> = Vec::new();
    let mut index = 0usize;
    let pass1 = input.for_each(&mut |e| {
        if first_bad.is_none() {
            let verdict = if bundle.policy.is_empty() {
                Err(PolicyKind::NothingMayBeAppended)
            } else {
                check_entry(bundle, &e)
            };
            match verdict {
                Err(kind) => first_bad = Some((index, kind, decoded(e.uri.raw()))),
                Ok(()) => {
                    let raw = e.uri.raw();
                    ascending &= index == 0 || prev.as_slice() < raw;
                    prev.clear();
                    prev.extend_from_slice(raw);
                    checked = index + 1;
                }
            }
        }
        if all_fit {
            all_fit = fits_inline(&e);
            len_inline += inline.entry_len(&e);
        }
        len_sections += sections.entry_len(&e);
        index += 1;
        Ok(())
    })?;

    // Repeats among the entries before the first other violation.
    let repeat = if ascending {
        None
    } else {
        first_repeat(input, checked, &pass1)?
    };
    let policy = match (repeat, first_bad) {
        (Some((later, earlier, uri)), _) => Err(Refusal {
            violation: PolicyViolation {
                kind: PolicyKind::Duplicate,
                index: later as u32,
                other: earlier as u32,
            },
            uri: uri.clone(),
            other_uri: Some(uri),
        }),
        (None, Some((i, kind, uri))) => Err(Refusal {
            violation: PolicyViolation {
                kind,
                index: i as u32,
                other: 0,
            },
            uri,
            other_uri: None,
        }),
        (None, None) => Ok(()),
    };

    let mrenclave = if policy.is_ok() || measure == Measure::Always {
        let shape = ManifestShape::new(bundle, pass1.count > 0, all_fit);
        let entries_len = match shape.form() {
            ListForm::EmptyBase => 0,
            _ if pass1.count == 0 => 0,
            ListForm::Inline => len_inline,
            ListForm::Sections => len_sections,
        };
        let mut source = Streamed {
            shape,
            input,
            len: shape.fixed_len() + entries_len,
            first: pass1,
            failure: None,
            tee: manifest_out,
        };
        let layout = engine::layout_for(bundle.params, source.len, &bundle.pal)?;
        let mut hasher = MeasurementHasher::new();
        let measured = engine::measure(&layout, &mut source, &bundle.pal, &mut hasher, &mut ());
        if let Some(e) = source.failure {
            return Err(e);
        }
        measured?;
        Some(hasher.finish())
    } else {
        None
    };
    Ok(Outcome {
        count: pass1.count,
        configid: pass1.configid(),
        policy,
        mrenclave,
    })
}

/// The first repeated URI among the first `count` entries: (index, index of its first
/// occurrence, the URI).
fn first_repeat(
    input: &EntriesInput,
    count: usize,
    first: &Pass,
) -> Result<Option<(usize, usize, String)>> {
    let mut records: Vec<duplicates::Record> = Vec::with_capacity(count);
    let mut index = 0usize;
    let pass = input.repeat_pass(&mut |e| {
        if index < count {
            records.push(duplicates::record(&uri_hash(&e), index));
        }
        index += 1;
        Ok(())
    })?;
    if pass != *first {
        return Err(changed());
    }
    duplicates::sort(&mut records);
    let mut wanted: HashMap<usize, Vec<u8>> = HashMap::new();
    duplicates::positions_sharing_a_hash(&records, &mut |p| {
        wanted.insert(p, Vec::new());
    });
    if wanted.is_empty() {
        return Ok(None);
    }
    // Only entries whose hashes collide: compare their URIs themselves.
    let mut index = 0usize;
    let pass = input.repeat_pass(&mut |e| {
        if let Some(uri) = wanted.get_mut(&index) {
            uri.extend_from_slice(e.uri.raw());
        }
        index += 1;
        Ok(())
    })?;
    if pass != *first {
        return Err(changed());
    }
    let repeat = duplicates::first_repeat_in_sorted(&records, &mut |a, b| {
        wanted.get(&a).is_some_and(|x| wanted.get(&b) == Some(x))
    });
    Ok(repeat.map(|r| {
        let uri = wanted.get(&r.later).map(|u| decoded(u)).unwrap_or_default();
        (r.later, r.earlier, uri)
    }))
}

/// The final manifest, rendered from the entries as the measurement takes it.
struct Streamed<'a, 'b, 'w> {
    shape: ManifestShape<'a>,
    input: &'b EntriesInput,
    len: u64,
    first: Pass,
    failure: Option<Error>,
    tee: Option<&'w mut dyn Write>,
}

impl ManifestSource for Streamed<'_, '_, '_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn write_to(&mut self, out: &mut dyn FnMut(&[u8])) -> std::result::Result<(), SourceError> {
        let mut tee_error: Option<std::io::Error> = None;
        let tee = &mut self.tee;
        let mut both = |c: &[u8]| {
            out(c);
            if let (Some(w), None) = (tee.as_mut(), &tee_error)
                && let Err(e) = w.write_all(c)
            {
                tee_error = Some(e);
            }
        };
        self.shape.write_prefix(&mut both);
        let mut pass = Ok(self.first);
        if self.shape.form() != ListForm::EmptyBase && self.first.count > 0 {
            let mut writer = self.shape.entry_writer(&mut both);
            pass = self.input.repeat_pass(&mut |e: Entry<'_>| {
                writer.write(&e);
                Ok(())
            });
            writer.finish();
        }
        self.shape.write_suffix(&mut both);
        let failure = match (pass, tee_error) {
            (Err(e), _) => Some(e),
            (Ok(p), _) if p != self.first => Some(changed()),
            (_, Some(e)) => Some(Error::Stdio {
                what: "cannot write the manifest",
                source: e,
            }),
            _ => None,
        };
        match failure {
            Some(e) => {
                self.failure = Some(e);
                Err(SourceError("the entries could not be read again"))
            }
            None => Ok(()),
        }
    }
}

/// The policy check alone for a list in memory (for callers holding one): as
/// [`append::check_policy_with_scratch`] with the scratch it needs.
pub fn check_policy_in_memory(
    bundle: &Bundle<'_>,
    list: &measure_core::entries::EntryList<'_>,
) -> std::result::Result<(), PolicyViolation> {
    let mut scratch = vec![0u8; append::scratch_len(list)];
    append::check_policy_with_scratch(bundle, list, &mut scratch)
}

#[cfg(test)]
mod tests;
