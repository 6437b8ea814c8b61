"""A lab of network namespaces running real Postfix and Dovecot.

The lab builds, for one test or one capture run:

* a **server** namespace with a bridge `br0` holding 192.0.2.1/24 and 2001:db8::1/64, real
  Postfix (smtp on 25, submission on 587 with Dovecot SASL, STARTTLS offered with a
  self-signed certificate, `maillog_file`) and real Dovecot (imap on 143, the SASL socket
  for Postfix, `log_path`, `auth_verbose = yes`), each from a private configuration written
  from scratch under a temporary directory;
* client namespaces (**legit** 192.0.2.10 / 2001:db8::10 and **attacker** 192.0.2.66 /
  2001:db8::66 by default, more with `add_client`), each joined to the bridge by a veth.

Clients are driven from inside their namespace: swaks for SMTP AUTH, `lab_client.py`
(standard library) for IMAP, raw SMTP dialogues and TCP probes. Everything the lab starts
is stopped, and every namespace and file removed, when the `with` block ends, also when
the test inside fails. Namespaces left by a lab whose process was killed are reaped by
the next lab.

    with Lab() as lab:
        result = lab.smtp_auth(lab.legit, "alice@lab.example", lab.password("alice@lab.example"),
                               send_mail=True)
        assert result.auth_ok
        lab.postfix_log.wait_for(r"sasl_username=alice@lab\\.example")

API (see each docstring):
    Lab(users=, postfix=PostfixOptions(...), dovecot=DovecotOptions(...), clients=, keep=)
    lab.server / lab.legit / lab.attacker -> Host(role, netns, ipv4, ipv6); lab.add_client()
    lab.smtp_auth(client, user, password, port=587, mech="PLAIN", tls=, send_mail=, server=)
        -> SmtpResult(returncode, transcript; auth_ok, auth_failed, queue_id, replies())
    lab.smtp_auth_many(client, [(user, password), ...], parallel=8, **smtp_auth options)
    lab.smtp_dialogue(client, [{"send": ...}, {"starttls": True}, {"close": True}], port=)
    lab.imap_login(client, user, password or [passwords], starttls=, logout=) -> ImapResult
    lab.imap_authenticate(client, user, [(mechanism, password), ...]) -> ImapResult
    lab.tcp_connect(client, port=587, addr=None, timeout=2.0) -> bool
    lab.run(host, argv) / lab.spawn(host, argv) / lab.stop(proc)   inside a namespace
    lab.postfix_log / lab.dovecot_log -> LogFile: mark(), lines(since), wait_for(re, since=)
    wait_for_log(path, predicate, timeout, since, count); lab.postfix_reload()
    lab.maildir_messages(user); lab.pids; lab.root; mailwarden_argv()

Timing (Dovecot 2.3 as shipped): Dovecot answers every failed authentication after
`auth_failure_delay` (2 s). For an address that failed before, it first waits an auth
penalty, before checking anything, also for a right password: 4 s after one failure, 8 s
after two, 15 s (the cap) after three, as measured here. Postfix waits about 10 s for
Dovecot's answer, then logs `SASL ... authentication failed: Connection lost to
authentication server, sasl_username=(unavailable)` and replies 454; the password was never
checked. So from one address: guesses take 2 s, 6 s, 10 s, then 454s; use a fresh client
per scenario (`add_client`) or concurrent guesses (`smtp_auth_many`: all pass the penalty
check before the first one fails) to stay fast. IMAP has no 10 s limit, only the delay.
`keep=True` leaves the lab's directory (configs, logs) until the next lab run reaps it.
"""

from __future__ import annotations

import contextlib
import grp
import ipaddress
import json
import os
import pty
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
CLIENT_SCRIPT = HERE / "lab_client.py"

NAME_PREFIX = "mwlab"
DOMAIN = "lab.example"
HOSTNAME = f"mail.{DOMAIN}"

LAB_NET_IPV4 = ipaddress.ip_network("192.0.2.0/24")
LAB_NET_IPV6 = ipaddress.ip_network("2001:db8::/64")
SERVER_IPV4 = "192.0.2.1"
SERVER_IPV6 = "2001:db8::1"
LEGIT_IPV4 = "192.0.2.10"
LEGIT_IPV6 = "2001:db8::10"
ATTACKER_IPV4 = "192.0.2.66"
ATTACKER_IPV6 = "2001:db8::66"

# Lab passwords: they end up in captured logs on purpose.
DEFAULT_USERS: dict[str, str] = {
    "alice@lab.example": "alice-lab-pw1",
    "bob@lab.example": "bob-lab-pw2",
    "admin@lab.example": "admin-lab-pw3",
}

# Mail and IMAP run as this uid/gid (Debian's nobody/nogroup): Postfix's virtual delivery
# agent writes the Maildir that Dovecot reads.
MAIL_UID = 65534
MAIL_GID = 65534

# Nothing listens there: a connection is refused at once when the network path works.
CLOSED_PORT = 9

REQUIRED_PROGRAMS = ("ip", "ss", "postfix", "postconf", "dovecot", "swaks", "openssl")

_ROLE_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")


class LabError(RuntimeError):
    """The lab could not be built, or a lab command failed."""


def missing_requirements(programs: Iterable[str] = REQUIRED_PROGRAMS) -> str | None:
    """Why the lab cannot run here (for a skip message), or None when it can."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, Postfix and Dovecot as root)"
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        return (
            f"missing programs: {', '.join(missing)} "
            "(scripts/install-debian-packages.sh installs them)"
        )
    return None


def swaks_supports(feature: str) -> bool:
    """Whether swaks has `feature` ("TLS", "IPv6", ...): its Perl modules are optional."""
    out = subprocess.run(["swaks", "--support"], capture_output=True, text=True, check=False)
    return f"=== {feature} supported" in out.stdout + out.stderr


@dataclass(frozen=True)
class Host:
    """One namespace of the lab: the server or a client."""

    role: str
    netns: str
    ipv4: str
    ipv6: str


@dataclass(frozen=True)
class CommandResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


# swaks marks server lines `<-` (plain), `<~` (TLS), `<**` / `<~*` (an error reply).
_SWAKS_SERVER_LINE = re.compile(r"^<[-~*]{1,2}\s+(\d{3})[ -]", re.MULTILINE)


@dataclass(frozen=True)
class SmtpResult:
    """What swaks saw: its exit status (0 ok, 28 AUTH failed, ...) and its transcript."""

    returncode: int
    transcript: str
    seconds: float

    def replies(self) -> list[int]:
        """The server's reply codes, in order (one per line of multi-line replies)."""
        return [int(m.group(1)) for m in _SWAKS_SERVER_LINE.finditer(self.transcript)]

    @property
    def auth_ok(self) -> bool:
        return 235 in self.replies()

    @property
    def auth_failed(self) -> bool:
        """The server refused the credentials (535) or gave up on its backend (454)."""
        codes = self.replies()
        return 535 in codes or 454 in codes

    @property
    def queue_id(self) -> str | None:
        match = re.search(r"250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)", self.transcript)
        return match.group(1) if match else None


@dataclass(frozen=True)
class SmtpDialogue:
    """A raw SMTP dialogue from lab_client.py: [("S"|"C", line), ...]."""

    transcript: list[tuple[str, str]]
    error: str
    closed: bool
    seconds: float

    def replies(self) -> list[str]:
        return [line for who, line in self.transcript if who == "S"]


@dataclass(frozen=True)
class ImapResult:
    ok: bool  # one LOGIN was accepted
    responses: list[str]  # the server's answer to each LOGIN
    error: str  # connection trouble, "" when the dialogue went as planned
    seconds: float

    @property
    def response(self) -> str:
        return self.responses[-1] if self.responses else ""


@dataclass
class LogFile:
    """A log file that daemons append to; tests wait for lines instead of sleeping."""

    path: Path

    def text(self, since: int = 0) -> str:
        try:
            with self.path.open("rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def lines(self, since: int = 0) -> list[str]:
        return self.text(since).splitlines()

    def mark(self) -> int:
        """The current end of the file: pass it as `since` to look only at later lines."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def wait_for(
        self,
        predicate: str | re.Pattern[str] | Callable[[str], bool],
        timeout: float = 15.0,
        since: int = 0,
        count: int = 1,
    ) -> list[str]:
        """Lines (from offset `since`) that match, once there are `count` of them."""
        return wait_for_log(self.path, predicate, timeout=timeout, since=since, count=count)


def _as_predicate(
    predicate: str | re.Pattern[str] | Callable[[str], bool],
) -> Callable[[str], bool]:
    if isinstance(predicate, str):
        pattern = re.compile(predicate)
        return lambda line: pattern.search(line) is not None
    if isinstance(predicate, re.Pattern):
        compiled = predicate
        return lambda line: compiled.search(line) is not None
    return predicate


def wait_for_log(
    path: Path | str,
    predicate: str | re.Pattern[str] | Callable[[str], bool],
    timeout: float = 15.0,
    since: int = 0,
    count: int = 1,
) -> list[str]:
    """Poll `path` until `count` complete lines after byte offset `since` match.

    `predicate` is a regular expression (searched) or a function of one line. Raises
    TimeoutError, quoting the end of the file, when the lines do not come in time.
    """
    matches = _as_predicate(predicate)
    log = LogFile(Path(path))
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        text = log.text(since)
        complete = text[: text.rfind("\n") + 1]
        found = [line for line in complete.splitlines() if matches(line)]
        if len(found) >= count:
            return found[:count] if count > 1 else found[:1]
        if time.monotonic() > deadline:
            tail = "\n".join(complete.splitlines()[-15:])
            raise TimeoutError(
                f"{path}: {len(found)}/{count} matching lines after {timeout:g} s "
                f"for {predicate!r}; last lines:\n{tail}"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)


def _run(
    argv: Sequence[str],
    *,
    timeout: float = 30.0,
    check: bool = True,
    input: str | None = None,
) -> CommandResult:
    start = time.monotonic()
    try:
        proc = subprocess.run(
            list(argv),
            input=input,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout:g} s: {' '.join(argv)}") from exc
    result = CommandResult(
        list(argv), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start
    )
    if check and proc.returncode != 0:
        output = f"{proc.stderr.strip()}\n{proc.stdout.strip()}".strip()
        raise LabError(f"exit {proc.returncode}: {' '.join(argv)}\n{output}")
    return result


def pid_alive(pid: int) -> bool:
    """True for a live process; a zombie (dead, not yet reaped) counts as dead."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def netns_list() -> list[str]:
    out = _run(["ip", "netns", "list"], check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def netns_pids(netns: str) -> set[int]:
    out = _run(["ip", "netns", "pids", netns], check=False).stdout
    return {int(p) for p in out.split() if p.isdigit() and pid_alive(int(p))}


def _kill_netns(netns: str, grace: float = 5.0) -> set[int]:
    """Terminate every process in `netns` (TERM, then KILL); return the pids seen."""
    seen: set[int] = set()
    deadline = time.monotonic() + grace
    sig = signal.SIGTERM
    while True:
        pids = netns_pids(netns)
        if not pids:
            return seen
        seen |= pids
        if time.monotonic() > deadline:
            sig = signal.SIGKILL
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        if sig == signal.SIGKILL and time.monotonic() > deadline + 5.0:
            raise LabError(f"processes survive SIGKILL in {netns}: {sorted(pids)}")
        time.sleep(0.05)


def _wait_in_netns(proc: subprocess.Popen[bytes], netns: str, timeout: float = 10.0) -> None:
    """Wait until `ip netns exec` has moved `proc` into `netns` (it starts outside)."""
    want = os.stat(f"/run/netns/{netns}").st_ino
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            if os.stat(f"/proc/{proc.pid}/ns/net").st_ino == want:
                return
        if time.monotonic() > deadline:
            raise LabError(f"pid {proc.pid} did not enter {netns} in {timeout:g} s")
        time.sleep(0.005)


def reap_stale_labs() -> list[str]:
    """Remove namespaces and directories of labs whose process is gone (a killed run)."""
    reaped = []
    pattern = re.compile(rf"^{NAME_PREFIX}-(\d+)-[0-9a-f]+-")
    for netns in netns_list():
        match = pattern.match(netns)
        if match and not pid_alive(int(match.group(1))):
            _kill_netns(netns, grace=1.0)
            _run(["ip", "netns", "del", netns], check=False)
            reaped.append(netns)
    for path in Path(tempfile.gettempdir()).glob(f"{NAME_PREFIX}-*"):
        match = re.match(rf"^{NAME_PREFIX}-(\d+)-", path.name)
        if match and path.is_dir() and not pid_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            reaped.append(str(path))
    return reaped


@dataclass
class PostfixOptions:
    """What differs between lab runs on the Postfix side."""

    # AUTH on port 25 too (as on servers that forgot to restrict it).
    smtp_auth: bool = False
    # Extra `main.cf` parameters (e.g. debug_peer_list, smtpd_tls_loglevel).
    main: dict[str, str] = field(default_factory=dict)
    # Extra `-o name=value` for the submission service (e.g. smtpd_tls_loglevel=4).
    submission: dict[str, str] = field(default_factory=dict)
    # Extra `-o name=value` for the smtp (port 25) service.
    smtp: dict[str, str] = field(default_factory=dict)
    # "may" offers STARTTLS, "encrypt" requires it, "none" offers no TLS.
    submission_tls: str = "may"
    # Refuse AUTH before STARTTLS on submission (smtpd_tls_auth_only).
    tls_auth_only: bool = False


@dataclass
class DovecotOptions:
    # Dovecot's default, before every failure reply; the auth penalty comes on top.
    auth_failure_delay: str = "2 secs"
    # Extra top-level settings, written as `name = value`.
    settings: dict[str, str] = field(default_factory=dict)


class Lab:
    """Namespaces with real Postfix and Dovecot; use as a context manager."""

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        postfix: PostfixOptions | None = None,
        dovecot: DovecotOptions | None = None,
        clients: Mapping[str, tuple[str, str]] | None = None,
        keep: bool = False,
        start_timeout: float = 30.0,
    ) -> None:
        self.users: dict[str, str] = dict(DEFAULT_USERS if users is None else users)
        self.postfix_options = postfix or PostfixOptions()
        self.dovecot_options = dovecot or DovecotOptions()
        self._initial_clients = dict(
            {"legit": (LEGIT_IPV4, LEGIT_IPV6), "attacker": (ATTACKER_IPV4, ATTACKER_IPV6)}
            if clients is None
            else clients
        )
        self.keep = keep  # keep the directory (logs) after close, for debugging
        self.start_timeout = start_timeout
        self.tag = f"{NAME_PREFIX}-{os.getpid()}-{secrets.token_hex(3)}"
        self.root = Path()
        self.hosts: dict[str, Host] = {}
        self.namespaces: list[str] = []  # in creation order
        self.pids: set[int] = set()  # every pid started or seen in our namespaces
        self._spawned: list[subprocess.Popen[bytes]] = []
        self._closed = False
        self._started = False

    # ----------------------------------------------------------------------- lifecycle

    def __enter__(self) -> Lab:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        reason = missing_requirements()
        if reason:
            raise LabError(reason)
        reap_stale_labs()
        self.root = Path(tempfile.mkdtemp(prefix=f"{self.tag}-"))
        # Postfix and Dovecot drop privileges and must traverse this directory.
        self.root.chmod(0o755)
        self._build_network()
        self._make_certificate()
        self._start_dovecot()
        self._start_postfix()
        self._wait_until_ready()
        self._started = True

    def close(self) -> None:
        """Stop everything, delete the namespaces and the directory. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        errors: list[str] = []
        for proc in self._spawned:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        if self.root != Path():
            # What `postfix stop` does, without its one-second polling: TERM to master.
            self._stop_master(self.root / "postfix-queue" / "pid" / "master.pid")
            # Dovecot's master lingers about a second after TERM; the namespace sweep
            # below terminates it together with its children at once.
            self._stop_master(self.dovecot_dir / "run" / "master.pid", timeout=0)
        for netns in reversed(self.namespaces):
            try:
                self.pids |= _kill_netns(netns)
            except LabError as exc:
                errors.append(str(exc))
            _run(["ip", "netns", "del", netns], check=False)
        left = [n for n in netns_list() if n.startswith(self.tag)]
        if left:
            errors.append(f"namespaces left: {left}")
        if self.root != Path() and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        if errors:
            raise LabError("; ".join(errors))

    # ------------------------------------------------------------------------- network

    def _add_netns(self, role: str) -> str:
        if not _ROLE_RE.match(role) or role in self.hosts:
            raise LabError(f"bad or duplicate role name {role!r}")
        netns = f"{self.tag}-{role}"
        _run(["ip", "netns", "add", netns])
        self.namespaces.append(netns)
        _run(["ip", "-n", netns, "link", "set", "lo", "up"])
        return netns

    def _build_network(self) -> None:
        netns = self._add_netns("server")
        ip = ["ip", "-n", netns]
        # A fixed MAC: by default a bridge takes the lowest MAC of its ports, so a client
        # joining later could change it and leave the others' ARP entries stale (their
        # connections would then time out for ~30 s).
        _run([*ip, "link", "add", "br0", "address", "02:00:00:00:02:01", "type", "bridge"])
        _run([*ip, "link", "set", "br0", "up"])
        _run([*ip, "addr", "add", f"{SERVER_IPV4}/24", "dev", "br0"])
        _run([*ip, "addr", "add", f"{SERVER_IPV6}/64", "dev", "br0", "nodad"])
        self.hosts["server"] = Host("server", netns, SERVER_IPV4, SERVER_IPV6)
        for role, (ipv4, ipv6) in self._initial_clients.items():
            self.add_client(role, ipv4, ipv6)

    def add_client(self, role: str, ipv4: str | None = None, ipv6: str | None = None) -> Host:
        """A new client namespace joined to the server's bridge by a veth.

        Addresses default to 192.0.2.(100+n) and 2001:db8::(100+n). An address outside the
        lab's subnets (say 203.0.113.7 or 2001:db8:7::7) works too: both sides get a route
        over the shared link, so the server sees that address as the client's.
        """
        index = len(self.hosts)
        ipv4 = ipv4 or f"192.0.2.{100 + index}"
        ipv6 = ipv6 or f"2001:db8::{100 + index}"  # the same digits, read as hex
        used = {a for h in self.hosts.values() for a in (h.ipv4, h.ipv6)}
        if {ipv4, ipv6} & used:
            raise LabError(f"address already in the lab: {sorted({ipv4, ipv6} & used)}")
        netns = self._add_netns(role)
        server = self.server.netns
        port = f"vc{index}"
        _run(["ip", "-n", server, "link", "add", port, "type", "veth", "peer", "name", "eth0",
              "netns", netns])  # fmt: skip
        _run(["ip", "-n", server, "link", "set", port, "master", "br0", "up"])
        ip = ["ip", "-n", netns]
        _run([*ip, "link", "set", "eth0", "up"])
        for addr, server_addr, net, family in (
            (ipv4, SERVER_IPV4, LAB_NET_IPV4, "-4"),
            (ipv6, SERVER_IPV6, LAB_NET_IPV6, "-6"),
        ):
            nodad = ["nodad"] if family == "-6" else []
            if ipaddress.ip_address(addr) in net:
                _run([*ip, "addr", "add", f"{addr}/{net.prefixlen}", "dev", "eth0", *nodad])
                continue
            host_len = 32 if family == "-4" else 128
            _run([*ip, "addr", "add", f"{addr}/{host_len}", "dev", "eth0", *nodad])
            _run([*ip, family, "route", "add", str(net), "dev", "eth0", "src", addr])
            _run(["ip", "-n", server, family, "route", "add", f"{addr}/{host_len}", "dev",
                  "br0", "src", server_addr])  # fmt: skip
        host = Host(role, netns, ipv4, ipv6)
        self.hosts[role] = host
        if self._started:
            self.wait_reachable(host)
        return host

    @property
    def server(self) -> Host:
        return self.hosts["server"]

    @property
    def legit(self) -> Host:
        return self.hosts["legit"]

    @property
    def attacker(self) -> Host:
        return self.hosts["attacker"]

    def host(self, which: Host | str) -> Host:
        return which if isinstance(which, Host) else self.hosts[which]

    def password(self, user: str) -> str:
        return self.users[user]

    # --------------------------------------------------------------------- processes

    def run(
        self,
        where: Host | str,
        argv: Sequence[str],
        *,
        timeout: float = 30.0,
        check: bool = False,
        input: str | None = None,
    ) -> CommandResult:
        """Run a program inside a namespace and wait for it."""
        netns = self.host(where).netns
        return _run(
            ["ip", "netns", "exec", netns, *argv], timeout=timeout, check=check, input=input
        )

    def spawn(
        self,
        where: Host | str,
        argv: Sequence[str],
        *,
        output: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a long-running program (e.g. the daemon) inside a namespace.

        Its stdout and stderr go to `output` (default: ROLE-N.out in the lab directory).
        It is terminated, if still running, when the lab closes.
        """
        netns = self.host(where).netns
        if output is None:
            output = self.root / f"{self.host(where).role}-{len(self._spawned)}.out"
        with output.open("ab") as out:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", netns, *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=None if env is None else dict(env),
            )
        self._spawned.append(proc)
        self.pids.add(proc.pid)
        _wait_in_netns(proc, netns)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
        """Terminate a spawned program and wait for it; return its exit status."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                return proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
        return proc.wait(timeout)

    def _client(
        self, where: Host | str, args: Sequence[str], *, timeout: float, input: str | None = None
    ) -> tuple[dict[str, Any], float]:
        result = self.run(
            where, [sys.executable, str(CLIENT_SCRIPT), *args], timeout=timeout, input=input
        )
        if result.returncode != 0 or not result.stdout.strip():
            raise LabError(f"lab_client {args[0]} failed: {result.stderr.strip()}")
        return json.loads(result.stdout), result.seconds

    # --------------------------------------------------------------------- clients

    def tcp_connect(
        self,
        client: Host | str,
        port: int = 587,
        addr: str | None = None,
        timeout: float = 2.0,
    ) -> bool:
        """Whether a TCP connection from `client` to the server (or `addr`) succeeds."""
        out, _ = self._client(
            client, ["tcp", addr or SERVER_IPV4, str(port), str(timeout)], timeout=timeout + 10
        )
        return bool(out["ok"])

    def smtp_auth(
        self,
        client: Host | str,
        user: str,
        password: str,
        *,
        port: int = 587,
        mech: str = "PLAIN",
        tls: bool = False,
        send_mail: bool = False,
        to: str = "bob@lab.example",
        sender: str | None = None,
        server: str | None = None,
        ehlo: str = "client.example",
        timeout: float = 30.0,
        extra: Sequence[str] = (),
    ) -> SmtpResult:
        """One SMTP session with AUTH by swaks from inside `client`'s namespace.

        Without `send_mail` the session ends after AUTH (swaks `--quit-after AUTH`, then
        QUIT). `timeout` is swaks's per-reply timeout; remember that a failed AUTH takes
        Dovecot's failure delay plus its penalty, and Postfix gives up after about 10 s.
        """
        argv = [
            "swaks",
            "--server", server or SERVER_IPV4,
            "--port", str(port),
            "--ehlo", ehlo,
            "--timeout", f"{timeout:g}",
            "--auth", mech,
            "--auth-user", user,
            "--auth-password", password,
        ]  # fmt: skip
        if tls:
            argv.append("--tls")
        if send_mail:
            argv += [
                "--from", sender or (user if "@" in user else f"{user}@{DOMAIN}"),
                "--to", to,
                "--header", "Subject: mailwarden lab",
                "--body", "A message sent by the mailwarden lab.",
            ]  # fmt: skip
        else:
            argv += ["--quit-after", "AUTH"]
        argv += list(extra)
        result = self.run(client, argv, timeout=timeout * 4 + 10)
        return SmtpResult(result.returncode, result.stdout + result.stderr, result.seconds)

    def smtp_auth_many(
        self,
        client: Host | str,
        guesses: Iterable[tuple[str, str]],
        *,
        parallel: int = 8,
        **options: Any,
    ) -> list[SmtpResult]:
        """Several `smtp_auth` sessions from one client, up to `parallel` at a time.

        Concurrent guesses all pass Dovecot's penalty check before any of them has failed,
        so N guesses take a few seconds instead of the penalty's 2+4+8+... (and none ends
        in Postfix's 10 s `Connection lost to authentication server`). Results are in the
        order of `guesses`.
        """
        pairs = list(guesses)
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            futures = [pool.submit(self.smtp_auth, client, u, p, **options) for u, p in pairs]
            return [f.result() for f in futures]

    def smtp_dialogue(
        self,
        client: Host | str,
        steps: Sequence[Mapping[str, Any]],
        *,
        port: int = 587,
        server: str | None = None,
        timeout: float = 30.0,
    ) -> SmtpDialogue:
        """A raw SMTP dialogue: steps like {"send": "AUTH PLAIN x"}, {"starttls": True},
        {"send": "*", "reply": False}, {"close": True} (hang up without QUIT)."""
        out, seconds = self._client(
            client,
            ["smtp", server or SERVER_IPV4, str(port), f"{timeout:g}"],
            timeout=timeout * (len(steps) + 1) + 10,
            input=json.dumps({"steps": list(steps)}),
        )
        transcript = [(str(who), str(line)) for who, line in out["transcript"]]
        return SmtpDialogue(transcript, str(out["error"]), bool(out["closed"]), seconds)

    def imap_login(
        self,
        client: Host | str,
        user: str,
        password: str | Sequence[str],
        *,
        port: int = 143,
        server: str | None = None,
        starttls: bool = False,
        logout: bool = True,
        timeout: float = 30.0,
    ) -> ImapResult:
        """IMAP LOGIN from inside `client`'s namespace (Python's imaplib).

        A list of passwords is tried in turn on one connection (Dovecot then logs
        `auth failed, N attempts`). The session ends with LOGOUT, or, with `logout=False`,
        by hanging up. Each failure waits for Dovecot's delay and penalty.
        """
        passwords = [password] if isinstance(password, str) else list(password)
        spec = {"user": user, "passwords": passwords, "starttls": starttls, "logout": logout}
        out, seconds = self._client(
            client,
            ["imap", server or SERVER_IPV4, str(port), f"{timeout:g}"],
            timeout=timeout * (len(passwords) + 2) + 10,
            input=json.dumps(spec),
        )
        responses = [str(r) for r in out["responses"]]
        return ImapResult(bool(out["ok"]), responses, str(out["error"]), seconds)

    def imap_authenticate(
        self,
        client: Host | str,
        user: str,
        tries: Sequence[tuple[str, str]],
        *,
        port: int = 143,
        server: str | None = None,
        timeout: float = 30.0,
    ) -> ImapResult:
        """IMAP AUTHENTICATE from inside `client`'s namespace, by each (mechanism,
        password) of `tries` in turn on one connection (PLAIN, LOGIN, CRAM-MD5; the lab
        offers CRAM-MD5 only with `DovecotOptions(settings={"auth_mechanisms": ...})`),
        until one works; then LOGOUT. Each failure waits for Dovecot's delay and penalty.
        """
        spec = {"user": user, "tries": [list(t) for t in tries]}
        out, seconds = self._client(
            client,
            ["imap-auth", server or SERVER_IPV4, str(port), f"{timeout:g}"],
            timeout=timeout * (len(spec["tries"]) + 2) + 10,
            input=json.dumps(spec),
        )
        responses = [str(r) for r in out["responses"]]
        return ImapResult(bool(out["ok"]), responses, str(out["error"]), seconds)

    # --------------------------------------------------------------------- logs

    @property
    def postfix_log(self) -> LogFile:
        return LogFile(self.root / "postfix.log")

    @property
    def dovecot_log(self) -> LogFile:
        return LogFile(self.root / "dovecot.log")

    def maildir_messages(self, user: str) -> list[Path]:
        """Messages delivered to `user`'s Maildir (new/ and cur/)."""
        base = self.root / "mail" / user
        return sorted(p for sub in ("new", "cur") for p in (base / sub).glob("*") if p.is_file())

    # --------------------------------------------------------------------- TLS

    def _make_certificate(self) -> None:
        tls = self.root / "tls"
        tls.mkdir()
        _run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7",
            "-subj", f"/CN={HOSTNAME}", "-addext", f"subjectAltName=DNS:{HOSTNAME}",
            "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
        ])  # fmt: skip
        (tls / "key.pem").chmod(0o600)

    # --------------------------------------------------------------------- Dovecot

    @property
    def dovecot_dir(self) -> Path:
        return self.root / "dovecot"

    @property
    def dovecot_conf(self) -> Path:
        return self.dovecot_dir / "dovecot.conf"

    @property
    def dovecot_auth_socket(self) -> Path:
        return self.dovecot_dir / "run" / "auth-postfix"

    def _write_dovecot(self) -> None:
        d = self.dovecot_dir
        (d / "state").mkdir(parents=True)
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, MAIL_UID, MAIL_GID)
        users = d / "users"
        lines = []
        for user, password in self.users.items():
            if any(c in user + password for c in ":\n"):
                raise LabError(f"user or password with ':' or newline: {user!r}")
            lines.append(f"{user}:{{PLAIN}}{password}:{MAIL_UID}:{MAIL_GID}::{mail}/{user}::")
        users.write_text("\n".join(lines) + "\n")
        # Dovecot's auth process reads it as the dovecot user.
        os.chown(users, 0, grp.getgrnam("dovecot").gr_gid)
        users.chmod(0o640)
        listen = f"{SERVER_IPV4}, {SERVER_IPV6}, 127.0.0.1, ::1"
        settings = {
            "protocols": "imap",
            "listen": listen,
            "base_dir": str(d / "run"),
            "state_dir": str(d / "state"),
            "instance_name": self.tag,
            "log_path": str(self.root / "dovecot.log"),
            "auth_verbose": "yes",
            "auth_mechanisms": "plain login",
            "auth_failure_delay": self.dovecot_options.auth_failure_delay,
            "disable_plaintext_auth": "no",
            "ssl": "yes",
            "ssl_cert": f"<{self.root / 'tls' / 'cert.pem'}",
            "ssl_key": f"<{self.root / 'tls' / 'key.pem'}",
            "mail_location": f"maildir:{mail}/%u",
            "default_login_user": "dovenull",
            "default_internal_user": "dovecot",
            **self.dovecot_options.settings,
        }
        body = "\n".join(f"{k} = {v}" for k, v in settings.items())
        self.dovecot_conf.write_text(
            f"""# mailwarden lab {self.tag}: standalone, written by tests/e2e/lab.py
{body}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
service imap-login {{
  inet_listener imap {{
    port = 143
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
"""
        )

    def _start_dovecot(self) -> None:
        self._write_dovecot()
        self._run_daemon_command(["dovecot", "-c", str(self.dovecot_conf)])
        pid = self._read_pid(self.dovecot_dir / "run" / "master.pid", "dovecot")
        self.pids.add(pid)

    def _stop_master(self, pidfile: Path, timeout: float = 10.0) -> None:
        """Terminate a master process (Postfix or Dovecot) and wait until it is gone;
        the master stops its children. Whatever survives is killed with the namespace."""
        try:
            pid = int(pidfile.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return
        if pid not in self.pids:
            return  # not ours: a stale file, or a recycled pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)

    # --------------------------------------------------------------------- Postfix

    @property
    def postfix_dir(self) -> Path:
        return self.root / "postfix"

    def _write_postfix(self) -> None:
        opts = self.postfix_options
        d = self.postfix_dir
        d.mkdir()
        # Root-owned like /var/spool/postfix; `postfix check` creates what is inside.
        (self.root / "postfix-queue").mkdir(mode=0o755)
        mail = self.root / "mail"
        mailboxes = ", ".join(f"{{{u}={u}/}}" for u in self.users if "@" in u)
        main = {
            "compatibility_level": "3.6",
            "myhostname": HOSTNAME,
            "mydomain": DOMAIN,
            "myorigin": "$mydomain",
            "mydestination": "",
            "local_transport": "error:local delivery is disabled in the lab",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "inet_interfaces": f"{SERVER_IPV4}, [{SERVER_IPV6}], 127.0.0.1",
            "inet_protocols": "all",
            "mynetworks": "127.0.0.0/8 [::1]/128",
            "queue_directory": str(self.root / "postfix-queue"),
            "data_directory": str(self.root / "postfix-data"),
            "maillog_file": str(self.root / "postfix.log"),
            "maillog_file_prefixes": str(self.root),
            "biff": "no",
            "readme_directory": "no",
            # No DNS inside the lab: nothing to wait for, every client is unknown[addr].
            "smtpd_peername_lookup": "no",
            "smtpd_banner": "$myhostname ESMTP",
            "smtpd_relay_restrictions": (
                "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
            ),
            "virtual_mailbox_domains": DOMAIN,
            "virtual_mailbox_base": str(mail),
            "virtual_mailbox_maps": f"inline:{{{mailboxes}}}",
            "virtual_uid_maps": f"static:{MAIL_UID}",
            "virtual_gid_maps": f"static:{MAIL_GID}",
            # Mail for anywhere else is accepted (when authenticated) and thrown away.
            "default_transport": "discard:lab",
            "relay_transport": "discard:lab",
            "smtpd_tls_cert_file": str(self.root / "tls" / "cert.pem"),
            "smtpd_tls_key_file": str(self.root / "tls" / "key.pem"),
            "smtpd_tls_security_level": "may",
            # The summary line per TLS session, as most servers log it.
            "smtpd_tls_loglevel": "1",
            "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": str(self.dovecot_auth_socket),
            **opts.main,
        }
        (d / "main.cf").write_text(
            f"# mailwarden lab {self.tag}: written by tests/e2e/lab.py\n"
            + "".join(f"{k} = {v}\n" for k, v in main.items())
        )
        sasl = {
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": str(self.dovecot_auth_socket),
        }
        submission = {
            "syslog_name": "postfix/submission",
            "smtpd_tls_security_level": opts.submission_tls,
            "smtpd_tls_auth_only": "yes" if opts.tls_auth_only else "no",
            **sasl,
            "smtpd_relay_restrictions": "permit_sasl_authenticated,reject",
            **opts.submission,
        }
        smtp = {**(sasl if opts.smtp_auth else {}), **opts.smtp}
        (d / "master.cf").write_text(_master_cf(smtp, submission))
        for name in ("main.cf", "master.cf"):
            (d / name).chmod(0o644)

    def _start_postfix(self) -> None:
        self._write_postfix()
        cmd = ["postfix", "-c", str(self.postfix_dir)]
        try:
            self._run_daemon_command([*cmd, "start"])
        except LabError as exc:
            # `postfix start` says why only to the log (or syslog): ask `postfix check`.
            self._postfix_check()
            raise LabError(f"{exc}\n" + "\n".join(self.postfix_log.lines()[-20:])) from exc
        pid = self._read_pid(self.root / "postfix-queue" / "pid" / "master.pid", "postfix")
        self.pids.add(pid)

    def _postfix_check(self) -> None:
        """`postfix check`, with its messages: Postfix writes them to stderr only when it is
        a terminal (else to syslog or, once postlogd runs, to maillog_file)."""
        primary, secondary = pty.openpty()
        try:
            proc = subprocess.run(
                ["ip", "netns", "exec", self.server.netns, "postfix", "-c",
                 str(self.postfix_dir), "check"],
                stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary, timeout=60,
                check=False,
            )  # fmt: skip
            os.close(secondary)
            secondary = -1
            output = b""
            with contextlib.suppress(OSError):  # EIO once everything is read
                while chunk := os.read(primary, 65536):
                    output += chunk
        finally:
            os.close(primary)
            if secondary >= 0:
                os.close(secondary)
        if proc.returncode != 0:
            raise LabError(f"postfix check failed: {output.decode('utf-8', 'replace').strip()}")

    def postfix_reload(self) -> None:
        self._run_daemon_command(["postfix", "-c", str(self.postfix_dir), "reload"])

    def _run_daemon_command(self, argv: Sequence[str], timeout: float = 60.0) -> None:
        """Run a command that leaves a daemon behind, in the server namespace.

        Its output goes to a file, not a pipe: the daemon inherits the descriptors, and a
        pipe would never reach end-of-file while the daemon runs.
        """
        output = self.root / "daemon-commands.out"
        with output.open("a+b") as out:
            start = out.seek(0, os.SEEK_END)
            try:
                proc = subprocess.run(
                    ["ip", "netns", "exec", self.server.netns, *argv],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise LabError(f"timed out after {timeout:g} s: {' '.join(argv)}") from exc
            if proc.returncode != 0:
                out.seek(start)
                text = out.read().decode("utf-8", "replace").strip()
                raise LabError(f"exit {proc.returncode}: {' '.join(argv)}\n{text}")

    # --------------------------------------------------------------------- readiness

    def _read_pid(self, pidfile: Path, what: str) -> int:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
                pid = int(pidfile.read_text().split()[0])
                if pid_alive(pid):
                    return pid
            time.sleep(0.05)
        raise LabError(f"{what} did not start: no live pid in {pidfile}")

    def listening(self) -> set[tuple[str, int]]:
        """(address, port) of the TCP sockets listening in the server namespace."""
        out = self.run(self.server, ["ss", "-Hltn"], check=True).stdout
        found = set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 4:
                addr, _, port = fields[3].rpartition(":")
                found.add((addr.strip("[]"), int(port)))
        return found

    def _wait_until_ready(self) -> None:
        # Without connecting to the services: a probe would leave `connect from` and
        # `lost connection after CONNECT` lines in the logs that tests and captures read.
        wanted = {
            (SERVER_IPV4, 25),
            (SERVER_IPV4, 587),
            (SERVER_IPV6, 587),
            (SERVER_IPV4, 143),
            (SERVER_IPV6, 143),
        }
        deadline = time.monotonic() + self.start_timeout
        while not (wanted <= self.listening() and self.dovecot_auth_socket.exists()):
            if time.monotonic() > deadline:
                missing = sorted(wanted - self.listening())
                raise LabError(
                    f"not listening after {self.start_timeout:g} s: {missing}; "
                    f"auth socket: {self.dovecot_auth_socket.exists()}"
                )
            time.sleep(0.05)
        for role in self.hosts:
            if role != "server":
                self.wait_reachable(role)

    def wait_reachable(self, client: Host | str, timeout: float | None = None) -> None:
        """Wait until `client` reaches the server over IPv4 and IPv6 (a closed port answers
        with a reset: the path works, and no service sees a connection)."""
        timeout = self.start_timeout if timeout is None else timeout
        targets = [f"{SERVER_IPV4}:{CLOSED_PORT}", f"[{SERVER_IPV6}]:{CLOSED_PORT}"]
        out, _ = self._client(client, ["reach", f"{timeout:g}", *targets], timeout=timeout + 10)
        if not out["ok"]:
            raise LabError(f"server not reachable from {self.host(client).role}: {out['error']}")


def _master_cf(smtp: Mapping[str, str], submission: Mapping[str, str]) -> str:
    """master.cf from scratch: nothing chrooted, logging through postlogd."""

    def service(head: str, options: Mapping[str, str]) -> str:
        return head + "".join(f"\n  -o {k}={v}" for k, v in options.items()) + "\n"

    # service  type  private unpriv  chroot  wakeup  maxproc command
    return (
        "# mailwarden lab: written by tests/e2e/lab.py\n"
        + service("smtp       inet  n       -       n       -       -       smtpd", smtp)
        + service("submission inet  n       -       n       -       -       smtpd", submission)
        + """pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
local      unix  -       n       n       -       -       local
virtual    unix  -       n       n       -       -       virtual
lmtp       unix  -       -       n       -       -       lmtp
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
"""
    )


def mailwarden_argv() -> list[str]:
    """How to run this checkout's mailwarden (the interpreter running the tests)."""
    return [sys.executable, "-m", "mailwarden"]


def dump_logs(lab: Lab, lines: int = 60, file: IO[str] | None = None) -> None:
    """Print the end of the lab's logs (for a failed test's report)."""
    out = file or sys.stdout
    for log in (lab.postfix_log, lab.dovecot_log):
        print(f"----- {log.path} (last {lines} lines)", file=out)
        print("\n".join(log.lines()[-lines:]), file=out)
