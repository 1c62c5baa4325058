#!/usr/bin/env bash
# Writes sgx_measure.pc from ffi/sgx_measure.pc.in.
# usage: ffi/pkgconfig.sh OUT.pc PREFIX LIBDIR INCLUDEDIR DESCRIPTION LIBS_PRIVATE
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 prefix=$2 libdir=$3 includedir=$4 description=$5 libs_private=$6
# The crate's version, as `cargo pkgid` names it (…#sgx-measure-ffi@0.1.0 or …#0.1.0).
version=$(cargo pkgid -p sgx-measure-ffi --offline 2>/dev/null || cargo pkgid -p sgx-measure-ffi)
version=${version##*[#@]}
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$libdir|" -e "s|@INCLUDEDIR@|$includedir|" \
    -e "s|@VERSION@|$version|" -e "s|@DESCRIPTION@|$description|" \
    -e "s|@LIBS_PRIVATE@|$libs_private|" ffi/sgx_measure.pc.in > "$out"
