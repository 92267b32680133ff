#!/usr/bin/env bash
# Builds each function to wasm with worker-build (release profile, wasm-opt).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
mkdir -p target
for f in "${FUNCTIONS[@]}"; do
  start=$(date +%s)
  worker-build --release "functions/$f" >"$ROOT/target/worker-build-$f.log" 2>&1 || {
    cat "$ROOT/target/worker-build-$f.log"; exit 1; }
  wasm="functions/$f/build/index_bg.wasm"
  printf 'build: %-17s %4ss  %7s bytes wasm, %7s gzip\n' "$f" "$(( $(date +%s) - start ))" \
    "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)"
done
