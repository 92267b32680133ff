#!/usr/bin/env bash
# Installs everything Ponte needs, from package registries only. Idempotent and quick when done.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

WORKER_BUILD_VERSION=0.8.7
# The CLI must equal the wasm-bindgen that Cargo.lock resolved.
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if [[ "$(worker-build --version 2>/dev/null || true)" != *"$WORKER_BUILD_VERSION"* ]]; then
  echo "setup: installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install --locked worker-build --version "$WORKER_BUILD_VERSION"
fi
if [[ "$("$WASM_BINDGEN_BIN" --version 2>/dev/null || true)" != *"$WASM_BINDGEN_VERSION"* ]]; then
  echo "setup: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: its lockfile pins a webpki-roots the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
# The browser tests drive Debian's Chromium (never a downloaded browser), with an emoji font so
# that the inbox's emoji render in its screenshots.
if ! command -v chromium >/dev/null 2>&1 || [[ ! -d /usr/share/fonts/truetype/noto ]]; then
  echo "setup: installing Debian's chromium and emoji font for the browser tests"
  sudo_=""
  [[ "$(id -u)" -eq 0 ]] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji >/dev/null
fi
stamp=node_modules/.ponte-lock-stamp
if [[ ! -f "$stamp" ]] || ! cat package.json package-lock.json | cmp -s - "$stamp"; then
  echo "setup: installing npm packages"
  # `npm install`, not `npm ci`: the lock records only this platform's workerd binary, which
  # `npm ci` reports as out of sync; `npm install` installs exactly the locked versions.
  npm install --no-audit --no-fund
  cat package.json package-lock.json > "$stamp"
fi
