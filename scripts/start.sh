#!/usr/bin/env bash
# `npm start`: the whole system on this machine, on wrangler's local D1/KV/R2/Queues/Durable
# Objects (no account, no network), with a demo tenant, a Meta channel and an Evolution API channel
# seeded, on http://127.0.0.1:8787, and local Graph API (:8790) and Evolution (:8791) emulators
# playing WhatsApp.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
PORT="${PORT:-8787}"
GRAPH_PORT="${GRAPH_PORT:-8790}"
EVOLUTION_PORT="${EVOLUTION_PORT:-8791}"
STATE="$ROOT/.wrangler/state"

bash scripts/setup.sh
bash scripts/build.sh

# Secrets: the environment wins, then .dev.vars, else generate them into .dev.vars (git-ignored).
touch .dev.vars
get_var() { sed -n "s/^$1=//p" .dev.vars | tail -1; }
set_var() { grep -v "^$1=" .dev.vars > .dev.vars.tmp || true; echo "$1=$2" >> .dev.vars.tmp; mv .dev.vars.tmp .dev.vars; }
for name in PONTE_OPERATOR_KEY PONTE_MASTER_KEY; do
  value="${!name:-$(get_var "$name")}"
  [[ -n "$value" ]] || value="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')"
  set_var "$name" "$value"
  export "$name=$value"
done
# The key a rotation replaces (README, "Rotating the master key"); "none" outside one.
PONTE_MASTER_KEY_PREVIOUS="${PONTE_MASTER_KEY_PREVIOUS:-$(get_var PONTE_MASTER_KEY_PREVIOUS)}"
export PONTE_MASTER_KEY_PREVIOUS="${PONTE_MASTER_KEY_PREVIOUS:-none}"

# Applying asks a whole local runtime; a state that already has every migration skips that.
if ! node --no-warnings tools/d1-migrations-current.mjs "$STATE"; then
  wrangler d1 migrations apply DB --local --persist-to "$STATE" -c functions/webhook-receiver/wrangler.toml >/dev/null
fi

# The demo's providers are emulators on 127.0.0.1: a deployment never sets this.
export PONTE_ALLOW_LOCAL_PROVIDERS=1

configs=(-c wrangler.toml)
for f in "${FUNCTIONS[@]}"; do configs+=(-c "functions/$f/wrangler.toml"); done
configs+=(-c inbox/wrangler.toml)
wrangler dev "${configs[@]}" --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" \
  --show-interactive-dev-session=false &
WRANGLER_PID=$!
# The demo seeder stays up: it runs the local Graph API emulator the demo channel sends to.
node scripts/demo.mjs "http://127.0.0.1:$PORT" "$ROOT/.wrangler/demo.json" "$GRAPH_PORT" "$EVOLUTION_PORT" &
DEMO_PID=$!
trap 'kill $WRANGLER_PID $DEMO_PID 2>/dev/null || true' EXIT INT TERM
wait -n $WRANGLER_PID $DEMO_PID
