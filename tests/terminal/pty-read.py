#!/usr/bin/env python3
"""The raw PTY read rate: runs CMD in a pseudo-terminal (default termios, as
portable-pty leaves it) and reads everything it prints as fast as it can.

Usage: pty-read.py [--cols N] [--rows N] -- CMD [ARGS...]

Prints one JSON line: {"bytes": N, "seconds": S, "reads": R, "max_read": M,
"sha256": hex, "exit": code}. Seconds run from just before the fork to the
read that returns EIO (the command closed its side).
"""

import errno
import fcntl
import hashlib
import json
import os
import pty
import struct
import sys
import termios
import time


def main():
    args = sys.argv[1:]
    cols, rows = 120, 40
    while args and args[0] != "--":
        if args[0] == "--cols":
            cols = int(args[1])
            args = args[2:]
        elif args[0] == "--rows":
            rows = int(args[1])
            args = args[2:]
        else:
            sys.exit("usage: pty-read.py [--cols N] [--rows N] -- CMD [ARGS...]")
    cmd = args[1:]
    if not cmd:
        sys.exit("pty-read: no command after --")

    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    total = reads = max_read = 0
    digest = hashlib.sha256()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError as e:
            if e.errno == errno.EIO:
                break
            raise
        if not chunk:
            break
        reads += 1
        total += len(chunk)
        if len(chunk) > max_read:
            max_read = len(chunk)
        digest.update(chunk)
    seconds = time.perf_counter() - start
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"bytes": total, "seconds": seconds, "reads": reads, "max_read": max_read,
                      "sha256": digest.hexdigest(), "exit": code}))


if __name__ == "__main__":
    main()
