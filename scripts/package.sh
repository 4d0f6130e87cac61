#!/usr/bin/env bash
# Builds Airlock's Debian package with Tauri's CLI (@tauri-apps/cli, from
# package-lock.json) and prints its path, target/deb/airlock_<version>_amd64.deb.
# The package holds the window (/usr/bin/airlock-desktop, its desktop entry
# and icons) and the `airlock` command (/usr/bin/airlock, beside the window,
# where the window looks for it: the sandbox and Claude Code's hook run it).
#   scripts/package.sh            a release build (what you install)
#   scripts/package.sh --debug    the same package from a debug build (CI:
#                                 it reuses the test build instead of ten
#                                 minutes of release compiling)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

profile=release
case "${1:-}" in
  "") ;;
  --debug) profile=debug ;;
  *)
    echo "airlock: unknown option $1: use scripts/package.sh [--debug]" >&2
    exit 2
    ;;
esac

# scripts/test.sh has just run it.
if [ "${AIRLOCK_SKIP_SETUP:-}" != 1 ]; then
  AIRLOCK_SKIP_TAURI_DRIVER=1 bash scripts/setup.sh
fi

# `-- --workspace`: the cargo run Tauri starts builds the `airlock` command
# too, with the features the whole workspace resolves (what `cargo build
# --workspace` and the tests build: a debug package reuses their build, and
# only Tauri's `custom-protocol` feature recompiles a few crates).
args=(build --ci --bundles deb)
if [ "$profile" = debug ]; then
  # tauri.conf.json packs the release `airlock`: point it at the debug one.
  args+=(--debug --config '{"bundle": {"linux": {"deb": {"files": {"/usr/bin/airlock": "../target/debug/airlock"}}}}}')
fi
args+=(-- --workspace)
node_modules/.bin/tauri "${args[@]}" >&2

version="$(node -p 'require("./src-tauri/tauri.conf.json").version')"
built="target/$profile/bundle/deb/Airlock_${version}_amd64.deb"
if [ ! -f "$built" ]; then
  echo "airlock: tauri build finished but $built is missing" >&2
  exit 1
fi
mkdir -p target/deb
out="target/deb/airlock_${version}_amd64.deb"
cp "$built" "$out"
echo "$out"
