"""analyze lists the commands that end an intruder's sessions (``doveadm kick``,
``ss -K dst``) for a confirmed break-in only: a login to ask the owner about first
(others' guessing before it) may be the owner's, whom they would cut off."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

_SMTPD = "Mar 12 {t} mx postfix/submission/smtpd[{pid}]: "


def _failures(ip: str, user: str, minute: int, first_pid: int) -> str:
    out = []
    for n in range(8):
        pid = first_pid + n
        t = f"10:{minute:02d}:{n:02d}"
        out += [
            _SMTPD.format(t=t, pid=pid) + f"connect from unknown[{ip}]",
            _SMTPD.format(t=t, pid=pid) + f"warning: unknown[{ip}]: SASL LOGIN authentication "
            f"failed: (reason unavailable), sasl_username={user}",
            _SMTPD.format(t=t, pid=pid) + f"disconnect from unknown[{ip}] ehlo=1 auth=0/1 "
            "quit=1 commands=2/3",
        ]
    return "\n".join(out) + "\n"


def _login(ip: str, user: str, minute: int, pid: int) -> str:
    return (
        _SMTPD.format(t=f"10:{minute:02d}:50", pid=pid)
        + f"connect from unknown[{ip}]\n"
        + _SMTPD.format(t=f"10:{minute:02d}:51", pid=pid)
        + f"QQQQ{pid}: client=unknown[{ip}], sasl_method=LOGIN, sasl_username={user}\n"
        + _SMTPD.format(t=f"10:{minute:02d}:53", pid=pid)
        + f"disconnect from unknown[{ip}] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6\n"
    )


# alice: 192.0.2.10 guesses and gets in (confirmed); carol: 192.0.2.20 guesses, then
# 203.0.113.50 logs in as carol with no failure of its own (maybe the owner)
MIXED = (
    _failures("192.0.2.10", "alice@example.com", 1, 100)
    + _login("192.0.2.10", "alice@example.com", 1, 108)
    + _failures("192.0.2.20", "carol@example.com", 2, 200)
    + _login("203.0.113.50", "carol@example.com", 3, 300)
)


def test_only_a_confirmed_break_in_gets_end_session_commands(
    run: Runner, log_file: LogFile
) -> None:
    code, out, err = run("analyze", log_file(MIXED))
    assert code == 0, err
    advice = out.split("What to do now:", 1)[1]
    lines = [line.strip() for line in advice.splitlines()]
    assert "doveadm kick alice@example.com" in lines
    assert "ss -K dst 192.0.2.10" in lines
    assert "doveadm kick carol@example.com" not in lines
    assert "ss -K dst 203.0.113.50" not in lines


def test_a_maybe_alone_gets_none(run: Runner, log_file: LogFile) -> None:
    log = _failures("192.0.2.20", "carol@example.com", 2, 200) + _login(
        "203.0.113.50", "carol@example.com", 3, 300
    )
    code, out, err = run("analyze", log_file(log))
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Ask the account's owner first" in flat
    assert "doveadm kick carol" not in out
    assert "ss -K dst 203.0.113.50" not in out
