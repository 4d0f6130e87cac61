#!/usr/bin/env python3
"""What a session's own view of the file system costs at its start, against
Landlock alone and against bubblewrap doing the same kind of work.

  python3 scripts/bench-isolate.py [--runs N]

Times, alternating, N runs each (medians) of `/bin/true` started as:
  - plain: `/bin/true` itself (the process start floor);
  - landlock: `airlock sandbox-exec` with a session's spec (write paths,
    hidden credentials and data folder), no namespace;
  - isolated: the same spec with `isolate` as the engine sends it (user and
    mount namespace, the socket folders and the data folder masked, four
    agent state folders as overlays, one state file copied, a socket scan
    of /tmp, /var/tmp, /dev/shm and /run);
  - bwrap: `bwrap --unshare-user --ro-bind / / --dev /dev --tmpfs /run
    --tmpfs /tmp /bin/true`, the tool a user would otherwise use for a
    private view (Codex's Linux sandbox uses it).
The figure to read is the added cost of isolating (isolated − landlock)
against bwrap's cost over plain, measured in the same run. Uses
target/release/airlock unless AIRLOCK_BIN is set; touches only a temp folder.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("AIRLOCK_BIN") or os.path.join(ROOT, "target/release/airlock")


def lab():
    base = os.path.realpath(tempfile.mkdtemp(prefix="airlock-bench-isolate-"))
    for d in ["stage", "tmp", "home/.ssh", "airlock/state/s"]:
        os.makedirs(os.path.join(base, d), exist_ok=True)
    with open(os.path.join(base, "home/.claude.json"), "w") as f:
        f.write("{}")
    shutil.copy(os.path.join(base, "home/.claude.json"), os.path.join(base, "airlock/state/s/.claude.json"))
    write = [os.path.join(base, p) for p in ["stage", "tmp"]]
    layers = []
    for name in [".claude", ".codex", ".gemini", ".cache"]:
        at = os.path.join(base, "home", name)
        os.makedirs(at, exist_ok=True)
        up = os.path.join(base, "airlock/state/s", name, "upper")
        wk = os.path.join(base, "airlock/state/s", name, "work")
        os.makedirs(up)
        os.makedirs(wk)
        layers.append({"at": at, "upper": up, "work": wk})
        write.append(at)
    write.append(os.path.join(base, "home/.claude.json"))
    spec = {
        "write": write,
        "hidden": [os.path.join(base, "home/.ssh"), os.path.join(base, "airlock")],
        "read": [],
        "network": {"mode": "on"},
    }
    isolated = dict(spec)
    isolated["isolate"] = {
        "mask": ["/run/user", "/run/dbus", "/run/screen", "/tmp/.X11-unix", os.path.join(base, "airlock")],
        "sockets": [],
        "scan": [os.path.join(base, "home")],
        "layers": layers,
        "copies": [{"at": os.path.join(base, "home/.claude.json"),
                    "copy": os.path.join(base, "airlock/state/s/.claude.json")}],
        "readOnly": [],
    }
    return base, spec, isolated


def timed(argv, cwd):
    start = time.perf_counter()
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{argv[:3]}… failed: {r.stderr.decode(errors='replace')}")
    return took * 1000


def main():
    runs = 40
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: cargo build --release -p airlock-cli")
    base, spec, isolated = lab()
    cwd = os.path.join(base, "stage")
    kinds = {
        "plain": ["/bin/true"],
        "landlock": [BIN, "sandbox-exec", "--spec", json.dumps(spec), "--", "/bin/true"],
        "isolated": [BIN, "sandbox-exec", "--spec", json.dumps(isolated), "--", "/bin/true"],
    }
    if shutil.which("bwrap"):
        kinds["bwrap"] = ["bwrap", "--unshare-user", "--ro-bind", "/", "/", "--dev", "/dev",
                          "--tmpfs", "/run", "--tmpfs", "/tmp", "/bin/true"]
    times = {k: [] for k in kinds}
    for _ in range(3):  # warm the caches
        for argv in kinds.values():
            timed(argv, cwd)
    for _ in range(runs):
        for k, argv in kinds.items():
            times[k].append(timed(argv, cwd))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"a session's start, {runs} runs of each, alternating (medians)")
    print("| started as | /bin/true took |")
    print("|---|---|")
    for k in kinds:
        print(f"| {k} | {med[k]:.2f} ms |")
    added = med["isolated"] - med["landlock"]
    print(f"\nisolating adds {added:.2f} ms to a session's start", end="")
    if "bwrap" in med:
        bw = med["bwrap"] - med["plain"]
        print(f"; bwrap's private view costs {bw:.2f} ms over plain: {added / bw:.2f}x bwrap")
    else:
        print(" (bwrap is not installed: no comparison)")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
