"""``attackers[].user_count`` says how many names a client tried (``users`` keeps the
first 32, ``users_complete`` false beyond), and ``users`` are the names of its guesses:
a device with an old password that also guesses other names does not add its own
account to them (it is in ``succeeded_as``)."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner, analyze_json


def _fail(minute: int, user: str, ip: str = "198.51.100.50") -> str:
    return (
        f"2026-03-10T{9 + minute // 60:02d}:{minute % 60:02d}:00+00:00 mx dovecot[99]: "
        f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, "
        f"method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<s{minute}{user[:3]}>"
    )


def test_user_count_beyond_the_kept_names(run: Runner, log_file: Callable[[str], str]) -> None:
    lines = [_fail(n // 10, f"user{n}@example.com", "203.0.113.9") for n in range(36)]
    entry = analyze_json(run, log_file, lines)["attackers"][0]
    assert entry["users_complete"] is False
    assert len(entry["users"]) == 32
    # a lower bound that agrees with the text's "+32 or more" beside the first name
    assert entry["user_count"] == 33
    code, out, _ = run("analyze", "--year", "2026", log_file("\n".join(lines) + "\n"))
    assert code == 0 and "+32 or more" in out


def test_stale_device_guessing_other_names(run: Runner, log_file: Callable[[str], str]) -> None:
    lines = [
        "2026-03-10T08:00:00+00:00 mx dovecot[99]: imap-login: Login: "
        "user=<alice@example.com>, method=PLAIN, rip=198.51.100.50, lip=192.0.2.1, "
        "mpid=5, TLS, session=<ok0>"
    ]
    lines += [_fail(15 * n, "alice@example.com") for n in range(24)]
    lines += [_fail(15 * n + 7, f"guest{n + 1}@example.com") for n in range(6)]
    entry = analyze_json(run, log_file, lines)["attackers"][0]
    assert entry["failures"] == 6
    assert entry["user_count"] == len(entry["users"]) == 6
    assert "alice@example.com" not in entry["users"]
    assert "alice@example.com" in entry["succeeded_as"]
