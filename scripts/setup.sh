#!/usr/bin/env bash
# Installs everything Ponte needs, from package registries only. Idempotent and quick when done.
# With arguments, only the named steps run (rust, browser, npm, python): tests/tools/front-door.test.mjs
# runs `setup.sh npm` in a fresh clone without reinstalling the toolchains.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

WORKER_BUILD_VERSION=0.8.7

setup_rust() {
  # The CLI must equal the wasm-bindgen that Cargo.lock resolved.
  local wasm_bindgen_version
  wasm_bindgen_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "setup: adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [[ "$(worker-build --version 2>/dev/null || true)" != *"$WORKER_BUILD_VERSION"* ]]; then
    echo "setup: installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
    cargo install --locked worker-build --version "$WORKER_BUILD_VERSION"
  fi
  if [[ "$("$WASM_BINDGEN_BIN" --version 2>/dev/null || true)" != *"$wasm_bindgen_version"* ]]; then
    echo "setup: installing wasm-bindgen-cli $wasm_bindgen_version (a few minutes, once)"
    # Not --locked: its lockfile pins a webpki-roots the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
  fi
}

setup_browser() {
  # The browser tests drive Debian's Chromium (never a downloaded browser), with an emoji font so
  # that the inbox's emoji render in its screenshots.
  if ! command -v chromium >/dev/null 2>&1 || [[ ! -d /usr/share/fonts/truetype/noto ]]; then
    echo "setup: installing Debian's chromium and emoji font for the browser tests"
    apt_install chromium fonts-noto-color-emoji
  fi
}

apt_install() {
  local sudo_=""
  [[ "$(id -u)" -eq 0 ]] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

setup_npm() {
  local stamp=node_modules/.ponte-lock-stamp
  if [[ ! -f "$stamp" ]] || ! cat package.json package-lock.json | cmp -s - "$stamp"; then
    echo "setup: installing npm packages"
    # `npm ci`, never `npm install`: it installs exactly the committed lock (which records every
    # platform's optional workerd and esbuild binaries) and never rewrites it, so a fresh clone
    # stays clean; a lock out of step with package.json fails here instead of changing silently.
    npm ci --prefer-offline --no-audit --no-fund
    cat package.json package-lock.json > "$stamp"
  fi
}

setup_python() {
  # Schemathesis (`npm run test:api`), from PyPI into a venv inside the repo (git-ignored), at
  # the versions tests/api/requirements.txt pins.
  local requirements=tests/api/requirements.txt stamp=.venv/.ponte-requirements-stamp
  if [[ ! -x .venv/bin/st ]] || ! cmp -s "$requirements" "$stamp"; then
    echo "setup: installing schemathesis into .venv (a minute or two, once)"
    if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
      # Debian ships venv's pip bootstrap separately.
      apt_install python3-venv
    fi
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check --require-virtualenv -r "$requirements"
    cp "$requirements" "$stamp"
  fi
}

steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(rust browser npm python)
for step in "${steps[@]}"; do
  case "$step" in
    rust | browser | npm | python) "setup_$step" ;;
    *) echo "setup: no step named '$step' (rust, browser, npm, python)" >&2; exit 2 ;;
  esac
done
