//! The ELF reader on arbitrary bytes: never panics, and every segment it accepts lies inside the
//! file with `filesz <= memsz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::elf::Elf;

fuzz_target!(|data: &[u8]| {
    if let Ok(elf) = Elf::parse(data) {
        let mut n = 0;
        for s in elf.load_segments() {
            assert!(s.filesz <= s.memsz);
            assert_eq!(s.data.len() as u64, s.filesz);
            assert!(
                s.offset
                    .checked_add(s.filesz)
                    .is_some_and(|end| end <= data.len() as u64)
            );
            n += 1;
        }
        assert!(n > 0);
    }
});
