#!/usr/bin/env bash
# Installs what is missing, builds Airlock and opens its window on a project:
# the folder given, or the folder you ran this from.
#   scripts/run.sh [PROJECT_DIR]
set -euo pipefail
dir="${1:-$PWD}"
# Checked before anything is installed: a typo should cost a second, not an apt run.
if [ ! -e "$dir" ]; then
  echo "airlock: $dir does not exist: pass an existing folder (or run from your project)" >&2
  exit 1
fi
if [ ! -d "$dir" ]; then
  echo "airlock: $dir is not a folder: pass an existing folder (or run from your project)" >&2
  exit 1
fi
project="$(cd "$dir" && pwd)"
cd "$(dirname "$0")/.."
AIRLOCK_SKIP_TAURI_DRIVER=1 bash scripts/setup.sh
cargo build --release -p airlock-desktop -p airlock-cli
exec target/release/airlock-desktop "$project"
