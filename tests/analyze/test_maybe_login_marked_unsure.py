"""A "Maybe" login (an address with no failure of its own logs in to an account that
other clients were guessing) is marked unsure everywhere: the attackers table says
"maybe got in", the JSON entry has ``unsure: true``, and the headline says whose the
failures before it were."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner, analyze_json


def _spray_then_login() -> list[str]:
    lines = []
    for n in range(1, 11):
        lines.append(
            f"2026-03-10T09:{n * 3:02d}:00+00:00 mx dovecot[99]: imap-login: Disconnected "
            f"(auth failed, 1 attempts in 2 secs): user=<carol@example.com>, method=PLAIN, "
            f"rip=203.0.113.{n}, lip=192.0.2.1, TLS, session=<a{n}>"
        )
    lines.append(
        "2026-03-10T09:35:00+00:00 mx dovecot[99]: imap-login: Login: "
        "user=<carol@example.com>, method=PLAIN, rip=198.51.100.60, lip=192.0.2.1, "
        "mpid=5, TLS, session=<ok>"
    )
    return lines


def test_json_marks_the_maybe_login_unsure(run: Runner, log_file: Callable[[str], str]) -> None:
    report = analyze_json(run, log_file, _spray_then_login())
    entry = next(a for a in report["attackers"] if a["ip"] == "198.51.100.60")
    assert entry["verdict"] == "compromised"  # stable for consumers
    assert entry["unsure"] is True
    assert entry["recommendation"] == "watch"
    assert report["compromised"][0]["by_others"] is True
    assert all(not a["unsure"] for a in report["attackers"] if a["ip"] != "198.51.100.60")


def test_table_and_headline_say_maybe(run: Runner, log_file: Callable[[str], str]) -> None:
    path = log_file("\n".join(_spray_then_login()) + "\n")
    code, out, _ = run("analyze", "--timezone", "UTC", path, env={"COLUMNS": "80"})
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("198.51.100.60 "))
    assert "maybe got in" in row
    assert "by other clients" in " ".join(out.split("\n\n")[0].split())
    code, out, _ = run(
        "analyze", "--timezone", "UTC", "--lang", "zh_CN", path, env={"COLUMNS": "80"}
    )
    row = next(line for line in out.splitlines() if line.startswith("198.51.100.60 "))
    assert "已入侵" not in row.replace("可能已入侵", "")
