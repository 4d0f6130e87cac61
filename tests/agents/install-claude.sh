#!/usr/bin/env bash
# Puts Claude Code's native binary in place after `npm ci`, for the agent tests.
#
# @anthropic-ai/claude-code ships bin/claude.exe as a small stub; its postinstall
# (install.cjs) links the real binary from the platform package
# (@anthropic-ai/claude-code-linux-x64) over it. npm 11 does not run that
# postinstall, so this does, once. Safe to run again: it does nothing when the
# binary is already in place.
set -euo pipefail
cd "$(dirname "$0")/../.."

pkg=node_modules/@anthropic-ai/claude-code
bin=$pkg/bin/claude.exe
if [ ! -f "$pkg/install.cjs" ] || [ ! -e "$bin" ]; then
  echo "airlock: $pkg is missing: run \`npm ci\` first, then this again" >&2
  exit 1
fi

# The stub is a few hundred bytes; the real binary is hundreds of MB.
size() { stat -L -c %s "$1" 2>/dev/null || echo 0; }
if [ "$(size "$bin")" -gt 1000000 ]; then
  exit 0
fi

node "$pkg/install.cjs"

if [ "$(size "$bin")" -le 1000000 ]; then
  echo "airlock: install.cjs did not put Claude Code's native binary in place (is the optional package for $(uname -m) installed? npm ci must not omit optional dependencies)" >&2
  exit 1
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
if ! version=$(HOME="$home" DISABLE_AUTOUPDATER=1 "$bin" --version 2>&1); then
  echo "airlock: Claude Code's binary does not run: $version" >&2
  exit 1
fi
echo "airlock: Claude Code $version is in place"
