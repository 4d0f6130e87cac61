#!/usr/bin/env python3
"""What the sandbox and the exec gate cost a session, against the same
session unsandboxed, in the same run.

  python3 scripts/bench-sandbox.py [--runs N] [--quick]

Starts `airlock serve` on a fresh git project (its own $AIRLOCK_HOME under a
temp folder), then, alternating three kinds of session — gated (sandbox and
exec gate, the default for an agent), sandboxed with `--no-exec-gate`, and
`--no-sandbox` — times:
  - session start: `airlock run -- sh -c 'exec sleep 60'` returning its id
    (stage made, sandbox planned, gate registered, PTY spawned);
  - 2,000 execs of /bin/true inside the session, timed by the session's own
    shell (start-up excluded): the added cost per exec is the difference to
    the unsandboxed session of the same round, divided by 2,000 (the median
    over the rounds);
  - the floor under the gate: the same loop outside Airlock, run by
    `gate_floor` (an example of the airlock-sandbox crate) plain and with
    the exec gate's seccomp filter and a listener that answers "continue"
    at once, judging nothing. Its difference is what a seccomp user
    notification costs on this machine; the gate's added cost is shown as a
    ratio to it;
  - the engine's reply latency during an exec burst: status round trips over
    the engine's socket while a gated session runs /bin/true as fast as it
    can (thousands of execs a second), against the same round trips idle.
Prints a markdown table of medians. Uses target/release/airlock unless
AIRLOCK_BIN is set. Talks to nothing but 127.0.0.1 and stops by itself.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("AIRLOCK_BIN") or os.path.join(ROOT, "target/release/airlock")
FLOOR = os.path.join(ROOT, "target/release/examples/gate_floor")
EXECS = 2000
KINDS = (("gated", []), ("sandboxed", ["--no-exec-gate"]), ("unsandboxed", ["--no-sandbox"]))


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Engine:
    """`airlock serve` on a fresh project, and its socket."""

    def __init__(self):
        tmp = tempfile.mkdtemp(prefix="airlock-bench-sandbox-")
        self.project, self.home = os.path.join(tmp, "project"), os.path.join(tmp, "home")
        os.makedirs(self.project)
        subprocess.run(
            "git init -q && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m i",
            shell=True, cwd=self.project, check=True,
        )
        self.env = dict(os.environ, AIRLOCK_HOME=self.home, SHELL="/bin/sh")
        self.serve = subprocess.Popen([BIN, "serve", "--project", self.project], env=self.env,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.serve.stdout.readline()
        info_path = next(
            os.path.join(self.home, "projects", d, "engine.json")
            for d in os.listdir(os.path.join(self.home, "projects"))
        )
        with open(info_path) as f:
            info = json.load(f)
        self.token = info["token"]
        self.socket = os.path.join(os.path.dirname(info_path), "engine.sock")

    def airlock(self, *args):
        t = time.perf_counter()
        out = subprocess.run([BIN, "--project", self.project, *args], env=self.env,
                             capture_output=True, text=True, timeout=120)
        took = time.perf_counter() - t
        if out.returncode != 0:
            sys.exit(f"airlock {' '.join(args)}: {out.stderr.strip()}")
        return took, out

    def stage(self, session):
        _, out = self.airlock("status", "--json")
        for s in json.loads(out.stdout)["sessions"]:
            if s["id"] == session:
                return s["cwd"]
        sys.exit(f"no session {session}")

    def round_trips(self, stop, out):
        """Status requests over the socket until `stop` is set; seconds each."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.socket)
            f = s.makefile("rwb")
            line = (json.dumps({"token": self.token, "request": {"op": "status"}}) + "\n").encode()
            while not stop.is_set():
                t = time.perf_counter()
                f.write(line)
                f.flush()
                f.readline()
                out.append(time.perf_counter() - t)
                time.sleep(0.002)

    def close(self):
        self.serve.terminate()
        self.serve.wait(timeout=10)


def main():
    runs = 3 if "--quick" in sys.argv else 11
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: cargo build --release -p airlock-cli (or set AIRLOCK_BIN)")
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "airlock-sandbox", "--example", "gate_floor"],
                   cwd=ROOT, check=True)
    engine = Engine()
    try:
        starts = {k: [] for k, _ in KINDS}
        loops = {k: [] for k, _ in KINDS}
        floor = {"plain": [], "notify": []}
        loop = (
            f"s=$(date +%s%N); i=0; while [ $i -lt {EXECS} ]; do /bin/true; i=$((i+1)); done; "
            "e=$(date +%s%N); echo $((e-s)) > took.txt"
        )
        for _ in range(runs):
            for kind, extra in (("plain", []), ("notify", ["--notify"])):
                with tempfile.TemporaryDirectory() as d:
                    subprocess.run([FLOOR, *extra, "--", "sh", "-c", loop], cwd=d, check=True, timeout=120)
                    with open(os.path.join(d, "took.txt")) as f:
                        floor[kind].append(int(f.read()) / 1e9)
            for kind, extra in KINDS:
                took, out = engine.airlock("run", *extra, "--", "sh", "-c", "exec sleep 60")
                starts[kind].append(took)
                engine.airlock("session", "remove", out.stdout.split()[0], "--force")
                _, out = engine.airlock("run", *extra, "--attach", "--", "sh", "-c", loop)
                session = out.stdout.split()[0]
                with open(os.path.join(engine.stage(session), "took.txt")) as f:
                    loops[kind].append(int(f.read()) / 1e9)
                engine.airlock("session", "remove", session, "--force")

        # Status round trips, idle and during a burst of execs.
        idle, burst = [], []
        stop = threading.Event()
        t = threading.Thread(target=engine.round_trips, args=(stop, idle))
        t.start()
        time.sleep(2)
        stop.set()
        t.join()
        burst_script = (
            "s=$(date +%s%N); i=0; while [ $i -lt 8000 ]; do /bin/true; i=$((i+1)); done; "
            "e=$(date +%s%N); echo $((e-s)) > took.txt"
        )
        stop = threading.Event()
        t = threading.Thread(target=engine.round_trips, args=(stop, burst))
        t.start()
        _, out = engine.airlock("run", "--attach", "--", "sh", "-c", burst_script)
        stop.set()
        t.join()
        with open(os.path.join(engine.stage(out.stdout.split()[0]), "took.txt")) as f:
            burst_rate = 8000 / (int(f.read()) / 1e9)

        med = lambda v: statistics.median(v) * 1e3
        print(f"sandbox and exec gate cost, {runs} runs of each kind, alternating (medians)")
        print("| what | gated | sandboxed, --no-exec-gate | --no-sandbox | gated / unsandboxed |")
        print("|---|---|---|---|---|")
        g, s, u = (med(starts[k]) for k, _ in KINDS)
        print(f"| `airlock run` until the session is started | {g:.1f} ms | {s:.1f} ms | {u:.1f} ms | {g / u:.2f}x |")
        g, s, u = (med(loops[k]) for k, _ in KINDS)
        print(f"| {EXECS} execs of /bin/true inside the session | {g:.0f} ms | {s:.0f} ms | {u:.0f} ms | {g / u:.2f}x |")
        # Each round runs the three kinds back to back, so the machine's
        # drift (other load, a virtual CPU's steal) hits a round's three
        # alike: the added cost is the median of each round's difference.
        per = lambda kind: statistics.median(
            (a - b) / EXECS * 1e6 for a, b in zip(loops[kind], loops["unsandboxed"])
        )
        print(f"| added cost per exec vs --no-sandbox (median of each round's difference) "
              f"| {per('gated'):.0f} µs | {per('sandboxed'):.0f} µs | | |")
        notified = statistics.median((a - b) / EXECS * 1e6 for a, b in zip(floor["notify"], floor["plain"]))
        print()
        print(f"floor: the same loop outside Airlock, plain {med(floor['plain']):.0f} ms, with a seccomp "
              f"notification answered at once {med(floor['notify']):.0f} ms: {notified:.0f} µs per exec; "
              f"the gate's added cost is {per('gated') / notified:.2f}x that floor")
        print()
        print(f"engine status round trip over its socket, {len(idle)} idle and {len(burst)} during a "
              f"gated burst of {burst_rate:.0f} execs/s")
        print("| | p50 | p99 | max |")
        print("|---|---|---|---|")
        for name, v in (("idle", idle), ("during the burst", burst)):
            print(f"| {name} | {percentile(v, 50) * 1e3:.2f} ms | {percentile(v, 99) * 1e3:.2f} ms | {max(v) * 1e3:.2f} ms |")
    finally:
        engine.close()


if __name__ == "__main__":
    main()
