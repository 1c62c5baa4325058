//! The streamed verifier against the in-memory one (`measure_core::append`): same policy verdict,
//! MRENCLAVE, CONFIGID and final manifest, for random lists on several bundles.

use std::io::Write as _;

use measure_core::append::{AppendedManifest, check_policy_with_scratch, mrenclave_unchecked};
use measure_core::bundle::{BundleBuilder, Dialect, Form};
use measure_core::elf::Elf;
use measure_core::entries::EntryList;
use measure_core::layout::LayoutParams;
use measure_core::profile::GramineVersion;
use proptest::prelude::*;

use super::*;

const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const PAL: &[u8] = include_bytes!("../../../testdata/vectors/public/elf/pal-basic.so");

fn bundle_bytes(dialect: Dialect, inline: bool, empty: bool, base: &[&str]) -> Vec<u8> {
    let elf = Elf::parse(PAL).unwrap();
    BundleBuilder {
        params: LayoutParams {
            version: GramineVersion::LATEST,
            enclave_size: 1 << 28,
            threads: 4,
            edmm: false,
            nonpie_binary: false,
        },
        dialect,
        pal_entry: elf.entry(),
        pal_segments: elf.load_segments().collect(),
        sections_form: Form {
            prefix: b"[sgx]\nenclave_size = \"256M\"\n",
            suffix: b"\n# end\n",
        },
        inline_form: inline.then_some(Form {
            prefix: b"[sgx]\ntrusted_files = [\n",
            suffix: b"]\n",
        }),
        empty_manifest: empty.then_some(b"[sgx]\nenclave_size = \"256M\"\n"),
        allow_prefixes: vec!["file:/data/"],
        base_entries: base.iter().map(|u| (*u, HASH, false)).collect(),
        info: "",
    }
    .to_bytes()
}

fn uri() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => (0u32..30).prop_map(|k| format!("file:/data/f{k:02}")),
        1 => (0u32..30).prop_map(|k| format!("file:/data/{}{k}", "x".repeat(80))),
        1 => Just("file:/data/\t\"é\\".to_string()),
        1 => Just("file:/data/base".to_string()),
        1 => Just("file:/etc/x".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn streamed_equals_in_memory(
        mut uris in proptest::collection::vec(uri(), 0..40),
        sorted in any::<bool>(),
        shape in 0u8..4,
    ) {
        if sorted {
            uris.sort();
            uris.dedup();
        }
        let (dialect, inline, empty) = match shape {
            0 => (Dialect::TomliW1, true, false),
            1 => (Dialect::TomliW1, false, true),
            2 => (Dialect::Toml0102, false, false),
            _ => (Dialect::TomliW04, true, true),
        };
        let base: &[&str] = if empty { &[] } else { &["file:/data/base"] };
        let bb = bundle_bytes(dialect, inline, empty, base);
        let bundle = Bundle::parse(&bb).unwrap();
        let list_bytes = measure_core::entries::encode(uris.iter().map(|u| (u.as_str(), HASH)));
        let list = EntryList::parse(&list_bytes).unwrap();
        let want_policy = check_policy_with_scratch(&bundle, &list, &mut vec![0; uris.len() * 24]);
        let want_m = mrenclave_unchecked(&bundle, list).ok();
        let mut want_manifest = Vec::new();
        AppendedManifest::new(&bundle, list).render(&mut |c| want_manifest.extend_from_slice(c));

        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&list_bytes).unwrap();
        for input in [
            EntriesInput::open(file.path(), None, None).unwrap(),
            EntriesInput::from_bytes(&list_bytes, None, None).unwrap(),
        ] {
            let mut manifest = Vec::new();
            let got = evaluate(&bundle, &input, Measure::Always, Some(&mut manifest)).unwrap();
            prop_assert_eq!(got.policy.as_ref().map(|_| ()).map_err(|r| r.violation), want_policy);
            if let Err(r) = &got.policy {
                prop_assert_eq!(&r.uri, &uris[r.violation.index as usize]);
            }
            prop_assert_eq!(got.mrenclave, want_m);
            prop_assert_eq!(&manifest, &want_manifest);
            prop_assert_eq!(got.configid, measure_core::configid::configid(&list_bytes).unwrap());
            prop_assert_eq!(got.count, uris.len());
            let only = evaluate(&bundle, &input, Measure::IfAllowed, None).unwrap();
            prop_assert_eq!(only.mrenclave.is_some(), want_policy.is_ok());
        }
    }
}
