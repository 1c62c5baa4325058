#!/usr/bin/env bash
# The Python package's CI step: a fresh virtual environment with pinned tools
# (requirements-ci.txt), the module built from source by maturin exactly as `pip install ./python`
# does (in the workspace's target/, so the Rust dependencies compiled before are reused), its
# pytest suite (which compares with the sgx-measure command), and the two examples.
#
# Needs: python3 (>= 3.8) with venv, a Rust toolchain, target/release/sgx-measure (or
# SGX_MEASURE=...). Prints the time of each part.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export SGX_MEASURE=${SGX_MEASURE:-$repo/target/release/sgx-measure}
[ -x "$SGX_MEASURE" ] || { echo "python/ci.sh: build the command first (cargo build --release --bin sgx-measure)" >&2; exit 2; }

t0=$(date +%s)
lap() { printf '[python %ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

venv=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
# The maturin build backend runs `maturin` from PATH when not isolated.
export PATH="$venv/bin:$PATH"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r python/requirements-ci.txt
lap "virtual environment: $(grep -v '^#' python/requirements-ci.txt | tr '\n' ' ')"

# --no-build-isolation: build with the pinned maturin installed above.
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation ./python
lap "module built and installed (pip install ./python)"

# From the repository root, so that the installed package is imported, not python/sgx_measure/
# (the sources, without the native module).
"$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests
lap "pytest suite"

PYTHON="$venv/bin/python" bash examples/openfl/run.sh
lap "examples/openfl"
PYTHON="$venv/bin/python" bash examples/distributed-hashing/run.sh
lap "examples/distributed-hashing"
