//! The C entry points of `sgx_measure` with arbitrary buffers: never panic; outputs (filled with a
//! sentinel first) are written only on `SGXM_OK` and never beyond their documented size; the
//! failing-entry index only on policy and entry-list errors; every status has a description (never
//! NULL); the two append entry points agree; the status class matches what the core's parsers say
//! about the inputs; CONFIGID is SHA-256 of the list plus zeros; the resumable hasher computes
//! SHA-256 of the records it was given, and save/restore round-trips.
//!
//! Input: `[mode][...]`:
//! - 0: `[bundle length: u32 LE][bundle][entries]`;
//! - 1: `[shape][n][n × (offset: u16 LE, xor: u8)][entries]`: a small valid bundle built here
//!   (shape picks version, dialect, threads, size, forms), then mutated;
//! - 2: `[evidence]`;
//! - 3: hasher operations.
#![no_main]

use std::ffi::CStr;
use std::ptr;

use libfuzzer_sys::fuzz_target;
use measure_core::append::{AppendError, PolicyKind, check_policy};
use measure_core::bundle::{Bundle, BundleBuilder, BundleError, Dialect, Form};
use measure_core::elf::Elf;
use measure_core::engine::MeasureError;
use measure_core::entries::{EntriesError, EntryList};
use measure_core::evidence::Evidence;
use measure_core::layout::{LayoutError, LayoutParams};
use measure_core::measure::{eadd_record, ecreate_record, eextend_record};
use measure_core::profile::GramineVersion;
use measure_core::sha256::Sha256;
use sgx_measure::evidence::{sgxm_identity, sgxm_identity_from_evidence};
use sgx_measure::hasher::{
    SGXM_HASHER_STATE_LEN, sgxm_hasher, sgxm_hasher_eadd, sgxm_hasher_ecreate, sgxm_hasher_eextend,
    sgxm_hasher_finish, sgxm_hasher_init, sgxm_hasher_restore, sgxm_hasher_save,
};
use sgx_measure::status::*;
use sgx_measure::verify::{
    SGXM_APPEND_SCRATCH_BYTES_PER_ENTRY, sgxm_append_scratch_size, sgxm_configid,
    sgxm_mrenclave_append, sgxm_mrenclave_append_ex, sgxm_mrenclave_append_scratch,
};

const SENTINEL: u8 = 0xa5;
/// Guard bytes on each side of every output buffer.
const GUARD: usize = 16;
/// Bundles declaring a larger enclave are not measured (measuring is linear in the size; the
/// layout fuzzer covers sizes).
const MAX_MEASURED_SIZE: u64 = 16 << 20;

const PAL: &[u8] = include_bytes!("../../testdata/vectors/public/elf/pal-basic.so");

/// The status's description: never NULL, valid UTF-8, and known for every status the library
/// returns (`returned`).
fn describe(status: u32, returned: bool) -> &'static str {
    let p = sgxm_status_str(status);
    assert!(!p.is_null(), "sgxm_status_str({status}) is NULL");
    // SAFETY: non-NULL; the library returns static NUL-terminated strings.
    let s = unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("UTF-8 status text");
    assert!(!s.is_empty());
    if returned {
        assert_ne!(
            s, "unknown status code",
            "status {status} has no description"
        );
    }
    s
}

/// A sentinel-filled buffer with guard bytes; the output goes at `GUARD`.
struct Out<const N: usize> {
    buf: Vec<u8>,
}

impl<const N: usize> Out<N> {
    fn new() -> Self {
        Out {
            buf: vec![SENTINEL; N + 2 * GUARD],
        }
    }
    fn ptr(&mut self) -> *mut u8 {
        self.buf[GUARD..].as_mut_ptr()
    }
    fn get(&self) -> &[u8] {
        &self.buf[GUARD..GUARD + N]
    }
    /// Guards intact; the output untouched unless `written`.
    fn check(&self, written: bool, what: &str) {
        assert!(
            self.buf[..GUARD]
                .iter()
                .chain(&self.buf[GUARD + N..])
                .all(|&b| b == SENTINEL),
            "{what}: wrote outside its output"
        );
        if !written {
            assert!(
                self.get().iter().all(|&b| b == SENTINEL),
                "{what}: output written on failure"
            );
        }
    }
}

/// The documented status code of an append error, and the failing entry index (policy errors) or
/// line (entry-list errors) that `sgxm_mrenclave_append_ex` reports with it. Written out here, not
/// taken from the library, so that a wrong mapping shows.
fn expected_status(e: &AppendError) -> (u32, Option<u32>) {
    match e {
        AppendError::Bundle(b) => (
            match b {
                BundleError::BadMagic => SGXM_ERR_BUNDLE_BAD_MAGIC,
                BundleError::UnsupportedVersion(_) => SGXM_ERR_BUNDLE_UNSUPPORTED_VERSION,
                BundleError::Truncated => SGXM_ERR_BUNDLE_TRUNCATED,
                BundleError::TrailingBytes => SGXM_ERR_BUNDLE_TRAILING_BYTES,
                BundleError::DuplicateSection(_) => SGXM_ERR_BUNDLE_DUPLICATE_SECTION,
                BundleError::UnknownSection(_) => SGXM_ERR_BUNDLE_UNKNOWN_SECTION,
                BundleError::MissingSection(_) => SGXM_ERR_BUNDLE_MISSING_SECTION,
                BundleError::BadSection(_) => SGXM_ERR_BUNDLE_BAD_SECTION,
                BundleError::BadGramineVersion(_) => SGXM_ERR_BUNDLE_BAD_GRAMINE_VERSION,
                BundleError::BadDialect(_) => SGXM_ERR_BUNDLE_BAD_DIALECT,
                BundleError::BadPalSegment(_) => SGXM_ERR_BUNDLE_BAD_PAL_SEGMENT,
            },
            None,
        ),
        AppendError::Entries(x) => match *x {
            EntriesError::BadHeader => (SGXM_ERR_ENTRIES_BAD_HEADER, None),
            EntriesError::MissingFinalNewline => (SGXM_ERR_ENTRIES_MISSING_FINAL_NEWLINE, None),
            EntriesError::BadSeparator { line } => (SGXM_ERR_ENTRIES_BAD_SEPARATOR, Some(line)),
            EntriesError::NotUtf8 { line } => (SGXM_ERR_ENTRIES_NOT_UTF8, Some(line)),
            EntriesError::BadEscape { line } => (SGXM_ERR_ENTRIES_BAD_ESCAPE, Some(line)),
            EntriesError::Unescaped { line } => (SGXM_ERR_ENTRIES_UNESCAPED, Some(line)),
            EntriesError::EmptyUri { line } => (SGXM_ERR_ENTRIES_EMPTY_URI, Some(line)),
            EntriesError::TooMany => (SGXM_ERR_ENTRIES_TOO_MANY, None),
        },
        AppendError::Policy(p) => (
            match p.kind {
                PolicyKind::NothingMayBeAppended => SGXM_ERR_POLICY_NOTHING_MAY_BE_APPENDED,
                PolicyKind::OutsidePrefixes => SGXM_ERR_POLICY_OUTSIDE_PREFIXES,
                PolicyKind::NotAFileUri => SGXM_ERR_POLICY_NOT_A_FILE_URI,
                PolicyKind::BadPathSegment => SGXM_ERR_POLICY_BAD_PATH_SEGMENT,
                PolicyKind::RepeatsBaseUri => SGXM_ERR_POLICY_REPEATS_BASE_URI,
                PolicyKind::Duplicate => SGXM_ERR_POLICY_DUPLICATE,
                PolicyKind::NotWritableByToml0102 => SGXM_ERR_POLICY_NOT_WRITABLE_BY_TOML0102,
                PolicyKind::LineBreakOrNulInUri => SGXM_ERR_POLICY_LINE_BREAK_OR_NUL_IN_URI,
                PolicyKind::NotASha256 => SGXM_ERR_POLICY_NOT_A_SHA256,
            },
            Some(p.index),
        ),
        AppendError::Measure(m) => (
            match m {
                MeasureError::Layout(LayoutError::EnclaveTooSmall) => SGXM_ERR_ENCLAVE_TOO_SMALL,
                MeasureError::Layout(LayoutError::EnclaveTooLarge) => SGXM_ERR_ENCLAVE_TOO_LARGE,
                MeasureError::Layout(LayoutError::AreaInHeapRange) => SGXM_ERR_AREA_IN_HEAP_RANGE,
                MeasureError::Layout(LayoutError::EntryPointOutOfRange) => {
                    SGXM_ERR_ENTRY_POINT_OUT_OF_RANGE
                }
                MeasureError::Layout(LayoutError::PalOutsideEnclave) => {
                    SGXM_ERR_PAL_OUTSIDE_ENCLAVE
                }
                MeasureError::NoPalSegments => SGXM_ERR_NO_PAL_SEGMENTS,
                MeasureError::PalSegmentsOverlap => SGXM_ERR_PAL_SEGMENTS_OVERLAP,
                MeasureError::Source(_) => SGXM_ERR_MANIFEST_SOURCE,
            },
            None,
        ),
    }
}

fn append(bundle: &[u8], entries: &[u8]) {
    let parsed = Bundle::parse(bundle);
    let list = EntryList::parse(entries);
    // A large enclave is only called for when the call fails before measuring.
    if let (Ok(b), Ok(l)) = (&parsed, &list)
        && b.params.enclave_size > MAX_MEASURED_SIZE
        && check_policy(b, l, &Sha256::digest(entries)).is_ok()
    {
        return;
    }
    let mut out = Out::<32>::new();
    let mut idx = Out::<4>::new();
    // SAFETY: valid buffers of the given lengths; outputs of 32 and 4 bytes.
    let rc = unsafe {
        sgxm_mrenclave_append_ex(
            bundle.as_ptr(),
            bundle.len(),
            entries.as_ptr(),
            entries.len(),
            out.ptr(),
            idx.ptr().cast(),
        )
    };
    describe(rc, true);
    out.check(rc == SGXM_OK, "sgxm_mrenclave_append_ex");
    // The status and failing index are exactly those of the core's error.
    let core = measure_core::append::mrenclave_append(bundle, entries);
    let (want, want_index) = match &core {
        Ok(_) => (SGXM_OK, None),
        Err(e) => expected_status(e),
    };
    assert_eq!(rc, want, "status {rc} for {core:?}");
    idx.check(want_index.is_some(), "failing_entry_out");
    if let Some(i) = want_index {
        assert_eq!(u32::from_le_bytes(idx.get().try_into().unwrap()), i);
    }
    if let Ok(m) = &core {
        assert_eq!(&m[..], out.get());
    }
    match (&parsed, &list) {
        (Err(_), _) => assert!((10..=20).contains(&rc), "bad bundle gave {rc}"),
        (Ok(_), Err(e)) => assert!((30..=37).contains(&rc), "bad list ({e}) gave {rc}"),
        (Ok(_), Ok(_)) => assert!(rc == SGXM_OK || (40..=57).contains(&rc), "gave {rc}"),
    }

    // The plain entry point agrees.
    let mut plain = Out::<32>::new();
    // SAFETY: as above.
    let rc2 = unsafe {
        sgxm_mrenclave_append(
            bundle.as_ptr(),
            bundle.len(),
            entries.as_ptr(),
            entries.len(),
            plain.ptr(),
        )
    };
    assert_eq!(rc, rc2);
    plain.check(rc2 == SGXM_OK, "sgxm_mrenclave_append");
    assert_eq!(plain.get(), out.get());

    // With the scratch it asks for (and with a few bytes less), the same answer.
    let mut need = 0usize;
    // SAFETY: valid buffer; `need` is a writable size_t.
    let rc_size = unsafe { sgxm_append_scratch_size(entries.as_ptr(), entries.len(), &mut need) };
    if let Ok(l) = &list {
        assert_eq!(rc_size, SGXM_OK);
        assert!(need == 0 || need == l.len() * SGXM_APPEND_SCRATCH_BYTES_PER_ENTRY);
        for size in [need, need.saturating_sub(5)] {
            let mut scratch = vec![0x5au8; size];
            let mut with = Out::<32>::new();
            let mut with_idx = Out::<4>::new();
            // SAFETY: valid buffers of the given lengths, a distinct scratch, outputs of 32 and 4
            // bytes.
            let rc3 = unsafe {
                sgxm_mrenclave_append_scratch(
                    bundle.as_ptr(),
                    bundle.len(),
                    entries.as_ptr(),
                    entries.len(),
                    scratch.as_mut_ptr(),
                    scratch.len(),
                    with.ptr(),
                    with_idx.ptr().cast(),
                )
            };
            assert_eq!(rc, rc3, "scratch of {size} bytes");
            with.check(rc3 == SGXM_OK, "sgxm_mrenclave_append_scratch");
            assert_eq!(with.get(), out.get());
            with_idx.check(want_index.is_some(), "failing_entry_out with scratch");
            if want_index.is_some() {
                assert_eq!(with_idx.get(), idx.get());
            }
        }
    } else {
        assert_ne!(rc_size, SGXM_OK);
    }

    // NULL arguments: refused, nothing written.
    let mut none = Out::<32>::new();
    // SAFETY: NULL pointers are allowed and checked.
    unsafe {
        assert_eq!(
            sgxm_mrenclave_append(ptr::null(), 0, entries.as_ptr(), entries.len(), none.ptr()),
            SGXM_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            sgxm_mrenclave_append(bundle.as_ptr(), bundle.len(), ptr::null(), 0, none.ptr()),
            SGXM_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            sgxm_mrenclave_append_ex(
                bundle.as_ptr(),
                bundle.len(),
                entries.as_ptr(),
                entries.len(),
                ptr::null_mut(),
                idx.ptr().cast()
            ),
            SGXM_ERR_NULL_ARGUMENT
        );
    }
    none.check(false, "NULL argument");
}

fn configid(entries: &[u8]) {
    let mut out = Out::<64>::new();
    // SAFETY: valid buffer; 64-byte output.
    let rc = unsafe { sgxm_configid(entries.as_ptr(), entries.len(), out.ptr()) };
    describe(rc, true);
    out.check(rc == SGXM_OK, "sgxm_configid");
    match EntryList::parse(entries) {
        Ok(_) => {
            assert_eq!(rc, SGXM_OK);
            assert_eq!(out.get()[..32], Sha256::digest(entries));
            assert!(out.get()[32..].iter().all(|&b| b == 0));
        }
        Err(_) => assert!((30..=37).contains(&rc), "bad list gave {rc}"),
    }
    let mut none = Out::<64>::new();
    // SAFETY: NULL pointers are allowed and checked.
    unsafe {
        assert_eq!(
            sgxm_configid(ptr::null(), 0, none.ptr()),
            SGXM_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            sgxm_configid(entries.as_ptr(), entries.len(), ptr::null_mut()),
            SGXM_ERR_NULL_ARGUMENT
        );
    }
    none.check(false, "sgxm_configid NULL");
}

fn identity(evidence: &[u8]) {
    const N: usize = size_of::<sgxm_identity>();
    let mut id = std::mem::MaybeUninit::<sgxm_identity>::uninit();
    // SAFETY: `id` has room for one `sgxm_identity`; any byte pattern is valid for its fields.
    unsafe { ptr::write_bytes(id.as_mut_ptr().cast::<u8>(), SENTINEL, N) };
    // SAFETY: valid buffer and output.
    let rc =
        unsafe { sgxm_identity_from_evidence(evidence.as_ptr(), evidence.len(), id.as_mut_ptr()) };
    // SAFETY: `id` is fully initialised (sentinel, or written by the library).
    let bytes = unsafe { std::slice::from_raw_parts(id.as_ptr().cast::<u8>(), N) };
    describe(rc, true);
    if rc != SGXM_OK {
        assert!(
            bytes.iter().all(|&b| b == SENTINEL),
            "identity written on failure"
        );
    }
    match Evidence::parse(evidence) {
        Ok(ev) => {
            assert_eq!(rc, SGXM_OK);
            // SAFETY: written by the library on success.
            let id = unsafe { id.assume_init() };
            let body = ev.report_body();
            assert_eq!(id.mr_enclave, body.mr_enclave);
            assert_eq!(id.mr_signer, body.mr_signer);
            assert_eq!(id.report_data, body.report_data);
            assert_eq!(u32::from(ev.quote_version().unwrap_or(0)), id.quote_version);
        }
        Err(_) => assert!((100..=199).contains(&rc), "bad evidence gave {rc}"),
    }
    let mut id2 = std::mem::MaybeUninit::<sgxm_identity>::uninit();
    // SAFETY: NULL pointers are allowed and checked.
    unsafe {
        assert_eq!(
            sgxm_identity_from_evidence(ptr::null(), evidence.len(), id2.as_mut_ptr()),
            SGXM_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            sgxm_identity_from_evidence(evidence.as_ptr(), evidence.len(), ptr::null_mut()),
            SGXM_ERR_NULL_ARGUMENT
        );
    }
}

/// A little reader over the operation bytes; missing bytes read as zero.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
}

fn hasher_ops(ops: &[u8]) {
    let zero = sgxm_hasher {
        state: [0; 8],
        blocks: 0,
    };
    let mut h = zero;
    // The records hashed since `init`, when known (not after restoring arbitrary bytes).
    let mut model: Option<Vec<u8>> = None;
    let mut saved: Option<([u8; SGXM_HASHER_STATE_LEN], Option<Vec<u8>>)> = None;
    let mut r = Bytes(ops);
    let mut steps = 0;
    while !r.0.is_empty() && steps < 256 {
        steps += 1;
        let op = r.u8();
        let rc = match op % 8 {
            // SAFETY (all calls below): `h` is a valid hasher; buffers are valid for the sizes.
            0 => {
                model = Some(Vec::new());
                unsafe { sgxm_hasher_init(&mut h) }
            }
            1 => {
                let (ssa, size) = (u32::from_le_bytes(r.take()), u64::from_le_bytes(r.take()));
                if let Some(m) = &mut model {
                    m.extend_from_slice(&ecreate_record(ssa, size));
                }
                unsafe { sgxm_hasher_ecreate(&mut h, ssa, size) }
            }
            2 => {
                let (off, flags) = (u64::from_le_bytes(r.take()), u64::from_le_bytes(r.take()));
                if let Some(m) = &mut model {
                    m.extend_from_slice(&eadd_record(off, flags));
                }
                unsafe { sgxm_hasher_eadd(&mut h, off, flags) }
            }
            3 => {
                let off = u64::from_le_bytes(r.take());
                let chunk: [u8; 256] = r.take();
                if let Some(m) = &mut model {
                    m.extend_from_slice(&eextend_record(off));
                    m.extend_from_slice(&chunk);
                }
                unsafe { sgxm_hasher_eextend(&mut h, off, chunk.as_ptr()) }
            }
            4 => {
                let mut out = Out::<SGXM_HASHER_STATE_LEN>::new();
                let before = (h.state, h.blocks);
                let rc = unsafe { sgxm_hasher_save(&h, out.ptr()) };
                assert_eq!(rc, SGXM_OK);
                out.check(true, "sgxm_hasher_save");
                assert_eq!((h.state, h.blocks), before, "save changed the hasher");
                let bytes: [u8; SGXM_HASHER_STATE_LEN] = out.get().try_into().unwrap();
                assert_eq!(bytes[32..], h.blocks.to_le_bytes());
                saved = Some((bytes, model.clone()));
                rc
            }
            5 => {
                // Restore: the saved state, or arbitrary bytes of an arbitrary length.
                let len = usize::from(r.u8() % 48);
                let arbitrary = r.take::<48>();
                let (state, len, m) = match (&saved, op & 8 != 0) {
                    (Some((s, m)), true) => (s.to_vec(), SGXM_HASHER_STATE_LEN, m.clone()),
                    _ => (arbitrary.to_vec(), len, None),
                };
                let before = (h.state, h.blocks);
                let rc = unsafe { sgxm_hasher_restore(&mut h, state.as_ptr(), len) };
                if len == SGXM_HASHER_STATE_LEN {
                    assert_eq!(rc, SGXM_OK);
                    model = m;
                    // Saving again gives back the bytes restored.
                    let mut out = [0u8; SGXM_HASHER_STATE_LEN];
                    assert_eq!(unsafe { sgxm_hasher_save(&h, out.as_mut_ptr()) }, SGXM_OK);
                    assert_eq!(out[..], state[..len]);
                } else {
                    assert_eq!(rc, SGXM_ERR_BAD_STATE_LENGTH);
                    assert_eq!(
                        (h.state, h.blocks),
                        before,
                        "failed restore changed the hasher"
                    );
                }
                rc
            }
            6 => {
                let mut out = Out::<32>::new();
                let before = (h.state, h.blocks);
                let rc = unsafe { sgxm_hasher_finish(&h, out.ptr()) };
                assert_eq!(rc, SGXM_OK);
                out.check(true, "sgxm_hasher_finish");
                assert_eq!((h.state, h.blocks), before, "finish changed the hasher");
                if let Some(m) = &model {
                    assert_eq!(
                        out.get(),
                        Sha256::digest(m),
                        "MRENCLAVE is not SHA-256 of the records"
                    );
                    assert_eq!(h.blocks as usize, m.len() / 64);
                }
                rc
            }
            _ => {
                // NULL arguments everywhere: refused, hasher untouched.
                let before = (h.state, h.blocks);
                let mut out = [SENTINEL; 64];
                let chunk = [0u8; 256];
                unsafe {
                    for rc in [
                        sgxm_hasher_init(ptr::null_mut()),
                        sgxm_hasher_ecreate(ptr::null_mut(), 1, 4096),
                        sgxm_hasher_eadd(ptr::null_mut(), 0, 0),
                        sgxm_hasher_eextend(ptr::null_mut(), 0, chunk.as_ptr()),
                        sgxm_hasher_eextend(&mut h, 0, ptr::null()),
                        sgxm_hasher_save(ptr::null(), out.as_mut_ptr()),
                        sgxm_hasher_save(&h, ptr::null_mut()),
                        sgxm_hasher_restore(ptr::null_mut(), out.as_ptr(), 40),
                        sgxm_hasher_restore(&mut h, ptr::null(), 40),
                        sgxm_hasher_finish(ptr::null(), out.as_mut_ptr()),
                        sgxm_hasher_finish(&h, ptr::null_mut()),
                    ] {
                        assert_eq!(rc, SGXM_ERR_NULL_ARGUMENT);
                    }
                }
                assert!(out.iter().all(|&b| b == SENTINEL));
                assert_eq!(
                    (h.state, h.blocks),
                    before,
                    "a NULL argument changed the hasher"
                );
                SGXM_ERR_NULL_ARGUMENT
            }
        };
        describe(rc, true);
    }
}

/// A small valid bundle: `shape` picks the version, dialect, EDMM, threads, size and forms.
fn built_bundle(shape: u8) -> Vec<u8> {
    let elf = Elf::parse(PAL).expect("test PAL");
    let version = GramineVersion::ALL[usize::from(shape) % 10];
    let dialect = if version.code() <= GramineVersion::V1_3.code() {
        Dialect::Toml0102
    } else if shape & 0x10 != 0 {
        Dialect::TomliW04
    } else {
        Dialect::TomliW1
    };
    let threads = u64::from(shape >> 5 & 3) + 1;
    let sizes = [2 << 20, 4 << 20, 8 << 20, 16 << 20];
    let head =
        "[loader]\nentrypoint = \"file:/usr/lib/libsysdb.so\"\n\n[sgx]\nenclave_size = \"4M\"\n";
    let sections_prefix = format!(
        "{head}\n[[sgx.trusted_files]]\nuri = \"file:/app/run.py\"\nsha256 = \"{}\"\n",
        "ab".repeat(32)
    );
    let inline_prefix = format!(
        "{head}trusted_files = [\n    {{ uri = \"file:/app/run.py\", sha256 = \"{}\" }},\n",
        "ab".repeat(32)
    );
    let sha = "ab".repeat(32);
    let builder = BundleBuilder {
        params: LayoutParams {
            version,
            enclave_size: sizes[usize::from(shape >> 3 & 3)],
            threads,
            edmm: shape & 0x80 != 0 && version.code() >= GramineVersion::V1_5.code(),
            nonpie_binary: false,
        },
        dialect,
        pal_entry: elf.entry(),
        pal_segments: elf.load_segments().collect(),
        sections_form: Form {
            prefix: sections_prefix.as_bytes(),
            suffix: b"",
        },
        inline_form: (shape & 0x40 != 0 && dialect != Dialect::Toml0102).then_some(Form {
            prefix: inline_prefix.as_bytes(),
            suffix: b"]\n",
        }),
        empty_manifest: None,
        allow_prefixes: vec!["file:/data/", "file:/models/"],
        base_entries: vec![("file:/app/run.py", &sha, false)],
        info: "made-by=fuzz\n",
    };
    builder.to_bytes()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        describe(0, true);
        return;
    };
    // Any code has a description (unknown codes included).
    let code = u32::from_le_bytes(Bytes(rest).take());
    describe(code, false);
    match mode % 4 {
        0 => {
            let mut r = Bytes(rest);
            let len = (u32::from_le_bytes(r.take()) as usize).min(r.0.len());
            let (bundle, entries) = r.0.split_at(len);
            append(bundle, entries);
            configid(entries);
        }
        1 => {
            let mut r = Bytes(rest);
            let shape = r.u8();
            let mut bundle = built_bundle(shape);
            for _ in 0..r.u8() {
                let at = usize::from(u16::from_le_bytes(r.take())) % bundle.len();
                bundle[at] ^= r.u8();
            }
            append(&bundle, r.0);
            configid(r.0);
        }
        2 => identity(rest),
        _ => hasher_ops(rest),
    }
});
