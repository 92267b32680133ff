#!/usr/bin/env bash
# `npm run bench`: release wasm for the functions and the baseline Worker, the native adapter
# benchmark, then the runtime benchmarks (bench/run.mjs). Results land in bench/results/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
worker-build --release bench/baseline >"$ROOT/target/worker-build-baseline.log" 2>&1 || { cat "$ROOT/target/worker-build-baseline.log"; exit 1; }
mkdir -p bench/results
PONTE_BENCH_OUT="$ROOT/bench/results/.native.json" cargo bench -p ponte-core --bench normalize
node bench/run.mjs
