"""The headline's count of failed logins is the JSON's ``failures_counted``, whole: the
failures of the hostile clients listed below, and the others said apart (clients with
too few failures to judge, owners' typos forgiven when they logged in, failures with an
account the client had logged in as). The server finding counts login attempts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from analyze_logs import Log, run_analyze, stamp

UNNAMED = "SASL {mech} authentication failed: authentication failure"


def few_unnamed_and_one_probe(tmp_path: Path) -> Path:
    """Four failures that name no account (Postfix before 3.9) from three addresses on
    port 25, then one on ``admin``: the only client judged (a probe)."""
    lines = []
    for n, (ip, mech) in enumerate(
        [
            ("203.0.113.10", "LOGIN"),
            ("198.51.100.20", "PLAIN"),
            ("203.0.113.10", "LOGIN"),
            ("192.0.2.30", "PLAIN"),
        ]
    ):
        lines.append(
            f"{stamp(n * 900)} mx postfix/smtpd[{100 + n}]: warning: unknown[{ip}]: "
            + UNNAMED.format(mech=mech)
        )
    lines.append(
        f"{stamp(3600)} mx postfix/smtpd[104]: warning: unknown[192.0.2.40]: SASL LOGIN "
        "authentication failed: (reason unavailable), sasl_username=admin"
    )
    path = tmp_path / "mail.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def read_line(out: str) -> str:
    """The headline's second line (``Read …``), unwrapped."""
    flat = " ".join(out.split())
    return flat[flat.index("Read ") :].split(" Attackers (", 1)[0]


def test_failures_of_clients_not_listed_are_in_the_headline(tmp_path: Path) -> None:
    path = few_unnamed_and_one_probe(tmp_path)
    data = json.loads(run_analyze("--format", "json", path).stdout)
    counted = data["stats"]["failures_counted"]
    assert [a["ip"] for a in data["attackers"]] == ["192.0.2.40"]
    line = read_line(run_analyze(path).stdout)
    total = re.search(r": (\d+) failed logins? ", line)
    assert total is not None and int(total.group(1)) == counted == 5, line
    assert (
        "5 failed logins (1 from 1 hostile client; 4 from clients with too few each to tell "
        "guessing from a typo)." in line
    )


def test_an_owners_forgiven_typo_is_counted_and_said(tmp_path: Path) -> None:
    # mike mistypes once and logs in from there: no guess, but a failure counted (the
    # JSON's failures_counted says 3); the headline says which one it was.
    log = Log()
    log.sasl_failures(0, "198.51.100.77", "mike@example.com", 1)
    log.submission_login(20, "198.51.100.77", "mike@example.com")
    log.sasl_failures(100, "203.0.113.77", "admin@example.com", 2, every=1)
    path = log.write(tmp_path / "mail.log")
    stats = json.loads(run_analyze("--format", "json", path).stdout)["stats"]
    assert stats["failures_counted"] == 3 and stats["failures_forgiven"] == 1
    line = read_line(run_analyze(path).stdout)
    assert line.endswith(
        ": 3 failed logins (2 from 1 hostile client; 1 was an owner's typo, forgiven when "
        "they logged in from there)."
    ), line


def test_failures_with_an_account_logged_in_as_are_said_apart(tmp_path: Path) -> None:
    # alice logs in, then her phone fails three times with her old password: no
    # guesses (stale_failures), said after the failed logins counted, as "more".
    log = Log()
    log.submission_login(0, "198.51.100.30", "alice@example.com")
    for n in range(3):
        log.sasl_failures(600 + n * 600, "198.51.100.30", "alice@example.com", 1)
    log.sasl_failures(700, "203.0.113.77", "admin@example.com", 2, every=1)
    path = log.write(tmp_path / "mail.log")
    stats = json.loads(run_analyze("--format", "json", path).stdout)["stats"]
    assert stats["stale_failures"] == 3 and stats["failures_counted"] == 2
    line = read_line(run_analyze(path).stdout)
    assert (
        ": 2 failed logins from 1 hostile client. 3 more failed logins with an account the "
        "client had logged in as (old passwords or typos) are not counted as guesses."
    ) in line, line


def test_the_port_25_finding_counts_login_attempts(tmp_path: Path) -> None:
    # Failed AUTH commands on the MX port are attempts, not logins.
    path = few_unnamed_and_one_probe(tmp_path)
    out = " ".join(run_analyze(path).stdout.split())
    assert (
        "5 login attempts (failed or not) on the MX port (smtp, 25), where only mail servers "
        "should talk, from 4 clients" in out
    )
    zh = "".join(run_analyze("--lang", "zh_CN", path).stdout.split())  # it folds anywhere
    assert "5次登录尝试（无论成败）" in zh and "5次登录，" not in zh
