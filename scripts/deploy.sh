#!/usr/bin/env bash
# `npm run deploy`: build, migrate D1 remotely, deploy each function and the inbox, then the primary Worker.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
wrangler d1 migrations apply DB --remote -c functions/webhook-receiver/wrangler.toml
# The send and media queues must exist before a consumer binds to them; creating an existing one fails
# harmlessly.
for q in ponte-send ponte-send-dlq ponte-media ponte-media-dlq; do wrangler queues create "$q" 2>/dev/null || true; done
# PONTE_MASTER_KEY_PREVIOUS is declared required (so that wrangler passes it through) but only
# means something during a rotation: a deployment that never set it gets "none", not a refusal.
for f in "${FUNCTIONS[@]}"; do
  if ! wrangler secret list -c "functions/$f/wrangler.toml" 2>/dev/null | grep -q '"PONTE_MASTER_KEY_PREVIOUS"'; then
    echo none | wrangler secret put PONTE_MASTER_KEY_PREVIOUS -c "functions/$f/wrangler.toml"
  fi
done
for f in "${FUNCTIONS[@]}"; do wrangler deploy -c "functions/$f/wrangler.toml"; done
wrangler deploy -c inbox/wrangler.toml
wrangler deploy -c wrangler.toml
