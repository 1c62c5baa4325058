#!/usr/bin/env bash
# Differential test of measure-lib's TOML parser and writer against Python's tomli 2.0.1 with
# tomli_w 1.0.0 and tomli_w 0.4.0 (pinned, pip-installed into two venvs kept outside the
# repository, in ${TOML_DIFF_VENVS:-~/.cache/sgx-measure/toml-diff-venvs}).
#
# It generates random documents (gen.py), runs them through both Python stacks (oracle.py) and
# runs the Rust test `toml_diff` on the result (plus the committed corpus).
#
# usage: run.sh [--docs N] [--seeds "1 2 3"] [--regen-corpus]
#   --docs N          documents per seed (default 2000)
#   --seeds LIST      generator seeds (default "1 2 3")
#   --regen-corpus    also rewrite testdata/toml/corpus.jsonl (seed 20260101, 800 documents)
# Fails (status 1) when python3 or its venv and ensurepip modules are missing: no step is skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
docs=2000
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
    echo "toml_diff: python3 with the venv and ensurepip modules is required" >&2
    exit 1
fi

cache=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}
venvs=${TOML_DIFF_VENVS:-${cache:-$(mktemp -d)}/sgx-measure/toml-diff-venvs}
make_venv() {
    local dir=$1 tomliw=$2
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" - "$tomliw" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(0 if (version("tomli"), version("tomli_w")) == ("2.0.1", sys.argv[1]) else 1)
PY
        return
    fi
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "tomli==2.0.1" "tomli_w==$tomliw"
}
make_venv "$venvs/tomliw-1.0.0" 1.0.0
make_venv "$venvs/tomliw-0.4.0" 0.4.0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

oracle() { # in out
    "$venvs/tomliw-1.0.0/bin/python" "$here/oracle.py" --field w1 <"$1" |
        "$venvs/tomliw-0.4.0/bin/python" "$here/oracle.py" --field w04 >"$2"
}

corpora=""
for seed in $seeds; do
    python3 "$here/gen.py" --seed "$seed" --count "$docs" --out "$work/in-$seed.jsonl"
    oracle "$work/in-$seed.jsonl" "$work/corpus-$seed.jsonl"
    corpora="$corpora:$work/corpus-$seed.jsonl"
done

if [ "$regen" = 1 ]; then
    python3 "$here/gen.py" --seed 20260101 --count 800 --out "$work/in-committed.jsonl"
    oracle "$work/in-committed.jsonl" "$root/testdata/toml/corpus.jsonl"
    echo "rewrote testdata/toml/corpus.jsonl"
fi

cd "$root"
TOML_DIFF_CORPUS=$corpora cargo test --workspace --test cli -- --include-ignored --nocapture toml_diff::
