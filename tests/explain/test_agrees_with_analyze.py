"""`mailwarden explain` follows the detector: the failed logins it counts for a client and
the clients it tells the administrator to block are those `mailwarden analyze` reports
for the same lines (README: "as `analyze` judges them")."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
MONDAY = str(SAMPLES / "mail.log.2.gz")
SEED = str(SAMPLES / "seed-excerpt.txt")


def flat(text: str) -> str:
    return " ".join(text.split())


def dense(text: str) -> str:
    """Chinese output without the spaces and line breaks wrapping put in."""
    return "".join(text.split())


def _actions(out: str) -> str:
    return out.split("What to do, most important first", 1)[1]


def _analyze(run: Runner, *paths: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--format", "json", *paths)
    assert code in (0, 1, 2, 3), err
    report: dict[str, Any] = json.loads(out)
    return report


def _attackers(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["ip"]: a for a in report["attackers"]}


def _explain(run: Runner, *args: str) -> str:
    code, out, err = run("explain", *args)
    assert code == 0, err
    return flat(out)


_BULLET = re.compile(
    r"• (\S+?):? (?:tried to log in as .*?: )?(\d+) failed (?:login )?attempts?\.", re.S
)


def _headline_counts(out: str) -> dict[str, int]:
    """`IP tried to log in as …: N failed attempts.` of the verdict's first answer."""
    head = out.split("Is someone trying to break into your mail accounts?", 1)[1]
    head = head.split("The client ", 1)[0]
    return {ip: int(n) for ip, n in _BULLET.findall(head)}


def _blocked(out: str) -> tuple[list[str], int]:
    """The addresses of the “Block … in the firewall” advice (none when there is none),
    and how many more it does not name (“… and 7 more”)."""
    found = re.search(r"Block (.+?) in the firewall:", _actions(out))
    if found is None:
        return [], 0
    listed, _and, more = found.group(1).partition(" and ")
    return listed.split(", "), int(more.removesuffix(" more")) if more else 0


# -- the bundled Monday log ----------------------------------------------------------


def test_the_monday_sample_counts_each_failed_login_once(run: Runner) -> None:
    attackers = _attackers(_analyze(run, MONDAY))
    assert attackers["192.0.2.123"]["failures"] == 21  # 21 Dovecot attempts, two lines each
    assert attackers["192.0.2.44"]["failures"] == 69
    out = _explain(run, MONDAY)
    counts = _headline_counts(out)
    assert counts == {ip: a["failures"] for ip, a in attackers.items() if a["failures"]}
    assert "192.0.2.123 tried to log in as “heidi@example.com”: 21 failed attempts." in out
    assert "the server logged 21 failed logins;" in out
    assert "the server logged 69 failed logins;" in out
    # erin's single typo: one attempt, told by an auth-process line and a summary line
    assert "198.51.100.53 failed to log in once and then logged in successfully as" in out
    assert "failed to log in 2 times" not in out
    assert "method ?" not in out


def test_an_outage_of_the_auth_server_is_no_failed_login_of_the_user(run: Runner) -> None:
    """frank's mail at 12:31 met `Connection lost to authentication server`: analyze
    counts it against nobody (an auth_unavailable finding), so explain does not tell
    the office's address as one that failed to log in."""
    report = _analyze(run, MONDAY)
    assert "198.51.100.10" not in _attackers(report)
    assert [f["data"]["failures"] for f in report["findings"] if f["kind"] == "auth_unavailable"]
    out = _explain(run, MONDAY)
    assert "198.51.100.10 failed to log in" not in out
    assert "Most likely nothing to do for 198.51.100.10" not in out
    assert "The authentication server did not answer 1 time" in out


def test_block_advice_names_exactly_the_clients_analyze_would_ban(run: Runner) -> None:
    attackers = _attackers(_analyze(run, MONDAY))
    banned = [ip for ip, a in attackers.items() if a["recommendation"] == "ban"]
    watched = [ip for ip, a in attackers.items() if a["recommendation"] == "watch"]
    assert sorted(banned) == ["192.0.2.123", "192.0.2.44"]
    assert sorted(watched) == ["2001:db8:bad:1::2", "203.0.113.163"]  # story 10's scanners
    out = _explain(run, MONDAY)
    blocked, more = _blocked(out)
    assert sorted(blocked) == sorted(banned) and more == 0
    actions = _actions(out)
    for ip in watched:
        assert f"mailwarden ban {ip}" not in actions
    assert (
        "No need to block 203.0.113.163, 2001:db8:bad:1::2 (scanners: they did not try "
        "to log in) yet: mailwarden's detector recommends no ban for these addresses."
    ) in actions


def test_block_advice_in_chinese_names_the_same_clients(run: Runner) -> None:
    out = dense(_explain(run, "--lang", "zh_CN", MONDAY))
    found = re.search(r"在防火墙中封禁(.+?)：", out)
    assert found is not None, out
    assert sorted(found.group(1).split("、")) == ["192.0.2.123", "192.0.2.44"]
    assert "暂时不必在防火墙中拦截203.0.113.163、2001:db8:bad:1::2（扫描器：没有尝试登录）" in out


@pytest.mark.parametrize("name", ["mail.log.2.gz", "mail.log.1", "mail.log"])
def test_each_sample_day_agrees_on_counts_and_bans(run: Runner, name: str) -> None:
    path = str(SAMPLES / name)
    attackers = _attackers(_analyze(run, path))
    out = _explain(run, path)
    counts = _headline_counts(out)
    assert counts  # the verdict lists the guessers
    for ip, n in counts.items():
        assert ip in attackers, ip
        assert n == attackers[ip]["failures"], ip
    banned = [ip for ip, a in attackers.items() if a["recommendation"] == "ban"]
    blocked, more = _blocked(out)
    assert len(blocked) + more == len(banned)
    assert set(blocked) <= set(banned)
    unbanned = [ip for ip, a in attackers.items() if a["recommendation"] != "ban"]
    actions = _actions(out)
    for ip in unbanned:
        assert f"mailwarden ban {ip}" not in actions
        assert ip not in blocked


def test_a_typo_is_told_with_the_login_that_followed_it(run: Runner) -> None:
    """laura had logged in from 198.51.100.73 in the morning; her typo at 19:40:09 is
    followed by her login at 19:40:25, the one to ask her about."""
    out = _explain(run, str(SAMPLES / "mail.log"))
    assert (
        "198.51.100.73 failed to log in once and then logged in successfully as "
        "“laura@example.com” (Mar 11 19:40:25) from the same address."
    ) in out
    assert "whether they logged in at Mar 11 19:40:25" in _actions(out)


# -- the user's excerpt -----------------------------------------------------------------


def test_the_seed_probe_is_watched_not_blocked(run: Runner) -> None:
    (attacker,) = _analyze(run, SEED)["attackers"]
    assert (attacker["ip"], attacker["recommendation"], attacker["failures"]) == (
        "176.103.49.30",
        "watch",
        1,
    )
    out = _explain(run, SEED)
    assert "176.103.49.30 tried to log in as “admin@fipick.com”: 1 failed attempt." in out
    actions = _actions(out)
    assert _blocked(out) == ([], 0)
    assert "mailwarden ban 176.103.49.30" not in actions
    assert "No need to block 176.103.49.30 (a probe:" in actions
    zh = dense(_explain(run, "--lang", "zh_CN", SEED))
    assert "在防火墙中封禁" not in zh
    assert "暂时不必在防火墙中拦截176.103.49.30（试探：" in zh


# -- excerpts: one attempt is one, however many lines tell it ----------------------------

ERIN = """\
Mar  9 07:52:09 mx dovecot: auth: passwd-file(erin@example.com,198.51.100.53,<I/l015FMQs/GM2Q1>): Password mismatch
Mar  9 07:52:11 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<erin@example.com>, method=PLAIN, rip=198.51.100.53, lip=198.51.100.25, TLS, session=<I/l015FMQs/GM2Q1>
Mar  9 07:52:25 mx dovecot: imap-login: Login: user=<erin@example.com>, method=PLAIN, rip=198.51.100.53, lip=198.51.100.25, mpid=49046, TLS, session=</I522JFMGsDGM2Q1>
"""  # noqa: E501


def test_dovecot_auth_line_and_its_summary_are_one_attempt(run: Runner, log_file: LogFile) -> None:
    path = log_file(ERIN)
    report = _analyze(run, path)
    assert report["stats"]["failures_counted"] == 1 and not report["attackers"]
    out = _explain(run, path)
    assert "A login failed: account erin@example.com. Reason: “Password mismatch”." in out
    assert "method ?" not in out
    assert "it sums up the failed login above, the same attempt, not another one." in out
    assert "Another failed login" not in out
    assert "198.51.100.53 failed to log in once and then logged in successfully" in out
    zh = dense(_explain(run, "--lang", "zh_CN", path))
    assert "方式?" not in zh and "登录失败1次" in zh


def _dovecot_connection(ip: str, sid: str, minute: int, logged: int, attempts: int) -> str:
    """A Dovecot IMAP connection: ``logged`` auth-process lines, then the login
    process's summary of ``attempts`` attempts."""
    lines = [
        f"Mar  3 11:{minute:02d}:{n:02d} mx dovecot: auth: passwd-file(admin,{ip},<{sid}>): "
        "unknown user\n"
        for n in range(logged)
    ]
    lines.append(
        f"Mar  3 11:{minute:02d}:30 mx dovecot: imap-login: Disconnected: Connection closed "
        f"(auth failed, {attempts} attempts in 20 secs): user=<admin>, method=PLAIN, "
        f"rip={ip}, lip=192.0.2.1, TLS, session=<{sid}>\n"
    )
    return "".join(lines)


@pytest.mark.parametrize("logged", [0, 1, 3])
def test_dovecots_n_attempts_count_n(run: Runner, log_file: LogFile, logged: int) -> None:
    """`3 attempts` is three, whether the auth process's lines of none, one or all of
    them are in the excerpt."""
    ip = "203.0.113.45"
    text = "".join(
        _dovecot_connection(ip, f"{chr(97 + m)}bcdEFGH1234ijkl", m, logged, 3) for m in range(3)
    )
    path = log_file(text)
    assert _attackers(_analyze(run, path))[ip]["failures"] == 9
    out = _explain(run, path)
    assert _headline_counts(out) == {ip: 9}
    assert "the server logged 9 failed logins;" in out


def _postfix_guess(ip: str, pid: int, minute: int) -> str:
    prefix = f"Mar  3 10:{minute:02d}:0{{s}} mx postfix/submission/smtpd[{pid}]: "
    return "".join(
        prefix.format(s=n) + line + "\n"
        for n, line in enumerate(
            [
                f"connect from unknown[{ip}]",
                f"warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, "
                "sasl_username=info@example.org",
                f"lost connection after AUTH from unknown[{ip}]",
                f"disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2",
            ]
        )
    )


def test_postfix_warning_lost_connection_and_statistics_are_one_attempt(
    run: Runner, log_file: LogFile
) -> None:
    ip = "198.51.100.201"
    path = log_file("".join(_postfix_guess(ip, 4100 + m, m) for m in range(4)))
    attacker = _attackers(_analyze(run, path))[ip]
    assert attacker["failures"] == 4 and attacker["recommendation"] == "ban"
    out = _explain(run, path)
    assert f"{ip} tried to log in as “info@example.org”: 4 failed attempts." in out
    assert "the server logged 4 failed logins;" in out
    assert _blocked(out) == ([ip], 0)


def test_a_single_unjudged_failure_gets_no_block_advice(run: Runner, log_file: LogFile) -> None:
    """One failure without an account name: analyze judges nobody; explain tells it,
    but advises no firewall block."""
    ip = "203.0.113.88"
    path = log_file(
        f"Feb 23 20:00:00 mx postfix/smtpd[9200]: connect from unknown[{ip}]\n"
        f"Feb 23 20:00:02 mx postfix/smtpd[9200]: warning: unknown[{ip}]: SASL LOGIN "
        "authentication failed: UGFzc3dvcmQ6\n"
        f"Feb 23 20:00:05 mx postfix/smtpd[9200]: disconnect from unknown[{ip}]\n"
    )
    assert _analyze(run, path)["attackers"] == []
    out = _explain(run, path)
    assert _blocked(out) == ([], 0)
    assert f"No need to block {ip} (too few failed logins for any of the detector's rules)" in out


def test_the_servers_own_address_is_never_advised_for_a_block(
    run: Runner, log_file: LogFile
) -> None:
    own = "192.0.2.1"  # Dovecot's lip=: the server itself (a webmail on the same host)
    path = log_file(
        "".join(
            f"Mar  3 11:00:{n * 5:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 "
            f"attempts in 2 secs): user=<admin>, method=PLAIN, rip={own}, lip={own}, TLS, "
            f"session=<{chr(97 + n)}bcdEFGH1234ijkl>\n"
            for n in range(6)
        )
    )
    attacker = _attackers(_analyze(run, path))[own]
    assert attacker["recommendation"] == "none (this machine)" and attacker["failures"] == 6
    out = _explain(run, path)
    assert _headline_counts(out) == {own: 6}
    assert _blocked(out) == ([], 0) and "mailwarden ban" not in out
    assert f"mailwarden never bans {own}: the logins come from this machine itself" in out
    assert "login_trusted_networks" in out  # how to make Dovecot log the real client


def test_guessing_through_a_local_webmail_says_how_to_see_the_real_client(
    run: Runner, log_file: LogFile
) -> None:
    # Roundcube on the mail server: its logins reach Dovecot from 127.0.0.1
    path = log_file(
        "".join(
            f"Mar  3 11:00:{n * 5:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 "
            f"attempts in 2 secs): user=<user{n}@example.org>, method=PLAIN, rip=127.0.0.1, "
            f"lip=127.0.0.1, TLS, session=<{chr(97 + n)}bcdEFGH1234ijkl>\n"
            for n in range(6)
        )
    )
    out = _explain(run, path)
    assert "mailwarden never bans 127.0.0.1: the logins come from this machine itself" in out
    assert "dovecot_ident" in out and "mailwarden ban" not in out
    chinese = dense(_explain(run, "--lang", "zh_CN", path))
    assert "mailwarden从不封禁127.0.0.1：这些登录来自本机自身" in chinese
