#!/usr/bin/env bash
# Regenerates the fuzz seed corpora (fuzz/corpus/<target>/, ignored by git) from testdata/:
# PAL ELFs, manifests, SIGSTRUCTs, evidence, entries files of the append cases, and bundles made
# with the release CLI from the append cases' base manifests. Seeds larger than 256 KiB are left
# out (they only slow the fuzzers down). Safe to re-run: existing corpus files are kept.
#
#   bash fuzz/seed.sh            # all targets
#   bash fuzz/seed.sh c_abi ...  # only these targets
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
corpus=$root/fuzz/corpus
max=$((256 * 1024))
vectors=testdata/vectors/public

want() { [ ${#targets[@]} -eq 0 ] || [[ " ${targets[*]} " == *" $1 "* ]]; }
targets=("$@")

# put TARGET NAME FILE: copy FILE into TARGET's corpus as NAME (if small enough).
put() {
  local size
  size=$(stat -c %s "$3")
  [ "$size" -le "$max" ] || return 0
  mkdir -p "$corpus/$1"
  cp "$3" "$corpus/$1/$2"
}
# Little-endian u32 as raw bytes.
le32() {
  local n=$1 i
  for i in 0 8 16 24; do printf "\\x$(printf %02x $(((n >> i) & 255)))"; done
}

# Release CLI, for bundles and canonical entry lists.
cli=$root/target/release/sgx-measure
if [ ! -x "$cli" ]; then
  cargo build --quiet --release --bin sgx-measure
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
libos_sha=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["libsysdb_so_sha256"])' \
  testdata/vectors/oracle-environment.json 2>/dev/null ||
  echo 4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62)

# --- Bundles and entry lists of the append cases -------------------------------------------------
mkdir -p "$work/bundles" "$work/lists"
for case in "$vectors"/pa*/; do
  name=$(basename "$case")
  pal=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["libpal"])' "$case/case.json")
  for v in 1.3 1.6 1.9 1.9:0.4; do
    ver=${v%%:*}
    tw=1
    [ "$v" = 1.9:0.4 ] && tw=0.4
    [ "$ver" = 1.3 ] && twargs=() || twargs=(--tomli-w "$tw")
    (cd "$case" && "$cli" bundle -q -m base.manifest -l "$pal" --gramine "$ver" "${twargs[@]}" \
      --libos-sha256 "$libos_sha" --allow-prefix file:/data/ \
      -o "$work/bundles/$name-v$ver-$tw.bundle") >/dev/null 2>&1 || true
  done
  for f in "$case"/entries.*; do
    "$cli" entries convert "$f" --to list -o "$work/lists/$name.list" 2>/dev/null && break
  done
done
# A bundle that accepts no entries, and one of an empty base list.
(cd "$vectors/pa06-append-empty-base" &&
  "$cli" bundle -q -m base.manifest -l ../elf/pal-basic.so -o "$work/bundles/no-policy.bundle") \
  >/dev/null 2>&1 || true
printf 'sgx-measure entries v1\n' >"$work/lists/empty.list"

if want bundle_parse; then
  for b in "$work"/bundles/*.bundle; do put bundle_parse "$(basename "$b")" "$b"; done
fi
if want entries_list; then
  for l in "$work"/lists/*.list; do put entries_list "$(basename "$l")" "$l"; done
fi
if want entries_formats; then
  for f in "$vectors"/pa*/entries.*; do
    put entries_formats "$(basename "$(dirname "$f")")-$(basename "$f")" "$f"
  done
  for l in "$work"/lists/*.list; do put entries_formats "$(basename "$l")" "$l"; done
fi
if want c_abi; then
  # Mode 0: [0][bundle length u32][bundle][entries]. Mode 1: [1][shape][0 mutations][entries] (a
  # bundle built in the target). Mode 2: [2][evidence]. Mode 3: [3][hasher operations].
  mkdir -p "$corpus/c_abi"
  for b in "$work"/bundles/*.bundle; do
    case=$(basename "$b")
    case=${case%%-v*}
    list=$work/lists/$case.list
    [ -f "$list" ] || list=$work/lists/empty.list
    out=$corpus/c_abi/raw-$(basename "$b")
    { printf '\x00'; le32 "$(stat -c %s "$b")"; cat "$b" "$list"; } >"$out"
    [ "$(stat -c %s "$out")" -le "$max" ] || rm -f "$out"
  done
  for l in "$work"/lists/*.list; do
    for shape in 0 1 2 3; do
      out=$corpus/c_abi/built-$shape-$(basename "$l")
      { printf "\\x01\\x0$shape\\x00"; cat "$l"; } >"$out"
      [ "$(stat -c %s "$out")" -le "$max" ] || rm -f "$out"
    done
  done
  for e in testdata/evidence/*.bin testdata/evidence/synthetic/*.bin; do
    { printf '\x02'; cat "$e"; } >"$corpus/c_abi/evidence-$(basename "$e")"
  done
  printf '\x03\x00\x01\x02\x03\x04\x05\x06' >"$corpus/c_abi/hasher-ops"
fi

# --- Manifests -----------------------------------------------------------------------------------
if want expand_manifest || want toml_roundtrip; then
  for m in "$vectors"/*/*.manifest testdata/example/app.manifest.sgx; do
    n="$(basename "$(dirname "$m")")-$(basename "$m")"
    want expand_manifest && put expand_manifest "$n" "$m"
    want toml_roundtrip && put toml_roundtrip "$n" "$m"
  done
  if want toml_roundtrip; then
    for f in "$vectors"/pa*/entries.toml; do
      put toml_roundtrip "$(basename "$(dirname "$f")")-entries.toml" "$f"
    done
  fi
fi

# --- ELF, SIGSTRUCT, evidence (the older targets) -----------------------------------------------
if want elf_parse; then
  for e in "$vectors"/elf/*.so testdata/example/libpal.so; do
    put elf_parse "$(basename "$(dirname "$e")")-$(basename "$e")" "$e"
  done
fi
if want sigstruct_parse; then
  # One SIGSTRUCT per case and version is plenty (they differ only in a few fields).
  for s in "$vectors"/*/expected/v1.[0-9]_*/out.sig; do
    d=$(dirname "$s")
    put sigstruct_parse "$(basename "$(dirname "$(dirname "$d")")")-$(basename "$d").sig" "$s"
  done
fi
for t in report_parse quote_parse; do
  if want $t; then
    for e in testdata/evidence/*.bin testdata/evidence/synthetic/*.bin; do
      put $t "$(basename "$e")" "$e"
    done
  fi
done

# token_parse: the published sample tokens, and an expected-identity document.
if want token_parse; then
  for t in testdata/tokens/*.jwt; do put token_parse "$(basename "$t")" "$t"; done
  "$cli" policy --expect-mrenclave "$(printf '11%.0s' $(seq 32))" --mrsigner "$(printf '22%.0s' $(seq 32))" \
    --isvprodid 1 --min-isvsvn 2 --configid "$(printf '33%.0s' $(seq 64))" --format json -o "$work/expected.json"
  put token_parse expected.json "$work/expected.json"
fi

# dcap_verify: [quote length u32 LE][quote][collateral JSON]; the real sample with its collateral,
# and the other quotes with the same collateral.
if want dcap_verify; then
  mkdir -p "$corpus/dcap_verify"
  for e in testdata/evidence/*.bin testdata/evidence/synthetic/quote-*.bin; do
    { le32 "$(stat -c %s "$e")"; cat "$e" testdata/evidence/dcap-qvl-sgx-v3.collateral.json; } \
      >"$corpus/dcap_verify/$(basename "$e")"
  done
fi

# --- Intel SGX SDK enclaves and configurations -------------------------------------------------
if want sdk_elf; then
  for e in testdata/sdk-vectors/enclaves/*/*.so; do
    # The first byte selects the configuration and options.
    f=$work/$(basename "$(dirname "$e")")-$(basename "$e")
    { printf '\x08'; cat "$e"; } > "$f"
    put sdk_elf "$(basename "$f")" "$f"
  done
fi
if want sdk_xml; then
  for c in testdata/sdk-vectors/configs/*.xml; do
    put sdk_xml "$(basename "$c")" "$c"
  done
fi

for d in "$corpus"/*/; do
  printf '%-18s %5d seeds\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
