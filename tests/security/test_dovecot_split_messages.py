# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Dovecot's ``imap_id_log`` line, and the pieces Dovecot cuts a long message into.

With ``imap_id_log = *`` (2.2, 2.3) imap-login writes ``ID sent: key=value, …`` with the
client's values (80 bytes each, parentheses allowed, as many as it sends), then the
connection's real elements. A value ``(internal failure, 1 successful auths)`` made it
read as a password accepted after the guessing: a break-in that never was.

A message longer than ``PIPE_BUF`` goes to Dovecot's log process in pieces
(``lib/failures.c``, ``internal_send_split()``: ``4096 - len("\\x01<type><pid> ") - 1``
bytes each), each logged as a line of its own. A long ID line's first piece then ends in
the client's text: ``… (auth failed, 9 attempts in 9 secs): user=<alice>, rip=<victim>,
lip=<attacker>, session=<x``, which banned the victim and made the attacker's address
this server's own, never banned. Neither the ID line nor a piece is read now: through
``analyze``, ``explain`` and the daemon's path (framer, parser, detector).

The last piece is read as a line: it ends in the server's own elements (``rip=`` is the
client's real address), so what the client wrote in it is about itself. Joining it to
the piece before (tried, then dropped after review) let a bot hide its own failures and
its login behind an ID of 4 KiB, which fits one write whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner
from mailwarden.config import PolicyConfig
from mailwarden.detect.rules import Detector
from mailwarden.framing import Framer
from mailwarden.model import Event, EventType, Record
from mailwarden.parsers import parse

LogFile = Callable[[str], str]

ATTACKER = "203.0.113.5"
VICTIM = "198.51.100.7"
SERVER = "192.0.2.1"
PIPE_BUF = 4096


def piece_size(pid: int) -> int:
    """The text of each piece but the last (failures.c: internal_send_split())."""
    return PIPE_BUF - len(f"\x01T{pid} ") - 1


def pieces(message: str, pid: int = 23456) -> list[str]:
    n = piece_size(pid)
    return [message[at : at + n] for at in range(0, len(message), n)]


def id_line(values: list[tuple[str, str]], size: int) -> str:
    """``ID sent: `` with padding pairs and then ``values``, the padding chosen so that
    the text up to the end of ``values`` is exactly ``size`` bytes (a piece's end)."""
    tail = ", ".join(f"{k}={v}" for k, v in values)
    pad: list[str] = []
    while len("ID sent: " + ", ".join([*pad, tail])) < size - 100:
        pad.append(f"k{len(pad)}=" + "v" * 70)
    short = size - len("ID sent: " + ", ".join([*pad, tail]))
    if short > 84:
        pad.append("y=" + "w" * 40)
        short = size - len("ID sent: " + ", ".join([*pad, tail]))
    pad.append("z=" + "w" * (short - 4))
    text = "ID sent: " + ", ".join([*pad, tail])
    assert len(text) == size, len(text)
    return text


def elements(session: str, user: str = "") -> str:
    return f": user=<{user}>, rip={ATTACKER}, lip={SERVER}, TLS, session=<{session}>"


def guesses(count: int, minute: int = 56, user: str = "alice") -> list[str]:
    return [
        f"Feb 23 11:{minute}:{i:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
        f"user=<{user}>, method=PLAIN, rip={ATTACKER}, lip={SERVER}, TLS, session=<f{minute}{i:04d}>"
        for i in range(count)
    ]


def logged(stamp: str, texts: list[str]) -> list[str]:
    return [f"Feb 23 {stamp} mx dovecot: imap-login: {text}" for text in texts]


# 1. The ID line whole, its value a forged reason (short: no piece).
FORGED_REASON = logged(
    "11:59:40",
    ["ID sent: name=(internal failure, 1 successful auths)" + elements("SessX001", "alice")],
)

# 2. The first piece ends in the client's text: the victim as rip, the attacker as lip.
_VICTIM_TAIL = [
    ("n", "x (auth failed, 9 attempts in 9 secs): user=<alice>"),
    ("method", "PLAIN"),
    ("rip", VICTIM),
    ("lip", ATTACKER),
    ("session", "<x"),
]
VICTIM_PIECE = logged(
    "11:55:00",
    pieces(id_line(_VICTIM_TAIL, piece_size(23456)) + ", version=1.0" + elements("realId000")),
)

# 3. The last piece is a real-looking line: a password accepted after the guessing.
_LAST = "Disconnected (internal failure, 1 successful auths)"
ACCEPTED_PIECE = logged(
    "11:57:00",
    pieces(id_line([("zz", "")], piece_size(23456)) + _LAST + elements("realId900")),
)


def read(record: Record) -> list[Event]:
    """The events of ``record`` but a piece's mark (no address, nothing read from it)."""
    return [e for e in parse(record) if not (e.type is EventType.DEBUG and e.ip is None)]


def _log(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _json(run: Runner, path: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code in (0, 1, 2), err
    report: dict[str, Any] = json.loads(out)
    return report


def _daemon(lines: list[str]) -> tuple[list[tuple[str, str, str]], Detector]:
    """What the daemon's detector finds, the lines framed one at a time as it reads them."""
    detector = Detector(PolicyConfig())
    detector.set_own_addresses([SERVER])
    framer = Framer(year=2026, split_pasted=False)
    found = []
    for number, line in enumerate(lines, 1):
        for record in framer.frame_line(line, "mail.log", number, 0):
            for event in parse(record):
                found += [
                    (d.ip, str(d.verdict), str(d.recommendation)) for d in detector.feed(event)
                ]
    return found, detector


def test_the_logs_are_what_dovecot_writes() -> None:
    # The reproducers: the first piece of case 2 ends in the client's text, the last
    # piece of case 3 starts with a real line's words, each piece has the size Dovecot cuts.
    assert VICTIM_PIECE[0].endswith(f"rip={VICTIM}, lip={ATTACKER}, session=<x")
    assert ACCEPTED_PIECE[1].split("imap-login: ", 1)[1].startswith(_LAST + ": user=<>")
    for log in (VICTIM_PIECE, ACCEPTED_PIECE):
        assert len(log[0].split("imap-login: ", 1)[1]) == piece_size(23456) == 4087


# -- 1. ID sent: ----------------------------------------------------------------------------


def test_an_id_value_is_no_login_verdict_analyze(run: Runner, log_file: LogFile) -> None:
    path = log_file(_log(*guesses(12), *FORGED_REASON))
    report = _json(run, path)
    assert report["compromised"] == []
    (attacker,) = report["attackers"]
    assert attacker["ip"] == ATTACKER and attacker["failures"] == 12
    _code, out, _err = run("analyze", "--year", "2026", path)
    text = " ".join(out.split())
    assert text.startswith("Nobody got in.") and "Someone got in" not in text


def test_an_id_value_is_no_login_verdict_explain(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", "--year", "2026", log_file(_log(*guesses(12), *FORGED_REASON)))
    assert code == 0, err
    text = " ".join(out.split())
    assert "it has the password" not in text.lower()
    assert "was accepted" not in text
    assert "Someone is trying to guess passwords; nobody got in." in text
    assert "imap-login logged the IMAP ID the client sent (imap_id_log)" in text


def test_an_id_value_is_no_login_verdict_daemon() -> None:
    found, _ = _daemon([*guesses(12), *FORGED_REASON])
    assert (ATTACKER, "bruteforce", "ban") in found
    assert not [f for f in found if f[1] == "compromised"]


# -- 2. a piece that ends in the client's text ------------------------------------------------


def test_a_piece_names_no_client_and_no_server_analyze(run: Runner, log_file: LogFile) -> None:
    report = _json(run, log_file(_log(*VICTIM_PIECE, *VICTIM_PIECE, *guesses(20))))
    (attacker,) = report["attackers"]
    assert attacker["ip"] == ATTACKER and attacker["failures"] == 20
    assert attacker["recommendation"] == "ban"
    assert VICTIM not in json.dumps(report)


def test_a_piece_names_no_client_explain(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", "--year", "2026", log_file(_log(*VICTIM_PIECE, *guesses(3))))
    assert code == 0, err
    text = " ".join(out.split())
    assert f"client {VICTIM}" not in text
    assert "9 passwords were tried" not in text
    assert "A piece of a longer Dovecot message: its log process gets a message over 4 KiB" in text


def test_a_piece_names_no_client_and_no_server_daemon() -> None:
    found, detector = _daemon([*VICTIM_PIECE, *VICTIM_PIECE, *guesses(20)])
    assert found and {ip for ip, _v, _r in found} == {ATTACKER}
    assert (ATTACKER, "bruteforce", "ban") in found
    assert ATTACKER not in detector._own


# -- 3. a last piece that reads as a line -----------------------------------------------------


def test_the_end_of_a_message_speaks_only_of_its_own_address() -> None:
    # What the client wrote before the server's elements can only be about its own
    # address (the residue: a "got in" of its own, never a victim's).
    found, detector = _daemon([*guesses(12), *ACCEPTED_PIECE])
    assert (ATTACKER, "bruteforce", "ban") in found
    assert {ip for ip, _v, _r in found} == {ATTACKER}
    assert ATTACKER not in detector._own


def _id_of(size: int, session: str) -> str:
    """A whole ID line (one write: under PIPE_BUF) whose message is ``size`` bytes."""
    return id_line([("zz", "")], size - len(elements(session))) + elements(session)


def _bot_behind_long_ids(connections: int) -> list[str]:
    """A bot that sends an ID of a piece's size before each try: the ID line, then its
    connection's failure line."""
    lines = []
    for n in range(connections):
        lines += logged(f"11:5{n // 6}:{n % 6 * 10:02d}", [_id_of(4040, f"id{n:04d}")])
        lines.append(guesses(n + 1, 50 + n // 6)[n])
    return lines


def test_a_long_id_hides_no_failure_after_it(run: Runner, log_file: LogFile) -> None:
    lines = _bot_behind_long_ids(12)
    assert all(len(line.split("imap-login: ", 1)[1]) >= 4000 for line in lines[::2])
    report = _json(run, log_file(_log(*lines)))
    (attacker,) = report["attackers"]
    assert attacker["ip"] == ATTACKER and attacker["failures"] == 12
    assert attacker["recommendation"] == "ban"
    found, _ = _daemon(lines)
    assert (ATTACKER, "bruteforce", "ban") in found


def test_a_long_id_hides_no_login_after_it(run: Runner, log_file: LogFile) -> None:
    login = logged(
        "11:59:50",
        [
            f"Login: user=<alice>, method=PLAIN, rip={ATTACKER}, lip={SERVER}, mpid=5, TLS, session=<ok1>"
        ],
    )
    path = log_file(_log(*guesses(12), *logged("11:59:49", [_id_of(4040, "ok1")]), *login))
    report = _json(run, path)
    assert [(c["user"], c["ip"]) for c in report["compromised"]] == [("alice", ATTACKER)]


# -- what stays as it was ----------------------------------------------------------------------


def _long_line(size: int, session: str) -> str:
    """A real login line (an 80-byte user, a long element a site added) whose message
    after ``imap-login: `` is ``size`` bytes."""
    head = "Disconnected (auth failed, 3 attempts in 12 secs): "
    body = (
        head
        + f"user=<{'u' * 80}>, method=PLAIN, rip={ATTACKER}, lip={SERVER}, TLS, session=<{session}>, x="
    )
    return "Feb 23 11:56:30 mx dovecot: imap-login: " + body + "c" * (size - len(body))


@pytest.mark.parametrize("size", [1024, 3999])
def test_a_long_line_below_a_piece_keeps_its_verdict(size: int) -> None:
    long = _long_line(size, "long0001")
    assert len(long.split("imap-login: ", 1)[1].encode()) == size
    # It counts (3 attempts), and the line after it is read as itself.
    after = guesses(1, 57)[0]
    framer = Framer(year=2026, split_pasted=False)
    events = [
        e
        for n, line in enumerate((long, after))
        for r in framer.frame_line(line, "m", n, 0)
        for e in parse(r)
    ]
    assert [(e.ip, e.attempts, e.session) for e in events] == [
        (ATTACKER, 3, "long0001"),
        (ATTACKER, 1, "f570000"),
    ]
    assert events[0].server_ip == SERVER


def test_a_line_after_a_piece_from_another_service_or_host_is_read() -> None:
    piece = VICTIM_PIECE[0]
    pop3 = guesses(1, 57)[0].replace("imap-login", "pop3-login")
    other_host = guesses(1, 58)[0].replace(" mx dovecot:", " mx2 dovecot:")
    framer = Framer(year=2026, split_pasted=False)
    events = [
        e
        for n, line in enumerate((piece, pop3, other_host))
        for r in framer.frame_line(line, "m", n, 0)
        for e in read(r)
    ]
    assert [(e.ip, e.session) for e in events] == [(ATTACKER, "f570000"), (ATTACKER, "f580000")]


def test_a_piece_in_utf8_is_counted_in_bytes() -> None:
    # A middle piece of four-byte characters: 4087 bytes, far fewer characters.
    tail = f", n=x (auth failed, 9 attempts in 9 secs): user=<alice>, method=PLAIN, rip={VICTIM}, lip={ATTACKER}, session=<x"
    body = "x=" + "\U0001f600" * 900
    body += "w" * (piece_size(23456) - len((body + tail).encode()))
    assert len((body + tail).encode()) == piece_size(23456) and len(body + tail) < 1400
    line = "Feb 23 11:55:00 mx dovecot: imap-login: " + body + tail
    framer = Framer(year=2026, split_pasted=False)
    events = [e for r in framer.frame_line(line, "m", 1, 0) for e in parse(r)]
    # Only the mark of a piece (detect.pieces): no address, nothing read from its text.
    assert [(e.type, e.ip, e.user, e.server_ip, e.detail) for e in events] == [
        (EventType.DEBUG, None, None, None, {"after_piece": "imap"})
    ]


def test_a_line_long_after_a_piece_is_read() -> None:
    # The end of the message lost on the way (a syslog rate limit): a line a minute later
    # is a line of its own.
    later = guesses(1, 56)[0]
    framer = Framer(year=2026, split_pasted=False)
    events = [
        e
        for n, line in enumerate((VICTIM_PIECE[0], later))
        for r in framer.frame_line(line, "m", n, 0)
        for e in read(r)
    ]
    assert [(e.ip, e.session) for e in events] == [(ATTACKER, "f560000")]


def test_explain_says_what_a_piece_is_in_chinese(run: Runner, log_file: LogFile) -> None:
    path = log_file(_log(*guesses(12), *VICTIM_PIECE, *VICTIM_PIECE))
    code, out, err = run("explain", "--year", "2026", path, "--lang", "zh_CN")
    assert code == 0, err
    text = "".join(out.split())
    assert "这是一条较长的Dovecot消息中的一段" in text
    assert "又一段较长的Dovecot消息：不予读取（见上文）。" in text


def test_pieces_in_dovecot_s_own_log_file() -> None:
    # log_path: no host, the process as the program, a level word before each piece.
    lines = [
        line.replace(" mx dovecot: imap-login: ", " imap-login: Info: ")
        for line in [*guesses(12), *VICTIM_PIECE]
    ]
    found, detector = _daemon(lines)
    assert (ATTACKER, "bruteforce", "ban") in found
    assert {ip for ip, _v, _r in found} == {ATTACKER}
    assert not [f for f in found if f[1] == "compromised"]
    assert ATTACKER not in detector._own
