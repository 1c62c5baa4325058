#!/usr/bin/env bash
# Differential test of measure-lib's toml 0.10.2 dialect (Gramine v1.0-v1.3) against the Python
# `toml` library 0.10.2 (pinned, pip-installed into a venv kept outside the repository, in
# ${TOML0102_DIFF_VENV:-~/.cache/sgx-measure/toml0102-venv}).
#
# It generates random Gramine-like documents (gen.py), runs them through toml.loads / toml.dumps
# (oracle.py) and runs the Rust test `toml0102_diff` on the result (plus the committed corpus).
#
# usage: run.sh [--docs N] [--seeds "1 2 3"] [--regen-corpus]
#   --docs N          documents per seed (default 5000)
#   --seeds LIST      generator seeds (default "1 2 3")
#   --regen-corpus    also rewrite testdata/toml/toml0102-corpus.jsonl (seed 20260102, 1500 docs)
# Fails (status 1) when python3 or its venv and ensurepip modules are missing: no step is skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
docs=5000
seeds="1 2 3"
regen=0
while [ $# -gt 0 ]; do
    case "$1" in
        --docs) docs=$2; shift 2 ;;
        --seeds) seeds=$2; shift 2 ;;
        --regen-corpus) regen=1; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    echo "toml0102_diff: python3 with the venv and ensurepip modules is required" >&2
    exit 1
fi

cache=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}
venv=${TOML0102_DIFF_VENV:-${cache:-$(mktemp -d)}/sgx-measure/toml0102-venv}
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import toml, sys; sys.exit(toml.__version__ != "0.10.2")' 2>/dev/null; }; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "toml==0.10.2"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

corpora=""
for seed in $seeds; do
    python3 "$here/gen.py" --seed "$seed" --count "$docs" --out "$work/in-$seed.jsonl"
    "$venv/bin/python" "$here/oracle.py" <"$work/in-$seed.jsonl" >"$work/corpus-$seed.jsonl"
    corpora="$corpora:$work/corpus-$seed.jsonl"
done

if [ "$regen" = 1 ]; then
    python3 "$here/gen.py" --seed 20260102 --count 1500 --out "$work/in-committed.jsonl"
    "$venv/bin/python" "$here/oracle.py" <"$work/in-committed.jsonl" >"$root/testdata/toml/toml0102-corpus.jsonl"
    echo "rewrote testdata/toml/toml0102-corpus.jsonl"
fi

cd "$root"
TOML0102_DIFF_CORPUS=$corpora cargo test --workspace --test cli -- --include-ignored --nocapture toml0102_diff::
