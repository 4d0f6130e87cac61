#!/usr/bin/env bash
# Installs everything, then runs every check and test Airlock has:
# formatting, clippy, the size limits, the TypeScript type check, generated-bindings drift,
# Rust unit and integration tests, browser tests (Chromium), the desktop
# test (the Tauri window under Xvfb through tauri-driver), and the real
# Claude Code CLI held by Airlock against a mock model API, and the .deb
# package built, installed and its window opened.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# Files over 600 lines and TypeScript functions over 80 (clippy checks Rust's).
node scripts/check-size.mjs

step "macOS: the sandbox crate (its Seatbelt entry) compiles for Apple targets"
rustup target add x86_64-apple-darwin >/dev/null
cargo check -p airlock-sandbox --all-targets --target x86_64-apple-darwin --quiet

step "Windows: the protocol, policy, structure and sandbox crates compile for x86_64-pc-windows-gnu"
# The engine and the CLI do not yet (Unix sockets, PTY process groups,
# rustix): README "Platforms" says so.
rustup target add x86_64-pc-windows-gnu >/dev/null
cargo check -p airlock-protocol -p airlock-policy -p airlock-structure -p airlock-sandbox \
  --target x86_64-pc-windows-gnu --quiet

step "build (engine, CLI, desktop shell)"
cargo build --workspace --quiet

step "rust tests (includes the TypeScript bindings drift check)"
cargo test --workspace --quiet

step "browser tests (headless Chromium against airlock serve)"
node --test --test-concurrency=1 tests/browser/

step "desktop test (Tauri window under Xvfb via tauri-driver)"
node --test --test-concurrency=1 tests/desktop/

step "terminal tests (8 sessions x 20 MB, full-screen programs)"
node --test --test-concurrency=1 tests/terminal/

step "agent tests (the real Claude Code against a mock model API on 127.0.0.1)"
node --test --test-concurrency=1 tests/agents/

step "benchmarks, quick mode (fail when one errors or hangs, not on its figures)"
bash scripts/bench-quick.sh

step "package: the .deb built, installed with dpkg, and its window opened under Xvfb"
# A debug build of the same package: it reuses the build above (a release
# build would add about ten minutes); scripts/package.sh alone builds release.
deb="$(AIRLOCK_SKIP_SETUP=1 bash scripts/package.sh --debug)"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
# Removed again afterwards unless it was installed before (a developer's machine).
had_airlock="$(dpkg-query -W -f='${Status}' airlock 2>/dev/null | grep -c "install ok installed" || true)"
$sudo dpkg -i "$deb" >/dev/null
version="$(node -p 'require("./src-tauri/tauri.conf.json").version')"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
bash tests/install/installed.sh "airlock $version ($commit)" target/install-shots
[ "$had_airlock" = 1 ] || $sudo dpkg -r airlock >/dev/null

echo
echo "airlock: every check passed"
