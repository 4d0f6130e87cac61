#!/usr/bin/env bash
# Installs the Debian packages Airlock needs to build and test: WebKitGTK 4.1 and
# the rest of Tauri 2's system libraries, Xvfb and WebKitWebDriver for the desktop
# test, x11-utils and xdotool to find and click the installed package's window,
# Chromium for the browser test, git for stages, and MinGW's C compiler
# for the Windows build check (tree-sitter's grammars are C). Idempotent: a package that
# is already installed costs one dpkg query.
set -euo pipefail

pkgs=(
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libssl-dev pkg-config build-essential libxdo-dev
  xvfb xauth webkit2gtk-driver imagemagick chromium fonts-dejavu-core
  x11-utils xdotool
  libdbus-1-dev git vim-tiny less
  gcc-mingw-w64-x86-64
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "airlock: installing system packages: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
