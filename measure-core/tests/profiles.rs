//! Every layout constant and default of `measure_core::rules` equals what each Gramine tag's build generates
//! (`testdata/profiles/gramine-v1.*.json`, dumped from `_graminelibos_offsets` / `_offsets`).

use measure_core::profile::{GramineVersion, secinfo};
use serde_json::Value;

fn load(v: GramineVersion) -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../testdata/profiles/gramine-v{}.json", v.as_str()));
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

#[test]
fn constants_match_every_tag() {
    for v in GramineVersion::ALL {
        let j = load(v);
        let c = &j["constants"];
        let k = |name: &str| {
            c[name]
                .as_u64()
                .unwrap_or_else(|| panic!("{v}: {name} missing"))
        };
        let p = v.profile();
        assert_eq!(p.page_size, k("PAGESIZE"), "{v}");
        assert_eq!(p.ssa_frame_size, k("SSA_FRAME_SIZE"), "{v}");
        assert_eq!(p.ssa_frame_num, k("SSA_FRAME_NUM"), "{v}");
        assert_eq!(p.tcs_size, k("TCS_SIZE"), "{v}");
        assert_eq!(p.stack_size, k("ENCLAVE_STACK_SIZE"), "{v}");
        assert_eq!(p.sig_stack_size, k("ENCLAVE_SIG_STACK_SIZE"), "{v}");
        assert_eq!(p.default_enclave_base, k("DEFAULT_ENCLAVE_BASE"), "{v}");
        assert_eq!(p.mmap_min_addr, k("MMAP_MIN_ADDR"), "{v}");
        assert_eq!(
            p.stack_protector_canary,
            k("STACK_PROTECTOR_CANARY_DEFAULT"),
            "{v}"
        );
        assert_eq!(p.gpr_size, k("SGX_GPR_SIZE"), "{v}");
        let t = &p.tcs;
        for (have, name) in [
            (t.ossa, "TCS_OSSA"),
            (t.nssa, "TCS_NSSA"),
            (t.oentry, "TCS_OENTRY"),
            (t.ogs_base, "TCS_OGS_BASE"),
            (t.ofs_limit, "TCS_OFS_LIMIT"),
            (t.ogs_limit, "TCS_OGS_LIMIT"),
        ] {
            assert_eq!(have as u64, k(name), "{v} {name}");
        }
        let l = &p.tls;
        for (have, name) in [
            (l.common_self, "SGX_COMMON_SELF"),
            (
                l.stack_protector_canary,
                "SGX_COMMON_STACK_PROTECTOR_CANARY",
            ),
            (l.enclave_size, "SGX_ENCLAVE_SIZE"),
            (l.tcs_offset, "SGX_TCS_OFFSET"),
            (l.initial_stack_addr, "SGX_INITIAL_STACK_ADDR"),
            (l.sig_stack_low, "SGX_SIG_STACK_LOW"),
            (l.sig_stack_high, "SGX_SIG_STACK_HIGH"),
            (l.ssa, "SGX_SSA"),
            (l.gpr, "SGX_GPR"),
            (l.manifest_size, "SGX_MANIFEST_SIZE"),
            (l.heap_min, "SGX_HEAP_MIN"),
            (l.heap_max, "SGX_HEAP_MAX"),
        ] {
            assert_eq!(have as u64, k(name), "{v} {name}");
        }
        let d = &j["python_defaults"];
        let rules = v.rules();
        assert_eq!(
            rules.default_threads(),
            d["DEFAULT_THREAD_NUM"].as_u64().unwrap(),
            "{v}"
        );
        let no_edmm = d
            .get("DEFAULT_ENCLAVE_SIZE_NO_EDMM")
            .or(d.get("DEFAULT_ENCLAVE_SIZE"))
            .unwrap();
        assert_eq!(
            rules.default_enclave_size(false),
            no_edmm.as_str().unwrap(),
            "{v}"
        );
        if let Some(with) = d.get("DEFAULT_ENCLAVE_SIZE_WITH_EDMM") {
            assert_eq!(
                rules.default_enclave_size(true),
                with.as_str().unwrap(),
                "{v}"
            );
        }
        for (have, name) in [
            (secinfo::R, "PAGEINFO_R"),
            (secinfo::W, "PAGEINFO_W"),
            (secinfo::X, "PAGEINFO_X"),
            (secinfo::TCS, "PAGEINFO_TCS"),
            (secinfo::REG, "PAGEINFO_REG"),
        ] {
            assert_eq!(have, d[name].as_u64().unwrap(), "{v} {name}");
        }
    }
}
