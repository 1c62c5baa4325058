#!/usr/bin/env bash
# Builds the C ABI for ordinary (host) programs and installs it under PREFIX:
#   PREFIX/lib/libsgx_measure.so, PREFIX/lib/libsgx_measure.a, PREFIX/include/sgx_measure.h,
#   PREFIX/lib/pkgconfig/sgx_measure.pc
# so that `PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs sgx_measure` works.
# For enclaves, use ffi/build-enclave.sh (it writes target/enclave/sgx_measure.pc).
# usage: ffi/install.sh PREFIX
set -euo pipefail
prefix=${1:?usage: ffi/install.sh PREFIX}
cd "$(dirname "$0")/.."
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
cargo build --quiet --release -p sgx-measure-ffi
install -d "$prefix/lib/pkgconfig" "$prefix/include"
install -m 0644 target/release/libsgx_measure.a "$prefix/lib/"
install -m 0755 target/release/libsgx_measure.so "$prefix/lib/"
install -m 0644 ffi/include/sgx_measure.h "$prefix/include/"
# The static library needs what Rust's std links against.
ffi/pkgconfig.sh "$prefix/lib/pkgconfig/sgx_measure.pc" "$prefix" '${prefix}/lib' '${prefix}/include' \
  "Gramine SGX measurement (MRENCLAVE), bundles, CONFIGID and evidence reading" "-lpthread -ldl -lm"
echo "installed in $prefix (pkg-config file: $prefix/lib/pkgconfig/sgx_measure.pc)"
