#!/usr/bin/env bash
# `npm test`: native tests of the workspace, then end-to-end tests against the real Workers
# (workerd through wrangler), each test file on its own fresh state and free port, then
# Schemathesis against the served API contract (about a minute).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)
bash scripts/setup.sh
echo "== native: cargo test"
cargo test --workspace --quiet
echo "== build"
bash scripts/build.sh
echo "== end to end, and the tools' own tests: node --test"
node --test --test-concurrency=3 'tests/e2e/*.test.mjs' 'tests/bench/*.test.mjs' 'tests/tools/*.test.mjs'
echo "== the API contract, fuzzed: schemathesis against the local stack (npm run test:api)"
node scripts/test-api.mjs
echo "== npm test passed in $(( $(date +%s) - started ))s"
