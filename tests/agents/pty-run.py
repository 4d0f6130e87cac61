#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal, for tests that drive a terminal UI.

Usage: pty-run.py [--cols N] [--rows N] -- CMD [ARGS...]

The command's terminal output is copied to this program's stdout; what arrives
on this program's stdin is typed into the terminal. Exits with the command's
exit status (128 + signal when it was killed). On SIGTERM, SIGINT or SIGHUP it
sends SIGHUP to the command's process group, then SIGKILL after 2 s.
"""

import errno
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main():
    args = sys.argv[1:]
    cols, rows = 120, 40
    while args and args[0] != "--":
        if args[0] == "--cols" and len(args) > 1:
            cols = int(args[1])
            args = args[2:]
        elif args[0] == "--rows" and len(args) > 1:
            rows = int(args[1])
            args = args[2:]
        else:
            sys.stderr.write("pty-run: usage: pty-run.py [--cols N] [--rows N] -- CMD [ARGS...]\n")
            return 2
    cmd = args[1:]
    if not cmd:
        sys.stderr.write("pty-run: no command given after --\n")
        return 2

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            sys.stderr.write("pty-run: cannot run %s: %s\n" % (cmd[0], e))
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def stop(signum, _frame):
        try:
            os.killpg(pid, signal.SIGHUP)
        except OSError:
            pass
        deadline = time.time() + 2
        while time.time() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                os._exit(128 + signum)
            time.sleep(0.05)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        os._exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, stop)

    out = sys.stdout.buffer
    inputs = [fd, sys.stdin.fileno()]
    while True:
        try:
            ready, _, _ = select.select(inputs, [], [], 0.5)
        except InterruptedError:
            continue
        if fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError as e:
                if e.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                break
            out.write(data)
            out.flush()
        if sys.stdin.fileno() in ready:
            data = os.read(sys.stdin.fileno(), 65536)
            if data:
                os.write(fd, data)
            else:
                inputs.remove(sys.stdin.fileno())
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
