#!/usr/bin/env python3
"""What the sandbox costs a session, against the same session unsandboxed,
in the same run.

  python3 scripts/bench-sandbox.py [--runs N] [--quick]

Starts `airlock serve` on a fresh git project (its own $AIRLOCK_HOME under a
temp folder), then times, alternating sandboxed and `--no-sandbox`:
  - session start: `airlock run -- sh -c 'exec sleep 60'` returning its id
    (stage made, sandbox planned, PTY spawned);
  - a command's run inside: `airlock run --attach -- sh -c 'for i in $(seq 200);
    do /bin/true; done'` until it exits (200 execs under Landlock or not).
Prints a markdown table of medians. Uses target/release/airlock unless
AIRLOCK_BIN is set. Talks to nothing but 127.0.0.1 and stops by itself.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("AIRLOCK_BIN") or os.path.join(ROOT, "target/release/airlock")


def main():
    runs = 3 if "--quick" in sys.argv else 15
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: cargo build --release -p airlock-cli (or set AIRLOCK_BIN)")
    tmp = tempfile.mkdtemp(prefix="airlock-bench-sandbox-")
    project, home = os.path.join(tmp, "project"), os.path.join(tmp, "home")
    os.makedirs(project)
    subprocess.run(
        "git init -q && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m i",
        shell=True, cwd=project, check=True,
    )
    env = dict(os.environ, AIRLOCK_HOME=home, SHELL="/bin/sh")
    serve = subprocess.Popen([BIN, "serve", "--project", project], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        serve.stdout.readline()

        def airlock(*args):
            t = time.perf_counter()
            out = subprocess.run([BIN, "--project", project, *args], env=env,
                                 capture_output=True, text=True, timeout=60)
            took = time.perf_counter() - t
            if out.returncode != 0:
                sys.exit(f"airlock {' '.join(args)}: {out.stderr.strip()}")
            return took, out

        starts = {"sandboxed": [], "unsandboxed": []}
        execs = {"sandboxed": [], "unsandboxed": []}
        loop = "for i in $(seq 200); do /bin/true; done"
        for _ in range(runs):
            for kind, extra in (("sandboxed", []), ("unsandboxed", ["--no-sandbox"])):
                took, _ = airlock("run", *extra, "--", "sh", "-c", "exec sleep 60")
                starts[kind].append(took)
                took, _ = airlock("run", *extra, "--attach", "--", "sh", "-c", loop)
                execs[kind].append(took)
        t = time.perf_counter()
        for _ in range(runs):
            subprocess.run(["sh", "-c", loop], check=True)
        bare = (time.perf_counter() - t) / runs

        med = lambda v: statistics.median(v) * 1e3
        print(f"sandbox cost, {runs} runs each, alternating (medians)")
        print("| what | sandboxed | --no-sandbox | ratio |")
        print("|---|---|---|---|")
        s, u = med(starts["sandboxed"]), med(starts["unsandboxed"])
        print(f"| `airlock run` until the session is started | {s:.1f} ms | {u:.1f} ms | {s / u:.2f}x |")
        s, u = med(execs["sandboxed"]), med(execs["unsandboxed"])
        print(f"| a session running 200 execs of /bin/true, start to exit | {s:.1f} ms | {u:.1f} ms | {s / u:.2f}x |")
        print(f"| the same loop outside Airlock | {bare * 1e3:.1f} ms | | |")
    finally:
        serve.terminate()
        serve.wait(timeout=10)


if __name__ == "__main__":
    main()
