#!/usr/bin/env bash
# `npm run profile [-- <function>]`: a CPU profile of one function under inbound load (bench/profile.mjs).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
node bench/profile.mjs "$@"
