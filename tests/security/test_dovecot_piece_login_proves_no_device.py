# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A login on the line after a piece of a cut Dovecot message makes no device.

Dovecot's log process writes a login-process message over ``PIPE_BUF`` as pieces of
4085 to 4091 bytes, each a line (parsers.dovecot ``SPLIT_PIECE_BYTES``). The last piece
is read as a line: it ends in the server's own elements (``rip=`` is the client's real
address), and all before them is the client's (a long IMAP ``ID``). A client made it
read ``Login: user=<alice>, method=PLAIN, …, rip=<its own address>``: its address was
then alice's device, and its guessing at alice afterwards a phone's "stale password",
never banned (found by review). A whole ID line of a piece's size (one write) is
followed by the connection's real line, which must still count: a real login after
guessing stays a break-in (tests/security/test_dovecot_split_messages.py).
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
from mailwarden.parsers import parse

LogFile = Callable[[str], str]

ATTACKER = "203.0.113.5"
OWNER = "198.51.100.20"
SERVER = "192.0.2.1"
PIPE_BUF = 4096
PIECE = PIPE_BUF - len("\x01T23456 ") - 1  # failures.c: internal_send_split()


def id_message(size: int) -> str:
    """``ID sent: `` and padding values, ``size`` bytes in all."""
    text = "ID sent: k0=v"
    while len(text) < size - 160:
        text += f", k{len(text)}=" + "v" * 70
    text += ", z="
    text += "w" * (size - len(text))
    assert len(text) == size
    return text


def logged(stamp: str, texts: list[str]) -> list[str]:
    return [f"Feb 23 {stamp} mx dovecot: imap-login: {text}" for text in texts]


def forged_login(stamp: str = "11:40:00", tail: str | None = None) -> list[str]:
    """An ID cut in two: its first piece, then the last one, a login of alice that the
    client wrote before the server's elements (Dovecot leaves out the empty ``user=<>``
    and ``method=`` of a connection that has not logged in)."""
    tail = tail or "Login: user=<alice>, method=PLAIN, mpid=1"
    message = id_message(PIECE) + tail + f": rip={ATTACKER}, lip={SERVER}, TLS, session=<realX>"
    lines = logged(stamp, [message[:PIECE], message[PIECE:]])
    assert lines[1].split("imap-login: ", 1)[1].startswith(tail)
    return lines


def failures(count: int, minute: int, ip: str = ATTACKER, user: str = "alice") -> list[str]:
    return [
        f"Feb 23 11:{minute}:{i:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
        f"user=<{user}>, method=PLAIN, rip={ip}, lip={SERVER}, TLS, session=<f{minute}{i:04d}{ip[-2:]}>"
        for i in range(count)
    ]


def real_login(stamp: str, ip: str, session: str) -> list[str]:
    return logged(
        stamp,
        [
            f"Login: user=<alice>, method=PLAIN, rip={ip}, lip={SERVER}, mpid=5, TLS, session=<{session}>"
        ],
    )


def _json(run: Runner, log_file: LogFile, lines: list[str]) -> dict[str, Any]:
    code, out, err = run(
        "analyze", "--year", "2026", "--format", "json", log_file("\n".join(lines) + "\n")
    )
    assert code in (0, 1, 2), err
    report: dict[str, Any] = json.loads(out)
    return report


def _daemon(lines: list[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """What the daemon's detector finds, the lines framed one at a time as it reads them,
    and the addresses it told the store were owners' devices (:attr:`Detector.on_owner`)."""
    detector = Detector(PolicyConfig())
    detector.set_own_addresses([SERVER])
    owners: list[str] = []
    detector.on_owner = lambda ip, _user, _when, _previous: owners.append(ip)
    framer = Framer(year=2026, split_pasted=False)
    found = []
    for number, line in enumerate(lines, 1):
        for record in framer.frame_line(line, "mail.log", number, 0):
            for event in parse(record):
                found += [
                    (d.ip, str(d.verdict), str(d.recommendation)) for d in detector.feed(event)
                ]
    return found, owners


# -- the forged login after a piece -------------------------------------------------------------


@pytest.mark.parametrize("guesses", [3, 20])
def test_a_forged_login_after_a_piece_excuses_no_guessing_analyze(
    run: Runner, log_file: LogFile, guesses: int
) -> None:
    report = _json(run, log_file, [*forged_login(), *failures(guesses, 56)])
    (attacker,) = report["attackers"]
    assert attacker["ip"] == ATTACKER and attacker["failures"] == guesses
    assert attacker["verdict"] == "bruteforce" and attacker["recommendation"] == "ban"
    assert attacker["succeeded_as"] == [] and attacker["stale_failures"] == 0
    assert report["compromised"] == []


def test_a_forged_login_after_a_piece_excuses_no_guessing_daemon() -> None:
    found, owners = _daemon([*forged_login(), *failures(20, 56)])
    assert (ATTACKER, "bruteforce", "ban") in found
    assert owners == []  # never stored as alice's device for after a restart


def test_a_forged_login_after_a_piece_excuses_no_guessing_explain(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file("\n".join([*forged_login(), *failures(3, 56)]) + "\n")
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    text = " ".join(out.split())
    assert "Someone is trying to guess passwords; nobody got in." in text
    assert "old password" not in text
    assert "A piece of a longer Dovecot message" in text


def test_a_forged_accepted_password_after_a_piece_excuses_nothing(
    run: Runner, log_file: LogFile
) -> None:
    # 2.4's "K/N successful auths": one line, a failure and then a login; both of the
    # line after the piece.
    tail = "Login aborted: Connection closed (internal failure, 1/2 successful auths in 5 secs) (internal_failure): user=<alice>, method=PLAIN, x"
    report = _json(run, log_file, [*forged_login(tail=tail), *failures(6, 56)])
    (attacker,) = report["attackers"]
    assert attacker["ip"] == ATTACKER and attacker["recommendation"] == "ban"
    assert attacker["verdict"] == "bruteforce" and attacker["stale_failures"] == 0


def test_a_forged_login_after_guessing_is_still_a_break_in(run: Runner, log_file: LogFile) -> None:
    # What the client wrote is about itself: after its guessing, a "got in" of its own.
    report = _json(run, log_file, [*failures(12, 39), *forged_login()])
    assert [(c["user"], c["ip"]) for c in report["compromised"]] == [("alice", ATTACKER)]


def test_explain_casts_no_doubt_on_a_break_in_after_a_piece(run: Runner, log_file: LogFile) -> None:
    # Step 1 says to change the password; the block step must not add that this login
    # "proves no device", which reads as if the break-in were in doubt (found by review).
    path = log_file("\n".join([*failures(12, 39), *forged_login()]) + "\n")
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    text = " ".join(out.split())
    assert "Change the password" in text
    assert "logged in only on a line right after a piece" not in text


# -- what stays as it was ----------------------------------------------------------------------


def _whole_id(stamp: str, session: str, ip: str = ATTACKER) -> list[str]:
    """A whole ID line (one write, under PIPE_BUF) of 4040 bytes: read as a piece."""
    elements = f": rip={ip}, lip={SERVER}, TLS, session=<{session}>"
    return logged(stamp, [id_message(4040 - len(elements)) + elements])


def test_a_real_login_after_a_long_id_after_guessing_is_a_break_in(
    run: Runner, log_file: LogFile
) -> None:
    lines = [
        *failures(12, 50),
        *_whole_id("11:59:49", "ok1"),
        *real_login("11:59:50", ATTACKER, "ok1"),
    ]
    report = _json(run, log_file, lines)
    assert [(c["user"], c["ip"]) for c in report["compromised"]] == [("alice", ATTACKER)]
    found, _ = _daemon(lines)
    assert [f for f in found if f[1] == "compromised"] == [(ATTACKER, "compromised", "ban")]


def test_a_device_with_an_old_password_is_still_excused(run: Runner, log_file: LogFile) -> None:
    lines = [*real_login("11:30:00", OWNER, "own1"), *failures(4, 56, ip=OWNER)]
    report = _json(run, log_file, lines)
    assert [(a["ip"], a["verdict"]) for a in report["attackers"]] == [(OWNER, "stale_password")]
    assert report["attackers"][0]["recommendation"].startswith("none")
    found, owners = _daemon(lines)
    assert not [f for f in found if f[1] in ("bruteforce", "compromised")]
    assert owners == [OWNER]


def test_a_login_long_after_a_piece_is_a_device(run: Runner, log_file: LogFile) -> None:
    # The end of a cut message lost: a login minutes later is a line of its own.
    piece = forged_login("11:20:00")[0]
    lines = [piece, *real_login("11:30:00", OWNER, "own1"), *failures(4, 56, ip=OWNER)]
    report = _json(run, log_file, lines)
    assert [(a["ip"], a["verdict"]) for a in report["attackers"]] == [(OWNER, "stale_password")]
    assert report["attackers"][0]["recommendation"].startswith("none")


# -- other lines between a piece and its message's last one -------------------------------------


def _other_client(stamp: str, n: int) -> list[str]:
    return logged(
        stamp,
        [
            f"Disconnected (no auth attempts in 0 secs): user=<>, rip=198.51.100.99, lip={SERVER}, TLS, session=<other{n}>"
        ],
    )


def _interleaved() -> list[str]:
    """Another connection's line between the piece and the forged last one (the log
    process writes each piece as it comes, the lines of all imap-login processes)."""
    piece, last = forged_login()
    return [piece, *_other_client("11:40:00", 1), last]


def _two_cut_ids() -> list[str]:
    """The client's two cut IDs, their pieces interleaved: A1 B1 A2 B2."""
    a1, a2 = forged_login("11:40:00")
    b1, b2 = forged_login("11:40:01", tail="Login: user=<alice>, method=LOGIN, mpid=2")
    return [a1, b1, a2, b2]


@pytest.mark.parametrize("lines", [_interleaved, _two_cut_ids], ids=["other", "own"])
def test_a_forged_login_after_other_lines_excuses_no_guessing(
    run: Runner, log_file: LogFile, lines: Callable[[], list[str]]
) -> None:
    log = [*lines(), *failures(20, 56)]
    report = _json(run, log_file, log)
    (attacker,) = report["attackers"]
    assert attacker["ip"] == ATTACKER and attacker["failures"] == 20
    assert attacker["verdict"] == "bruteforce" and attacker["recommendation"] == "ban"
    assert attacker["succeeded_as"] == [] and attacker["stale_failures"] == 0
    found, owners = _daemon(log)
    assert (ATTACKER, "bruteforce", "ban") in found
    assert owners == []
    # After its guessing, still a "got in" of its own.
    report = _json(run, log_file, [*failures(12, 39), *lines()])
    assert {(c["user"], c["ip"]) for c in report["compromised"]} == {("alice", ATTACKER)}


# -- explain says why ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "at_login", "in_verdict"),
    [
        (
            "en",
            "This login proves no device of the account: it came within 2 seconds after a piece",
            "203.0.113.5 logged in only on a line right after a piece of a cut Dovecot message",
        ),
        (
            "zh_CN",
            "这次登录不能证明该地址是该账户的设备",
            "203.0.113.5 只在紧跟被截断的 Dovecot 消息的一段之后",
        ),
    ],
    ids=["en", "zh"],
)
@pytest.mark.parametrize("lines", [forged_login, _interleaved], ids=["next", "other"])
def test_explain_says_the_login_after_a_piece_proves_no_device(
    run: Runner,
    log_file: LogFile,
    lang: str,
    at_login: str,
    in_verdict: str,
    lines: Callable[[], list[str]],
) -> None:
    path = log_file("\n".join([*lines(), *failures(3, 56)]) + "\n")
    code, out, err = run("explain", "--year", "2026", path, "--lang", lang)
    assert code == 0, err
    text = "".join(out.split()) if lang != "en" else " ".join(out.split())
    if lang != "en":
        at_login, in_verdict = "".join(at_login.split()), "".join(in_verdict.split())
    login = text.index("Login: user=<alice>" if lang == "en" else "Login:user=<alice>")
    assert text.index(at_login) > login  # said at the login's line
    assert in_verdict in text


@pytest.mark.parametrize("cut", ["grep", "since"])
def test_the_last_piece_alone_excuses_no_guessing(run: Runner, log_file: LogFile, cut: str) -> None:
    """``grep ADDRESS`` drops the first piece (it holds no ``rip=``), and ``--since`` may
    fall between the two pieces: the last piece's shape still tells it (the server's
    elements after ``": "``, where a login line has ``", "``), found by review."""
    piece, tail = forged_login("11:49:59")
    tail = tail.replace("Feb 23 11:49:59", "Feb 23 11:50:00", 1)
    lines = [piece, tail, *failures(20, 56)]
    since: list[str] = []
    if cut == "grep":
        lines = [line for line in lines if ATTACKER in line]
        assert len(lines) == 21
    else:
        since = ["--since", "2026-02-23 11:50"]
    log = log_file("\n".join(lines) + "\n")
    code, out, err = run("analyze", "--year", "2026", *since, "--format", "json", log)
    assert code == 0, err
    (attacker,) = json.loads(out)["attackers"]
    assert attacker["ip"] == ATTACKER and attacker["failures"] == 20
    assert attacker["verdict"] == "bruteforce" and attacker["recommendation"] == "ban"
    assert attacker["stale_failures"] == 0
