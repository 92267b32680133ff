#!/usr/bin/env bash
# `npm run test:api`: Schemathesis against the local stack (scripts/test-api.mjs). Assumes the
# Workers are built (scripts/build.sh); installs what is missing first.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh npm python
node scripts/test-api.mjs "$@"
