#!/usr/bin/env bash
# A generated dataset hashed on a Dask LocalCluster (hash_on_dask.py: one task per shard,
# hash_files(..., shard=(k, n)), merge_entries), compared byte for byte with a single
# `sgx-measure hash-files` run (TOML with 4 shards, JSON with 13); the shard files the tasks
# made, joined by `sgx-measure entries merge`, give the same bytes, and so do shards made partly
# by the command (`hash-files --shard K/N`) and partly on Dask.
#
# Needs: python3 with sgx_measure and dask[distributed] (PYTHON=...), the sgx-measure command
# (target/release/sgx-measure or SGX_MEASURE=...).
#
# Usage: examples/distributed-hashing/run.sh [--keep DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
py=${PYTHON:-python3}
exe=${SGX_MEASURE:-$repo/target/release/sgx-measure}
[ -x "$exe" ] || { echo "sgx-measure not found at $exe (cargo build --release)" >&2; exit 2; }
"$py" -c 'import sgx_measure, dask.distributed' 2>/dev/null || { echo "$py needs sgx_measure and dask.distributed" >&2; exit 2; }

if [ "${1:-}" = --keep ]; then
  work=${2:?--keep needs a directory}; mkdir -p "$work"; work=$(cd "$work" && pwd)
else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
cd "$work"

# A dataset shaped like real ones: nested directories, many small files, a few large ones, empty
# files, names that sort differently by byte and by path component.
"$py" - <<'PY'
import os, random
rng = random.Random(42)
for i in range(400):
    d = os.path.join("dataset", f"class-{rng.randrange(8):02d}", *(["extra"] if rng.random() < 0.3 else []))
    os.makedirs(d, exist_ok=True)
    size = rng.choice([0, 100, 3000, 4096, 20_000]) if rng.random() > 0.02 else 2 << 20
    with open(os.path.join(d, f"img-{i:04d}{rng.choice(['.jpg', '.png', ' copy.jpg', '.a.b'])}"), "wb") as f:
        f.write(rng.randbytes(size))
os.makedirs("dataset/class-00.x", exist_ok=True)
open("dataset/class-00.x/z", "wb").write(b"sorts between class-00 and class-00/...")
PY
printf 'dataset: %s files, %s bytes\n' "$(find dataset -type f | wc -l)" "$(du -sb dataset | cut -f1)"

for fmt in toml json; do
  printf '$ sgx-measure hash-files dataset --uri-prefix file:/data/owner1/ --format %s -o single.%s\n' "$fmt" "$fmt"
  "$exe" hash-files -q dataset --uri-prefix file:/data/owner1/ --format "$fmt" -o "single.$fmt"
done
for run in "4 toml" "13 json"; do
  set -- $run
  printf '$ hash_on_dask.py dataset --uri-prefix file:/data/owner1/ --shards %s --format %s -o dask-%s.%s\n' "$1" "$2" "$1" "$2"
  "$py" "$here/hash_on_dask.py" dataset --uri-prefix file:/data/owner1/ --shards "$1" --format "$2" -o "dask-$1.$2" --save-shards "shards-$1"
  cmp "dask-$1.$2" "single.$2" || { echo "UNEXPECTED: $1 shards differ from one run" >&2; exit 1; }
  echo "dask-$1.$2 = single.$2, byte for byte"
done
printf '$ sgx-measure entries merge shards-4/part-* -o merged.toml\n'
"$exe" entries merge shards-4/part-* -o merged.toml
cmp merged.toml single.toml || { echo "UNEXPECTED: entries merge of the Dask shards differs" >&2; exit 1; }
echo "merged.toml = single.toml, byte for byte"
# Shard 2 of 4 made again by the command on "another machine", merged with the Dask shards.
printf '$ sgx-measure hash-files dataset --uri-prefix file:/data/owner1/ --shard 2/4 -o cli-part-2\n'
"$exe" hash-files -q dataset --uri-prefix file:/data/owner1/ --shard 2/4 -o cli-part-2
cmp cli-part-2 shards-4/part-2 || { echo "UNEXPECTED: the command's shard 2/4 differs from the task's" >&2; exit 1; }
"$py" - <<'PY'
import sgx_measure as sm
parts = [sm.Shard.load(f"shards-4/part-{k}") for k in (0, 1, 3)] + [sm.Shard.load("cli-part-2")]
sm.write_entries(sm.merge_entries(*parts), "mixed.toml", format="toml")
PY
cmp mixed.toml single.toml || { echo "UNEXPECTED: mixed shards differ from one run" >&2; exit 1; }
echo "shards of the command and of Dask merged = single.toml, byte for byte"
echo "distributed-hashing example: merged shards equal one run"
