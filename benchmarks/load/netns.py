"""Two app hosts on one machine: network namespaces, veth pairs and HAProxy (root needed).

Each host is a network namespace joined to the root namespace by a veth pair on a /30 of
its own (root side ``.1``/``.5``, host side ``.2``/``.6`` of a free ``10.219.X.0/24``).
PostgreSQL and Redis listen on 127.0.0.1 of the root namespace only, which a namespace
cannot reach, so HAProxy (one process in the root namespace) does three jobs:

- the load balancer: HTTP on a free loopback port, round robin over the two hosts, health
  checks on ``/healthz``, a dead host's connection failures re-dispatched to the other;
- one HTTP frontend per host, routed to that host only, to send a request to a chosen host;
- a TCP relay on each root-side veth address to PostgreSQL and to Redis, so the hosts
  reach the shared services without the machine's PostgreSQL or Redis configuration
  changing (they see connections from 127.0.0.1, as any local client).

Every name carries the owning process id (``exam2h<pid>``), so leftovers of a run that
was killed outright are found and removed by the next run (:func:`remove_stale`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

NEEDS = (
    "needs root (network namespaces), iproute2's `ip` and HAProxy "
    "(Debian: apt-get install -y haproxy iproute2)"
)
PREFIX = "exam2h"
APP_PORT = 8000  # inside each namespace: every host has a network stack of its own


def missing_requirements() -> str | None:
    """What this machine lacks to run two hosts (None when nothing is missing)."""
    if os.geteuid() != 0:
        return "not running as root: " + NEEDS
    for tool in ("ip", "haproxy"):
        if shutil.which(tool) is None:
            return f"`{tool}` not found: " + NEEDS
    return None


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``ip ARGS``; raise with its error output when ``check`` and it fails."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def alive(pid: int) -> bool:
    """True when process ``pid`` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale() -> list[str]:
    """Delete namespaces and veths of earlier runs whose owning process is gone; their names."""
    removed = []
    owner = re.compile(rf"^{PREFIX}(\d+)")
    for line in ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = owner.match(name)
        if match and not alive(int(match.group(1))):
            # Its gunicorn processes outlived the run; nothing else runs in our namespace.
            for pid in ip("netns", "pids", name, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            ip("netns", "delete", name, check=False)
            removed.append(name)
    for line in ip("-o", "link", "show", check=False).stdout.splitlines():
        parts = line.split(":", 2)
        name = parts[1].strip().split("@")[0] if len(parts) > 1 else ""
        match = owner.match(name)
        if match and not alive(int(match.group(1))):
            ip("link", "delete", name, check=False)
            removed.append(name)
    return removed


def free_subnet() -> int:
    """A third octet X with no address of 10.219.X.0/24 on this machine's root namespace."""
    used = set(re.findall(r"inet 10\.219\.(\d+)\.", ip("-o", "-4", "addr").stdout))
    start = os.getpid() % 200
    for offset in range(250):
        candidate = (start + offset) % 250 + 1
        if str(candidate) not in used:
            return candidate
    raise RuntimeError("no free 10.219.X.0/24 for the hosts' links")


@dataclass
class Link:
    """One host's namespace and its veth pair."""

    namespace: str
    outside: str  # veth end in the root namespace
    inside: str  # veth end in the host's namespace
    outside_ip: str  # where the host reaches PostgreSQL and Redis (HAProxy's relays)
    inside_ip: str  # where the host's gunicorn listens

    @property
    def exec_prefix(self) -> list[str]:
        """Command prefix that runs a program inside the namespace."""
        return ["ip", "netns", "exec", self.namespace]


@dataclass
class Network:
    """Namespaces ``a`` and ``b`` with their links; :meth:`remove` undoes everything."""

    tag: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}")
    links: dict[str, Link] = field(default_factory=dict)

    def create(self, names: tuple[str, ...] = ("a", "b")) -> None:
        """Create one namespace and veth pair per name (loopback up, addresses, links up)."""
        octet = free_subnet()
        for number, name in enumerate(names):
            base = 4 * number
            link = Link(
                namespace=f"{self.tag}-{name}",
                outside=f"{self.tag}{name}0",
                inside=f"{self.tag}{name}1",
                outside_ip=f"10.219.{octet}.{base + 1}",
                inside_ip=f"10.219.{octet}.{base + 2}",
            )
            # Recorded before it exists, so that remove() undoes a half-made link too.
            self.links[name] = link
            ip("netns", "add", link.namespace)
            ip("-n", link.namespace, "link", "set", "lo", "up")
            ip("link", "add", link.outside, "type", "veth", "peer", "name", link.inside)
            ip("link", "set", link.inside, "netns", link.namespace)
            ip("addr", "add", f"{link.outside_ip}/30", "dev", link.outside)
            ip("link", "set", link.outside, "up")
            ip("-n", link.namespace, "addr", "add", f"{link.inside_ip}/30", "dev", link.inside)
            ip("-n", link.namespace, "link", "set", link.inside, "up")

    def remove(self) -> None:
        """Delete every link and namespace made (deleting one veth end deletes both)."""
        for link in self.links.values():
            ip("link", "delete", link.outside, check=False)
            ip("netns", "delete", link.namespace, check=False)
        self.links.clear()

    def leftovers(self) -> list[str]:
        """Namespaces and links of this network still on the machine (empty after remove)."""
        found = [
            line.split()[0]
            for line in ip("netns", "list", check=False).stdout.splitlines()
            if line.startswith(self.tag + "-")
        ]
        links = ip("-o", "link", "show", check=False).stdout
        found += re.findall(rf"\d+: ({re.escape(self.tag)}\w+)[@:]", links)
        return found


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """In a child before exec: be SIGKILLed when the process that started it dies.

    A run killed outright then leaves no HAProxy behind (the kernel sends the signal).
    """
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


@dataclass
class Relay:
    """A TCP service of the root namespace relayed to the hosts: name, target, port."""

    name: str
    target: str  # host:port in the root namespace
    port: int  # listened on at every link's root-side address


HAPROXY_CONFIG = """\
global
    maxconn 8000
    stats socket {socket} mode 600 level admin
    log stdout format raw local0 notice

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s
    # A connection the dead host refused is tried again, on the other host (redispatch);
    # a request it accepted and never answered is not replayed here: clients retry it.
    retries 3
    option redispatch 1

frontend balanced
    bind 127.0.0.1:{balanced}
    option forwardfor
    http-response set-header X-Served-By %s
    default_backend hosts

backend hosts
    balance roundrobin
    option httpchk GET /healthz
    # A dead host refuses connections, which fails its check at once whatever the timeout;
    # a busy host answers /healthz behind the requests queued before it. Without a check
    # timeout of its own, "inter" (0.5 s) would be the limit, and the one host left would be
    # marked down under the load it took over: 503 for everyone (seen in the first run).
    timeout check 10s
    default-server check inter 500 fall 2 rise 2
{servers}
{pinned}
{relays}"""


@dataclass
class HAProxy:
    """HAProxy in the root namespace, in the foreground (``-db``), configured for two hosts."""

    work: Path
    links: dict[str, Link]
    relays: list[Relay]
    balanced: int = field(default_factory=free_port)
    pinned: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        """The admin socket (``show stat``)."""
        return self.work / "haproxy.sock"

    def config(self) -> str:
        """The configuration text."""
        servers = "\n".join(
            f"    server {name} {link.inside_ip}:{APP_PORT}" for name, link in self.links.items()
        )
        pinned = []
        for name, link in self.links.items():
            self.pinned.setdefault(name, free_port())
            pinned.append(
                f"frontend only_{name}\n    bind 127.0.0.1:{self.pinned[name]}\n"
                f"    option forwardfor\n    http-response set-header X-Served-By %s\n"
                f"    default_backend only_{name}\n\n"
                f"backend only_{name}\n    option httpchk GET /healthz\n    timeout check 10s\n"
                f"    server {name} {link.inside_ip}:{APP_PORT} check inter 500 fall 2 rise 2\n"
            )
        relays = []
        for relay in self.relays:
            binds = "".join(
                f"    bind {link.outside_ip}:{relay.port}\n" for link in self.links.values()
            )
            # Pooled database connections sit idle for long stretches: long timeouts.
            relays.append(
                f"listen relay_{relay.name}\n    mode tcp\n    option tcplog\n{binds}"
                f"    timeout client 1h\n    timeout server 1h\n"
                f"    server {relay.name} {relay.target}\n"
            )
        return HAPROXY_CONFIG.format(
            socket=self.socket_path,
            balanced=self.balanced,
            servers=servers,
            pinned="\n".join(pinned),
            relays="\n".join(relays),
        )

    def start(self, timeout: float = 20) -> None:
        """Check the configuration, start HAProxy and wait for its admin socket."""
        path = self.work / "haproxy.cfg"
        path.write_text(self.config())
        check = subprocess.run(
            ["haproxy", "-c", "-q", "-f", str(path)], capture_output=True, text=True, timeout=30
        )
        if check.returncode != 0:
            raise RuntimeError(f"haproxy rejected {path}: {check.stderr.strip()}")
        with (self.work / "haproxy.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["haproxy", "-db", "-f", str(path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited ({self.process.returncode}); see {self.work}")
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"haproxy's admin socket did not answer in {timeout} s")

    def command(self, line: str) -> str:
        """Send one command to the admin socket; its answer."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self) -> dict[tuple[str, str], dict[str, str]]:
        """``show stat`` as {(proxy, server): fields}."""
        text = self.command("show stat").lstrip("# ")
        return {(row["pxname"], row["svname"]): row for row in csv.DictReader(io.StringIO(text))}

    def served(self) -> dict[str, int]:
        """Requests each host has been sent through the balanced frontend so far."""
        stats = self.stats()
        return {name: int(stats[("hosts", name)]["stot"] or 0) for name in self.links}

    def status(self, name: str) -> str:
        """The balancer's view of host ``name`` (``UP``, ``DOWN``, ``UP 1/2``...)."""
        return self.stats()[("hosts", name)]["status"]

    def wait_status(self, name: str, wanted: str, timeout: float) -> bool:
        """Wait (bounded) until the balancer reports host ``name`` as ``wanted``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status(name) == wanted:
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Stop HAProxy (SIGTERM, then SIGKILL) and reap it."""
        if self.process is None or self.process.returncode is not None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
