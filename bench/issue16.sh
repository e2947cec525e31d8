#!/usr/bin/env bash
# The measurement of issue 16 in one command: every network and implementation on the machine
# as it is, then xpnet NumPy, xpnet on JAX and JAX jit with 2 busy-loop processes beside them,
# then xpnet NumPy forced to 2 BLAS threads in the same busy conditions (the collapse that the
# default thread choice avoids). Writes three JSON files and records `uptime` before and after
# each run.   Usage: bash bench/issue16.sh [OUTDIR] [EPOCHS]   (default: bench/results, 5)
set -euo pipefail
out=${1:-bench/results}
epochs=${2:-5}
day=$(date -u +%F)
py=${PYTHON:-python}
mkdir -p "$out"
run() {
    local name=$1; shift
    echo "== $name: uptime before: $(uptime)"
    "$py" -m xpnet.benchmarks --epochs "$epochs" --json "$out/$day-$name.json" "$@"
    echo "== $name: uptime after: $(uptime)"
}
run perf-all
run perf-busy2 --busy 2 --backends numpy,jax,jax-jit,torch-eager
run perf-busy2-threads2 --busy 2 --backends numpy --threads 2 --networks mnist-3v7,mnist-10,wide
