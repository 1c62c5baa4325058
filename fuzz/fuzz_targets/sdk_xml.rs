//! `Enclave.config.xml` on arbitrary bytes: the tinyxml2-compatible reader and `sgx_sign`'s
//! parameter rules. Never panics; an accepted configuration written back as plain XML (one
//! element per parameter, hex values) reads to the same configuration for every release.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::sdk::{Param, SdkVersion};
use measure_lib::sdk::{parse_config, xml};

fuzz_target!(|data: &[u8]| {
    let elements = xml::config_elements(data);
    for &v in SdkVersion::ALL {
        let Ok(config) = parse_config(data, v) else { continue };
        assert!(elements.is_ok());
        let mut out = String::from("<EnclaveConfiguration>\n");
        for &p in Param::ALL {
            if config.is_set(p) {
                out.push_str(&format!("  <{0}>{1:#x}</{0}>\n", p.name(), config.get(p)));
            }
        }
        out.push_str("</EnclaveConfiguration>\n");
        let again = parse_config(out.as_bytes(), v).expect("rewritten configuration");
        assert_eq!(again, config, "{out}");
        // Validation is a function of the values.
        assert_eq!(again.validate(), config.validate());
    }
});
