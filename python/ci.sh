#!/usr/bin/env bash
# The Python package's CI step: a fresh virtual environment with pinned tools
# (requirements-ci.txt), the module built from source by maturin exactly as `pip install ./python`
# does (in the workspace's target/, so the Rust dependencies compiled before are reused), its
# pytest suite (which compares with the sgx-measure command), and the two examples.
#
# Needs: python3 (>= 3.8) with venv, a Rust toolchain, target/release/sgx-measure (or
# SGX_MEASURE=..., as .ci/run gives its debug build). PYTHON_MODULE_PROFILE=python-release builds
# the module as users get it. Prints the time of each part.
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

# --no-build-isolation: build with the pinned maturin installed above. The dev profile, as the
# tests before built every dependency with it, so only this crate and PyO3 are compiled here
# (the release profile, what `pip install ./python` gives users, would rebuild everything with
# LTO: minutes on 2 cores). The dev profile aborts on panic: a panic in the module would kill the
# interpreter, so any panic fails this step instead of hiding as an exception.
MATURIN_PEP517_ARGS="--profile ${PYTHON_MODULE_PROFILE:-dev}" \
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
