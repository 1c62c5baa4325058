#!/usr/bin/env bash
# Builds the C ABI for linking into an SGX enclave: target/enclave/libsgx_measure.a, and its
# pkg-config file target/enclave/sgx_measure.pc (PKG_CONFIG_PATH=target/enclave pkg-config
# --cflags --libs sgx_measure gives the header's directory and the archive).
#
# - no std, no allocator (nothing in the library allocates; a path that did would fail to link),
#   panic = abort with a trapping panic handler;
# - the SHA-256 backend is fixed at build time, so the library never executes CPUID (which faults
#   inside an enclave): SGXM_SHA_BACKEND=soft (default, any CPU) or x86-sha (SHA-NI, compiled in
#   with -C target-feature=+sha,+sse4.1; the enclave then requires a CPU with SHA extensions);
# - the archive holds one relocatable object with only the sgxm_* symbols global and everything
#   unreachable from them removed, so it cannot clash with other Rust code in the enclave.
#
# Apart from memcpy, memmove, memset, memcmp and bcmp, the result needs no outside symbol.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${SGXM_SHA_BACKEND:-soft}"
case "$backend" in
  soft) flags='--cfg sha2_backend="soft"' ;;
  x86-sha) flags='--cfg sha2_256_backend="x86-sha" -C target-feature=+sha,+sse4.1' ;;
  *) echo "SGXM_SHA_BACKEND must be soft or x86-sha" >&2; exit 2 ;;
esac

CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  RUSTFLAGS="--cfg sgxm_enclave $flags -C panic=abort -C relocation-model=pic -C embed-bitcode=no" \
  cargo build --quiet -p sgx-measure-ffi --release --target x86_64-unknown-linux-gnu \
  --target-dir target/enclave-build

out=target/enclave
rm -rf "$out"
mkdir -p "$out"
lib=target/enclave-build/x86_64-unknown-linux-gnu/release/libsgx_measure.a
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every exported function is a root; keep what they reach, drop the rest of core and
# compiler_builtins.
roots=()
while read -r sym; do roots+=("--undefined=$sym"); done < <(
  nm --defined-only --extern-only "$lib" 2>/dev/null | awk '$2 == "T" && $3 ~ /^sgxm_/ {print $3}' | sort -u)
if [ "${#roots[@]}" -eq 0 ]; then echo "no sgxm_* symbols found in $lib" >&2; exit 1; fi
ld -r --gc-sections "${roots[@]}" -o "$tmp/sgx_measure.o" --whole-archive "$lib"
# The standard library's objects carry LLVM bitcode (.llvmbc) that binutils' plugin cannot
# read; the enclave needs machine code only.
objcopy --remove-section=.llvmbc --remove-section=.llvmcmd --strip-debug \
  --wildcard --keep-global-symbol='sgxm_*' "$tmp/sgx_measure.o"
rm -f "$out/libsgx_measure.a"
ar rcs "$out/libsgx_measure.a" "$tmp/sgx_measure.o"
ffi/pkgconfig.sh "$out/sgx_measure.pc" "$(pwd)/$out" '${prefix}' "$(pwd)/ffi/include" \
  "Gramine SGX measurement (MRENCLAVE) for enclaves: no std, no allocator, SHA-256 $backend" ""
echo "$out/libsgx_measure.a, $out/sgx_measure.pc (SHA-256 backend: $backend)"
