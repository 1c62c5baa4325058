#!/usr/bin/env bash
# C ABI checks: the enclave build's symbols and instructions, the committed header, the pkg-config
# files (enclave build and ffi/install.sh), and the C tests (plain, AddressSanitizer + UBSan,
# installed shared library, valgrind) against bundles made from the oracle's append cases. Every
# tool it needs must be installed: a missing one fails the checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
vectors="$root/testdata/vectors/public"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say() { printf '\n--- %s\n' "$*"; }

say "enclave build"
./ffi/build-enclave.sh
lib=target/enclave/libsgx_measure.a
undefined=$(nm "$lib" | awk '$1 == "U" {print $2}' | sort -u | tr '\n' ' ')
echo "undefined symbols: $undefined"
for s in $undefined; do
  case "$s" in memcpy|memmove|memset|memcmp|bcmp) ;; *) echo "unexpected outside symbol: $s" >&2; exit 1 ;; esac
done
if nm -C "$lib" | grep -E ' (std|alloc)::' >/dev/null; then echo "std or alloc symbols in $lib" >&2; exit 1; fi
if objdump -d "$lib" | grep -qw cpuid; then echo "cpuid instruction in $lib" >&2; exit 1; fi
echo "no std or alloc symbols, no cpuid: ok"

need() { command -v "$1" >/dev/null || { echo "$1 is required by the C ABI checks and is not installed" >&2; exit 1; }; }
for tool in cbindgen pkg-config valgrind nm objdump objcopy ld ar "${CC:-cc}"; do need "$tool"; done

say "header"
cbindgen --quiet --config ffi/cbindgen.toml --crate sgx-measure-ffi --output "$tmp/sgx_measure.h" ffi
diff -u ffi/include/sgx_measure.h "$tmp/sgx_measure.h" || { echo "ffi/include/sgx_measure.h is stale: regenerate it with cbindgen" >&2; exit 1; }
echo "ffi/include/sgx_measure.h is up to date"

say "pkg-config files"
export SGXM_EXPECTED_VERSION
SGXM_EXPECTED_VERSION=$(PKG_CONFIG_PATH=target/enclave pkg-config --modversion sgx_measure)
echo "target/enclave/sgx_measure.pc: version $SGXM_EXPECTED_VERSION, $(PKG_CONFIG_PATH=target/enclave pkg-config --cflags --libs sgx_measure)"
./ffi/install.sh "$tmp/prefix" >/dev/null
test "$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --modversion sgx_measure)" = "$SGXM_EXPECTED_VERSION"
echo "ffi/install.sh: $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs sgx_measure)"

say "bundles from the append vectors"
# The CLI CI built already (SGX_MEASURE, the test build's binary), else a release build.
if [ -n "${SGX_MEASURE:-}" ]; then
  exe=$SGX_MEASURE
else
  cargo build --quiet --release --bin sgx-measure
  exe="$root/target/release/sgx-measure"
fi
cases="$tmp/cases.txt"
: > "$cases"
add_case() { # case-dir tomli-w allow-prefix expected
  local dir=$1 tw=$2 pre=$3 want=$4 name
  name=$(basename "$dir")-$tw
  (cd "$dir" && "$exe" bundle -q --gramine 1.9 --tomli-w "$tw" -m base.manifest -l ../elf/$(python3 -c "import json;print(json.load(open('case.json'))['libpal'].split('/')[-1])") \
     --allow-prefix "$pre" -o "$tmp/$name.bundle" >/dev/null)
  "$exe" entries convert "$dir/entries.toml" --to list -o "$tmp/$name.list"
  local cfg
  cfg="$(sha256sum "$tmp/$name.list" | cut -c1-64)$(printf '0%.0s' $(seq 64))"
  echo "$tmp/$name.bundle $tmp/$name.list $want $cfg" >> "$cases"
}
want() { python3 - "$vectors" "$1" "$2" <<'PY'
import json, sys
idx = json.load(open(sys.argv[1] + '/index.json'))
c = next(c for c in idx['cases'] if c['name'] == sys.argv[2])
r = next(r for r in c['results'] if r['dir'] == 'expected/' + sys.argv[3])
print(r['mrenclave'])
PY
}
# First: a small enclave, used for the truncation and corruption sweeps.
cp -r "$vectors/pa06-append-empty-base" "$tmp/small" && ln -sfn "$vectors/elf" "$tmp/elf"
sed -i 's/^sgx.enclave_size = .*/sgx.enclave_size = "32M"/' "$tmp/small/base.manifest"
small_want=$(cd "$tmp/small" && "$exe" bundle -q -m base.manifest -l ../elf/pal-basic.so --allow-prefix file: -o "$tmp/s.bundle" >/dev/null \
  && "$exe" append --bundle "$tmp/s.bundle" --entries entries.toml -q)
add_case "$tmp/small" 1 file: "$small_want"
for c in pa01-append-1-entry pa02-append-100-entries pa03-append-10000-entries pa04-append-uri-special-chars \
         pa05-append-data-prefix pa06-append-empty-base pa08-append-16G-512-threads \
         pa09-append-edmm pa12-append-uppercase-hash; do
  add_case "$vectors/$c" 1 file: "$(want "$c" v1.9_tomliw-1.2.0)"
done
add_case "$vectors/pa06-append-empty-base" 0.4 file:/data/ "$(want pa06-append-empty-base v1.9_tomliw-0.4.0)"
# Refused by the policy: an entry repeating a base trusted file (44), including one inside a base
# directory that Gramine would silently let override the file's hash (pa07).
add_case "$vectors/pa07-append-dir-base" 1 file: 44
add_case "$vectors/pa10-append-dup-same-hash" 1 file: 44
add_case "$vectors/pa11-append-dup-conflict" 1 file: 44
# The benchmark case: a 256M base with 10,000 appended entries.
cp -r "$vectors/pa03-append-10000-entries" "$tmp/bench256"
sed -i 's/^sgx.enclave_size = .*/sgx.enclave_size = "256M"/' "$tmp/bench256/base.manifest"
grep -q '^sgx.enclave_size = "256M"' "$tmp/bench256/base.manifest"
bench_want=$(cd "$tmp/bench256" && "$exe" bundle -q -m base.manifest -l ../elf/pal-basic.so --allow-prefix file: -o "$tmp/b.bundle" >/dev/null \
  && "$exe" append --bundle "$tmp/b.bundle" --entries entries.toml -q)
add_case "$tmp/bench256" 1 file: "$bench_want"
echo "$(wc -l < "$cases") cases"

say "C tests (enclave build: no std, no allocator; compiled with its pkg-config flags)"
cc=${CC:-cc}
enclave_pc=$(PKG_CONFIG_PATH=target/enclave pkg-config --cflags --libs sgx_measure)
# shellcheck disable=SC2086
$cc -std=c11 -O2 -Wall -Wextra -Werror ffi/tests/c/test_sgx_measure.c $enclave_pc -lpthread -o "$tmp/test_enclave"
"$tmp/test_enclave" "$cases"

say "C tests under AddressSanitizer and UndefinedBehaviorSanitizer"
$cc -std=c11 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -Iffi/include ffi/tests/c/test_sgx_measure.c "$lib" \
  -lpthread -o "$tmp/test_asan"
SGXM_NO_TIMING=1 ASAN_OPTIONS=detect_leaks=1 "$tmp/test_asan" "$cases" > /dev/null
echo "clean"

say "C tests against the installed host shared library (ffi/install.sh, its pkg-config flags)"
host_pc=$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs sgx_measure)
# shellcheck disable=SC2086
$cc -std=c11 -O2 ffi/tests/c/test_sgx_measure.c $host_pc -lpthread \
  -Wl,-rpath,"$tmp/prefix/lib" -o "$tmp/test_host"
SGXM_NO_TIMING=1 "$tmp/test_host" "$cases" > /dev/null
echo "passed"

say "C tests under valgrind"
head -n 2 "$cases" > "$tmp/cases-valgrind.txt"
SGXM_NO_STACK_PROBE=1 SGXM_CORRUPTIONS=48 valgrind --quiet --error-exitcode=1 --leak-check=full \
  "$tmp/test_enclave" "$tmp/cases-valgrind.txt" > /dev/null
echo "clean"

say "SDK enclaves: sgxm_sdk_mrenclave against what Intel's sgx_sign computed (testdata/sdk-vectors)"
python3 - "$root/testdata/sdk-vectors" > "$tmp/sdk-cases.txt" <<'PY'
import json, re, sys
root = sys.argv[1]
def spec(cfg):
    if cfg is None:
        return "-"
    xml = open(f"{root}/configs/{cfg}.xml").read()
    return ",".join(f"{k}={v.strip()}" for k, v in re.findall(r"<(\w+)>([^<]*)</\1>", xml)) or "-"
def want(sdk, case):
    return json.load(open(f"{root}/expected/{sdk}/{case}/result.json"))["mrenclave"]
rows = [
    ("2.20/basic", 220, 0, want("2.20", "basic-ita"), "ita"),
    ("2.20/basic", 0, 0, want("occlum-2.20", "basic-heap-sgx2"), "heap-sgx2"),
    ("2.21/tls", 0, 0, want("2.21", "tls-ita"), "ita"),
    ("2.22/basic", 222, 0, want("2.22", "basic-ita"), "ita"),
    ("2.22/basic", 0, 0, want("2.22", "basic-defaults"), None),
    ("2.23/basic", 0, 0, want("2.23", "basic-kss"), "kss"),
    ("2.24/basic", 224, 0, want("2.24", "basic-elrange"), "elrange"),
    ("2.24/basic", 224, 8, want("2.24", "basic-fips-option"), "fips-option"),
    ("2.25/basic", 0, 0, want("2.25", "basic-fips"), "fips"),
    ("2.26/basic", 226, 0, want("2.26", "basic-threads"), "threads"),
    ("2.26/basic", 0, 0, want("2.26", "basic-rsrv"), "rsrv"),
    ("2.26/basic", 0, 0, want("2.26", "basic-user-region"), "user-region"),
    ("2.26/basic", 0, 0, want("2.26", "basic-pkru-amx"), "pkru-amx"),
    ("2.26/tls", 0, 0, want("2.26", "tls-ita"), "ita"),
    ("2.26/multiseg", 0, 0, want("2.26", "multiseg-ita"), "ita"),
    ("2.26/textrel", 0, 1, want("2.26", "textrel-ita"), "ita"),
    ("2.26/textrel", 0, 0, 202, "ita"),
    ("2.22/basic", 226, 0, 204, "ita"),
    ("2.26/basic", 0, 0, 208, "x-heap-min-max"),
    ("2.26/basic", 0, 0, 207, "x-out-of-range"),
    ("2.22/basic", 0, 0, 209, "fips"),
    ("2.26/basic", 0, 0, 212, "x-ossl-fips"),
    ("2.26/no-global-data", 0, 0, 203, "ita"),
    ("2.26/undef", 0, 0, 200, "ita"),
]
for path, version, flags, expected, cfg in rows:
    print(f"{root}/enclaves/{path}.so {version} {flags} {expected} {spec(cfg)}")
PY
$cc -std=c11 -O2 -Wall -Wextra -Werror -Iffi/include ffi/tests/c/test_sdk.c "$lib" -lpthread -o "$tmp/test_sdk"
"$tmp/test_sdk" "$tmp/sdk-cases.txt"
$cc -std=c11 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -Iffi/include ffi/tests/c/test_sdk.c "$lib" \
  -lpthread -o "$tmp/test_sdk_asan"
ASAN_OPTIONS=detect_leaks=1 "$tmp/test_sdk_asan" "$tmp/sdk-cases.txt" > /dev/null
echo "clean under AddressSanitizer and UndefinedBehaviorSanitizer"
head -n 3 "$tmp/sdk-cases.txt" > "$tmp/sdk-cases-valgrind.txt"
valgrind --quiet --error-exitcode=1 --leak-check=full "$tmp/test_sdk" "$tmp/sdk-cases-valgrind.txt" > /dev/null
echo "clean under valgrind"

echo
echo "C ABI checks passed"
