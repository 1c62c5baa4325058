//! Every rule of Gramine's signer that changes between releases, in one table: one [`Rules`] row
//! per version ([`GramineVersion::rules`]), read by every component (layout, manifest
//! constructor, trusted-file expansion, TOML writer, SIGSTRUCT, the verbose report). No other
//! code compares Gramine versions: it asks its row (a test checks this over the workspace's
//! sources).
//!
//! What each row says, and where Gramine does it (`python/graminelibos/` of each tag):
//! * `layout`: the constants of the SGX PAL's build and the base-address rule
//!   (`sgx_sign.py`, `_offsets.py`);
//! * `thread_key`, `reads_edmm`: the manifest keys the layout reads (`get_mrenclave_and_manifest`);
//! * `constructor`: the `Manifest` constructor (`manifest.py`), its `setdefault`s in order, where
//!   trusted files become tables and `loader.entrypoint` is completed;
//! * `trusted_files`: `expand_all_trusted_files` (syntax, duplicates, directory expansion, the
//!   error for a missing file, `--chroot`);
//! * `writers`: the TOML writers the signer may use (toml 0.10.2, or tomli_w 1.x / 0.4);
//! * `python_exception_names`: v1.0 to v1.3 die with a traceback whose last line names the Python
//!   exception;
//! * `signer`: the SIGSTRUCT attributes and date (`get_tbssigstruct`);
//! * `report`: the `--verbose` header;
//! * `view_unpadded_year`: `gramine-sgx-sigstruct-view` of v1.5 prints the year unpadded.

use crate::attributes::{
    ExinfoRule, SignerRules, Truth, XFRM_MASK_CONST, XFRM_MASK_CONST_V1_0, XfrmRule,
};
use crate::profile::{BaseRule, GramineVersion, Profile, TcsOffsets, ThreadKey, TlsOffsets};
use crate::sigstruct::DateEncoding;

/// Everything version-dependent in Gramine's signer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rules {
    /// The version this row describes.
    pub version: GramineVersion,
    /// Layout constants and the base-address rule.
    pub layout: Profile,
    /// Manifest key holding the thread count.
    pub thread_key: ThreadKey,
    /// Whether the layout reads `sgx.edmm_enable` (v1.4+); older versions always add the heap.
    pub reads_edmm: bool,
    /// The `Manifest` constructor, step by step in Gramine's order.
    pub constructor: &'static [Step],
    /// `sgx.trusted_files` syntax and expansion.
    pub trusted_files: TrustedFileRules,
    /// The TOML writers this version's signer uses; the first is the default.
    pub writers: &'static [TomlWriter],
    /// Whether errors carry the name of the Python exception (v1.0 to v1.3).
    pub python_exception_names: bool,
    /// SIGSTRUCT attributes and DATE.
    pub signer: SignerRules,
    /// The `--verbose` header.
    pub report: ReportRules,
    /// `gramine-sgx-sigstruct-view` prints the year without zero padding (v1.5).
    pub view_unpadded_year: bool,
}

/// A value the constructor inserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultValue {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'static str),
    /// An empty list.
    EmptyList,
}

/// One step of the `Manifest` constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `sgx.KEY = VALUE` unless the key is set.
    Sgx(&'static str, DefaultValue),
    /// `sgx.KEY = VALUE` unless the key or one of `unless` is set.
    SgxUnless(&'static str, DefaultValue, &'static [&'static str]),
    /// `sgx.enclave_size`: `edmm` when `sgx.edmm_enable` is true, else `plain`.
    EnclaveSize {
        /// Without EDMM.
        plain: &'static str,
        /// With EDMM.
        edmm: &'static str,
    },
    /// `sgx.cpu_features.KEY = VALUE` for each default, unless one of `unless` is set in `sgx`.
    CpuFeatures {
        /// The features and their defaults.
        defaults: &'static [(&'static str, &'static str)],
        /// Deprecated keys whose presence skips these defaults (v1.6 and v1.7).
        unless: &'static [&'static str],
    },
    /// Every `sgx.trusted_files` entry becomes a table with a `uri` (a string is the URI).
    TrustedFilesToTables,
    /// `loader.KEY = VALUE` unless the key is set.
    Loader(&'static str, DefaultValue),
    /// `loader.entrypoint` completed: `uri` from the LibOS, `sha256` by hashing it.
    LoaderEntrypoint {
        /// v1.8 still accepts the deprecated `loader.entrypoint = "file:..."` (with a warning).
        deprecated_string: bool,
    },
}

/// `sgx.trusted_files` syntax and expansion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedFileRules {
    /// v1.0 and v1.1 also accept the deprecated table form `sgx.trusted_files.NAME = "file:..."`
    /// (and iterate over whatever else is there: a string is one entry per character).
    pub table_syntax: bool,
    /// How the list is expanded.
    pub expansion: Expansion,
    /// The error for a file that disappears before it is hashed.
    pub missing: MissingFile,
    /// Whether `--chroot` exists.
    pub chroot: bool,
}

/// How `expand_all_trusted_files` builds the final list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expansion {
    /// v1.0 to v1.3: every entry kept in order, duplicates included; a file's URI written exactly
    /// as given, a directory's files as `file:` + the normalised path; hashing as it goes (the
    /// first failing entry decides the error).
    InOrder {
        /// What `loader.preload` adds.
        preload: Preload,
        /// v1.1+: unreadable files of a directory are skipped, and the directory and everything
        /// below it are dependencies; v1.0 hashes every file (failing on unreadable ones) and
        /// lists only files.
        skip_unreadable: bool,
    },
    /// v1.4 and v1.5: entries keyed by the normalised path (the first entry for a path wins),
    /// directories expanded with `sorted(path.rglob('*'))`, every URI written normalised.
    ByPath,
    /// v1.6+: entries keyed by the URI as written; directories expanded depth-first (symlinked
    /// directories skipped); a hashed entry replaces an earlier unhashed one at its position; two
    /// different hashes for one URI are refused.
    ByUri,
}

/// What `loader.preload` adds to the trusted files (v1.0, v1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preload {
    /// Nothing.
    Ignored,
    /// v1.0: a comma-separated list, minus URIs already listed, sorted.
    CommaSeparated,
    /// v1.1: the whole string as one URI, unless already listed.
    WholeString,
}

/// The error for a trusted file that disappears before it is hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingFile {
    /// v1.0 to v1.3: `FileNotFoundError: [Errno 2] No such file or directory: '...'`.
    FileNotFoundError,
    /// v1.4 to v1.7: `No such file or directory: '...'`.
    NoSuchFile,
    /// v1.8+: `Missing trusted file: '...'`.
    MissingTrustedFile,
}

/// The TOML writer whose output is reproduced (one enum for the whole workspace: manifests,
/// bundles, the C ABI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TomlWriter {
    /// tomli_w 1.0.0 to 1.2.0 (Debian, Ubuntu, pip on Python 3.8+).
    TomliW1,
    /// tomli_w 0.4.0 (RHEL/AlmaLinux 8 and 9 through EPEL, Python 3.6 pip installs).
    TomliW04,
    /// `toml.dumps` of the Python `toml` library 0.10.2 (Gramine v1.0 to v1.3): appended entries
    /// are `[[sgx.trusted_files]]` blocks followed by an empty line, strings written from
    /// Python's `repr`.
    Toml0102,
}

impl TomlWriter {
    /// Code stored in a bundle's layout section.
    pub const fn code(self) -> u8 {
        match self {
            TomlWriter::TomliW1 => 1,
            TomlWriter::TomliW04 => 2,
            TomlWriter::Toml0102 => 3,
        }
    }

    /// Inverse of [`TomlWriter::code`].
    pub const fn from_code(c: u8) -> Option<Self> {
        match c {
            1 => Some(TomlWriter::TomliW1),
            2 => Some(TomlWriter::TomliW04),
            3 => Some(TomlWriter::Toml0102),
            _ => None,
        }
    }

    /// Whether its output reads back (with its reader: tomli for tomli_w, `toml.loads` for toml
    /// 0.10.2) to exactly the table it was written from, so that the signer may measure that
    /// table without reading its output back. True of tomli_w; toml 0.10.2 changes some values.
    pub const fn reads_back_unchanged(self) -> bool {
        !matches!(self, TomlWriter::Toml0102)
    }

    /// The tomli_w release as a bundle's information section names it.
    pub const fn tomli_w_name(self) -> &'static str {
        match self {
            TomlWriter::TomliW1 => "1",
            TomlWriter::TomliW04 => "0.4",
            TomlWriter::Toml0102 => "none (toml 0.10.2)",
        }
    }
}

/// The `--verbose` header of `gramine-sgx-sign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportRules {
    /// The first line.
    pub title: &'static str,
    /// Whether it prints `edmm:` and `max_threads:` (v1.4+) rather than `thread_num:`.
    pub edmm_and_max_threads: bool,
    /// Whether it prints ISV values, ATTRIBUTES and MISCSELECT (v1.0 to v1.5).
    pub attributes: bool,
    /// How the remote-attestation lines are printed.
    pub remote_attestation: RemoteAttestationLine,
}

/// How `--verbose` prints the remote attestation of the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteAttestationLine {
    /// v1.0 to v1.2: only when `sgx.remote_attestation` is true (any true value): EPID when
    /// `sgx.ra_client_spid` is set, else DCAP.
    WhenTruthy,
    /// v1.3+: always, by the scheme named in `sgx.remote_attestation` (`epid` known up to v1.8).
    Named {
        /// Whether `"epid"` is known.
        epid: bool,
    },
}

impl GramineVersion {
    /// This version's row of the rules table.
    pub const fn rules(self) -> &'static Rules {
        match self {
            GramineVersion::V1_0 => &V1_0,
            GramineVersion::V1_1 => &V1_1,
            GramineVersion::V1_2 => &V1_2,
            GramineVersion::V1_3 => &V1_3,
            GramineVersion::V1_4 => &V1_4,
            GramineVersion::V1_5 => &V1_5,
            GramineVersion::V1_6 => &V1_6,
            GramineVersion::V1_7 => &V1_7,
            GramineVersion::V1_8 => &V1_8,
            GramineVersion::V1_9 => &V1_9,
        }
    }
}

impl Rules {
    /// The writer used when the caller names none (tomli_w 1.x, or toml 0.10.2).
    pub fn default_writer(&self) -> TomlWriter {
        self.writers.first().copied().unwrap_or(TomlWriter::TomliW1)
    }

    /// Whether `writer` is one this version's signer uses.
    pub fn uses_writer(&self, writer: TomlWriter) -> bool {
        self.writers.contains(&writer)
    }

    /// `sgx.enclave_size` when the manifest has none.
    pub fn default_enclave_size(&self, edmm: bool) -> &'static str {
        for step in self.constructor {
            match *step {
                Step::EnclaveSize { plain, edmm: with } => return if edmm { with } else { plain },
                Step::Sgx("enclave_size", DefaultValue::Str(s)) => return s,
                _ => {}
            }
        }
        "256M"
    }

    /// The thread count when the manifest sets none (`sgx.thread_num` or `sgx.max_threads`).
    pub fn default_threads(&self) -> u64 {
        for step in self.constructor {
            if let Step::Sgx(key, DefaultValue::Int(n))
            | Step::SgxUnless(key, DefaultValue::Int(n), _) = *step
                && (key == "thread_num" || key == "max_threads")
            {
                return n.unsigned_abs();
            }
        }
        4
    }

    /// Whether two rows lay out and measure an enclave alike: the same layout constants, base
    /// rule, thread-count key and reading of `sgx.edmm_enable`.
    pub fn same_layout_rules(&self, other: &Rules) -> bool {
        self.layout == other.layout
            && self.thread_key == other.thread_key
            && self.reads_edmm == other.reads_edmm
    }

    /// The first and last of the consecutive versions whose layout rules are this row's.
    pub fn layout_group(&self) -> (GramineVersion, GramineVersion) {
        let all = GramineVersion::ALL;
        let at = all.iter().position(|v| *v == self.version).unwrap_or(0);
        let same = |v: &GramineVersion| v.rules().same_layout_rules(self);
        let first = all
            .get(..at)
            .and_then(|before| before.iter().rposition(|v| !same(v)))
            .map_or(0, |i| i.saturating_add(1));
        // `all[at]` is this row, so a differing row after it is at `at + i` with `i >= 1`.
        let last = all
            .get(at..)
            .and_then(|after| after.iter().position(|v| !same(v)))
            .map_or(all.len(), |i| at.saturating_add(i))
            .saturating_sub(1);
        (
            all.get(first).copied().unwrap_or(self.version),
            all.get(last).copied().unwrap_or(self.version),
        )
    }

    /// Whether the constructor completes `loader.entrypoint` (v1.8+).
    pub fn completes_entrypoint(&self) -> bool {
        self.constructor
            .iter()
            .any(|s| matches!(s, Step::LoaderEntrypoint { .. }))
    }
}

// ------------------------------------------------------------------------------------------------
// The rows.

const TCS: TcsOffsets = TcsOffsets {
    ossa: 0x10,
    nssa: 0x1c,
    oentry: 0x20,
    ogs_base: 0x38,
    ofs_limit: 0x40,
    ogs_limit: 0x44,
};

const TLS: TlsOffsets = TlsOffsets {
    common_self: 0x0,
    stack_protector_canary: 0x8,
    enclave_size: 0x110,
    tcs_offset: 0x118,
    initial_stack_addr: 0x120,
    sig_stack_low: 0x130,
    sig_stack_high: 0x138,
    ssa: 0x148,
    gpr: 0x150,
    manifest_size: 0x1a0,
    heap_min: 0x1a8,
    heap_max: 0x1b0,
};

/// The layout constants: the same in every tag from v1.0 to v1.9 (only some names changed;
/// `tests/profiles.rs` checks every number against the constants dumped from each tag's build).
/// Only the base-address rule changed (v1.5).
const LAYOUT: Profile = Profile {
    page_size: 0x1000,
    ssa_frame_size: 0x4000,
    ssa_frame_num: 2,
    tcs_size: 0x1000,
    stack_size: 0x40000,
    sig_stack_size: 0x10000,
    default_enclave_base: 0,
    mmap_min_addr: 0x10000,
    stack_protector_canary: 0xbadb_adba_dbad,
    gpr_size: 0xb8,
    tcs: TCS,
    tls: TLS,
    base_rule: BaseRule::Fixed,
};

const LAYOUT_SIZE_BASED: Profile = Profile {
    base_rule: BaseRule::SizeUnlessNonPie,
    ..LAYOUT
};

const TOML0102: &[TomlWriter] = &[TomlWriter::Toml0102];
const TOMLI_W: &[TomlWriter] = &[TomlWriter::TomliW1, TomlWriter::TomliW04];

use DefaultValue::{Bool, EmptyList, Int, Str};

const FALSE: DefaultValue = Bool(false);

/// v1.0 to v1.3 (`remote_attestation` and `require_amx` differ; v1.0 and v1.1 add
/// `loader.preload`).
macro_rules! legacy_constructor {
    ($ra:expr, [$($amx:expr)?], [$($preload:expr)?]) => {
        &[
            Step::Sgx("trusted_files", EmptyList),
            Step::Sgx("enclave_size", Str("256M")),
            Step::Sgx("thread_num", Int(4)),
            Step::Sgx("isvprodid", Int(0)),
            Step::Sgx("isvsvn", Int(0)),
            Step::Sgx("remote_attestation", $ra),
            Step::Sgx("debug", FALSE),
            Step::Sgx("require_avx", FALSE),
            Step::Sgx("require_avx512", FALSE),
            Step::Sgx("require_mpx", FALSE),
            Step::Sgx("require_pkru", FALSE),
            $($amx,)?
            Step::Sgx("support_exinfo", FALSE),
            Step::Sgx("nonpie_binary", FALSE),
            Step::Sgx("enable_stats", FALSE),
            Step::TrustedFilesToTables,
            $($preload,)?
        ]
    };
}

const CONSTRUCTOR_V1_0: &[Step] =
    legacy_constructor!(FALSE, [], [Step::Loader("preload", Str(""))]);
const CONSTRUCTOR_V1_1: &[Step] = legacy_constructor!(
    FALSE,
    [Step::Sgx("require_amx", FALSE)],
    [Step::Loader("preload", Str(""))]
);
const CONSTRUCTOR_V1_2: &[Step] = legacy_constructor!(FALSE, [Step::Sgx("require_amx", FALSE)], []);
const CONSTRUCTOR_V1_3: &[Step] =
    legacy_constructor!(Str("none"), [Step::Sgx("require_amx", FALSE)], []);

const CONSTRUCTOR_V1_4: &[Step] = &[
    Step::Sgx("trusted_files", EmptyList),
    Step::Sgx("enclave_size", Str("256M")),
    Step::SgxUnless("max_threads", Int(4), &["thread_num"]),
    Step::Sgx("isvprodid", Int(0)),
    Step::Sgx("isvsvn", Int(0)),
    Step::Sgx("remote_attestation", Str("none")),
    Step::Sgx("debug", FALSE),
    Step::Sgx("require_avx", FALSE),
    Step::Sgx("require_avx512", FALSE),
    Step::Sgx("require_mpx", FALSE),
    Step::Sgx("require_pkru", FALSE),
    Step::Sgx("require_amx", FALSE),
    Step::Sgx("require_exinfo", FALSE),
    Step::Sgx("nonpie_binary", FALSE),
    Step::Sgx("enable_stats", FALSE),
    Step::TrustedFilesToTables,
];

const CONSTRUCTOR_V1_5: &[Step] = &[
    Step::Sgx("trusted_files", EmptyList),
    Step::Sgx("max_threads", Int(4)),
    Step::Sgx("isvprodid", Int(0)),
    Step::Sgx("isvsvn", Int(0)),
    Step::Sgx("remote_attestation", Str("none")),
    Step::Sgx("debug", FALSE),
    Step::Sgx("require_avx", FALSE),
    Step::Sgx("require_avx512", FALSE),
    Step::Sgx("require_mpx", FALSE),
    Step::Sgx("require_pkru", FALSE),
    Step::Sgx("require_amx", FALSE),
    Step::Sgx("require_exinfo", FALSE),
    Step::Sgx("enable_stats", FALSE),
    Step::Sgx("edmm_enable", FALSE),
    Step::EnclaveSize {
        plain: "256M",
        edmm: "1024G",
    },
    Step::TrustedFilesToTables,
];

const CPU_FEATURES: &[(&str, &str)] = &[
    ("avx", "unspecified"),
    ("avx512", "unspecified"),
    ("amx", "unspecified"),
    ("mpx", "disabled"),
    ("pkru", "disabled"),
];

const DEPRECATED_REQUIRE: &[&str] = &[
    "require_avx",
    "require_avx512",
    "require_amx",
    "require_mpx",
    "require_pkru",
];

/// v1.6 and later (v1.6 and v1.7 skip the new defaults that the deprecated keys they still
/// accept would conflict with; v1.8 completes `loader.entrypoint`, v1.9 without the string form).
macro_rules! cpu_features_constructor {
    ($exinfo_unless:expr, $cpu_unless:expr, [$($entrypoint:expr)?]) => {
        &[
            Step::Sgx("trusted_files", EmptyList),
            Step::Sgx("max_threads", Int(4)),
            Step::Sgx("isvprodid", Int(0)),
            Step::Sgx("isvsvn", Int(0)),
            Step::Sgx("remote_attestation", Str("none")),
            Step::Sgx("debug", FALSE),
            Step::Sgx("enable_stats", FALSE),
            Step::Sgx("edmm_enable", FALSE),
            Step::EnclaveSize {
                plain: "256M",
                edmm: "1024G",
            },
            Step::SgxUnless("use_exinfo", FALSE, $exinfo_unless),
            Step::CpuFeatures {
                defaults: CPU_FEATURES,
                unless: $cpu_unless,
            },
            Step::TrustedFilesToTables,
            $($entrypoint,)?
        ]
    };
}

const CONSTRUCTOR_V1_6: &[Step] =
    cpu_features_constructor!(&["require_exinfo"], DEPRECATED_REQUIRE, []);
const CONSTRUCTOR_V1_8: &[Step] = cpu_features_constructor!(
    &[],
    &[],
    [Step::LoaderEntrypoint {
        deprecated_string: true
    }]
);
const CONSTRUCTOR_V1_9: &[Step] = cpu_features_constructor!(
    &[],
    &[],
    [Step::LoaderEntrypoint {
        deprecated_string: false
    }]
);

const fn in_order(preload: Preload, skip_unreadable: bool) -> TrustedFileRules {
    TrustedFileRules {
        table_syntax: matches!(preload, Preload::CommaSeparated | Preload::WholeString),
        expansion: Expansion::InOrder {
            preload,
            skip_unreadable,
        },
        missing: MissingFile::FileNotFoundError,
        chroot: false,
    }
}

const BY_PATH: TrustedFileRules = TrustedFileRules {
    table_syntax: false,
    expansion: Expansion::ByPath,
    missing: MissingFile::NoSuchFile,
    chroot: false,
};

const BY_URI: TrustedFileRules = TrustedFileRules {
    table_syntax: false,
    expansion: Expansion::ByUri,
    missing: MissingFile::NoSuchFile,
    chroot: true,
};

const fn signer(
    truth: Truth,
    exinfo: ExinfoRule,
    xfrm: XfrmRule,
    xfrm_mask_const: u64,
    date: DateEncoding,
) -> SignerRules {
    SignerRules {
        truth,
        exinfo,
        xfrm,
        xfrm_mask_const,
        date,
    }
}

/// v1.0: `support_exinfo`, no AMX (neither `require_amx` nor AMX in the mask constant).
const SIGNER_V1_0: SignerRules = signer(
    Truth::EqualsOne,
    ExinfoRule::SupportExinfo,
    XfrmRule::Require { amx: false },
    XFRM_MASK_CONST_V1_0,
    DateEncoding::Binary,
);
/// v1.1 to v1.3: `require_amx` added; the mask constant leaves the AMX bits out.
const SIGNER_V1_1: SignerRules = signer(
    Truth::EqualsOne,
    ExinfoRule::SupportExinfo,
    XfrmRule::Require { amx: true },
    XFRM_MASK_CONST,
    DateEncoding::Binary,
);
/// v1.4: `support_exinfo` renamed `require_exinfo`.
const SIGNER_V1_4: SignerRules = signer(
    Truth::EqualsOne,
    ExinfoRule::RequireExinfo,
    XfrmRule::Require { amx: true },
    XFRM_MASK_CONST,
    DateEncoding::Binary,
);
/// v1.5: DATE in BCD (commit "Fix wrong format of `SIGSTRUCT.DATE`").
const SIGNER_V1_5: SignerRules = SignerRules {
    date: DateEncoding::Bcd,
    ..SIGNER_V1_4
};
/// v1.6 and v1.7: `sgx.cpu_features` and `sgx.use_exinfo`, the old keys deprecated; booleans
/// tested with `is True`.
const SIGNER_V1_6: SignerRules = signer(
    Truth::IsTrue,
    ExinfoRule::UseExinfoOrDeprecatedRequire,
    XfrmRule::CpuFeaturesOrDeprecatedRequire,
    XFRM_MASK_CONST,
    DateEncoding::Bcd,
);
/// v1.8 and v1.9: the deprecated keys are gone (silently ignored).
const SIGNER_V1_8: SignerRules = signer(
    Truth::IsTrue,
    ExinfoRule::UseExinfo,
    XfrmRule::CpuFeatures,
    XFRM_MASK_CONST,
    DateEncoding::Bcd,
);

const REPORT_V1_0: ReportRules = ReportRules {
    title: "Attributes:",
    edmm_and_max_threads: false,
    attributes: true,
    remote_attestation: RemoteAttestationLine::WhenTruthy,
};
const REPORT_V1_3: ReportRules = ReportRules {
    remote_attestation: RemoteAttestationLine::Named { epid: true },
    ..REPORT_V1_0
};
const REPORT_V1_4: ReportRules = ReportRules {
    edmm_and_max_threads: true,
    ..REPORT_V1_3
};
const REPORT_V1_6: ReportRules = ReportRules {
    title: "Attributes (required for enclave measurement):",
    attributes: false,
    ..REPORT_V1_4
};
const REPORT_V1_9: ReportRules = ReportRules {
    remote_attestation: RemoteAttestationLine::Named { epid: false },
    ..REPORT_V1_6
};

static V1_0: Rules = Rules {
    version: GramineVersion::V1_0,
    layout: LAYOUT_SIZE_BASED,
    thread_key: ThreadKey::ThreadNum,
    reads_edmm: false,
    constructor: CONSTRUCTOR_V1_0,
    trusted_files: in_order(Preload::CommaSeparated, false),
    writers: TOML0102,
    python_exception_names: true,
    signer: SIGNER_V1_0,
    report: REPORT_V1_0,
    view_unpadded_year: false,
};

static V1_1: Rules = Rules {
    version: GramineVersion::V1_1,
    constructor: CONSTRUCTOR_V1_1,
    trusted_files: in_order(Preload::WholeString, true),
    signer: SIGNER_V1_1,
    ..V1_0
};

static V1_2: Rules = Rules {
    version: GramineVersion::V1_2,
    constructor: CONSTRUCTOR_V1_2,
    trusted_files: in_order(Preload::Ignored, true),
    ..V1_1
};

static V1_3: Rules = Rules {
    version: GramineVersion::V1_3,
    constructor: CONSTRUCTOR_V1_3,
    report: REPORT_V1_3,
    ..V1_2
};

static V1_4: Rules = Rules {
    version: GramineVersion::V1_4,
    layout: LAYOUT_SIZE_BASED,
    thread_key: ThreadKey::MaxThreadsOrThreadNum,
    reads_edmm: true,
    constructor: CONSTRUCTOR_V1_4,
    trusted_files: BY_PATH,
    writers: TOMLI_W,
    python_exception_names: false,
    signer: SIGNER_V1_4,
    report: REPORT_V1_4,
    view_unpadded_year: false,
};

static V1_5: Rules = Rules {
    version: GramineVersion::V1_5,
    layout: LAYOUT,
    thread_key: ThreadKey::MaxThreads,
    constructor: CONSTRUCTOR_V1_5,
    signer: SIGNER_V1_5,
    view_unpadded_year: true,
    ..V1_4
};

static V1_6: Rules = Rules {
    version: GramineVersion::V1_6,
    constructor: CONSTRUCTOR_V1_6,
    trusted_files: BY_URI,
    signer: SIGNER_V1_6,
    report: REPORT_V1_6,
    view_unpadded_year: false,
    ..V1_5
};

static V1_7: Rules = Rules {
    version: GramineVersion::V1_7,
    ..V1_6
};

static V1_8: Rules = Rules {
    version: GramineVersion::V1_8,
    constructor: CONSTRUCTOR_V1_8,
    trusted_files: TrustedFileRules {
        missing: MissingFile::MissingTrustedFile,
        ..BY_URI
    },
    signer: SIGNER_V1_8,
    ..V1_7
};

static V1_9: Rules = Rules {
    version: GramineVersion::V1_9,
    constructor: CONSTRUCTOR_V1_9,
    report: REPORT_V1_9,
    ..V1_8
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_its_version() {
        for v in GramineVersion::ALL {
            assert_eq!(v.rules().version, v);
            assert!(!v.rules().writers.is_empty(), "{v}");
            let completes = v.rules().completes_entrypoint();
            assert_eq!(
                completes,
                v.rules()
                    .constructor
                    .iter()
                    .any(|s| matches!(s, Step::LoaderEntrypoint { .. })),
                "{v}"
            );
            // Trusted files become tables exactly once.
            assert_eq!(
                v.rules()
                    .constructor
                    .iter()
                    .filter(|s| matches!(s, Step::TrustedFilesToTables))
                    .count(),
                1,
                "{v}"
            );
        }
    }

    #[test]
    fn layout_groups() {
        use GramineVersion as V;
        assert_eq!(V::V1_2.rules().layout_group(), (V::V1_0, V::V1_3));
        assert_eq!(V::V1_4.rules().layout_group(), (V::V1_4, V::V1_4));
        assert_eq!(V::V1_5.rules().layout_group(), (V::V1_5, V::V1_9));
        assert_eq!(V::V1_9.rules().layout_group(), (V::V1_5, V::V1_9));
    }

    #[test]
    fn toml_writer_codes_round_trip() {
        for w in [
            TomlWriter::TomliW1,
            TomlWriter::TomliW04,
            TomlWriter::Toml0102,
        ] {
            assert_eq!(TomlWriter::from_code(w.code()), Some(w));
        }
        assert_eq!(TomlWriter::from_code(0), None);
    }
}
