#!/usr/bin/env bash
# The two places where OpenFL-style deployments scrape text, done with the sgx_measure module, end
# to end on generated data:
#
#   1. build: the algorithm owner signs the enclave of a data owner's training job and gets its
#      identity as JSON (build_mrenclave.py), instead of `gramine-sgx-sign ... | tail -n 1`;
#   2. attest: the aggregator checks a participant's passport (a quote of any version and its
#      certificate) against the base bundle plus the data owner's published entries
#      (participant_check.py), instead of `base64.b64decode(quote)[112:144].hex()`.
#
# The participants' quotes (v3, v4, v5) and their collateral are signed by the repository's test
# PKI (test-pki, `cargo run -p sgx-test-pki --example participant_evidence`), whose root CA is
# given as the trust root in place of Intel's: the whole chain is verified. Every expected outcome
# is checked, the identity against the sgx-measure command too; any surprise exits non-zero.
#
# Needs: python3 with sgx_measure installed (PYTHON=...), the sgx-measure command
# (target/release/sgx-measure or SGX_MEASURE=...), cargo (for the test PKI).
#
# Usage: examples/openfl/run.sh [--keep DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
py=${PYTHON:-python3}
exe=${SGX_MEASURE:-$repo/target/release/sgx-measure}
[ -x "$exe" ] || { echo "sgx-measure not found at $exe (cargo build --release)" >&2; exit 2; }
"$py" -c 'import sgx_measure' 2>/dev/null || { echo "$py has no sgx_measure (pip install ./python)" >&2; exit 2; }

if [ "${1:-}" = --keep ]; then
  work=${2:?--keep needs a directory}; mkdir -p "$work"; work=$(cd "$work" && pwd)
else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
say() { printf '%s\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }
die() { printf 'UNEXPECTED: %s\n' "$*" >&2; exit 1; }
json() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

cd "$work"
mkdir -p app data/owner1
say "== algorithm owner: the training application and its base manifest (fx.manifest)"
printf 'import openfl_like\nopenfl_like.train("/data")\n' > app/train.py
printf 'def train(d):\n    return d\n' > app/openfl_like.py
cp "$repo/testdata/example/libpal.so" libpal.so
cp "$repo/testdata/vectors/test-signing-key.pem" enclave-key.pem
cat > fx.manifest <<'TOML'
libos.entrypoint = "/usr/bin/python3.11"
loader.entrypoint.uri = "file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so"
loader.entrypoint.sha256 = "4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62"
loader.argv = ["python3", "/app/train.py"]
fs.mounts = [
  { path = "/app", uri = "file:app" },
  { path = "/data", uri = "file:/data" },
]
sgx.debug = false
sgx.enclave_size = "16G"
sgx.max_threads = 64
sgx.remote_attestation = "dcap"
sgx.isvprodid = 7
sgx.isvsvn = 3

[[sgx.trusted_files]]
uri = "file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so"
sha256 = "4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62"

[[sgx.trusted_files]]
uri = "file:app/"
TOML
run "$py" - <<'PY'
import sgx_measure
b = sgx_measure.Bundle.build("fx.manifest", libpal="libpal.so", allow_prefixes=["file:/data/"])
b.save("base.bundle")
print("base bundle", b.sha256, "base MRENCLAVE", b.base_mrenclave)
PY

say; say "== data owner: hash the dataset, publish the entries"
"$py" - <<'PY'
import random
rng = random.Random(1)
for i in range(5):
    with open(f"data/owner1/part-{i}.csv", "w") as f:
        f.write("x,y\n" + "".join(f"{rng.random():.5f},{rng.randint(0, 1)}\n" for _ in range(100)))
PY
run "$py" -c 'import sgx_measure as s; s.write_entries(s.hash_files("data/owner1", uri_prefix="file:/data/owner1/"), "owner1.toml", format="toml")'
"$exe" hash-files -q data/owner1 --uri-prefix file:/data/owner1/ -o owner1.cli.toml
cmp owner1.toml owner1.cli.toml || die "hash_files differs from sgx-measure hash-files"

say; say "== build step (replaces: gramine-sgx-sign ... | tail -n 1 | tr -d ' ')"
cat fx.manifest owner1.toml > fx-owner1.manifest
run "$py" "$here/build_mrenclave.py" --manifest fx-owner1.manifest --libpal libpal.so \
  --key enclave-key.pem --output fx-owner1.manifest.sgx --date 2026-01-01 > identity.json
cat identity.json
mrenclave=$(json identity.json mr_enclave)
mrsigner=$(json identity.json mr_signer)
[ "$mrenclave" = "$("$exe" mrenclave -q -m fx-owner1.manifest.sgx -l libpal.so)" ] || die "MRENCLAVE differs from the command's"
[ "$mrenclave" = "$("$exe" append -q --bundle base.bundle --entries owner1.toml)" ] || die "MRENCLAVE differs from base bundle + entries"
view=$("$exe" sigstruct view --json fx-owner1.sig)
[ "$mrsigner" = "$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["mr_signer"])' "$view")" ] || die "MRSIGNER differs"
say "identity.json agrees with sgx-measure (mrenclave, append, sigstruct view)"

say; say "== attestation: the participant's passport, checked by the aggregator"
printf -- '-----BEGIN CERTIFICATE-----\nMIIBparticipant-owner1\n-----END CERTIFICATE-----\n' > owner1-cert.pem
printf -- '-----BEGIN CERTIFICATE-----\nMIIBsomeone-else\n-----END CERTIFICATE-----\n' > other-cert.pem
cert_sha=$("$py" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' owner1-cert.pem)
# The participant's enclave quotes its identity with REPORTDATA = SHA-256 of its certificate.
evidence() { # VERSION MRENCLAVE
  (cd "$repo" && cargo run -q -p sgx-test-pki --example participant_evidence -- \
    "$1" "$2" "$mrsigner" 7 3 "$cert_sha" "$work")
}
passport() { # QUOTE CERT OUT
  "$py" -c 'import base64,json,sys; json.dump({"quote": base64.b64encode(open(sys.argv[1],"rb").read()).decode(), "runtime_data": base64.b64encode(open(sys.argv[2],"rb").read()).decode()}, open(sys.argv[3],"w"))' "$1" "$2" "$3"
}
check() { "$py" "$here/participant_check.py" --passport "$1" --bundle base.bundle --entries "$2" --collateral collateral.json --trust-root root.pem --now "$now" --mrsigner "$mrsigner" --isvprodid 7 --min-isvsvn 3; }
for v in 3 4 5; do
  now=$(evidence "$v" "$mrenclave")
  passport "quote-v$v.bin" owner1-cert.pem "passport-v$v.json"
  old=$("$py" -c 'import base64,json,sys; print(base64.b64decode(json.load(open(sys.argv[1]))["quote"])[112:144].hex())' "passport-v$v.json")
  say "-- quote v$v: the byte slice [112:144] reads $old"
  [ "$v" = 5 ] && [ "$old" = "$mrenclave" ] && die "[112:144] of a v5 quote is not expected to be MRENCLAVE"
  printf '$ participant_check.py --passport passport-v%s.json ...\n' "$v"
  check "passport-v$v.json" owner1.toml > "verdict-v$v.json" || die "quote v$v refused: $(cat "verdict-v$v.json")"
  "$py" -c 'import json,sys; v=json.load(open(sys.argv[1])); print("  ok:", v["ok"], "| TCB", v["tcb"]["status"], "|", ", ".join(c["name"] + " " + c["status"] for c in v["checks"]))' "verdict-v$v.json"
done

say; say "-- a passport whose certificate is not the one in REPORTDATA"
passport quote-v4.bin other-cert.pem passport-other.json
if check passport-other.json owner1.toml > verdict-other.json; then die "another certificate accepted"; fi
"$py" -c 'import json,sys; v=json.load(open(sys.argv[1])); assert v["failed"] == ["REPORTDATA"], v["failed"]' verdict-other.json
say "refused: REPORTDATA is not SHA-256 of the certificate"

say; say "-- entries that do not describe this enclave (one hash changed)"
sed '0,/sha256 = "\(.\)/s//sha256 = "f/' owner1.toml > tampered.toml
cmp -s owner1.toml tampered.toml && die "tampering did not change the entries"
if check passport-v4.json tampered.toml > verdict-tampered.json; then die "tampered entries accepted"; fi
"$py" -c 'import json,sys; v=json.load(open(sys.argv[1])); assert v["failed"] == ["MRENCLAVE"], v["failed"]' verdict-tampered.json
say "refused: MRENCLAVE differs from base bundle + these entries"

say; say "-- a quote of another enclave, its MRENCLAVE rewritten to the expected one (what [112:144] would accept)"
evidence 4 "$(printf 'e%.0s' $(seq 64))" > /dev/null
"$py" -c 'import sys; q=bytearray(open(sys.argv[1],"rb").read()); q[112:144]=bytes.fromhex(sys.argv[2]); open(sys.argv[3],"wb").write(q)' quote-v4.bin "$mrenclave" forged-v4.bin
passport forged-v4.bin owner1-cert.pem passport-forged.json
if check passport-forged.json owner1.toml > verdict-forged.json; then die "forged quote accepted"; fi
"$py" -c 'import json,sys; v=json.load(open(sys.argv[1])); assert "quote signature" in v["failed"] and "MRENCLAVE" not in v["failed"], v["failed"]' verdict-forged.json
say "refused: the quote signature does not cover the rewritten report body"

say; say "-- entries that plant code outside /data (a .so in the application's directory)"
printf '[[sgx.trusted_files]]\nuri = "file:app/evil.so"\nsha256 = "%s"\n' "$(printf '0%.0s' $(seq 64))" > planted.toml
if check passport-v4.json planted.toml > verdict-planted.json; then die "planted entry accepted"; fi
"$py" -c 'import json,sys; v=json.load(open(sys.argv[1])); assert "append policy" in v["failed"], v["failed"]' verdict-planted.json
say "refused: the append policy admits entries under file:/data/ only"
say; say "openfl example: every outcome as expected"
