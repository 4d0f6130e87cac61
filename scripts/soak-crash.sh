#!/usr/bin/env bash
# The crash test at soak strength: 200 SIGKILLs of an engine in mid-landing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p airlock-cli
AIRLOCK_CRASH_RUNS="${AIRLOCK_CRASH_RUNS:-200}" cargo test -q -p airlock-tests --test all crash -- --nocapture
