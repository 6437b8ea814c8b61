"""Client side of the lab: small network clients run inside a client namespace.

The lab runs this file with the venv's Python through `ip netns exec NS python lab_client.py
COMMAND ...`, so that every connection leaves from the namespace's own address. It uses
the standard library only and prints one JSON object on stdout.

Commands:
    tcp HOST PORT TIMEOUT             connect, then close: {"ok": bool, "error": str}
    reach TIMEOUT HOST:PORT ...       poll until each connection succeeds or is refused (the
                                      network path works): {"ok": bool, "error": str}
    imap HOST PORT TIMEOUT            LOGIN attempts on one connection, read as JSON from stdin:
        {"user": "u", "passwords": ["p1", "p2"], "starttls": false, "logout": true}
        -> {"ok": bool (one LOGIN worked), "responses": [str per attempt], "error": str}
        Then LOGOUT, or hang up when "logout" is false.
    imap-auth HOST PORT TIMEOUT       AUTHENTICATE attempts on one connection, read as JSON:
        {"user": "u", "tries": [["CRAM-MD5", "p1"], ["PLAIN", "p1"], ["LOGIN", "p1"]]}
        -> the same as imap; a mail program trying one password by each mechanism
    smtp HOST PORT TIMEOUT            a scripted SMTP dialogue read as JSON from stdin:
        {"steps": [{"send": "EHLO x"}, {"starttls": true}, {"send": "*", "reply": false},
                   {"close": true}]}
        -> {"transcript": [["S"|"C", line], ...], "error": str, "closed": bool}
        "reply": false sends without waiting for an answer. After the last step, or at
        "close", the client hangs up: without a QUIT step Postfix logs `lost connection
        after ...`.
"""

from __future__ import annotations

import hmac
import imaplib
import json
import socket
import ssl
import sys
import time
from typing import Any


def _split_hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def tcp(host: str, port: int, timeout: float) -> dict[str, Any]:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return {"ok": True, "error": ""}
    except OSError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def reach(timeout: float, targets: list[str]) -> dict[str, Any]:
    """Poll until a connection to each target succeeds or is refused (the host answered)."""
    deadline = time.monotonic() + timeout
    pending = [_split_hostport(t) for t in targets]
    while pending:
        host, port = pending[0]
        try:
            with socket.create_connection((host, port), timeout=1.0):
                pass
        except ConnectionRefusedError:
            pass
        except OSError as exc:
            if time.monotonic() > deadline:
                return {"ok": False, "error": f"{host}:{port}: {type(exc).__name__}: {exc}"}
            time.sleep(0.05)
            continue
        pending.pop(0)
    return {"ok": True, "error": ""}


def imap(host: str, port: int, timeout: float, spec: dict[str, Any]) -> dict[str, Any]:
    """LOGIN with each password in turn on one connection, until one works."""
    try:
        conn = imaplib.IMAP4(host, port, timeout=timeout)
    except OSError as exc:
        return {"ok": False, "responses": [], "error": f"connect: {exc}"}
    responses: list[str] = []
    try:
        if spec.get("starttls"):
            conn.starttls(ssl_context=_insecure_context())
        for password in spec["passwords"]:
            try:
                _typ, data = conn.login(_quoted(spec["user"]), password)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:  # a NO: the server refused the credentials
                responses.append(str(exc))
                continue
            responses.append(" ".join(d.decode("utf-8", "replace") for d in data))
            _end(conn, spec.get("logout", True))
            return {"ok": True, "responses": responses, "error": ""}
        _end(conn, spec.get("logout", True))
        return {"ok": False, "responses": responses, "error": ""}
    except (OSError, imaplib.IMAP4.abort) as exc:
        conn.shutdown()
        return {"ok": False, "responses": responses, "error": f"{type(exc).__name__}: {exc}"}


def imap_auth(host: str, port: int, timeout: float, spec: dict[str, Any]) -> dict[str, Any]:
    """AUTHENTICATE by each (mechanism, password) in turn on one connection, until one
    works; then LOGOUT."""
    try:
        conn = imaplib.IMAP4(host, port, timeout=timeout)
    except OSError as exc:
        return {"ok": False, "responses": [], "error": f"connect: {exc}"}
    user = spec["user"]
    responses: list[str] = []
    try:
        for mechanism, password in spec["tries"]:
            try:
                _typ, data = conn.authenticate(mechanism, _answers(mechanism, user, password))
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:  # a NO: the server refused the credentials
                responses.append(str(exc))
                continue
            responses.append(" ".join(d.decode("utf-8", "replace") for d in data))
            conn.logout()
            return {"ok": True, "responses": responses, "error": ""}
        conn.logout()
        return {"ok": False, "responses": responses, "error": ""}
    except (OSError, imaplib.IMAP4.abort) as exc:
        conn.shutdown()
        return {"ok": False, "responses": responses, "error": f"{type(exc).__name__}: {exc}"}


def _answers(mechanism: str, user: str, password: str) -> Any:
    """imaplib's authobject: the answer to each server challenge of ``mechanism``."""
    if mechanism == "PLAIN":
        return lambda _challenge: f"\0{user}\0{password}".encode()
    if mechanism == "LOGIN":
        replies = iter((user, password))
        return lambda _challenge: next(replies, "").encode()
    if mechanism == "CRAM-MD5":
        key = password.encode()
        return lambda challenge: f"{user} {hmac.new(key, challenge, 'md5').hexdigest()}".encode()
    raise ValueError(f"unknown mechanism {mechanism!r}")


def _quoted(text: str) -> str:
    # imaplib quotes the password but sends the user as given: quote it, so that a user
    # name with spaces or quotes (an injection attempt) reaches the server whole.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _end(conn: imaplib.IMAP4, logout: bool) -> None:
    # LOGOUT makes Dovecot 2.3 say "Aborted login by logging out"; hanging up makes it say
    # "Connection closed". Both are real clients' habits.
    if logout:
        conn.logout()
    else:
        conn.shutdown()


def _insecure_context() -> ssl.SSLContext:
    # The lab's certificate is self-signed for a name nobody resolves: trust it blindly.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _Smtp:
    def __init__(self, sock: socket.socket) -> None:
        self.sock: socket.socket = sock
        self.buffer = b""
        self.transcript: list[list[str]] = []

    def read_reply(self) -> bool:
        """Read one (possibly multi-line) reply; False when the server hung up."""
        while True:
            while b"\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return False
                self.buffer += chunk
            line, _, self.buffer = self.buffer.partition(b"\n")
            text = line.rstrip(b"\r").decode("utf-8", "replace")
            self.transcript.append(["S", text])
            if len(text) < 4 or text[3] != "-":
                return True

    def send(self, line: str) -> None:
        self.transcript.append(["C", line])
        self.sock.sendall(line.encode("utf-8", "surrogateescape") + b"\r\n")


def smtp(host: str, port: int, timeout: float, script: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"transcript": [], "error": "", "closed": False}
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        result["error"] = f"connect: {exc}"
        return result
    session = _Smtp(sock)
    result["transcript"] = session.transcript
    try:
        if not session.read_reply():
            result["closed"] = True
            return result
        for step in script["steps"]:
            if step.get("close"):
                break
            if step.get("starttls"):
                session.send("STARTTLS")
                if not session.read_reply():
                    result["closed"] = True
                    break
                session.sock = _insecure_context().wrap_socket(sock, server_hostname=host)
                continue
            session.send(step["send"])
            if step.get("reply", True) and not session.read_reply():
                result["closed"] = True
                break
    except OSError as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        session.sock.close()
    return result


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    if command == "tcp":
        out = tcp(args[0], int(args[1]), float(args[2]))
    elif command == "reach":
        out = reach(float(args[0]), args[1:])
    elif command == "imap":
        out = imap(args[0], int(args[1]), float(args[2]), json.load(sys.stdin))
    elif command == "imap-auth":
        out = imap_auth(args[0], int(args[1]), float(args[2]), json.load(sys.stdin))
    elif command == "smtp":
        out = smtp(args[0], int(args[1]), float(args[2]), json.load(sys.stdin))
    else:
        print(f"lab_client: unknown command {command!r}", file=sys.stderr)
        return 2
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
