#!/usr/bin/env bash
# Installs what is missing, builds Airlock and opens its window on a project:
# the folder given, or the folder you ran this from.
#   scripts/run.sh [PROJECT_DIR]
set -euo pipefail
project="$(cd "${1:-$PWD}" && pwd)"
cd "$(dirname "$0")/.."
AIRLOCK_SKIP_TAURI_DRIVER=1 bash scripts/setup.sh
cargo build --release -p airlock-desktop -p airlock-cli
exec target/release/airlock-desktop "$project"
