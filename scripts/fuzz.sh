#!/usr/bin/env bash
# Fuzzes what an agent or a page can send Airlock, with cargo-fuzz (libFuzzer,
# nightly toolchain): the shell classifier, policy files, hook input, socket
# requests, and diff → apply / three-way merge round trips.
#
#   bash scripts/fuzz.sh [TARGET...]       (FUZZ_SECONDS per target, default 600)
#
# Each target starts from fuzz/seeds/TARGET and the corpus kept in
# fuzz/corpus/TARGET, which grows as it runs and is minimised afterwards (commit
# it). A crash or hang stops the script with the input in fuzz/artifacts/TARGET:
# fix it and add that input as a regression test where the code lives.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

SECONDS_EACH="${FUZZ_SECONDS:-600}"
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi

for t in "${targets[@]}"; do
  printf '\n== %s, %s s\n' "$t" "$SECONDS_EACH"
  mkdir -p "fuzz/corpus/$t"
  # -timeout: an input that takes 10 s is a hang; -max_len: 64 KiB covers the
  # socket's line cap and long commands.
  (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$SECONDS_EACH" -timeout=10 -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1)
  (cd fuzz && cargo +nightly fuzz cmin "$t" "corpus/$t" >/dev/null 2>&1) || echo "fuzz: could not minimise corpus/$t (kept as it is)" >&2
done
echo
echo "fuzz: no crash or hang in ${targets[*]}"
