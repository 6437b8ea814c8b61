# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""`mailwarden analyze`'s promises to other tools and to people, on a log with every verdict
and every finding kind: the JSON contract of ARCHITECTURE.md field by field
(tests/contract.py), and a text report at 80 columns that never cuts an address or an
account into another valid-looking one."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from analyze_logs import Log, run_analyze, stamp

from contract import FINDING_KINDS, VERDICTS, analysis_problems, split_values

VERBOSE_PASSWORD = "Tr0ub4dor&3"
DOVECOT_PASSWORD = "hunter22!x"
LONG_ACCOUNT = "accounts-payable.department@subsidiary.example.com"
LONG_V6 = "2001:db8:c33:3:1111:2222:3333:4444"


class EveryLog(Log):
    """:class:`Log` with the server-side lines the analysis reports on."""

    def verbose_auth(self, t: float, ip: str, user: str, password: str) -> None:
        """smtpd -v (debug_peer_list): the AUTH command as the client sent it."""
        pid, prog = self.pid(), "postfix/submission/smtpd"
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.lines += [
            f"{stamp(t)} mx {prog}[{pid}]: connect from unknown[{ip}]",
            f"{stamp(t)} mx {prog}[{pid}]: < unknown[{ip}]: AUTH PLAIN {token}",
            f"{stamp(t + 1)} mx {prog}[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}",
            f"{stamp(t + 1)} mx {prog}[{pid}]: > unknown[{ip}]: 535 5.7.8 Error: authentication failed: (reason unavailable)",
            f"{stamp(t + 2)} mx {prog}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2",
        ]

    def dovecot_password(self, t: float, ip: str, user: str, password: str) -> None:
        """auth_verbose_passwords = plain."""
        self.lines.append(
            f"{stamp(t)} mx dovecot: auth: passwd-file({user},{ip},<Dv{int(t)}>): Password mismatch (given password: {password})"
        )

    def old_cipher_list(self, t: float, ip: str) -> None:
        """Postfix before 2.8 logs its export-grade default cipher list."""
        pid = self.pid()
        self.lines += [
            f"{stamp(t)} mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
            f'{stamp(t)} mx postfix/smtpd[{pid}]: unknown[{ip}]: TLS cipher list "ALL:+RC4:@STRENGTH"',
            f"{stamp(t + 1)} mx postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 commands=1",
        ]

    def soft_relay_reject(self, t: float, ip: str) -> None:
        """soft_bounce = yes turns the unknown recipient's 550 into 450."""
        pid = self.pid()
        self.lines += [
            f"{stamp(t)} mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
            f"{stamp(t + 1)} mx postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: 450 4.1.1 <victim@example.org>: Recipient address rejected: User unknown in local recipient table; from=<spam@example.biz> to=<victim@example.org> proto=ESMTP helo=<bot>",
            f"{stamp(t + 2)} mx postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
        ]


def every_kind(tmp_path: Path) -> Path:
    """Every verdict and every finding kind the analysis knows, once or more."""
    log = EveryLog()
    log.quiet_traffic(0, 3)
    # compromised: a brute force, then a login as the account it guessed
    log.sasl_failures(100, "203.0.113.7", "alice@example.com", 6)
    log.submission_login(130, "203.0.113.7", "alice@example.com")
    log.sasl_failures(200, "192.0.2.10", "bob@example.com", 5)  # bruteforce
    log.sasl_failures(300, "2001:db8:1::1", "trap@example.com", 1)  # honeypot
    for n, name in enumerate(["carol", "erin", "frank", "grace", "heidi"]):  # enumeration
        log.sasl_failures(400 + n * 900, "2001:db8:2::1", f"{name}@example.com", 1)
    for n in range(5):  # slow_bruteforce: one failure every 20 minutes
        log.sasl_failures(500 + n * 1200, "2001:db8:3::1", "ivan@example.com", 1)
    accounts = ["judy@example.com", "mallory@example.com", "oscar@example.com"]
    for n in range(6):  # spray: six clients, the same three accounts, slowly
        for k, account in enumerate(accounts):
            log.sasl_failures(600 + n * 700 + k * 230, f"198.51.100.{20 + n}", account, 1)
    for n in range(4):  # network: four addresses of one /64, one failure each
        log.imap_failures(
            700 + n * 300, f"2001:db8:77:1::{n + 1:x}", f"peggy{n}@example.com", 1, f"Nw{n}"
        )
    log.sasl_failures(800, "2001:db8:4::1", "root", 1)  # probe
    for n in range(3):  # scanner
        log.relay_attempt(900 + n * 10, "2001:db8:5::1")
    log.imap_login(1000, "2001:db8:100:7a::9", "grace@example.com", "Ph0")  # stale password
    for n in range(4):
        log.imap_failures(
            1200 + n * 300, "2001:db8:100:7a::9", "grace@example.com", 1, f"Ph{n + 1}"
        )
    log.sasl_failures(1300, "198.51.100.99", "victor@example.com", 5)  # allow-listed
    for n in range(5):  # misspelt_username: a device retrying as wlater, then walter logs in
        log.sasl_failures(2000 + n * 1200, "198.18.0.9", "wlater@example.com", 1)
    log.imap_login(2000 + 5 * 1200, "198.18.0.9", "walter@example.com", "Wa0")
    log.auth_outage(9000, "2001:db8:6::1")  # auth_unavailable
    # credential_exposed (tls_loglevel), weak_tls (negotiated RC4), auth_on_port_25
    log.tls_dump_auth(9100, "203.0.113.30", "carol@example.com", "Summer2026")
    log.verbose_auth(9200, "203.0.113.31", "dave@example.com", VERBOSE_PASSWORD)
    log.dovecot_password(9300, "203.0.113.32", "erin@example.com", DOVECOT_PASSWORD)
    log.old_cipher_list(9400, "203.0.113.33")  # weak_tls (cipher list), outdated_server
    log.soft_relay_reject(9500, "203.0.113.34")  # soft_bounce
    log.lines.sort(key=lambda line: line[:15])
    return log.write(tmp_path / "mail.log")


EVERY_ARGS = ("--year", "2026", "--honeypot", "trap@example.com", "--allow", "198.51.100.99")


def analyze_json(*args: str | Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run_analyze("--format", "json", *args, env=env)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_every_verdict_and_finding_kind_keeps_the_json_contract(tmp_path: Path) -> None:
    document = analyze_json(*EVERY_ARGS, every_kind(tmp_path))
    assert analysis_problems(document, secrets=[VERBOSE_PASSWORD, DOVECOT_PASSWORD]) == []
    # The log holds every kind: the check above saw each of them.
    assert {a["verdict"] for a in document["attackers"]} == set(VERDICTS)
    kinds = {f["kind"] for f in document["findings"]}
    assert kinds == set(FINDING_KINDS)
    assert {(f["kind"], f["subject"]) for f in document["findings"]} >= {
        ("credential_exposed", "tls_loglevel"),
        ("credential_exposed", "verbose"),
        ("credential_exposed", "dovecot"),
        ("weak_tls", "negotiated"),
        ("weak_tls", "cipher_list"),
    }
    recommendations = {a["ip"]: a["recommendation"] for a in document["attackers"]}
    assert recommendations["192.0.2.10"] == "ban"
    assert recommendations["2001:db8:4::1"] == "watch"
    assert recommendations["198.51.100.99"] == "none (allow-listed)"
    assert recommendations["2001:db8:100:7a::9"] == "none (stale password of a real user)"
    networks = {a["ip"]: a["network"] for a in document["attackers"]}
    assert networks["2001:db8:77:1::1"] == "2001:db8:77:1::/64"
    assert networks["192.0.2.10"] is None
    (compromise,) = document["compromised"]
    assert compromise == compromise | {
        "user": "alice@example.com",
        "ip": "203.0.113.7",
        "time": "2026-02-23T09:02:11" + compromise["time"][19:],
        "failures_before": 6,
    }


def test_the_passwords_are_in_the_json_only_when_asked_for(tmp_path: Path) -> None:
    path = every_kind(tmp_path)
    shown = analyze_json(*EVERY_ARGS, "--show-passwords", path)
    assert analysis_problems(shown, show_passwords=True) == []
    passwords = {c["user"]: c["password"] for c in shown["credentials"]}
    assert passwords["dave@example.com"] == VERBOSE_PASSWORD
    # ... so the masked document's check for them is a real one.
    masked = analyze_json(*EVERY_ARGS, path)
    assert {c["user"]: c["password"] for c in masked["credentials"]}["dave@example.com"] == (
        "*** (11 characters)"
    )


def test_times_carry_the_zone_they_were_read_in(tmp_path: Path) -> None:
    document = analyze_json(*EVERY_ARGS, "--timezone", "Asia/Kolkata", every_kind(tmp_path))
    assert analysis_problems(document) == []
    (compromise,) = document["compromised"]
    assert compromise["time"] == "2026-02-23T09:02:11+05:30"
    first = {a["ip"]: a["first_seen"] for a in document["attackers"]}
    assert first["203.0.113.7"] == "2026-02-23T09:01:41+05:30"


def test_stats_events_are_the_events_read_not_the_analysed_ones() -> None:
    """The detector counts only the events that can change the analysis (1,495 in the
    samples); it used to overwrite the reading's ``events`` (at least one per recognised
    line: 1,644 lines gave more)."""
    root = Path(__file__).resolve().parents[2] / "samples"
    logs = [root / "mail.log.2.gz", root / "mail.log.1", root / "mail.log"]
    stats = analyze_json(*logs)["stats"]
    assert stats["events"] >= stats["lines_recognised"] > 0
    assert 0 < stats["events_analysed"] < stats["events"]
    assert list(stats)[:4] == ["lines_read", "lines_recognised", "events", "seconds"]


def test_lines_recognised_are_at_most_the_lines_read() -> None:
    # The excerpt is pasted text: one physical line holding 42 entries.
    seed = Path(__file__).resolve().parents[2] / "samples" / "seed-excerpt.txt"
    stats = analyze_json(seed)["stats"]
    assert 0 < stats["lines_recognised"] <= stats["lines_read"] == 1


def test_the_bundled_samples_keep_the_contract() -> None:
    root = Path(__file__).resolve().parents[2] / "samples"
    logs = [root / "mail.log.2.gz", root / "mail.log.1", root / "mail.log"]
    document = analyze_json("--users", root / "users.txt", *logs)
    assert analysis_problems(document) == []
    assert document["stats"]["lines_read"] == 5766
    assert document["compromised"] and document["credentials"]


def test_a_credential_cut_inside_its_username_says_so(tmp_path: Path) -> None:
    """Postfix dumps 40 bytes of the AUTH line: ``very.long.username.n`` is the start of
    a name, not an account."""
    log = EveryLog()
    log.tls_dump_auth(0, "203.0.113.30", "very.long.username.number0@example.com", "Pw")
    log.tls_dump_auth(60, "203.0.113.31", "carol@example.com", "Summer2026")
    path = log.write(tmp_path / "mail.log")
    document = analyze_json(path)
    assert analysis_problems(document) == []
    cut = {c["user"]: c["user_complete"] for c in document["credentials"]}
    assert cut == {"very.long.username.n": False, "carol@example.com": True}
    out = run_analyze(path).stdout
    table = out.split("Credentials seen in the log", 1)[1]
    assert "very.long.username.n…" in table and "carol@example.com " in table


# -- the text report at 80 columns -----------------------------------------------------------


def long_names(tmp_path: Path) -> Path:
    """Long accounts and long IPv6 addresses in every table that shows them."""
    log = EveryLog()
    log.quiet_traffic(0, 2)
    log.sasl_failures(100, LONG_V6, LONG_ACCOUNT, 6)
    log.submission_login(130, LONG_V6, LONG_ACCOUNT)
    log.sasl_failures(150, "203.0.113.9", "first.middle.lastname@marketing.example.com", 4)
    log.submission_login(170, "203.0.113.9", "first.middle.lastname@marketing.example.com")
    targets = [f"first.middle.lastname{k}@marketing.example.com" for k in range(3)]
    for n in range(6):
        for k, account in enumerate(targets):
            log.sasl_failures(
                600 + n * 700 + k * 230, f"2001:db8:a11:1:1234:5678:9abc:de{n:02x}", account, 1
            )
    log.verbose_auth(9000, "2001:db8:feed:0:aaaa:bbbb:cccc:dddd", "x" * 30 + "@example.com", "pw1")
    log.verbose_auth(9100, "198.51.100.44", "billing.department@example.com", "pw2")
    log.lines.sort(key=lambda line: line[:15])
    return log.write(tmp_path / "mail.log")


def known_values(document: dict[str, Any]) -> set[str]:
    """Every address, network and account the JSON names."""
    found: set[str] = set()
    for a in document["attackers"]:
        found |= {a["ip"], *a["users"], *a["succeeded_as"]}
        if a["network"]:
            found.add(a["network"])
    found |= {c[k] for c in document["compromised"] for k in ("user", "ip") if c[k]}
    found |= {c[k] for c in document["credentials"] for k in ("user", "ip") if c[k]}
    for f in document["findings"]:
        data = f["data"]
        found |= {str(m) for m in data.get("members", ())} | set(data.get("targets", ()))
        found |= {m["user"] for m in data.get("most_tried", ())}
        if f["kind"] == "stale_password":
            found |= {f["subject"], *data["users"]}
            found |= {data[k] for k in ("network", "logged_in_from") if k in data}
        if f["kind"] == "misspelt_username":
            found |= {f["subject"], *data["users"], data["account"]}
        if f["kind"] == "network":
            found.add(f["subject"])
    return found


@pytest.mark.parametrize("build", [long_names, every_kind])
def test_no_address_or_account_is_cut_into_another_at_80_columns(
    tmp_path: Path, build: Any
) -> None:
    path = build(tmp_path)
    known = known_values(analyze_json(*EVERY_ARGS, path)) | {"198.51.100.99/32"}  # --allow
    assert LONG_ACCOUNT in known or "alice@example.com" in known
    result = run_analyze(*EVERY_ARGS, path, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= 80, out
    assert split_values(out, known) == [], out
    # Each compromised account is in the report whole, even where its cell is too narrow.
    compromised = out.split("Compromised accounts", 1)[1].split("What to do now", 1)[0]
    for account in (LONG_ACCOUNT, "alice@example.com"):
        if account in known:
            assert account in compromised.split(), compromised


def test_the_cut_check_finds_a_folded_account() -> None:
    """The check above, on what rich printed before accounts were kept whole."""
    folded = "accounts-payable.department@subsidiary.        2026-02-23 09:02\nexample.com\n"
    assert split_values(folded, {LONG_ACCOUNT}) != []
    assert split_values("accounts-payable.department@subsidiary…  ban\n", {LONG_ACCOUNT}) == []


def test_the_checker_finds_what_it_checks(tmp_path: Path) -> None:
    document = analyze_json(*EVERY_ARGS, every_kind(tmp_path))
    first, second = document["attackers"][:2]
    broken: list[dict[str, Any]] = [
        document | {"attackers": [second, first, *document["attackers"][2:]]},  # worst first
        document | {"attackers": [first | {"first_seen": "2026-02-23 09:01:41"}]},
        document | {"attackers": [first | {"failures": "6"}]},
        document | {"attackers": [first | {"verdict": "brute-force"}]},
        document | {"attackers": [{k: v for k, v in first.items() if k != "network"}]},
        document | {"compromised": [document["compromised"][0] | {"failures_before": 0}]},
        document | {"credentials": [document["credentials"][0] | {"password": "hunter2"}]},
        document | {"stats": document["stats"] | {"events": 1}},
        {k: v for k, v in document.items() if k != "findings"},
    ]
    for n, wrong in enumerate(broken):
        assert analysis_problems(wrong) != [], n
    assert analysis_problems(document, secrets=["carol@example.com"]) != []


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_the_json_is_utf_8_whatever_the_locale(tmp_path: Path, encoding: str) -> None:
    """Under ``PYTHONIOENCODING=ascii`` the account came out as ``\\xe9t\\xe9@…`` (no
    JSON escape), under Latin-1 in bytes that are not UTF-8 (run_analyze reads UTF-8)."""
    log = Log()
    log.sasl_failures(0, "203.0.113.1", "été@example.com", 5)
    document = analyze_json(log.write(tmp_path / "mail.log"), env={"PYTHONIOENCODING": encoding})
    assert document["attackers"][0]["users"] == ["été@example.com"]
