"""Network namespaces for the enforcer tests: every firewall command runs inside them.

`netns` is one empty namespace; `lab` is a server and a client namespace joined by a
veth pair (192.0.2.1 / 2001:db8::1 and 192.0.2.66 / 2001:db8::66), with a TCP listener
in the server namespace. Both are removed, with every process inside, when the test
ends, pass or fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

PREFIX = "mw-enf-"
SERVER_V4, CLIENT_V4 = "192.0.2.1", "192.0.2.66"
SERVER_V6, CLIENT_V6 = "2001:db8::1", "2001:db8::66"

LISTENER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in map(int, sys.argv[1:]):
    s = socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept()
        try:
            conn.sendall(b"220 lab\r\n")
        finally:
            conn.close()
"""

CONNECT = r"""
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    ok = s.recv(16).startswith(b"220")
except OSError:
    ok = False
sys.exit(0 if ok else 1)
"""


def need(*programs: str) -> None:
    """Skip unless we are root and every program is installed."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the test creates network namespaces (ip netns add)")
    for program in ("ip", *programs):
        if shutil.which(program) is None:
            pytest.skip(f"needs {program} (Debian package)")


def sh(*argv: str, check: bool = True, stdin: str | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, input=stdin, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


def in_ns(ns: str, *argv: str, check: bool = True, stdin: str | None = None) -> str:
    return sh("ip", "netns", "exec", ns, *argv, check=check, stdin=stdin)


def make_ns() -> str:
    name = PREFIX + secrets.token_hex(4)
    sh("ip", "netns", "add", name)
    in_ns(name, "ip", "link", "set", "lo", "up")
    return name


def remove_ns(name: str) -> None:
    pids = sh("ip", "netns", "pids", name, check=False).split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), 9)
    sh("ip", "netns", "del", name, check=False)


def nft_table(ns: str, family: str = "inet", table: str = "mailwarden") -> dict[str, Any]:
    """`nft -j list table` read back from inside the namespace, as a dict."""
    out = in_ns(ns, "nft", "-j", "list", "table", family, table)
    result: dict[str, Any] = json.loads(out)
    return result


def set_elements(ns: str, name: str, table: str = "mailwarden") -> dict[str, int]:
    """Element (as nft shows it) -> timeout in seconds, of one set of ours."""
    elements: dict[str, int] = {}
    for item in nft_table(ns, table=table)["nftables"]:
        found = item.get("set")
        if not found or found["name"] != name:
            continue
        for elem in found.get("elem", []):
            inner = elem["elem"] if isinstance(elem, dict) and "elem" in elem else {"val": elem}
            elements[_show(inner["val"])] = int(inner.get("timeout", 0))
    return elements


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if "prefix" in value:
        return f"{value['prefix']['addr']}/{value['prefix']['len']}"
    if "range" in value:
        return f"{value['range'][0]}-{value['range'][1]}"
    raise AssertionError(f"unexpected element {value!r}")


@pytest.fixture
def netns() -> Iterator[str]:
    need("nft")
    name = make_ns()
    try:
        yield name
    finally:
        remove_ns(name)


@dataclass
class Lab:
    server: str
    client: str
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def listen(self, ports: Sequence[int]) -> None:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.server, sys.executable, "-c", LISTENER]
            + [str(p) for p in ports],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"

    def can_connect(self, address: str, port: int, timeout: float = 1.0) -> bool:
        in_client = ["ip", "netns", "exec", self.client]
        done = subprocess.run(
            [*in_client, sys.executable, "-c", CONNECT, address, str(port), str(timeout)],
            check=False,
            timeout=timeout + 10,
        )
        return done.returncode == 0

    def wait_connect(self, address: str, port: int, seconds: float = 5.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.can_connect(address, port, timeout=0.5):
                return True
            time.sleep(0.2)
        return False


@pytest.fixture
def lab() -> Iterator[Lab]:
    need("nft")
    server, client = make_ns(), make_ns()
    built = Lab(server, client)
    try:
        veth_s, veth_c = "mws" + server[-6:], "mwc" + client[-6:]
        sh("ip", "link", "add", veth_s, "netns", server, "type", "veth", "peer", veth_c,
           "netns", client)  # fmt: skip
        for ns, dev, v4, v6 in (
            (server, veth_s, SERVER_V4, SERVER_V6),
            (client, veth_c, CLIENT_V4, CLIENT_V6),
        ):
            in_ns(ns, "ip", "addr", "add", f"{v4}/24", "dev", dev)
            in_ns(ns, "ip", "-6", "addr", "add", f"{v6}/64", "dev", dev, "nodad")
            in_ns(ns, "ip", "link", "set", dev, "up")
        yield built
    finally:
        for proc in built.procs:
            proc.kill()
            proc.wait()
        remove_ns(server)
        remove_ns(client)
