#!/usr/bin/env bash
# Installs everything Airlock needs to build, run and test on Debian 12:
# system packages (apt), npm packages (package-lock.json), tauri-driver (cargo),
# then builds the UI. Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system.sh

if ! command -v cargo >/dev/null 2>&1; then
  echo "airlock: cargo is missing: install Rust from rustup.rs, then run this again" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "airlock: npm is missing: install Node.js 20 or newer, then run this again" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.airlock-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# Claude Code's native binary (npm 11 skips the package's postinstall).
bash tests/agents/install-claude.sh

npm run build --silent

if [ "${AIRLOCK_SKIP_TAURI_DRIVER:-}" != 1 ] && ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked --version '^2' --quiet
fi
