"""Kill a gunicorn worker in the middle of a request: ``python -m benchmarks.load.killer``.

A sync worker between two requests dies without cutting anything off, so the fault tests aim:
this polls the workers' open sockets and SIGKILLs the first worker that holds a socket it did
not hold when polling began (an accepted client connection, or a database connection opened for
a request). It runs as its own process so that polling /proc does not slow the load's clients.
With ``--group`` it kills the master's whole process group instead (a host going down at once:
``benchmarks/two_hosts.py``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from benchmarks.load.stack import children


def sockets(pid: int) -> set[str]:
    """The socket inodes that process ``pid`` holds open (empty if it has gone)."""
    found = set()
    try:
        entries = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for entry in entries:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{entry}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target)
    return found


def kill_busy_worker(master: int, within: float, group: bool = False) -> int | None:
    """SIGKILL a worker of ``master`` that opens a new socket within ``within`` s; its pid.

    With ``group``, the master's process group (master and every worker) is killed at that
    moment instead, and the busy worker's pid is still what is returned.
    """
    known = sockets(master)
    for worker in children(master):
        known |= sockets(worker)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for worker in children(master):
            if sockets(worker) - known:
                if group:
                    os.killpg(master, signal.SIGKILL)
                else:
                    os.kill(worker, signal.SIGKILL)
                return worker
        time.sleep(0.0005)
    return None


def main() -> int:
    """Print the killed worker's pid, or nothing (exit 1) when no worker became busy in time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", type=int, required=True, help="the gunicorn master's pid")
    parser.add_argument("--within", type=float, default=2.0, help="seconds to wait for a request")
    parser.add_argument(
        "--group", action="store_true", help="kill the master's whole process group at that moment"
    )
    args = parser.parse_args()
    killed = kill_busy_worker(args.master, args.within, args.group)
    if killed is None:
        return 1
    print(killed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
