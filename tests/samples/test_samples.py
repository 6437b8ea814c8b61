"""The bundled samples of `make demo` (samples/README.md).

`scripts/make-samples.py` writes them again byte for byte, and `mailwarden analyze` tells
each story the way the README says, as a user running the demo sees it.
"""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SCRIPT = ROOT / "scripts" / "make-samples.py"
LOGS = ("samples/mail.log.2.gz", "samples/mail.log.1", "samples/mail.log")
USERS = "samples/users.txt"
GENERATED = ("mail.log.2.gz", "mail.log.1", "mail.log", "users.txt")

SPRAYERS = {
    "2001:db8:a11:1::17",
    "2001:db8:a11:1::2b",
    "2001:db8:a11:1::4c",
    "2001:db8:a11:1::91",
    "2001:db8:b22:2:5e4f::6",
    "2001:db8:b22:2:5e4f::6a",
    "2001:db8:b22:2:5e4f::e3",
    "203.0.113.61",
    "203.0.113.118",
    "203.0.113.140",
}
PHONE = "2001:db8:100:7a:8d3f:21c4:5e6b:1c09"
LAURA = "198.51.100.73"  # one typo on Wednesday evening, from an address she logged in from
INJECTED = "203.0.113.5"
PASSWORDS = {  # the made-up passwords of the level-4 stretch (scripts/make-samples.py)
    "alice@example.com": "Tulpen-im-Maerz-7",
    "bob@example.com": "b0b-Garden!",
    "victor@example.com": "Victor1962",
    "jobs@example.com": "Spring2026!",
}
COMPANY = (ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("2001:db8:100::/48"))


def mailwarden(*args: str) -> subprocess.CompletedProcess[str]:
    """`mailwarden ARGS` run from the repository, as `make demo` runs it (not a terminal)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def analyze(*extra: str) -> subprocess.CompletedProcess[str]:
    return mailwarden("analyze", "--quiet", "--year", "2026", "--users", USERS, *extra, *LOGS)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    done = analyze("--format", "json")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    data["raw"] = done.stdout
    return data


def attacker(report: dict[str, Any], ip: str) -> dict[str, Any]:
    found = [a for a in report["attackers"] if a["ip"] == ip]
    assert found, f"{ip} is not among the attackers"
    return found[0]


def findings(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["kind"] == kind]


def in_company(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address.version == n.version and address in n for n in COMPANY)


# -- the files -------------------------------------------------------------------------


def test_the_script_writes_the_same_bytes_every_time(tmp_path: Path) -> None:
    for out in (tmp_path / "first", tmp_path / "second"):
        subprocess.run(
            [sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True
        )
    for name in GENERATED:
        first = (tmp_path / "first" / name).read_bytes()
        assert first == (tmp_path / "second" / name).read_bytes(), name
        committed = (SAMPLES / name).read_bytes()
        if name.endswith(".gz"):
            # The deflate stream depends on the zlib build (zlib, zlib-ng): the header
            # (name, time) and the content are what must not change.
            assert first[:10] == committed[:10] and b"mail.log.2\0" in committed[:32]
            assert gzip.decompress(first) == gzip.decompress(committed), name
        else:
            assert first == committed, f"samples/{name} differs: run scripts/make-samples.py"


def test_the_logs_are_three_days_of_classic_syslog_from_host_mx() -> None:
    days = []
    count = 0
    for name in LOGS:
        path = ROOT / name
        raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
        lines = raw.decode("ascii").splitlines()
        assert all(line[15:19] == " mx " for line in lines), name
        days.append({line[:6] for line in lines})
        count += len(lines)
    assert days == [{"Mar  9"}, {"Mar 10"}, {"Mar 11"}]  # the oldest in mail.log.2.gz
    assert 3000 < count < 8000  # a few thousand lines: a minute's demo


# -- the stories, as `mailwarden analyze` tells them -------------------------------------


def test_the_text_report_opens_with_the_compromise() -> None:
    done = analyze()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Someone got in: sales@example.com was logged into from")
    assert "192.0.2.187" in " ".join(lines[:2])
    # Three of the hostile clients are scanners that failed no login (story 10).
    # Every failed login counted (JSON failures_counted), those not theirs said apart.
    assert ": 192 failed logins (190 from 15 of 18 hostile clients; 2 were owners' typos" in (
        " ".join(lines[:4])
    )
    not_attacks = done.stdout.split("Not attacks (never recommended for a ban)")[1]
    assert PHONE in not_attacks and "grace@example.com" in not_attacks
    assert LAURA not in not_attacks and "laura@example.com" not in not_attacks


def test_5_the_compromise_comes_first(report: dict[str, Any]) -> None:
    [compromise] = report["compromised"]
    assert compromise["user"] == "sales@example.com"
    assert compromise["ip"] == "192.0.2.187"
    assert compromise["failures_before"] == 9
    assert "sasl_username=sales@example.com" in compromise["evidence"][-1]["text"]
    first = report["attackers"][0]
    assert first["ip"] == "192.0.2.187"
    assert first["verdict"] == "compromised" and first["recommendation"] == "ban"
    assert first["succeeded_as"] == ["sales@example.com"]


def test_1_the_fast_brute_force(report: dict[str, Any]) -> None:
    bruteforce = attacker(report, "192.0.2.44")
    assert bruteforce["verdict"] == "bruteforce"
    assert bruteforce["users"] == ["info@example.com"]
    assert bruteforce["failures"] == 69  # the 6 "Connection lost" in the burst included
    assert bruteforce["recommendation"] == "ban"


def test_2_the_slow_guesser_across_the_rotation(report: dict[str, Any]) -> None:
    slow = attacker(report, "192.0.2.123")
    assert slow["verdict"] == "slow_bruteforce"
    assert slow["users"] == ["heidi@example.com"]
    assert slow["failures"] == 47
    assert slow["first_seen"][5:10] == "03-09" and slow["last_seen"][5:10] == "03-10"
    assert slow["recommendation"] == "ban"


def test_3_the_sprayers_are_one_campaign(report: dict[str, Any]) -> None:
    [spray] = findings(report, "spray")
    assert set(spray["data"]["members"]) == SPRAYERS
    assert set(spray["data"]["targets"]) == {
        "office@example.com",
        "jobs@example.com",
        "carol@example.com",
    }
    assert spray["data"]["failures"] == 24
    for ip in SPRAYERS:
        member = attacker(report, ip)
        assert member["verdict"] == "spray_member" and member["recommendation"] == "ban"
        assert member["failures"] <= 3  # each one below every per-client threshold
    # No four addresses of one network within an hour; but the four of 2001:db8:a11:1::/64
    # failed 10 times within the day, as one client a slow brute force (daily_failures):
    # the /64 is banned as one. The three of 2001:db8:b22:2::/64 failed 7 times: not.
    [network] = findings(report, "network")
    assert network["subject"] == "2001:db8:a11:1::/64"
    assert network["data"]["failures"] == 10 and network["data"]["recommendation"] == "ban"
    assert set(network["data"]["members"]) == {ip for ip in SPRAYERS if ":a11:" in ip}


def test_4_the_enumeration(report: dict[str, Any]) -> None:
    enumerator = attacker(report, "192.0.2.150")
    assert enumerator["verdict"] == "enumeration"
    assert enumerator["failures"] == 36
    assert {"dave@example.com", "ivan@example.com", "oscar@example.com"} <= set(
        enumerator["existing_users"]
    )
    assert len(enumerator["users"]) > 2 * len(enumerator["existing_users"])  # most are not real
    [finding] = findings(report, "enumeration")
    assert "192.0.2.150" in finding["data"]["clients"]
    # the names attackers tried, not those of people who mistyped their own password
    assert finding["data"]["usernames_tried"] == 46
    assert finding["data"]["existing_count"] == 11
    assert not {"erin@example.com", "mike@example.com"} & set(finding["data"]["existing"])


def test_6_the_phone_with_the_old_password_is_not_banned(report: dict[str, Any]) -> None:
    phone = attacker(report, PHONE)
    assert phone["verdict"] == "stale_password"
    assert phone["recommendation"] == "none (stale password of a real user)"
    assert phone["stale_failures"] == 13 and phone["failures"] == 0
    stale = {f["subject"]: f["data"] for f in findings(report, "stale_password")}
    assert stale[PHONE]["users"] == ["grace@example.com"]
    assert set(stale) == {PHONE}  # laura's one typo is no device with an old password
    assert LAURA not in {a["ip"] for a in report["attackers"]}
    # no address of the company is ever recommended for a ban
    banned = [a["ip"] for a in report["attackers"] if a["recommendation"] == "ban"]
    assert not [ip for ip in banned if in_company(ip)]


def test_7_the_auth_restart_is_an_outage_not_an_attack(report: dict[str, Any]) -> None:
    assert "198.51.100.10" not in {a["ip"] for a in report["attackers"]}
    [outage] = findings(report, "auth_unavailable")
    assert outage["data"]["failures"] == 1


def test_8_the_tls_level_4_stretch(report: dict[str, Any]) -> None:
    [exposed] = findings(report, "credential_exposed")
    assert exposed["subject"] == "tls_loglevel"
    assert exposed["data"]["payloads"] == 4 and exposed["data"]["users"] == 4
    # jobs@'s payload is the sprayer's failed guess: no real user's password
    assert exposed["data"]["users_who_logged_in"] == [
        "alice@example.com",
        "bob@example.com",
        "victor@example.com",
    ]
    assert exposed["data"]["users_with_password"] == 4
    seen = {c["user"]: c for c in report["credentials"]}
    assert set(seen) == set(PASSWORDS)
    assert seen["jobs@example.com"]["ip"] == "203.0.113.61"
    assert seen["victor@example.com"]["mechanism"] == "LOGIN"
    assert seen["victor@example.com"]["complete"] is True
    assert seen["alice@example.com"]["complete"] is False  # cut off after 40 bytes
    assert all(c["password_masked"] for c in seen.values())
    [weak] = [f for f in findings(report, "weak_tls") if f["subject"] == "negotiated"]
    assert weak["data"]["ciphers"] == {"TLSv1 RC4-SHA": 4}


def test_8_credentials_are_masked_everywhere_unless_asked(report: dict[str, Any]) -> None:
    raw = report["raw"]
    for user, password in PASSWORDS.items():
        assert password[:4] not in raw, user
        dumped = base64.b64encode(f"\0{user}\0{password}".encode()).decode()[:29]
        assert dumped not in raw, user  # the payload of `Read N chars: AUTH PLAIN …`
        assert base64.b64encode(password.encode()).decode() not in raw, user
    shown = analyze("--format", "json", "--show-passwords")
    passwords = {c["user"]: c["password"] for c in json.loads(shown.stdout)["credentials"]}
    assert passwords["victor@example.com"] == "Victor1962"
    assert PASSWORDS["alice@example.com"].startswith(passwords["alice@example.com"][:10])


def test_9_the_injected_address_is_never_an_attacker(report: dict[str, Any]) -> None:
    injector = attacker(report, "192.0.2.99")
    assert injector["recommendation"] == "ban"
    assert all(INJECTED in user for user in injector["users"])
    assert INJECTED not in {a["ip"] for a in report["attackers"]}
    assert INJECTED not in {c["ip"] for c in report["compromised"]}
    assert INJECTED not in {c["ip"] for c in report["credentials"]}
    injected = ipaddress.ip_address(INJECTED)
    for finding in report["findings"]:
        data = finding["data"]
        named = [finding["subject"], *data.get("members", []), *data.get("clients", [])]
        assert INJECTED not in named, finding["kind"]
        if finding["kind"] == "network":
            assert injected not in ipaddress.ip_network(finding["subject"])


def test_10_bots_on_port_25_are_watched_not_banned(report: dict[str, Any]) -> None:
    scanners = {a["ip"]: a for a in report["attackers"] if a["verdict"] == "scanner"}
    assert set(scanners) == {"192.0.2.36", "2001:db8:bad:1::2", "203.0.113.163"}
    assert {a["recommendation"] for a in scanners.values()} == {"watch"}


def test_other_mail_servers_and_people_typing_are_not_attackers(report: dict[str, Any]) -> None:
    hostile = {a["ip"] for a in report["attackers"] if a["verdict"] != "stale_password"}
    assert not [ip for ip in hostile if in_company(ip)]
    peers = ipaddress.ip_network("2001:db8:f0::/48")
    for ip in hostile:
        address = ipaddress.ip_address(ip)
        assert not (address.version == 6 and address in peers), ip
        assert not ip.startswith(("192.0.2.2",)), ip  # 192.0.2.200-250: other companies


# -- the user's configuration --------------------------------------------------------------


def test_the_users_configuration_fails_the_audit_with_its_problems() -> None:
    done = mailwarden(
        "audit",
        "--postfix-dir",
        "samples/postfix-user-server",
        "--postfix-version",
        "2.6.6",
        "--read-files",  # as on a machine without postconf (before `make debian`)
        "--format",
        "json",
    )
    assert done.returncode == 3, done.stderr  # high-severity findings: `make demo` goes on
    audit = json.loads(done.stdout)
    assert audit["postfix_reader"] == "files"
    high = {f["id"] for f in audit["findings"] if f["severity"] == "high"}
    assert {
        "postfix.auth_on_port_25",
        "postfix.tls_loglevel_credentials",
        "postfix.weak_ciphers",
        "postfix.eol_version",  # 2.6: nobody patches it any more
    } <= high


def test_an_hour_of_a_few_guesses_is_not_called_nobody_guessing() -> None:
    # Tuesday 10:00-11:00 holds a few failed logins, none enough for a verdict.
    done = mailwarden(
        "analyze",
        "--year",
        "2026",
        "--since",
        "2026-03-10T10:00",
        "--until",
        "2026-03-10 11:00",
        *LOGS,
    )
    assert done.returncode == 0, done.stderr
    top = " ".join(done.stdout.split("Read ")[0].split())
    assert top.startswith("No attack found: ") and "failed login" in top, top
    assert "nobody guessed passwords" not in top


def test_explain_of_the_three_days_clears_the_clients_whose_connections_all_ended() -> None:
    # A client got in (sales@); every other guesser's connections all end in the
    # three days with a summary counting no login (Dovecot's auth-process lines of an
    # attempt are the same attempt as its login-process line, not failures outside any
    # connection), so explain clears them as analyze does rather than asking for a
    # check of the whole log. Postfix 3.9's failures, which carry sasl_username= too,
    # are no login.
    done = mailwarden("explain", *LOGS)
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "Make sure nobody got in" not in out
    assert "Make sure none of the other clients got in" not in out
    assert "no line with “sasl_username=”" not in out
    fast = out.split("The client 192.0.2.44")[1].split("The client ")[0]
    assert "No, it did not get in." in fast
    assert "no line with “sasl_method=”" in fast
    assert "Postfix before 3.0" not in fast  # every connection ended with auth=0/N


def test_at_80_columns_the_count_of_other_accounts_tried_stays_whole() -> None:
    # The enumerator 192.0.2.150 tried 36 names, 32 of them kept: the cell cuts the
    # first name, never the "+32 or more" (it used to share its line and be cut off
    # with the name; and to say "+31 more", as if 32 were all).
    done = analyze()  # not a terminal: 80 columns
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("Attackers (", 1)[1]
    rows = table.split("\n192.0.2.150", 1)[1].splitlines()[:2]
    assert "+32 or more" in rows[1], rows
