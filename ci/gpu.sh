#!/usr/bin/env bash
# On a machine with a CUDA GPU: install xpnet with CuPy into a fresh virtual environment, run
# the gpu-marked tests, then (when BENCH_ARGS is set) `xpnet bench $BENCH_ARGS`.
# Results go to $OUT (default gpu-results/): gpu-tests.xml (JUnit), gpu-tests.log, bench.log.
# Usage: BENCH_ARGS="--backends numpy,cupy" ci/gpu.sh [pytest args...]
# PIP_EXTRA: more packages to install, e.g. "torch" for the torch-on-CUDA tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$(mktemp -d)/venv}
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[test,gpu]" ${PIP_EXTRA:-}
# A GPU runner without a visible device is a broken runner: fail here, not by skipping tests.
"$VENV/bin/python" -c "import cupy; n = cupy.cuda.runtime.getDeviceCount(); \
print('CUDA devices:', n); assert n > 0, 'CuPy sees no CUDA device'"
set +e
"$VENV/bin/python" -m pytest -m gpu -rs --junitxml="$OUT/gpu-tests.xml" "$@" \
    2>&1 | tee "$OUT/gpu-tests.log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 5 ]; then
    echo "ci: no gpu-marked tests were collected; failing" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    exit "$status"
fi
if [ -n "${BENCH_ARGS:-}" ]; then
    # shellcheck disable=SC2086  # BENCH_ARGS is a list of arguments
    "$VENV/bin/xpnet" bench $BENCH_ARGS 2>&1 | tee "$OUT/bench.log"
fi
