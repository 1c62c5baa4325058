#!/bin/bash
# Builds the test enclaves of testdata/sdk-vectors/enclaves/ from enclave-src/ (all written for
# this corpus; no SGX SDK needed) with gcc and GNU ld, then derives the malformed ones with
# patch_elf.py. Built here with Debian 12's gcc 12.2.0 and binutils 2.40; other toolchains give
# other (equally valid) bytes, so the committed files are the reference, not this script's output.
#
#   bash build-enclaves.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")"
OUT=$(realpath -m "${1:?usage: build-enclaves.sh OUTDIR}")
SRC=enclave-src
CF="-O2 -fPIC -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables -nostdlib -shared -Wl,--build-id=none -Wl,--hash-style=gnu"

# SDK release: global data size, version word, release string, metadata note size. (Occlum's
# copy of SDK 2.20 takes the enclaves built for 2.20: same version word.)
sdk_params() {
  case "$1" in
    2.20) echo "1760 ((2ULL<<32)|(20<<16)|100) 2.20.100.4 0x5000" ;;
    2.21) echo "1760 ((2ULL<<32)|(21<<16)|100) 2.21.100.1 0x5000" ;;
    2.22) echo "1760 ((2ULL<<32)|(22<<16)|100) 2.22.100.3 0x5000" ;;
    2.23) echo "1760 ((2ULL<<32)|(23<<16)|100) 2.23.100.2 0x5000" ;;
    2.24) echo "1760 ((2ULL<<32)|(24<<16)|100) 2.24.100.3 0x6000" ;;
    2.25) echo "1768 ((2ULL<<32)|(25<<16)|100) 2.25.100.3 0x6000" ;;
    2.26) echo "1768 ((2ULL<<32)|(26<<16)|100) 2.26.100.0 0x6000" ;;
  esac
}

build() { # sdk name [extra gcc/ld flags...]
  local sdk=$1 name=$2; shift 2
  read -r gd word str msize <<<"$(sdk_params "$sdk")"
  mkdir -p "$OUT/$sdk"
  gcc $CF -DGD_SIZE="$gd" -DSDK_VERSION_UINT="$word" -DSDK_VERSION_STR="\"$str\"" \
      -DMETADATA_SIZE="${NOTE_SIZE:-$msize}" "$@" \
      $SRC/enclave.c ${NO_NOTE:+-DNO_NOTE_FILE} $([ -n "${NO_NOTE:-}" ] || echo $SRC/meta_note.S) \
      -o "$OUT/$sdk/$name.so"
}

for sdk in 2.20 2.21 2.22 2.23 2.24 2.25 2.26; do
  # Layout variants (every release).
  build $sdk basic -Wl,-z,relro -Wl,-z,now
  build $sdk tls -DTLS_DATA=16 -DTLS_BSS=5000 -Wl,-z,noseparate-code -Wl,-z,relro -Wl,-z,now
  [ "$sdk" = 2.22 ] || [ "$sdk" = 2.26 ] || continue
  # The full set for the first and the last release.
  build $sdk relocs -DRELOCS -Wl,-z,lazy -Wl,-z,norelro
  build $sdk multiseg -DRWX_DATA -DBSS_SIZE=20000 -Wl,-T,$SRC/multiseg.lds
  build $sdk tls-aligned -DTLS_DATA=100 -DTLS_ALIGN=256 -Wl,-z,relro -Wl,-z,now
  build $sdk bigbss -DBSS_SIZE=70000 -Wl,-z,noseparate-code -Wl,-z,norelro
  build $sdk rwx -Wl,-T,$SRC/rwx.lds
  build $sdk e-entry -DENTRY_NAME=start_here -Wl,-e,start_here
  build $sdk rodata-reloc -DRODATA_RELOC -Wl,-z,notext -Wl,-z,norelro 2>/dev/null
  build $sdk textrel -DTEXTREL -Wl,-z,notext 2>/dev/null
  build $sdk init -DINIT_SECTION
  python3 patch_elf.py "$OUT/$sdk"
done
# Refused by every release at the same step, before the SDK version is looked at: built once.
build 2.26 undef -DUNDEF
build 2.26 ctors
# GNU ld turns input .ctors into .init_array; add an (empty) section of that name afterwards.
objcopy --add-section .ctors=/dev/null "$OUT/2.26/ctors.so"
build 2.26 no-global-data -DNO_GLOBAL_DATA
build 2.26 no-entry -DENTRY_NAME=not_an_entry
build 2.26 bad-note-name -DNOTE_NAME='"sgx_metadatx"'
NO_NOTE=1 build 2.26 no-note
# An enclave claiming SDK 2.26 whose metadata note is only 0x5000 bytes (sgx_sign 2.26 writes
# 0x6000 bytes there, over what follows the note).
NOTE_SIZE=0x5000 build 2.26 small-note -Wl,-z,relro -Wl,-z,now
ls -l "$OUT"/*/
