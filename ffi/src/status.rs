//! Stable status codes. Values are never renumbered or reused.

/// Success.
pub const SGXM_OK: u32 = 0;
/// A required pointer argument was NULL.
pub const SGXM_ERR_NULL_ARGUMENT: u32 = 1;
/// A serialized hasher state has the wrong length.
pub const SGXM_ERR_BAD_STATE_LENGTH: u32 = 2;
/// An internal error: a state that the library's own checks rule out was reached (a bug; please
/// report it). No input is known to cause it.
pub const SGXM_ERR_INTERNAL: u32 = 3;
/// The caller's `sgxm_hasher` has another size or alignment than this library's (a header from
/// another version).
pub const SGXM_ERR_HASHER_LAYOUT: u32 = 4;
/// A pointer argument is not aligned for its type.
pub const SGXM_ERR_MISALIGNED_ARGUMENT: u32 = 5;

// 10-29: the bundle is malformed.
/// Not a bundle (bad magic).
pub const SGXM_ERR_BUNDLE_BAD_MAGIC: u32 = 10;
/// A bundle format version this library does not read.
pub const SGXM_ERR_BUNDLE_UNSUPPORTED_VERSION: u32 = 11;
/// The bundle is truncated.
pub const SGXM_ERR_BUNDLE_TRUNCATED: u32 = 12;
/// Bytes after the bundle's last section.
pub const SGXM_ERR_BUNDLE_TRAILING_BYTES: u32 = 13;
/// A bundle section appears twice.
pub const SGXM_ERR_BUNDLE_DUPLICATE_SECTION: u32 = 14;
/// A mandatory bundle section this library does not know.
pub const SGXM_ERR_BUNDLE_UNKNOWN_SECTION: u32 = 15;
/// A required bundle section is missing.
pub const SGXM_ERR_BUNDLE_MISSING_SECTION: u32 = 16;
/// A bundle section is malformed.
pub const SGXM_ERR_BUNDLE_BAD_SECTION: u32 = 17;
/// The bundle names an unknown Gramine version.
pub const SGXM_ERR_BUNDLE_BAD_GRAMINE_VERSION: u32 = 18;
/// The bundle names an unknown TOML writer.
pub const SGXM_ERR_BUNDLE_BAD_DIALECT: u32 = 19;
/// A PAL segment in the bundle is inconsistent.
pub const SGXM_ERR_BUNDLE_BAD_PAL_SEGMENT: u32 = 20;

// 30-39: the entry list is malformed.
/// The entry list does not start with `sgx-measure entries v1`.
pub const SGXM_ERR_ENTRIES_BAD_HEADER: u32 = 30;
/// The entry list does not end with a newline.
pub const SGXM_ERR_ENTRIES_MISSING_FINAL_NEWLINE: u32 = 31;
/// An entry line does not have exactly one TAB.
pub const SGXM_ERR_ENTRIES_BAD_SEPARATOR: u32 = 32;
/// An entry line is not valid UTF-8.
pub const SGXM_ERR_ENTRIES_NOT_UTF8: u32 = 33;
/// A malformed or non-canonical `%XX` escape.
pub const SGXM_ERR_ENTRIES_BAD_ESCAPE: u32 = 34;
/// A control character that must be escaped appears raw.
pub const SGXM_ERR_ENTRIES_UNESCAPED: u32 = 35;
/// An entry has an empty URI.
pub const SGXM_ERR_ENTRIES_EMPTY_URI: u32 = 36;
/// Too many entries.
pub const SGXM_ERR_ENTRIES_TOO_MANY: u32 = 37;

// 40-49: an entry breaks the bundle's append policy.
/// The bundle allows no appended entries.
pub const SGXM_ERR_POLICY_NOTHING_MAY_BE_APPENDED: u32 = 40;
/// An entry's URI starts with none of the allowed prefixes.
pub const SGXM_ERR_POLICY_OUTSIDE_PREFIXES: u32 = 41;
/// An entry's URI does not start with `file:`.
pub const SGXM_ERR_POLICY_NOT_A_FILE_URI: u32 = 42;
/// An entry's path has an empty, `.` or `..` segment.
pub const SGXM_ERR_POLICY_BAD_PATH_SEGMENT: u32 = 43;
/// An entry repeats a base trusted file.
pub const SGXM_ERR_POLICY_REPEATS_BASE_URI: u32 = 44;
/// An entry repeats an earlier entry.
pub const SGXM_ERR_POLICY_DUPLICATE: u32 = 45;
/// For a Gramine v1.0-v1.3 bundle (toml 0.10.2): an entry's URI or hash holds a character that
/// toml 0.10.2 writes incorrectly (a control character, U+0080-U+00A0, U+00AD, or a backslash
/// before `x`), or its hash is empty.
pub const SGXM_ERR_POLICY_NOT_WRITABLE_BY_TOML0102: u32 = 46;
/// An entry's URI holds NUL, CR or LF.
pub const SGXM_ERR_POLICY_LINE_BREAK_OR_NUL_IN_URI: u32 = 47;
/// An entry's hash is not exactly 64 hexadecimal digits.
pub const SGXM_ERR_POLICY_NOT_A_SHA256: u32 = 48;

// 50-59: the enclave cannot be measured.
/// The enclave size cannot hold the manifest, threads and PAL.
pub const SGXM_ERR_ENCLAVE_TOO_SMALL: u32 = 50;
/// The enclave size is above 2^47 bytes.
pub const SGXM_ERR_ENCLAVE_TOO_LARGE: u32 = 51;
/// A fixed-address PAL leaves enclave areas in the heap range.
pub const SGXM_ERR_AREA_IN_HEAP_RANGE: u32 = 52;
/// The TCS entry point is out of range.
pub const SGXM_ERR_ENTRY_POINT_OUT_OF_RANGE: u32 = 53;
/// A fixed-address PAL lies outside the enclave.
pub const SGXM_ERR_PAL_OUTSIDE_ENCLAVE: u32 = 54;
/// The PAL has no loadable segment.
pub const SGXM_ERR_NO_PAL_SEGMENTS: u32 = 55;
/// The PAL's segments overlap far too much.
pub const SGXM_ERR_PAL_SEGMENTS_OVERLAP: u32 = 56;
/// The manifest could not be produced.
pub const SGXM_ERR_MANIFEST_SOURCE: u32 = 57;

// 100-199: SGX evidence (reports and DCAP quotes) is malformed or not supported.
/// The evidence ends inside a fixed-size part.
pub const SGXM_ERR_EVIDENCE_TRUNCATED: u32 = 100;
/// A length field in the evidence points past the end of its enclosing structure.
pub const SGXM_ERR_EVIDENCE_LENGTH_PAST_END: u32 = 101;
/// Bytes are left over after the evidence or one of its length-delimited parts.
pub const SGXM_ERR_EVIDENCE_TRAILING_BYTES: u32 = 102;
/// The quote version is not 3, 4 or 5.
pub const SGXM_ERR_QUOTE_UNSUPPORTED_VERSION: u32 = 103;
/// The quote's attestation key type is not ECDSA-256-with-P-256.
pub const SGXM_ERR_QUOTE_UNSUPPORTED_KEY_TYPE: u32 = 104;
/// The quote is not an SGX quote (e.g. a TDX quote).
pub const SGXM_ERR_QUOTE_NOT_SGX: u32 = 105;
/// The v5 quote body is not an SGX enclave report body.
pub const SGXM_ERR_QUOTE_UNSUPPORTED_BODY_TYPE: u32 = 106;
/// The v5 quote body size is not 384.
pub const SGXM_ERR_QUOTE_BAD_BODY_SIZE: u32 = 107;
/// The v4/v5 signature data does not hold certification data of type 6.
pub const SGXM_ERR_QUOTE_UNEXPECTED_CERTIFICATION_TYPE: u32 = 108;
/// The evidence is malformed in another way (not returned at present: every malformation the
/// parser finds has a code of its own above).
pub const SGXM_ERR_EVIDENCE_MALFORMED: u32 = 109;

// 200-219: an Intel SGX SDK enclave is refused (as `sgx_sign` refuses it) or not supported.
/// The enclave file fails `sgx_sign`'s checks ("The input enclave file is not correct"): not an
/// x86-64 ELF shared object, bad segments, undefined symbols, a relocation type it refuses, no
/// `.note.sgxmeta`, ...
pub const SGXM_ERR_SDK_BAD_ENCLAVE_FILE: u32 = 200;
/// The enclave has a `.init` section (flag `SGXM_SDK_IGNORE_INIT_SEC_ERROR` accepts it).
pub const SGXM_ERR_SDK_INIT_SECTION: u32 = 201;
/// The enclave has text relocations (flag `SGXM_SDK_IGNORE_REL_ERROR` accepts them).
pub const SGXM_ERR_SDK_TEXT_RELOCATIONS: u32 = 202;
/// No `g_global_data` in the enclave's data.
pub const SGXM_ERR_SDK_NO_GLOBAL_DATA: u32 = 203;
/// The enclave was built with another SDK release than the one requested.
pub const SGXM_ERR_SDK_VERSION_MISMATCH: u32 = 204;
/// The enclave was built with an SDK release this library does not reproduce.
pub const SGXM_ERR_SDK_UNSUPPORTED_VERSION: u32 = 205;
/// The enclave is signed already (flag `SGXM_SDK_RESIGN` accepts it).
pub const SGXM_ERR_SDK_ALREADY_SIGNED: u32 = 206;
/// A configuration value is outside its parameter's range.
pub const SGXM_ERR_SDK_CONFIG_OUT_OF_RANGE: u32 = 207;
/// The configuration values contradict each other (`sgx_sign`'s consistency checks: stack,
/// heap, reserved memory, TCS counts, HW/LaunchKey, KSS, ELRANGE, user region).
pub const SGXM_ERR_SDK_CONFIG_INCONSISTENT: u32 = 208;
/// `present` has a bit for a parameter this SDK release does not have (or no parameter).
pub const SGXM_ERR_SDK_CONFIG_UNKNOWN_PARAMETER: u32 = 209;
/// The layout does not fit (`sgx_sign`: "The required memory is too large").
pub const SGXM_ERR_SDK_TOO_LARGE: u32 = 210;
/// Neither `enclave_entry` nor an ELF entry point.
pub const SGXM_ERR_SDK_NO_ENCLAVE_ENTRY: u32 = 211;
/// Not supported by this library: `EnableOSSLFIPS`, or an enclave above 2^47 bytes.
pub const SGXM_ERR_SDK_UNSUPPORTED: u32 = 212;
/// An invalid `sdk_version` or `flags` argument (or `SGXM_SDK_ENABLE_FIPS` other than with 2.24).
pub const SGXM_ERR_SDK_BAD_ARGUMENT: u32 = 213;

/// A static, NUL-terminated description of `status` (also for unknown codes).
#[unsafe(no_mangle)]
pub extern "C" fn sgxm_status_str(status: u32) -> *const core::ffi::c_char {
    let s: &'static core::ffi::CStr = match status {
        SGXM_OK => c"success",
        SGXM_ERR_NULL_ARGUMENT => c"a required pointer argument is NULL",
        SGXM_ERR_BAD_STATE_LENGTH => c"serialized hasher state must be exactly 40 bytes",
        SGXM_ERR_INTERNAL => c"internal error (a state the library's checks rule out; a bug)",
        SGXM_ERR_HASHER_LAYOUT => {
            c"sgxm_hasher size or alignment differs from the library's (header from another version)"
        }
        SGXM_ERR_MISALIGNED_ARGUMENT => c"a pointer argument is not aligned for its type",
        SGXM_ERR_BUNDLE_BAD_MAGIC => c"not an sgx-measure bundle (bad magic)",
        SGXM_ERR_BUNDLE_UNSUPPORTED_VERSION => c"bundle format version not supported",
        SGXM_ERR_BUNDLE_TRUNCATED => c"bundle is truncated",
        SGXM_ERR_BUNDLE_TRAILING_BYTES => c"bundle has bytes after its last section",
        SGXM_ERR_BUNDLE_DUPLICATE_SECTION => c"bundle has a duplicate section",
        SGXM_ERR_BUNDLE_UNKNOWN_SECTION => c"bundle has an unknown mandatory section",
        SGXM_ERR_BUNDLE_MISSING_SECTION => c"bundle lacks a required section",
        SGXM_ERR_BUNDLE_BAD_SECTION => c"bundle has a malformed section",
        SGXM_ERR_BUNDLE_BAD_GRAMINE_VERSION => c"bundle names an unknown Gramine version",
        SGXM_ERR_BUNDLE_BAD_DIALECT => c"bundle names an unknown TOML writer",
        SGXM_ERR_BUNDLE_BAD_PAL_SEGMENT => c"bundle has an inconsistent PAL segment",
        SGXM_ERR_ENTRIES_BAD_HEADER => c"entry list does not start with \"sgx-measure entries v1\"",
        SGXM_ERR_ENTRIES_MISSING_FINAL_NEWLINE => c"entry list does not end with a newline",
        SGXM_ERR_ENTRIES_BAD_SEPARATOR => {
            c"entry line without exactly one TAB between URI and sha256"
        }
        SGXM_ERR_ENTRIES_NOT_UTF8 => c"entry line is not valid UTF-8",
        SGXM_ERR_ENTRIES_BAD_ESCAPE => c"entry has a malformed or non-canonical %XX escape",
        SGXM_ERR_ENTRIES_UNESCAPED => c"entry has a control character that must be escaped",
        SGXM_ERR_ENTRIES_EMPTY_URI => c"entry has an empty URI",
        SGXM_ERR_ENTRIES_TOO_MANY => c"entry list has too many entries",
        SGXM_ERR_POLICY_NOTHING_MAY_BE_APPENDED => {
            c"append policy: the bundle allows no appended entries"
        }
        SGXM_ERR_POLICY_OUTSIDE_PREFIXES => c"append policy: URI outside every allowed prefix",
        SGXM_ERR_POLICY_NOT_A_FILE_URI => c"append policy: URI does not start with file:",
        SGXM_ERR_POLICY_BAD_PATH_SEGMENT => {
            c"append policy: URI path has an empty, . or .. segment"
        }
        SGXM_ERR_POLICY_REPEATS_BASE_URI => {
            c"append policy: URI repeats a trusted file of the base enclave"
        }
        SGXM_ERR_POLICY_DUPLICATE => c"append policy: URI repeats an earlier entry",
        SGXM_ERR_POLICY_NOT_WRITABLE_BY_TOML0102 => {
            c"append policy: URI or hash that toml 0.10.2 (Gramine v1.0-v1.3) writes incorrectly, or empty hash"
        }
        SGXM_ERR_POLICY_LINE_BREAK_OR_NUL_IN_URI => {
            c"append policy: URI holds a NUL, CR or LF character"
        }
        SGXM_ERR_POLICY_NOT_A_SHA256 => {
            c"append policy: hash is not exactly 64 hexadecimal digits"
        }
        SGXM_ERR_ENCLAVE_TOO_SMALL => c"enclave size is not large enough",
        SGXM_ERR_ENCLAVE_TOO_LARGE => c"enclave size is above 128 TiB",
        SGXM_ERR_AREA_IN_HEAP_RANGE => {
            c"a fixed-address PAL leaves enclave areas in the heap range"
        }
        SGXM_ERR_ENTRY_POINT_OUT_OF_RANGE => c"TCS entry point out of range",
        SGXM_ERR_PAL_OUTSIDE_ENCLAVE => c"a fixed-address PAL lies outside the enclave",
        SGXM_ERR_NO_PAL_SEGMENTS => c"the PAL has no loadable segment",
        SGXM_ERR_PAL_SEGMENTS_OVERLAP => c"the PAL's segments overlap far too much",
        SGXM_ERR_MANIFEST_SOURCE => c"the manifest could not be produced",
        SGXM_ERR_EVIDENCE_TRUNCATED => c"evidence is truncated",
        SGXM_ERR_EVIDENCE_LENGTH_PAST_END => c"a length field in the evidence points past its end",
        SGXM_ERR_EVIDENCE_TRAILING_BYTES => c"evidence has unexpected trailing bytes",
        SGXM_ERR_QUOTE_UNSUPPORTED_VERSION => c"quote version not supported (only 3, 4 and 5)",
        SGXM_ERR_QUOTE_UNSUPPORTED_KEY_TYPE => {
            c"quote attestation key type not supported (only ECDSA-256-with-P-256)"
        }
        SGXM_ERR_QUOTE_NOT_SGX => c"not an SGX quote (TEE type is not 0; e.g. a TDX quote)",
        SGXM_ERR_QUOTE_UNSUPPORTED_BODY_TYPE => {
            c"v5 quote body is not an SGX enclave report (e.g. a TDX report)"
        }
        SGXM_ERR_QUOTE_BAD_BODY_SIZE => c"v5 quote body size is not 384 for an SGX report body",
        SGXM_ERR_QUOTE_UNEXPECTED_CERTIFICATION_TYPE => {
            c"v4/v5 quote certification data is not of type 6 (QE report certification data)"
        }
        SGXM_ERR_EVIDENCE_MALFORMED => c"evidence is malformed",
        SGXM_ERR_SDK_BAD_ENCLAVE_FILE => c"SDK enclave: the input enclave file is not correct",
        SGXM_ERR_SDK_INIT_SECTION => c"SDK enclave: the enclave image has a .init section",
        SGXM_ERR_SDK_TEXT_RELOCATIONS => c"SDK enclave: the enclave image has text relocations",
        SGXM_ERR_SDK_NO_GLOBAL_DATA => c"SDK enclave: no g_global_data in the enclave's data",
        SGXM_ERR_SDK_VERSION_MISMATCH => {
            c"SDK enclave: built with another SDK release than the one requested"
        }
        SGXM_ERR_SDK_UNSUPPORTED_VERSION => {
            c"SDK enclave: built with an SDK release not supported (2.20 to 2.26 are)"
        }
        SGXM_ERR_SDK_ALREADY_SIGNED => c"SDK enclave: the enclave has been signed already",
        SGXM_ERR_SDK_CONFIG_OUT_OF_RANGE => c"SDK enclave: a configuration value is out of range",
        SGXM_ERR_SDK_CONFIG_INCONSISTENT => {
            c"SDK enclave: the configuration values are not consistent"
        }
        SGXM_ERR_SDK_CONFIG_UNKNOWN_PARAMETER => {
            c"SDK enclave: a configuration parameter this SDK release does not have"
        }
        SGXM_ERR_SDK_TOO_LARGE => c"SDK enclave: the required memory is too large",
        SGXM_ERR_SDK_NO_ENCLAVE_ENTRY => c"SDK enclave: no enclave_entry and no ELF entry point",
        SGXM_ERR_SDK_UNSUPPORTED => {
            c"SDK enclave: not supported (EnableOSSLFIPS, or an enclave above 128 TiB)"
        }
        SGXM_ERR_SDK_BAD_ARGUMENT => c"SDK enclave: invalid sdk_version or flags argument",
        _ => c"unknown status code",
    };
    s.as_ptr()
}

use measure_core::append::{AppendError, PolicyKind};
use measure_core::bundle::BundleError;
use measure_core::engine::MeasureError;
use measure_core::entries::EntriesError;
use measure_core::layout::LayoutError;

/// The status code of a bundle error.
pub(crate) fn bundle_status(e: &BundleError) -> u32 {
    match e {
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
    }
}

/// The status code of an entry-list error.
pub(crate) fn entries_status(e: &EntriesError) -> u32 {
    match e {
        EntriesError::BadHeader => SGXM_ERR_ENTRIES_BAD_HEADER,
        EntriesError::MissingFinalNewline => SGXM_ERR_ENTRIES_MISSING_FINAL_NEWLINE,
        EntriesError::BadSeparator { .. } => SGXM_ERR_ENTRIES_BAD_SEPARATOR,
        EntriesError::NotUtf8 { .. } => SGXM_ERR_ENTRIES_NOT_UTF8,
        EntriesError::BadEscape { .. } => SGXM_ERR_ENTRIES_BAD_ESCAPE,
        EntriesError::Unescaped { .. } => SGXM_ERR_ENTRIES_UNESCAPED,
        EntriesError::EmptyUri { .. } => SGXM_ERR_ENTRIES_EMPTY_URI,
        EntriesError::TooMany => SGXM_ERR_ENTRIES_TOO_MANY,
    }
}

/// The status code of a policy violation: each rule its own.
pub(crate) fn policy_status(kind: PolicyKind) -> u32 {
    match kind {
        PolicyKind::NothingMayBeAppended => SGXM_ERR_POLICY_NOTHING_MAY_BE_APPENDED,
        PolicyKind::OutsidePrefixes => SGXM_ERR_POLICY_OUTSIDE_PREFIXES,
        PolicyKind::NotAFileUri => SGXM_ERR_POLICY_NOT_A_FILE_URI,
        PolicyKind::BadPathSegment => SGXM_ERR_POLICY_BAD_PATH_SEGMENT,
        PolicyKind::RepeatsBaseUri => SGXM_ERR_POLICY_REPEATS_BASE_URI,
        PolicyKind::Duplicate => SGXM_ERR_POLICY_DUPLICATE,
        PolicyKind::NotWritableByToml0102 => SGXM_ERR_POLICY_NOT_WRITABLE_BY_TOML0102,
        PolicyKind::LineBreakOrNulInUri => SGXM_ERR_POLICY_LINE_BREAK_OR_NUL_IN_URI,
        PolicyKind::NotASha256 => SGXM_ERR_POLICY_NOT_A_SHA256,
    }
}

/// The status code of a measurement error.
pub(crate) fn measure_status(e: &MeasureError) -> u32 {
    match e {
        MeasureError::Layout(l) => match l {
            LayoutError::EnclaveTooSmall => SGXM_ERR_ENCLAVE_TOO_SMALL,
            LayoutError::EnclaveTooLarge => SGXM_ERR_ENCLAVE_TOO_LARGE,
            LayoutError::AreaInHeapRange => SGXM_ERR_AREA_IN_HEAP_RANGE,
            LayoutError::EntryPointOutOfRange => SGXM_ERR_ENTRY_POINT_OUT_OF_RANGE,
            LayoutError::PalOutsideEnclave => SGXM_ERR_PAL_OUTSIDE_ENCLAVE,
        },
        MeasureError::Source(_) => SGXM_ERR_MANIFEST_SOURCE,
        MeasureError::NoPalSegments => SGXM_ERR_NO_PAL_SEGMENTS,
        MeasureError::PalSegmentsOverlap => SGXM_ERR_PAL_SEGMENTS_OVERLAP,
    }
}

/// The status code of any append error.
///
/// Every match here (and in the functions it calls) names each variant: the core's error enums
/// are not `#[non_exhaustive]`, so a variant added there does not compile here until it has a
/// code of its own. (A `_` arm once reported new policy rules as duplicates.)
pub(crate) fn append_status(e: &AppendError) -> u32 {
    match e {
        AppendError::Bundle(b) => bundle_status(b),
        AppendError::Entries(x) => entries_status(x),
        AppendError::Policy(p) => policy_status(p.kind),
        AppendError::Measure(m) => measure_status(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use measure_core::append::PolicyViolation;
    use measure_core::engine::SourceError;

    fn described(code: u32) -> bool {
        // SAFETY: sgxm_status_str returns a static NUL-terminated string.
        let s = unsafe { core::ffi::CStr::from_ptr(sgxm_status_str(code)) };
        s.to_bytes() != b"unknown status code"
    }

    /// One value of every variant of every error an append can fail with, and the code each must
    /// get. Listing them here (and the exhaustive matches above) makes a new variant a compile
    /// error in this crate until it has its own code.
    fn every_append_error() -> std::vec::Vec<(AppendError, u32)> {
        let policy = |kind| {
            AppendError::Policy(PolicyViolation {
                kind,
                index: 0,
                other: 0,
            })
        };
        std::vec![
            (
                AppendError::Bundle(BundleError::BadMagic),
                SGXM_ERR_BUNDLE_BAD_MAGIC
            ),
            (
                AppendError::Bundle(BundleError::UnsupportedVersion(9)),
                SGXM_ERR_BUNDLE_UNSUPPORTED_VERSION,
            ),
            (
                AppendError::Bundle(BundleError::Truncated),
                SGXM_ERR_BUNDLE_TRUNCATED
            ),
            (
                AppendError::Bundle(BundleError::TrailingBytes),
                SGXM_ERR_BUNDLE_TRAILING_BYTES,
            ),
            (
                AppendError::Bundle(BundleError::DuplicateSection(1)),
                SGXM_ERR_BUNDLE_DUPLICATE_SECTION,
            ),
            (
                AppendError::Bundle(BundleError::UnknownSection(1)),
                SGXM_ERR_BUNDLE_UNKNOWN_SECTION,
            ),
            (
                AppendError::Bundle(BundleError::MissingSection(1)),
                SGXM_ERR_BUNDLE_MISSING_SECTION,
            ),
            (
                AppendError::Bundle(BundleError::BadSection(1)),
                SGXM_ERR_BUNDLE_BAD_SECTION
            ),
            (
                AppendError::Bundle(BundleError::BadGramineVersion(1)),
                SGXM_ERR_BUNDLE_BAD_GRAMINE_VERSION,
            ),
            (
                AppendError::Bundle(BundleError::BadDialect(1)),
                SGXM_ERR_BUNDLE_BAD_DIALECT
            ),
            (
                AppendError::Bundle(BundleError::BadPalSegment(1)),
                SGXM_ERR_BUNDLE_BAD_PAL_SEGMENT,
            ),
            (
                AppendError::Entries(EntriesError::BadHeader),
                SGXM_ERR_ENTRIES_BAD_HEADER
            ),
            (
                AppendError::Entries(EntriesError::MissingFinalNewline),
                SGXM_ERR_ENTRIES_MISSING_FINAL_NEWLINE,
            ),
            (
                AppendError::Entries(EntriesError::BadSeparator { line: 2 }),
                SGXM_ERR_ENTRIES_BAD_SEPARATOR,
            ),
            (
                AppendError::Entries(EntriesError::NotUtf8 { line: 2 }),
                SGXM_ERR_ENTRIES_NOT_UTF8,
            ),
            (
                AppendError::Entries(EntriesError::BadEscape { line: 2 }),
                SGXM_ERR_ENTRIES_BAD_ESCAPE,
            ),
            (
                AppendError::Entries(EntriesError::Unescaped { line: 2 }),
                SGXM_ERR_ENTRIES_UNESCAPED,
            ),
            (
                AppendError::Entries(EntriesError::EmptyUri { line: 2 }),
                SGXM_ERR_ENTRIES_EMPTY_URI,
            ),
            (
                AppendError::Entries(EntriesError::TooMany),
                SGXM_ERR_ENTRIES_TOO_MANY
            ),
            (
                policy(PolicyKind::NothingMayBeAppended),
                SGXM_ERR_POLICY_NOTHING_MAY_BE_APPENDED,
            ),
            (
                policy(PolicyKind::OutsidePrefixes),
                SGXM_ERR_POLICY_OUTSIDE_PREFIXES
            ),
            (
                policy(PolicyKind::NotAFileUri),
                SGXM_ERR_POLICY_NOT_A_FILE_URI
            ),
            (
                policy(PolicyKind::BadPathSegment),
                SGXM_ERR_POLICY_BAD_PATH_SEGMENT
            ),
            (
                policy(PolicyKind::RepeatsBaseUri),
                SGXM_ERR_POLICY_REPEATS_BASE_URI
            ),
            (policy(PolicyKind::Duplicate), SGXM_ERR_POLICY_DUPLICATE),
            (
                policy(PolicyKind::NotWritableByToml0102),
                SGXM_ERR_POLICY_NOT_WRITABLE_BY_TOML0102,
            ),
            (
                policy(PolicyKind::LineBreakOrNulInUri),
                SGXM_ERR_POLICY_LINE_BREAK_OR_NUL_IN_URI,
            ),
            (policy(PolicyKind::NotASha256), SGXM_ERR_POLICY_NOT_A_SHA256),
            (
                AppendError::Measure(MeasureError::Layout(LayoutError::EnclaveTooSmall)),
                SGXM_ERR_ENCLAVE_TOO_SMALL,
            ),
            (
                AppendError::Measure(MeasureError::Layout(LayoutError::EnclaveTooLarge)),
                SGXM_ERR_ENCLAVE_TOO_LARGE,
            ),
            (
                AppendError::Measure(MeasureError::Layout(LayoutError::AreaInHeapRange)),
                SGXM_ERR_AREA_IN_HEAP_RANGE,
            ),
            (
                AppendError::Measure(MeasureError::Layout(LayoutError::EntryPointOutOfRange)),
                SGXM_ERR_ENTRY_POINT_OUT_OF_RANGE,
            ),
            (
                AppendError::Measure(MeasureError::Layout(LayoutError::PalOutsideEnclave)),
                SGXM_ERR_PAL_OUTSIDE_ENCLAVE,
            ),
            (
                AppendError::Measure(MeasureError::Source(SourceError("x"))),
                SGXM_ERR_MANIFEST_SOURCE,
            ),
            (
                AppendError::Measure(MeasureError::NoPalSegments),
                SGXM_ERR_NO_PAL_SEGMENTS
            ),
            (
                AppendError::Measure(MeasureError::PalSegmentsOverlap),
                SGXM_ERR_PAL_SEGMENTS_OVERLAP,
            ),
        ]
    }

    /// Every append error gets its documented code, every code is described, and no two
    /// variants share one (a `_` arm used to give later policy rules the code of another rule).
    #[test]
    fn every_append_error_has_its_own_code() {
        let all = every_append_error();
        for (e, want) in &all {
            assert_eq!(append_status(e), *want, "{e:?}");
            assert!(described(*want), "{want} has no description");
        }
        for (i, (a, ca)) in all.iter().enumerate() {
            for (b, cb) in all.iter().skip(i + 1) {
                assert_ne!(ca, cb, "{a:?} and {b:?} share a code");
            }
        }
        assert!(described(SGXM_ERR_INTERNAL));
        assert!(!described(9));
        assert!(!described(u32::MAX));
    }
}
