#!/usr/bin/env bash
# Every benchmark in BENCHMARKS.md in a quick mode (small sizes, one run, the
# debug build), so a benchmark that errors or hangs fails CI. Figures are
# printed, never checked: this machine's speed is not the code's.
#
#   bash scripts/bench-quick.sh      (after `cargo build --workspace` and `npm run build`)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export AIRLOCK_BIN="$PWD/target/debug/airlock"

run() {
  local limit=$1
  shift
  printf '\n-- %s\n' "$*"
  local start=$SECONDS
  if ! timeout "$limit" "$@"; then
    echo "bench-quick: failed or hung (limit ${limit}s): $*" >&2
    exit 1
  fi
  echo "   ($((SECONDS - start)) s)"
}

# The Rust benchmarks' own harnesses, built with the test profile.
run 300 cargo test -q -p airlock-engine --bench change_latency
run 300 cargo test -q -p airlock-engine --bench review_speed -- --quick
run 300 cargo test -q -p airlock-engine --bench queue_scale -- --quick
run 300 cargo test -q -p airlock-engine --bench actor_latency -- --quick
run 300 cargo test -q -p airlock-engine --bench vcs_speed -- --quick
run 300 cargo test -q -p airlock-structure --bench labels -- --quick

# The scripts.
run 300 python3 scripts/bench-hook.py "$AIRLOCK_BIN" --quick
run 300 python3 scripts/bench-chat.py --quick
run 300 python3 scripts/bench-sandbox.py --quick

# The browser and terminal benchmarks, small.
run 300 node tests/terminal/throughput.bench.mjs --mb 8 --runs 1
run 300 node tests/terminal/rss.bench.mjs --seconds 10 --sessions 2 --quick
run 300 node tests/terminal/xterm-frames.bench.mjs --mb 8 --quick
run 300 node tests/browser/bench-review.mjs --lines 5000 --runs 1 --seconds 1
run 300 node tests/browser/bench-chat.mjs --chunks 200 --turns 200 --runs 1 --seconds 1

echo
echo "bench-quick: every benchmark ran"
