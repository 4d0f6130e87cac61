#!/usr/bin/env bash
# Checks an installed Airlock package (after `dpkg -i`), as a user would meet it:
#   - `airlock` is on PATH and `airlock --version` names the version and commit
#     (the one given, when given);
#   - the desktop entry and the icons are where desktops look for them;
#   - /usr/bin/airlock-desktop opens its window under Xvfb, on a fresh project;
#     the installed `airlock` reaches that window's engine and starts a
#     session there that is sandboxed (the window found `airlock` beside it);
#   - the installed `airlock serve` serves the installed UI;
#   - a screenshot of the window is not blank, and clicking the brand opens
#     About (a second screenshot that differs from the first).
#   tests/install/installed.sh [EXPECTED_VERSION_LINE] [SHOTS_DIR]
set -euo pipefail

expected="${1:-}"
shots="${2:-$(mktemp -d)}"
mkdir -p "$shots"
fail() {
  echo "installed package: $*" >&2
  exit 1
}

# ---------- files ----------
[ "$(command -v airlock)" = /usr/bin/airlock ] || fail "airlock is not /usr/bin/airlock on PATH: $(command -v airlock || echo missing)"
[ -x /usr/bin/airlock-desktop ] || fail "/usr/bin/airlock-desktop is missing"
version="$(airlock --version)"
echo "airlock --version: $version"
[[ "$version" =~ ^airlock\ [0-9]+\.[0-9]+\.[0-9]+\ \(([0-9a-f]{12}|unknown)\)$ ]] || fail "unexpected version line: $version"
if [ -n "$expected" ] && [ "$version" != "$expected" ]; then
  fail "installed '$version', built '$expected'"
fi
entry=/usr/share/applications/Airlock.desktop
[ -f "$entry" ] || fail "no desktop entry at $entry"
grep -qx 'Exec=airlock-desktop' "$entry" || fail "$entry does not start airlock-desktop: $(grep Exec "$entry")"
grep -qx 'Icon=airlock-desktop' "$entry" || fail "$entry names another icon: $(grep Icon "$entry")"
for size in 32x32 64x64 128x128 256x256; do
  [ -f "/usr/share/icons/hicolor/$size/apps/airlock-desktop.png" ] || fail "no $size icon"
done

# ---------- the window ----------
work="$(mktemp -d)"
pids=()
cleanup() {
  # Only what this script started: each is the leader of its own group.
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
export DISPLAY=":$display"
setsid Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)

export AIRLOCK_HOME="$work/home"
project="$work/project"
mkdir -p "$project"
git -C "$project" init -q
git -C "$project" -c user.name=t -c user.email=t@t commit -q --allow-empty -m first
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
setsid /usr/bin/airlock-desktop "$project" >"$work/app.log" 2>&1 &
app=$!
pids+=($app)

window=""
for _ in $(seq 300); do
  kill -0 "$app" 2>/dev/null || { cat "$work/app.log" >&2; fail "airlock-desktop exited"; }
  window="$(xdotool search --onlyvisible --name 'Airlock' 2>/dev/null | head -1 || true)"
  [ -n "$window" ] && break
  sleep 0.1
done
[ -n "$window" ] || { cat "$work/app.log" >&2; fail "no Airlock window within 30 s"; }
echo "window $window: $(xdotool getwindowname "$window")"

# The installed CLI reaches the window's engine, which starts a sandboxed session.
status=""
for _ in $(seq 100); do
  status="$(airlock status --project "$project" --json 2>/dev/null)" && break
  sleep 0.1
done
[ -n "$status" ] || fail "airlock status cannot reach the window's engine"
[ "$(node -p 'JSON.parse(process.argv[1]).version' "$status")" = "${version#airlock }" ] || fail "the window's engine reports another version: $status"
airlock run --project "$project" --require-sandbox --name check -- sh -c 'echo installed > proof.txt' >/dev/null
# (Output captured first: `grep -q` leaves early and would break the pipe.)
changes=""
for _ in $(seq 100); do
  changes="$(airlock changes --project "$project" 2>&1 || true)"
  grep -q proof.txt <<<"$changes" && break
  sleep 0.1
done
grep -q proof.txt <<<"$changes" || fail "the session's write did not reach the review queue: $changes"
status="$(airlock status --project "$project")"
grep -q '^    sandboxed' <<<"$status" || fail "the session is not sandboxed: $status"

# The installed `airlock serve` finds the installed UI (/usr/share/airlock/ui).
served="$work/served"
mkdir -p "$served"
setsid airlock serve --project "$served" --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 100); do
  url="$(head -1 "$work/serve.log")"
  [[ "$url" == http* ]] && break
  sleep 0.1
done
[[ "$url" == http* ]] || { cat "$work/serve.log" >&2; fail "airlock serve printed no URL"; }
node -e 'fetch(process.argv[1]).then(async (r) => {
  const page = await r.text();
  if (!r.ok || !page.includes("<title>Airlock</title>")) throw new Error(`${r.status}: ${page.slice(0, 200)}`);
})' "$url" || fail "airlock serve does not serve the installed UI"

# Screenshots: the window (the UI painted its session), then About.
sleep 2
import -window root "$shots/installed-window.png"
colours="$(convert "$shots/installed-window.png" -format '%k' info:)"
[ "$colours" -gt 64 ] || fail "the window looks blank ($colours colours): $shots/installed-window.png"
# Then away, so the brand's tooltip does not cover the box.
xdotool mousemove --sync 40 20 click 1 mousemove 1000 700
sleep 1
import -window root "$shots/installed-about.png"
changed="$(compare -metric AE "$shots/installed-window.png" "$shots/installed-about.png" null: 2>&1 || true)"
[ "${changed%% *}" -gt 100 ] 2>/dev/null || fail "clicking the brand changed nothing ($changed pixels)"
echo "installed package: ok ($colours colours; About changed $changed pixels; screenshots in $shots)"
