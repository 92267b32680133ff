# Sourced by the other scripts: one place for paths and the offline-friendly wrangler settings.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# node_modules/.bin first: it holds the Node 22 that wrangler needs (the `node` devDependency).
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_LOG_SANITIZE=true
# worker-build would download these from GitHub; point it at the registry-built copies.
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
# send-message first: it defines the Durable Object the others bind to by script_name.
FUNCTIONS=(send-message webhook-receiver media-fetch)
