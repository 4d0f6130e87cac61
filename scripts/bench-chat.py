#!/usr/bin/env python3
"""What Airlock costs per ACP message, against the agent talking to a bare
client, in the same run.

  python3 scripts/bench-chat.py [--chunks N] [--runs N] [--quick]

The scripted agent (tests/fixtures/acp_agent.py) streams N agent message
chunks in one turn (`stream N`), as fast as it can write them:

  - bare: the agent on a pipe to a minimal reader in this script, which sends
    initialize, session/new and the prompt and reads until the prompt's
    reply: the agent's own speed, the physical limit of this path;
  - airlock: the same agent as a chat session of `airlock serve` (sandboxed,
    the protocol crate on Airlock's side, every chunk into the transcript and
    out as an event), timed from `airlock prompt` to the turn's end as the CLI
    sees it through its event subscription.

Prints medians, the ratio, and the engine's cost per message: (airlock -
bare) / N. Uses target/release/airlock unless AIRLOCK_BIN is set. Talks to
nothing but 127.0.0.1 and stops by itself.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("AIRLOCK_BIN") or os.path.join(ROOT, "target/release/airlock")
AGENT = os.path.join(ROOT, "tests/fixtures/acp_agent.py")


def arg(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def bare(chunks, cwd):
    """The agent to a reader that does nothing but parse: seconds for the turn."""
    agent = subprocess.Popen([sys.executable, AGENT], cwd=cwd, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, bufsize=1)

    def send(msg):
        agent.stdin.write(json.dumps(msg) + "\n")
        agent.stdin.flush()

    def until(rid):
        for line in agent.stdout:
            msg = json.loads(line)
            if msg.get("id") == rid and "method" not in msg:
                return msg

    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}})
    until(1)
    send({"jsonrpc": "2.0", "id": 2, "method": "session/new", "params": {"cwd": cwd, "mcpServers": []}})
    until(2)
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "id": 3, "method": "session/prompt",
          "params": {"sessionId": "sess-1", "prompt": [{"type": "text", "text": f"stream {chunks}"}]}})
    until(3)
    took = time.perf_counter() - t
    agent.stdin.close()
    agent.wait(timeout=10)
    return took


def main():
    quick = "--quick" in sys.argv
    chunks = arg("--chunks", 2000 if quick else 50_000)
    runs = arg("--runs", 1 if quick else 5)
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: cargo build --release -p airlock-cli (or set AIRLOCK_BIN)")
    tmp = tempfile.mkdtemp(prefix="airlock-bench-chat-")
    project, home = os.path.join(tmp, "project"), os.path.join(tmp, "home")
    os.makedirs(project)
    subprocess.run(
        "git init -q && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m i",
        shell=True, cwd=project, check=True,
    )
    env = dict(os.environ, AIRLOCK_HOME=home)
    serve = subprocess.Popen([BIN, "serve", "--project", project], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        serve.stdout.readline()

        def airlock(*args, timeout=300):
            out = subprocess.run([BIN, "--project", project, *args], env=env,
                                 capture_output=True, text=True, timeout=timeout)
            if out.returncode != 0:
                sys.exit(f"airlock {' '.join(args)}: {out.stderr.strip()}")
            return out.stdout

        session = airlock("run", "--acp", "--", sys.executable, AGENT).strip()
        for _ in range(100):
            status = json.loads(airlock("status", "--json"))
            if any(s["id"] == session and s.get("chat") for s in status["sessions"]):
                break
            time.sleep(0.1)
        else:
            sys.exit("the scripted agent never became ready")

        bares, airlocks = [], []
        for _ in range(runs):
            bares.append(bare(chunks, project))
            t = time.perf_counter()
            reply = airlock("prompt", session, f"stream {chunks}")
            airlocks.append(time.perf_counter() - t)
            if reply.strip() != "x" * chunks:
                sys.exit(f"the reply lost chunks: {len(reply.strip())} of {chunks}")
        b, a = statistics.median(bares), statistics.median(airlocks)
        per = (a - b) / chunks * 1e6
        print(f"| chunks per turn | bare agent | through Airlock | ratio | Airlock per message |")
        print(f"|---|---|---|---|---|")
        print(f"| {chunks:,} | {b * 1000:.0f} ms | {a * 1000:.0f} ms | {a / b:.2f}× | {per:.1f} µs |")
        print(f"(medians of {runs} run(s); CLI start-up included in 'through Airlock')")
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=10)
        except subprocess.TimeoutExpired:
            serve.kill()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
