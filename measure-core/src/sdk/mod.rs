//! Intel SGX SDK enclaves: MRENCLAVE, SIGSTRUCT and metadata byte-identical to the SDK's
//! `sgx_sign` (linux-sgx `sdk/sign_tool`), for the releases in [`SdkVersion`].
//!
//! An SDK enclave is a shared object (`enclave.so`) plus a configuration
//! (`Enclave.config.xml`). `sgx_sign` checks the file ([`elf`]), reads the configuration
//! ([`config`]), computes a memory layout ([`layout`]), patches a template of it into the
//! image's `g_global_data` and zeroes the section header fields of the ELF header, measures
//! the image and the layout ([`measure`]), builds the SIGSTRUCT ([`css`]) and writes it with
//! the layout into the metadata note ([`metadata`]).
//!
//! [`SdkEnclave::new`] runs every step up to the measurement, in `sgx_sign`'s order, so that
//! the first error is the one `sgx_sign` reports; [`SdkEnclave::mrenclave`] streams the
//! measurement without allocating (the largest buffer is one page).
//!
//! ```
//! # fn demo(enclave_so: &[u8]) -> Result<(), measure_core::sdk::SdkError> {
//! use measure_core::sdk::{SdkConfig, SdkElf, SdkEnclave, SignOptions, detect_version};
//! let elf = SdkElf::parse(enclave_so)?;
//! let version = detect_version(&elf)?;
//! let mut config = SdkConfig::new();
//! config.apply_element("HeapMaxSize", Some(b"0x100000"), version)?;
//! let enclave = SdkEnclave::new(elf, &config, version, SignOptions::default())?;
//! let mrenclave = enclave.mrenclave();
//! # let _ = mrenclave; Ok(()) }
//! ```

pub mod config;
pub mod css;
pub mod elf;
pub mod layout;
pub mod measure;
pub mod metadata;
pub mod profile;

use core::fmt;

pub use config::{ConfigError, EnclaveParams, Param, SdkConfig};
pub use elf::{ElfOptions, SdkElf, SdkElfError};
pub use layout::{Elrange, LayoutError, SdkLayout};
pub use metadata::MetadataError;
pub use profile::SdkVersion;

use crate::sigstruct::Sigstruct;

/// Why an enclave cannot be measured or signed.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant by name to a status code, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdkError {
    /// The enclave file.
    Elf(SdkElfError),
    /// The configuration.
    Config(ConfigError),
    /// The layout.
    Layout(LayoutError),
    /// Writing the metadata.
    Metadata(MetadataError),
    /// No `g_global_data` symbol ("Could not find g_global_data").
    NoGlobalData,
    /// `g_global_data` is not backed by file bytes (it is in `.bss`), or its template would
    /// extend past the end of the file.
    GlobalDataNotInFile,
    /// `g_global_data` does not start with the SDK version this `sgx_sign` requires ("SDK
    /// version is not correct. The same SDK should be used for enclave building and signing").
    SdkVersionMismatch {
        /// The release whose `sgx_sign` is reproduced.
        signer: SdkVersion,
        /// The version word found in the enclave.
        found: u64,
    },
    /// The enclave's version word is not one of a supported release (when detecting it).
    UnsupportedSdkVersion {
        /// The version word found in the enclave.
        found: u64,
    },
    /// The metadata note already holds signed metadata ("The enclave has been signed
    /// already"; `-resign` allows it).
    AlreadySigned,
    /// The metadata note's descriptor is outside the file.
    MetadataOutsideFile,
    /// `-enable-fips` with a release other than 2.24 (its `sgx_sign` does not know it).
    EnableFipsOption(SdkVersion),
    /// A segment reaches past the enclave size (only possible when its size wraps around the
    /// address space; `sgx_sign` would add pages without end).
    SegmentOutsideEnclave {
        /// Program header index.
        index: u16,
    },
}

impl From<SdkElfError> for SdkError {
    fn from(e: SdkElfError) -> Self {
        SdkError::Elf(e)
    }
}
impl From<ConfigError> for SdkError {
    fn from(e: ConfigError) -> Self {
        SdkError::Config(e)
    }
}
impl From<LayoutError> for SdkError {
    fn from(e: LayoutError) -> Self {
        SdkError::Layout(e)
    }
}
impl From<MetadataError> for SdkError {
    fn from(e: MetadataError) -> Self {
        SdkError::Metadata(e)
    }
}

impl core::error::Error for SdkError {}

/// Formats a version word as `major.minor.revision`.
struct VersionWord(u64);

impl fmt::Display for VersionWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.0;
        write!(
            f,
            "{}.{}.{} ({:#x})",
            w >> 32,
            (w >> 16) & 0xffff,
            w & 0xffff,
            w
        )
    }
}

impl fmt::Display for SdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SdkError::Elf(e) => write!(f, "the input enclave file is not correct: {e}"),
            SdkError::Config(e) => write!(f, "configuration: {e}"),
            SdkError::Layout(e) => e.fmt(f),
            SdkError::Metadata(e) => e.fmt(f),
            SdkError::NoGlobalData => f.write_str("Could not find g_global_data (the enclave must export it)"),
            SdkError::GlobalDataNotInFile => f.write_str("g_global_data is not in the enclave file's data (it must be initialised data, not .bss, and fit in the file)"),
            SdkError::SdkVersionMismatch { signer, found } => write!(
                f,
                "SDK version is not correct: the enclave was built with SDK {} but is signed as SDK {} ({}); the same SDK must be used for building and signing",
                VersionWord(found),
                signer,
                signer.release()
            ),
            SdkError::UnsupportedSdkVersion { found } => write!(
                f,
                "the enclave was built with SDK {}, which sgx-measure does not support (supported: 2.20 to 2.26)",
                VersionWord(found)
            ),
            SdkError::AlreadySigned => f.write_str("The enclave has been signed already (use --resign to sign it again)"),
            SdkError::MetadataOutsideFile => f.write_str("the metadata note's descriptor is outside the file"),
            SdkError::EnableFipsOption(v) => write!(f, "the -enable-fips option exists only in sgx_sign 2.24 (SDK {v} takes EnableIPPFIPS from the configuration, from 2.25)"),
            SdkError::SegmentOutsideEnclave { index } => write!(f, "segment (program header {index}) reaches past the enclave size"),
        }
    }
}

/// `sgx_sign` options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignOptions {
    /// `-ignore-rel-error` / `-ignore-init-sec-error`.
    pub elf: ElfOptions,
    /// `-resign`: sign an enclave that is already signed.
    pub resign: bool,
    /// `-enable-fips` (2.24 only; later releases take `EnableIPPFIPS` from the configuration).
    pub enable_fips: bool,
}

/// The version word at the start of the enclave's `g_global_data`, and the file offset of
/// `g_global_data`.
fn global_data_word(elf: &SdkElf<'_>) -> Result<(u64, u64), SdkError> {
    let rva = elf.global_data_rva();
    if rva == 0 {
        return Err(SdkError::NoGlobalData);
    }
    let off = elf
        .file_offset_of_rva(rva)
        .ok_or(SdkError::GlobalDataNotInFile)?;
    let word = elf::u64_at(elf.data(), off).ok_or(SdkError::GlobalDataNotInFile)?;
    Ok((word, off))
}

/// The SDK release the enclave was built with (the version word in its `g_global_data`).
pub fn detect_version(elf: &SdkElf<'_>) -> Result<SdkVersion, SdkError> {
    let (word, _) = global_data_word(elf)?;
    SdkVersion::from_version_word(word).ok_or(SdkError::UnsupportedSdkVersion { found: word })
}

/// An enclave that `sgx_sign` of `version` would sign, with everything the measurement and
/// the signed metadata are made of.
#[derive(Clone, Copy, Debug)]
pub struct SdkEnclave<'a> {
    /// The `sgx_sign` release reproduced.
    pub version: SdkVersion,
    /// The enclave file.
    pub elf: SdkElf<'a>,
    /// The configuration.
    pub config: SdkConfig,
    /// Its validated values.
    pub params: EnclaveParams,
    /// The layout.
    pub layout: SdkLayout,
    /// The ELRANGE configuration.
    pub elrange: Elrange,
    /// The SIGSTRUCT fields from the configuration (no date, hash, key or signature yet).
    pub css_template: Sigstruct,
    /// Metadata versions (bit 0: SGX1 copy, bit 1: SGX2 metadata).
    pub meta_versions: u8,
    /// XSAVE area size.
    pub xsave_size: u32,
    /// File offset of `g_global_data`.
    pub global_data_file_offset: u64,
    /// What `sgx_sign` writes over `g_global_data` (the first `version.global_data_size()`
    /// bytes).
    pub global_data_template: [u8; metadata::MAX_GLOBAL_DATA],
    /// Where each piece of the metadata goes.
    pub alloc: metadata::Allocation,
}

impl<'a> SdkEnclave<'a> {
    /// Runs `sgx_sign`'s steps after parsing (`measure_enclave`): `.init` check, configuration
    /// checks, SIGSTRUCT fields, metadata versions, layout, `g_global_data` and SDK version
    /// check, ELRANGE checks, already-signed check, text relocations, and the loader's checks.
    pub fn new(
        elf: SdkElf<'a>,
        config: &SdkConfig,
        version: SdkVersion,
        options: SignOptions,
    ) -> Result<Self, SdkError> {
        if options.enable_fips && !version.has_enable_fips_option() {
            return Err(SdkError::EnableFipsOption(version));
        }
        elf.check_init_section(options.elf)?;
        let mut params = config.validate()?;
        params.ipp_fips |= options.enable_fips;
        let css_template = css::enclave_css(config, version);
        // The XFRM is never refused: the mask always holds the reserved bits.
        let xsave_size =
            css::xsave_size(css::metadata_xfrm(&css_template), version.xfrm_reserved())
                .unwrap_or(576);
        let ssa_frame_size = css::ssa_frame_pages(xsave_size);
        let meta_versions = layout::metadata_versions(
            &params,
            config.get(Param::MiscSelect) as u32,
            config.get(Param::MiscMask) as u32,
        )?;
        let elrange = Elrange {
            image_address: config.get(Param::EnclaveImageAddress),
            start_address: config.get(Param::ElRangeStartAddress),
            size: config.get(Param::ElRangeSize),
        };
        let alloc0 = metadata::Allocation::new(version, elrange.size != 0, params.ipp_fips, 0);
        let (word, gd_offset) = match global_data_word(&elf) {
            Ok(v) => v,
            Err(e) => {
                // `sgx_sign` builds the layout first; its errors come before these.
                SdkLayout::build(&layout_inputs(
                    &params,
                    ssa_frame_size,
                    meta_versions,
                    alloc0.tcs,
                    elrange,
                    &css_template,
                    &elf,
                ))?;
                return Err(e);
            }
        };
        let layout = SdkLayout::build(&layout_inputs(
            &params,
            ssa_frame_size,
            meta_versions,
            alloc0.tcs,
            elrange,
            &css_template,
            &elf,
        ))?;
        if word != version.version_word() {
            return Err(SdkError::SdkVersionMismatch {
                signer: version,
                found: word,
            });
        }
        let gd_size = version.global_data_size() as u64;
        if gd_offset
            .checked_add(gd_size)
            .is_none_or(|end| end > elf.data().len() as u64)
        {
            return Err(SdkError::GlobalDataNotInFile);
        }
        let alloc = metadata::Allocation::new(
            version,
            elrange.size != 0,
            params.ipp_fips,
            layout.entries().len() as u32,
        );
        let global_data_template = metadata::global_data_template(&metadata::GlobalDataInputs {
            version,
            layout: &layout,
            params: &params,
            xsave_size,
            tls_size: elf.tls().map(|t| t.memsz),
            elrange,
        });
        let magic =
            elf::u64_at(elf.data(), elf.metadata_offset()).ok_or(SdkError::MetadataOutsideFile)?;
        if magic == metadata::MAGIC && !options.resign {
            return Err(SdkError::AlreadySigned);
        }
        elf.check_text_relocations(options.elf)?;
        // The loader's table checks: the patch must lie inside the enclave.
        if gd_offset
            .checked_add(gd_size)
            .is_none_or(|end| end > layout.enclave_size)
        {
            return Err(LayoutError::GlobalDataOutsideEnclave.into());
        }
        for seg in elf.segments() {
            if seg
                .rva
                .checked_add(seg.memsz)
                .is_none_or(|end| end > layout.enclave_size)
            {
                return Err(SdkError::SegmentOutsideEnclave { index: seg.index });
            }
        }
        Ok(SdkEnclave {
            version,
            elf,
            config: *config,
            params,
            layout,
            elrange,
            css_template,
            meta_versions,
            xsave_size,
            global_data_file_offset: gd_offset,
            global_data_template,
            alloc,
        })
    }

    /// The unsigned SIGSTRUCT `sgx_sign` signs (what `gendata` writes the first 128 and the
    /// body of): the configuration's fields, DATE and ENCLAVEHASH.
    pub fn enclave_css(&self, date: u32) -> Sigstruct {
        let mut s = self.css_template;
        s.date = date.to_le_bytes();
        s.enclave_hash = self.mrenclave();
        s
    }

    /// The metadata header.
    pub fn metadata_header(&self) -> metadata::MetadataHeader {
        let major: u64 = if self.elrange.size != 0 { 13 } else { 3 };
        metadata::MetadataHeader {
            magic: metadata::MAGIC,
            version: (major << 32) | u64::from(self.version.metadata_minor()),
            size: self.alloc.size,
            tcs_policy: self.params.tcs_policy,
            ssa_frame_size: self.layout.ssa_frame_size,
            max_save_buffer_size: self.xsave_size,
            desired_misc_select: if self.version.masks_misc_select() {
                self.config.get(Param::MiscSelect) as u32
            } else {
                0
            },
            tcs_min_pool: self.config.get(Param::TcsMinPool) as u32,
            enclave_size: self.layout.enclave_size,
            attributes_flags: self.css_template.attribute_flags,
            attributes_xfrm: css::metadata_xfrm(&self.css_template),
        }
    }

    /// Writes the metadata with the signed `css` (and its SGX1 copy) into `out`, which must
    /// be `version.metadata_size()` zero bytes. `fips_sig` is the FIPS signature entry when
    /// `EnableIPPFIPS` is on (a signature by a throw-away key, made after `css` is signed).
    pub fn write_metadata(
        &self,
        css: &Sigstruct,
        fips_sig: Option<&[u8; metadata::FIPS_SIG_SIZE as usize]>,
        out: &mut [u8],
    ) -> Result<(), SdkError> {
        metadata::write_metadata(
            &metadata::MetadataInputs {
                version: self.version,
                alloc: self.alloc,
                header: self.metadata_header(),
                css,
                layout: &self.layout,
                global_data: self
                    .global_data_template
                    .get(..self.version.global_data_size())
                    .unwrap_or(&[]),
                global_data_file_offset: self.global_data_file_offset,
                elrange: self.elrange,
                fips_sig,
                meta_versions: self.meta_versions,
                tcs_num: self.params.tcs_num,
            },
            out,
        )?;
        Ok(())
    }
}

fn layout_inputs<'e, 'a>(
    params: &EnclaveParams,
    ssa_frame_size: u32,
    meta_versions: u8,
    tcs_content_offset: u32,
    elrange: Elrange,
    css: &Sigstruct,
    elf: &'e SdkElf<'a>,
) -> layout::LayoutInputs<'e, 'a> {
    layout::LayoutInputs {
        params: *params,
        ssa_frame_size,
        meta_versions,
        tcs_content_offset,
        elrange,
        aex_notify: css.attribute_flags & css::flags::AEX_NOTIFY != 0,
        elf,
    }
}
