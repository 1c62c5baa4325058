//! `sgx-measure sdk`: Intel SGX SDK enclaves (and Occlum's LibOS enclave) as the SDK's
//! `sgx_sign` 2.20 to 2.26 (and Occlum's copy of 2.20) measures, signs and dumps them, byte for byte.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use measure_core::measure::MeasurementHasher;
use measure_core::sdk::layout::id;
use measure_lib::sdk::{self, ElfOptions, SdkVersion, SignOptions};
use measure_lib::{fsutil, outputs, sigstruct};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Measure, sign and dump Intel SGX SDK enclaves as the SDK's `sgx_sign` does.
///
/// The enclave is the `enclave.so` the SDK's tools build (for Occlum,
/// `build/lib/libocclum-libos.so` after `occlum build` wrote its configuration MAC into it), the
/// configuration its `Enclave.config.xml` (Occlum: `build/Enclave.xml`). The SDK release is
/// the one the enclave was built with (its `g_global_data` says which; `sgx_sign` refuses any
/// other), from 2.20 to 2.26; `--sdk-version occlum-2.20` reproduces Occlum's copy of 2.20
/// (same MRENCLAVE as Intel's 2.20, a slightly different signed file).
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sdk mrenclave -e enclave.so -c Enclave.config.xml\n  sgx-measure sdk sign -e enclave.so -c Enclave.config.xml -k key.pem -o enclave.signed.so -d 2026-01-01\n  sgx-measure sdk gendata -e enclave.so -c Enclave.config.xml -o enclave.sigdata\n  sgx-measure sdk catsig -e enclave.so -c Enclave.config.xml -k public.pem --sig enclave.sigdata.sig --unsigned enclave.sigdata -o enclave.signed.so\n  sgx-measure sdk dump enclave.signed.so --json"
)]
pub struct SdkArgs {
    /// The operation.
    #[command(subcommand)]
    pub command: SdkCommand,
}

/// `sgx-measure sdk` operations.
#[derive(Subcommand, Debug)]
pub enum SdkCommand {
    Mrenclave(MrenclaveArgs),
    Sign(SignArgs),
    Gendata(GendataArgs),
    Catsig(CatsigArgs),
    Dump(DumpArgs),
}

/// What `sgx_sign` reads: the enclave, its configuration, the release and options.
#[derive(Args, Debug, Clone)]
pub struct EnclaveInputs {
    /// The enclave shared object (`enclave.so`; a signed one needs --resign).
    #[arg(short = 'e', long, value_name = "FILE")]
    pub enclave: PathBuf,
    /// The enclave configuration (`Enclave.config.xml`); without it, `sgx_sign`'s defaults.
    #[arg(short = 'c', long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The `sgx_sign` release to reproduce: 2.20 to 2.26, or occlum-2.20 (Occlum's copy of the
    /// SDK) [default: the one the enclave was built with; Intel's for 2.20].
    #[arg(long = "sdk-version", value_name = "VERSION", value_parser = parse_version)]
    pub sdk_version: Option<SdkVersion>,
    /// Sign despite text relocations (`-ignore-rel-error`; relocated read-only pages are then
    /// measured writable).
    #[arg(long = "ignore-rel-error")]
    pub ignore_rel_error: bool,
    /// Sign despite a `.init` section (`-ignore-init-sec-error`).
    #[arg(long = "ignore-init-sec-error")]
    pub ignore_init_sec_error: bool,
    /// Accept an enclave that is signed already (`-resign`).
    #[arg(long)]
    pub resign: bool,
    /// SDK 2.24's `-enable-fips` (from 2.25, `EnableIPPFIPS` in the configuration).
    #[arg(long = "enable-fips")]
    pub enable_fips: bool,
}

/// Parses `--sdk-version`.
pub fn parse_version(s: &str) -> std::result::Result<SdkVersion, String> {
    SdkVersion::parse(s).ok_or_else(|| {
        let all: Vec<_> = SdkVersion::ALL.iter().map(|v| v.as_str()).collect();
        format!("unknown SDK version {s:?} (supported: {})", all.join(", "))
    })
}

/// The enclave and configuration bytes.
pub struct Loaded {
    enclave: Vec<u8>,
    config: Option<Vec<u8>>,
    options: SignOptions,
    version: Option<SdkVersion>,
}

impl Loaded {
    /// Reads the files.
    pub fn read(i: &EnclaveInputs) -> Result<Loaded> {
        Ok(Loaded {
            enclave: fsutil::read(&i.enclave, "enclave")?,
            config: match &i.config {
                Some(p) => Some(fsutil::read(p, "configuration")?),
                None => None,
            },
            options: SignOptions {
                elf: ElfOptions {
                    ignore_rel_error: i.ignore_rel_error,
                    ignore_init_sec_error: i.ignore_init_sec_error,
                },
                resign: i.resign,
                enable_fips: i.enable_fips,
            },
            version: i.sdk_version,
        })
    }

    /// Checks and lays out the enclave.
    pub fn prepare(&self) -> Result<sdk::Prepared<'_>> {
        Ok(sdk::prepare(
            &self.enclave,
            self.config.as_deref(),
            self.version,
            self.options,
        )?)
    }
}

/// Print the MRENCLAVE that `sgx_sign` would sign into the enclave.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sdk mrenclave -e enclave.so -c Enclave.config.xml\n  sgx-measure sdk mrenclave -e build/lib/libocclum-libos.so -c build/Enclave.xml -v\n  sgx-measure sdk mrenclave -e enclave.signed.so -c Enclave.config.xml --resign --json"
)]
pub struct MrenclaveArgs {
    #[command(flatten)]
    pub inputs: EnclaveInputs,
    /// Print the layout table too (what `sgx_sign` builds: heap, threads, guards, ...).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print only the MRENCLAVE (64 hex digits) and a newline.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print a JSON object (`mrenclave`, `sdk_version`, `enclave_size`, `ssa_frame_size`,
    /// `metadata_versions`, `sha256_blocks`, `layout`).
    #[arg(long, conflicts_with = "verbose")]
    pub json: bool,
}

/// `-q` and `--json` of the commands that write a signed enclave or signing material.
#[derive(Args, Debug, Clone, Copy)]
pub struct WriteOutput {
    /// Print nothing but errors (the MRENCLAVE is printed otherwise).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the result as a JSON object instead of the MRENCLAVE (`output`, `mrenclave`,
    /// `sdk_version`, and `mrsigner`, `dumpfile`, `cssfile` for a signed enclave or
    /// `signing_data_sha256` for `gendata`).
    #[arg(long)]
    pub json: bool,
}

/// Sign the enclave (`sgx_sign sign`): the signed enclave, byte-identical to `sgx_sign`'s for
/// the same key and date.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sdk sign -e enclave.so -c Enclave.config.xml -k key.pem -o enclave.signed.so\n  sgx-measure sdk sign -e enclave.so -c Enclave.config.xml -k key.pem -o enclave.signed.so -d 2026-01-01 --dumpfile enclave.dump"
)]
pub struct SignArgs {
    #[command(flatten)]
    pub inputs: EnclaveInputs,
    /// RSA-3072 private key with exponent 3 (PEM).
    #[arg(short = 'k', long, value_name = "FILE")]
    pub key: PathBuf,
    /// Passphrase of an encrypted key.
    #[arg(short = 'p', long, value_name = "PASSPHRASE")]
    pub passphrase: Option<String>,
    /// The signed enclave.
    #[arg(short = 'o', long, visible_alias = "out", value_name = "FILE")]
    pub output: PathBuf,
    /// SIGSTRUCT date: YYYY-MM-DD, YYYYMMDD or "today" (UTC, as `sgx_sign`).
    #[arg(short = 'd', long, value_name = "DATE", default_value = "today")]
    pub date: String,
    /// Also write the dump (`-dumpfile`).
    #[arg(long, value_name = "FILE")]
    pub dumpfile: Option<PathBuf>,
    /// Also write the 1808-byte SIGSTRUCT (`-cssfile`).
    #[arg(long, value_name = "FILE")]
    pub cssfile: Option<PathBuf>,
    #[command(flatten)]
    pub print: WriteOutput,
}

/// Two-step signing, first step (`sgx_sign gendata`): write the 256 bytes to sign (SIGSTRUCT
/// header and body). Sign them elsewhere (`openssl dgst -sha256 -sign key.pem -out sig.bin
/// FILE`) and finish with `sdk catsig`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sdk gendata -e enclave.so -c Enclave.config.xml -o enclave.sigdata -d 2026-01-01\n  openssl dgst -sha256 -sign key.pem -out enclave.sigdata.sig enclave.sigdata"
)]
pub struct GendataArgs {
    #[command(flatten)]
    pub inputs: EnclaveInputs,
    /// The signing material.
    #[arg(short = 'o', long, visible_alias = "out", value_name = "FILE")]
    pub output: PathBuf,
    /// SIGSTRUCT date: YYYY-MM-DD, YYYYMMDD or "today" (UTC).
    #[arg(short = 'd', long, value_name = "DATE", default_value = "today")]
    pub date: String,
    #[command(flatten)]
    pub print: WriteOutput,
}

/// Two-step signing, second step (`sgx_sign catsig`): the signed enclave from the signing
/// material, its signature and the public key.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sdk catsig -e enclave.so -c Enclave.config.xml -k public.pem --sig enclave.sigdata.sig --unsigned enclave.sigdata -o enclave.signed.so"
)]
pub struct CatsigArgs {
    #[command(flatten)]
    pub inputs: EnclaveInputs,
    /// The signer's public key (PEM).
    #[arg(short = 'k', long, value_name = "FILE")]
    pub key: PathBuf,
    /// The signature of the signing material: 384 bytes, RSA PKCS#1 v1.5 over SHA-256, big-endian.
    #[arg(long, value_name = "FILE")]
    pub sig: PathBuf,
    /// The signing material `sdk gendata` wrote.
    #[arg(long, value_name = "FILE")]
    pub unsigned: PathBuf,
    /// The signed enclave.
    #[arg(short = 'o', long, visible_alias = "out", value_name = "FILE")]
    pub output: PathBuf,
    /// Also write the dump (`-dumpfile`).
    #[arg(long, value_name = "FILE")]
    pub dumpfile: Option<PathBuf>,
    /// Also write the 1808-byte SIGSTRUCT (`-cssfile`).
    #[arg(long, value_name = "FILE")]
    pub cssfile: Option<PathBuf>,
    #[command(flatten)]
    pub print: WriteOutput,
}

/// Print the metadata of a signed enclave as `sgx_sign dump` writes it.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sdk dump enclave.signed.so\n  sgx-measure sdk dump enclave.signed.so --json\n  sgx-measure sdk dump enclave.signed.so --dumpfile metadata.txt --cssfile sigstruct.bin"
)]
pub struct DumpArgs {
    /// The signed enclave.
    #[arg(value_name = "SIGNED_ENCLAVE")]
    pub enclave: PathBuf,
    /// Print JSON instead of `sgx_sign`'s text (`mrenclave`, `mrsigner`, `metadata_offset`,
    /// `metadata`, `compatible_metadata`).
    #[arg(long, conflicts_with = "dumpfile")]
    pub json: bool,
    /// Print only the enclave's MRENCLAVE (64 hex digits) and a newline (files asked for are
    /// still written).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Write the text to FILE instead of standard output (`-dumpfile`).
    #[arg(long, value_name = "FILE")]
    pub dumpfile: Option<PathBuf>,
    /// Also write the 1808-byte SIGSTRUCT (`-cssfile`).
    #[arg(long, value_name = "FILE")]
    pub cssfile: Option<PathBuf>,
}

/// Runs `sgx-measure sdk`.
pub fn run(args: &SdkArgs) -> Result<()> {
    match &args.command {
        SdkCommand::Mrenclave(a) => mrenclave(a),
        SdkCommand::Sign(a) => sign(a),
        SdkCommand::Gendata(a) => gendata(a),
        SdkCommand::Catsig(a) => catsig(a),
        SdkCommand::Dump(a) => dump(a),
    }
}

fn out(s: &str) -> Result<()> {
    std::io::stdout().lock().write_all(s.as_bytes())?;
    Ok(())
}

fn layout_json(p: &sdk::Prepared<'_>) -> serde_json::Value {
    let l = &p.enclave.layout;
    json!(l.entries().iter().map(|e| if e.is_group() {
        json!({"id": id::name(e.id), "group": true, "entry_count": e.entry_count(), "load_times": e.load_times(), "load_step": format!("{:#x}", e.load_step())})
    } else {
        json!({"id": id::name(e.id), "pages": e.page_count, "attributes": format!("{:#x}", e.attributes), "si_flags": format!("{:#x}", e.si_flags), "rva": format!("{:#x}", e.rva)})
    }).collect::<Vec<_>>())
}

fn mrenclave(a: &MrenclaveArgs) -> Result<()> {
    let loaded = Loaded::read(&a.inputs)?;
    let p = loaded.prepare()?;
    let mut hasher = MeasurementHasher::new();
    p.enclave.measure(&mut hasher);
    let sha256_blocks = hasher.blocks();
    let m = hex::encode(hasher.finish());
    let e = &p.enclave;
    if a.json {
        let v = json!({
            "mrenclave": m,
            "sdk_version": e.version.as_str(),
            "enclave_size": format!("{:#x}", e.layout.enclave_size),
            "ssa_frame_size": e.layout.ssa_frame_size,
            "metadata_versions": match e.meta_versions & 3 { 1 => "SGX1", 2 => "SGX2", _ => "SGX1+SGX2" },
            "sha256_blocks": sha256_blocks,
            "layout": layout_json(&p),
        });
        return out(&format!("{}\n", serde_json::to_string_pretty(&v)?));
    }
    if a.verbose {
        let mut s = format!(
            "SDK {} ({}), enclave size {:#x}, SSA frame {} page(s)\n",
            e.version,
            e.version.release(),
            e.layout.enclave_size,
            e.layout.ssa_frame_size
        );
        for (i, x) in e.layout.entries().iter().enumerate() {
            if x.is_group() {
                s.push_str(&format!(
                    "  {i:2} {:<16} entries {:4}  times {:<8} step {:#x}\n",
                    id::name(x.id),
                    x.entry_count(),
                    x.load_times(),
                    x.load_step()
                ));
            } else {
                s.push_str(&format!(
                    "  {i:2} {:<16} pages {:6}  attr {:#04x}  flags {:#06x}  rva {:#x}\n",
                    id::name(x.id),
                    x.page_count,
                    x.attributes,
                    x.si_flags,
                    x.rva
                ));
            }
        }
        s.push_str(&format!("mrenclave: {m}\n"));
        return out(&s);
    }
    // The MRENCLAVE alone, which is also what `-q` prints.
    out(&format!("{m}\n"))
}

/// Writes the signed enclave and the optional dump and SIGSTRUCT as one set of outputs (all old
/// or all new, even if the process is killed), none of them one of `inputs`, then prints the
/// result (`sdk sign` and `sdk catsig` alike).
fn write_signed(
    print: WriteOutput,
    output: &Path,
    p: &sdk::Prepared<'_>,
    signed: &sdk::Signed,
    dumpfile: Option<&Path>,
    cssfile: Option<&Path>,
    inputs: &[fsutil::Named<'_>],
) -> Result<()> {
    let dump = match dumpfile {
        Some(_) => {
            let d =
                sdk::dump::read_dump(&signed.file).context("reading back the signed enclave")?;
            sdk::dump::dump_text(&d)
        }
        None => String::new(),
    };
    let css = signed.css.to_bytes();
    let mut set: Vec<(&str, &Path, &[u8])> = vec![("signed enclave", output, &signed.file)];
    if let Some(p) = dumpfile {
        set.push(("dump file", p, dump.as_bytes()));
    }
    if let Some(p) = cssfile {
        set.push(("SIGSTRUCT file", p, &css));
    }
    outputs::write_together(&set, inputs)?;
    print_signed(print, output, p, signed, dumpfile, cssfile)
}

/// What the commands that write a signed enclave print: its MRENCLAVE, nothing with `-q`, or
/// the JSON result with `--json`.
fn print_signed(
    print: WriteOutput,
    output: &Path,
    p: &sdk::Prepared<'_>,
    signed: &sdk::Signed,
    dumpfile: Option<&Path>,
    cssfile: Option<&Path>,
) -> Result<()> {
    let mrenclave = hex::encode(signed.css.enclave_hash);
    if print.json {
        let path = |p: Option<&Path>| p.map(|p| p.display().to_string());
        let v = json!({
            "output": output.display().to_string(),
            "mrenclave": mrenclave,
            "mrsigner": hex::encode(signed.css.mrsigner()),
            "sdk_version": p.version().as_str(),
            "dumpfile": path(dumpfile),
            "cssfile": path(cssfile),
        });
        out(&format!("{}\n", serde_json::to_string_pretty(&v)?))
    } else if print.quiet {
        Ok(())
    } else {
        out(&format!("{mrenclave}\n"))
    }
}

fn sign(a: &SignArgs) -> Result<()> {
    let date = sdk::parse_date(&a.date)?;
    let loaded = Loaded::read(&a.inputs)?;
    let key = sigstruct::load_private_key(&a.key, a.passphrase.as_deref())?;
    let p = loaded.prepare()?;
    let signed = sdk::sign(&p, &key, date)?;
    // The enclave may be signed in place; the key and configuration are never overwritten.
    let mut inputs: Vec<fsutil::Named<'_>> = vec![("signing key", &a.key)];
    if let Some(c) = &a.inputs.config {
        inputs.push(("configuration", c));
    }
    write_signed(
        a.print,
        &a.output,
        &p,
        &signed,
        a.dumpfile.as_deref(),
        a.cssfile.as_deref(),
        &inputs,
    )
}

fn gendata(a: &GendataArgs) -> Result<()> {
    let date = sdk::parse_date(&a.date)?;
    let loaded = Loaded::read(&a.inputs)?;
    let p = loaded.prepare()?;
    let data = sdk::gendata(&p, date);
    // Never written over the enclave or its configuration.
    let mut inputs: Vec<fsutil::Named<'_>> = vec![("enclave", &a.inputs.enclave)];
    if let Some(c) = &a.inputs.config {
        inputs.push(("configuration", c));
    }
    outputs::write_together(&[("signing material", &a.output, &data)], &inputs)?;
    let mrenclave = hex::encode(p.mrenclave());
    if a.print.json {
        let v = json!({
            "output": a.output.display().to_string(),
            "mrenclave": mrenclave,
            "sdk_version": p.version().as_str(),
            "signing_data_sha256": hex::encode(Sha256::digest(data)),
        });
        out(&format!("{}\n", serde_json::to_string_pretty(&v)?))
    } else if a.print.quiet {
        Ok(())
    } else {
        out(&format!("{mrenclave}\n"))
    }
}

fn catsig(a: &CatsigArgs) -> Result<()> {
    let loaded = Loaded::read(&a.inputs)?;
    let key = sigstruct::load_public_key(&a.key)?;
    let sig = fsutil::read(&a.sig, "signature")?;
    let material = fsutil::read(&a.unsigned, "signing material")?;
    let p = loaded.prepare()?;
    let signed = sdk::catsig(&p, &key, &sig, &material)?;
    let mut inputs: Vec<fsutil::Named<'_>> = vec![
        ("public key", &a.key),
        ("signature", &a.sig),
        ("signing material", &a.unsigned),
    ];
    if let Some(c) = &a.inputs.config {
        inputs.push(("configuration", c));
    }
    write_signed(
        a.print,
        &a.output,
        &p,
        &signed,
        a.dumpfile.as_deref(),
        a.cssfile.as_deref(),
        &inputs,
    )
}

fn dump(a: &DumpArgs) -> Result<()> {
    let bytes = fsutil::read(&a.enclave, "signed enclave")?;
    let d = sdk::dump::read_dump(&bytes)?;
    let text = a.dumpfile.as_ref().map(|_| sdk::dump::dump_text(&d));
    let css = d.css().to_bytes();
    let mut set: Vec<(&str, &Path, &[u8])> = Vec::new();
    if let (Some(p), Some(t)) = (&a.dumpfile, &text) {
        set.push(("dump file", p, t.as_bytes()));
    }
    if let Some(p) = &a.cssfile {
        set.push(("SIGSTRUCT file", p, &css));
    }
    if !set.is_empty() {
        outputs::write_together(&set, &[("signed enclave", &a.enclave)])?;
    }
    if a.quiet {
        out(&format!("{}\n", hex::encode(d.mrenclave())))
    } else if a.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&sdk::dump::dump_json(&d))?
        ))
    } else if a.dumpfile.is_none() {
        out(&sdk::dump::dump_text(&d))
    } else {
        Ok(())
    }
}

/// The MRENCLAVE an SDK enclave and configuration give (for `verify --sdk-enclave`): a signed
/// enclave is measured again, as `sgx_sign -resign` would.
pub fn expected_mrenclave(
    enclave: &Path,
    config: Option<&Path>,
    version: Option<SdkVersion>,
) -> Result<(String, [u8; 32])> {
    let inputs = EnclaveInputs {
        enclave: enclave.to_path_buf(),
        config: config.map(Path::to_path_buf),
        sdk_version: version,
        ignore_rel_error: false,
        ignore_init_sec_error: false,
        resign: true,
        enable_fips: false,
    };
    let loaded = Loaded::read(&inputs)?;
    let p = loaded.prepare()?;
    let what = format!(
        "SDK enclave {} with {} (sgx_sign {})",
        enclave.display(),
        config.map_or("the default configuration".to_string(), |c| c
            .display()
            .to_string()),
        p.version()
    );
    Ok((what, p.mrenclave()))
}
