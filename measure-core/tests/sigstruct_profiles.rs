//! The SIGSTRUCT offsets and attribute constants against the constants dumped from each Gramine
//! tag's build (`testdata/profiles/gramine-v1.*.json`).

use std::path::Path;

use measure_core::attributes::{self, signer_rules};
use measure_core::profile::GramineVersion;
use measure_core::sigstruct::{KEY_SIZE, SIGSTRUCT_SIZE, offset};
use serde_json::Value;

fn constants(v: GramineVersion) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/profiles")
        .join(format!("gramine-v{}.json", v.as_str()));
    let text = std::fs::read_to_string(&path).expect("profile json");
    let doc: Value = serde_json::from_str(&text).expect("json");
    doc["constants"].clone()
}

fn get(c: &Value, names: &[&str]) -> u64 {
    names
        .iter()
        .find_map(|n| c[*n].as_u64())
        .unwrap_or_else(|| panic!("none of {names:?} in the profile"))
}

#[test]
fn offsets_match_every_tag() {
    for v in GramineVersion::ALL {
        let c = constants(v);
        let field = |new: &str, old: &str| get(&c, &[new, old]) as usize;
        let pairs = [
            (
                "SGX_ARCH_SIGSTRUCT_HEADER",
                "SGX_ARCH_ENCLAVE_CSS_HEADER",
                offset::HEADER,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_VENDOR",
                "SGX_ARCH_ENCLAVE_CSS_MODULE_VENDOR",
                offset::VENDOR,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_DATE",
                "SGX_ARCH_ENCLAVE_CSS_DATE",
                offset::DATE,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_HEADER2",
                "SGX_ARCH_ENCLAVE_CSS_HEADER2",
                offset::HEADER2,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_SWDEFINED",
                "SGX_ARCH_ENCLAVE_CSS_HW_VERSION",
                offset::SWDEFINED,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_MODULUS",
                "SGX_ARCH_ENCLAVE_CSS_MODULUS",
                offset::MODULUS,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_EXPONENT",
                "SGX_ARCH_ENCLAVE_CSS_EXPONENT",
                offset::EXPONENT,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_SIGNATURE",
                "SGX_ARCH_ENCLAVE_CSS_SIGNATURE",
                offset::SIGNATURE,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_MISC_SELECT",
                "SGX_ARCH_ENCLAVE_CSS_MISC_SELECT",
                offset::MISC_SELECT,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_MISC_MASK",
                "SGX_ARCH_ENCLAVE_CSS_MISC_MASK",
                offset::MISC_MASK,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_ISV_FAMILY_ID",
                "SGX_ARCH_ENCLAVE_CSS_ISV_FAMILY_ID",
                offset::ISV_FAMILY_ID,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_ATTRIBUTES",
                "SGX_ARCH_ENCLAVE_CSS_ATTRIBUTES",
                offset::ATTRIBUTES,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_ATTRIBUTE_MASK",
                "SGX_ARCH_ENCLAVE_CSS_ATTRIBUTE_MASK",
                offset::ATTRIBUTE_MASK,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_ENCLAVE_HASH",
                "SGX_ARCH_ENCLAVE_CSS_ENCLAVE_HASH",
                offset::ENCLAVE_HASH,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_ISVEXT_PROD_ID",
                "SGX_ARCH_ENCLAVE_CSS_ISVEXT_PROD_ID",
                offset::ISVEXT_PROD_ID,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_ISV_PROD_ID",
                "SGX_ARCH_ENCLAVE_CSS_ISV_PROD_ID",
                offset::ISV_PROD_ID,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_ISV_SVN",
                "SGX_ARCH_ENCLAVE_CSS_ISV_SVN",
                offset::ISV_SVN,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_Q1",
                "SGX_ARCH_ENCLAVE_CSS_Q1",
                offset::Q1,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_Q2",
                "SGX_ARCH_ENCLAVE_CSS_Q2",
                offset::Q2,
            ),
            (
                "SGX_ARCH_SIGSTRUCT_SIZE",
                "SGX_ARCH_ENCLAVE_CSS_SIZE",
                SIGSTRUCT_SIZE,
            ),
        ];
        for (new, old, ours) in pairs {
            assert_eq!(field(new, old), ours, "{v}: {new}");
        }
        if v.code() >= GramineVersion::V1_4.code() {
            assert_eq!(
                get(&c, &["SGX_ARCH_SIGSTRUCT_CET_ATTRIBUTES"]) as usize,
                offset::CET_ATTRIBUTES
            );
            assert_eq!(
                get(&c, &["SGX_ARCH_SIGSTRUCT_CET_ATTRIBUTES_MASK"]) as usize,
                offset::CET_ATTRIBUTES_MASK
            );
        }
        assert_eq!(get(&c, &["SE_KEY_SIZE"]) as usize, KEY_SIZE, "{v}");
    }
}

#[test]
fn attribute_constants_match_every_tag() {
    for v in GramineVersion::ALL {
        let c = constants(v);
        assert_eq!(
            get(&c, &["SGX_FLAGS_DEBUG"]),
            attributes::FLAGS_DEBUG,
            "{v}"
        );
        assert_eq!(
            get(&c, &["SGX_FLAGS_MODE64BIT"]),
            attributes::FLAGS_MODE64BIT,
            "{v}"
        );
        assert_eq!(
            get(&c, &["SGX_XFRM_LEGACY"]),
            attributes::XFRM_LEGACY,
            "{v}"
        );
        assert_eq!(get(&c, &["SGX_XFRM_AVX"]), attributes::XFRM_AVX, "{v}");
        assert_eq!(get(&c, &["SGX_XFRM_MPX"]), attributes::XFRM_MPX, "{v}");
        assert_eq!(
            get(&c, &["SGX_XFRM_AVX512"]),
            attributes::XFRM_AVX512,
            "{v}"
        );
        assert_eq!(get(&c, &["SGX_XFRM_PKRU"]), attributes::XFRM_PKRU, "{v}");
        if v.code() >= GramineVersion::V1_1.code() {
            assert_eq!(get(&c, &["SGX_XFRM_AMX"]), attributes::XFRM_AMX, "{v}");
        }
        assert_eq!(
            get(&c, &["SGX_MISCSELECT_EXINFO"]) as u32,
            attributes::MISCSELECT_EXINFO
        );
        assert_eq!(
            get(&c, &["SGX_MISCSELECT_MASK_CONST"]) as u32,
            attributes::MISCSELECT_MASK_CONST
        );
        let (flags_mask, xfrm_mask) = if v == GramineVersion::V1_0 {
            (
                get(&c, &["SGX_FLAGS_MASK_CONST_LO"])
                    + (get(&c, &["SGX_FLAGS_MASK_CONST_HI"]) << 32),
                get(&c, &["SGX_XFRM_MASK_CONST_LO"]) + (get(&c, &["SGX_XFRM_MASK_CONST_HI"]) << 32),
            )
        } else {
            (
                get(&c, &["SGX_FLAGS_MASK_CONST"]),
                get(&c, &["SGX_XFRM_MASK_CONST"]),
            )
        };
        assert_eq!(flags_mask, attributes::FLAGS_MASK_CONST, "{v}");
        assert_eq!(xfrm_mask, signer_rules(v).xfrm_mask_const, "{v}");
    }
}
