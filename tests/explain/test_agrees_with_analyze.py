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
    found = re.search(
        r"Block (?!the network )(.+?) in the firewall \(nftables\) now:", _actions(out)
    )
    if found is None:
        return [], 0
    listed, _and, more = found.group(1).partition(" and ")
    return listed.split(", "), int(more.removesuffix(" more")) if more else 0


def _blocked_networks(out: str) -> set[str]:
    """The networks of the “Block the network … in the firewall rather than each of its
    addresses” advice."""
    return set(re.findall(r"Block the network (\S+) in the firewall", _actions(out)))


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
    found = re.search(r"在防火墙（nftables）中封禁(.+?)：", out)
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
    # a network's addresses are blocked with their network, not named one by one
    networks = _blocked_networks(out)
    assert networks == {a["network"] for a in attackers.values() if a["network"]} & networks
    banned = [ip for ip in banned if attackers[ip]["network"] not in networks]
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
    assert "A login failed: account “erin@example.com”. Reason: “Password mismatch”." in out
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


# -- a spraying campaign from one network --------------------------------------------

SPRAYERS = [f"203.0.113.{n}" for n in (11, 23, 45, 67, 89, 101)]
SPRAYED = ["alice", "bob", "carol", "dave", "frank", "info", "admin", "sales"]


def spray(login: str | None = None) -> str:
    """6 addresses of 203.0.113.0/24 fail 4 times each over the 8 accounts, through
    Postfix's submission service and Dovecot's IMAP in turn; ``login``: then the fourth
    of them logs in as that account."""
    lines = []
    for n in range(24):
        ip = SPRAYERS[n // 2 % 6]
        user = f"{SPRAYED[(n + 1) // 2 % 8 if n < 12 else (n + 5) % 8]}@example.com"
        minute, pid = f"13:{n:02d}", 7000 + n
        if n % 2 == 0:
            lines += [
                f"Nov 29 {minute}:01 mx postfix/submission/smtpd[{pid}]: connect from "
                f"unknown[{ip}]",
                f"Nov 29 {minute}:02 mx postfix/submission/smtpd[{pid}]: warning: unknown[{ip}]: "
                f"SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}",
                f"Nov 29 {minute}:03 mx postfix/submission/smtpd[{pid}]: disconnect from "
                f"unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
            ]
        else:
            lines.append(
                f"Nov 29 {minute}:30 mx dovecot: imap-login: Disconnected: Connection closed "
                f"(auth failed, 1 attempts in 1 secs): user=<{user}>, method=PLAIN, rip={ip}, "
                f"lip=192.0.2.10, TLS, session=<sess{n:04d}>"
            )
    if login is not None:
        lines.append(
            f"Nov 29 13:30:00 mx dovecot: imap-login: Login: user=<{login}>, method=PLAIN, "
            f"rip={SPRAYERS[3]}, lip=192.0.2.10, mpid=8001, TLS, session=<sessLOGIN>"
        )
    return "\n".join(lines) + "\n"


def test_a_network_analyze_bans_is_blocked_as_a_network(run: Runner, log_file: LogFile) -> None:
    """analyze bans 203.0.113.0/24 as a whole: explain's step gives that command, not
    one for a single address of it (“Across clients” says to block the network)."""
    path = log_file(spray())
    report = _analyze(run, path)
    (network,) = [f for f in report["findings"] if f["kind"] == "network"]
    assert (network["subject"], network["data"]["recommendation"]) == ("203.0.113.0/24", "ban")
    out = _explain(run, path)
    assert "block the whole network rather than each address" in out
    actions = _actions(out)
    assert (
        "Block the network 203.0.113.0/24 in the firewall (nftables) rather than each of its "
        "addresses, now: mailwarden ban 203.0.113.0/24 or let “mailwarden run” ban such "
        "networks automatically. But the same attack can come from other networks: "
        "blocking does not end it; strong passwords do."
    ) in actions
    assert _blocked(out) == ([], 0)
    for ip in SPRAYERS:
        assert f"mailwarden ban {ip}" not in actions
    zh = dense(_explain(run, "--lang", "zh_CN", path))
    assert "现在就在防火墙（nftables）中封禁网段203.0.113.0/24，而不是逐个封禁其中的地址：" in zh
    assert "：mailwardenban203.0.113.0/24或让" in zh


def test_an_address_outside_the_network_is_still_blocked_on_its_own(
    run: Runner, log_file: LogFile
) -> None:
    guesses = "".join(
        f"Nov 29 14:{n:02d}:00 mx dovecot: imap-login: Disconnected: Connection closed "
        f"(auth failed, 1 attempts in 1 secs): user=<{SPRAYED[n % 8]}@example.com>, "
        f"method=PLAIN, rip=198.51.100.9, lip=192.0.2.10, TLS, session=<lone{n:04d}>\n"
        for n in range(12)
    )
    path = log_file(spray() + guesses)
    banned = [
        ip for ip, a in _attackers(_analyze(run, path)).items() if a["recommendation"] == "ban"
    ]
    assert "198.51.100.9" in banned
    actions = _actions(_explain(run, path))
    network = actions.index("Block the network 203.0.113.0/24 in the firewall")
    alone = actions.index(
        "Block 198.51.100.9 in the firewall (nftables) now: mailwarden ban 198.51.100.9"
    )
    assert network < alone
    assert "But this is one of many bots" in actions[alone:]  # said once, at the end
    assert "But the same attack can come from other networks" not in actions


def test_the_tls_fix_is_the_one_analyze_gives(run: Runner) -> None:
    """The seed excerpt negotiated RC4-SHA with the pre-2.8 export list: analyze's two
    weak_tls fixes, the protocols one included, are explain's one step."""
    fixes = [f["data"]["fix"] for f in _analyze(run, SEED)["findings"] if f["kind"] == "weak_tls"]
    assert any("smtpd_tls_protocols = !SSLv2, !SSLv3" in fix for fix in fixes)
    actions = _actions(_explain(run, SEED))
    assert (
        "Stop accepting broken TLS: smtpd_tls_ciphers = medium (or high on submission), "
        "smtpd_tls_exclude_ciphers = RC4, aNULL, eNULL, EXPORT, LOW, MD5, DES, 3DES and "
        "smtpd_tls_protocols = !SSLv2, !SSLv3."
    ) in actions
    zh = dense(_explain(run, "--lang", "zh_CN", SEED))
    assert "不再接受不安全的TLS：设置smtpd_tls_ciphers=medium" in zh
    assert "smtpd_tls_protocols=!SSLv2,!SSLv3。" in zh


def _port_25_fix(run: Runner, path: str) -> str:
    (finding,) = [f for f in _analyze(run, path)["findings"] if f["kind"] == "auth_on_port_25"]
    return str(finding["data"]["fix"])


def test_the_seed_postfix_is_told_its_465_service_is_smtps_by_both(run: Runner) -> None:
    """A Postfix older than 2.8 (its export cipher list) calls port 465's service smtps:
    analyze's fix says so, as explain's step does."""
    fix = _port_25_fix(run, SEED)
    assert "only on submission (587) and smtps (465) in master.cf" in fix
    assert "submissions" not in fix
    _code, out, _err = run("analyze", SEED)
    assert "submissions" not in out
    actions = _actions(_explain(run, SEED))
    assert "only under submission and smtps in master.cf" in actions
    assert "so named in the master.cf of Postfix before 3.7" in actions


PORT_25_GUESS = """\
Mar  6 09:00:01 mx postfix/smtpd[5000]: connect from unknown[198.51.100.61]
Mar  6 09:00:02 mx postfix/smtpd[5000]: warning: unknown[198.51.100.61]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Mar  6 09:00:03 mx postfix/smtpd[5000]: disconnect from unknown[198.51.100.61] ehlo=1 auth=0/1 quit=1 commands=2/3
"""  # noqa: E501
ON_465 = """\
Mar  6 09:10:01 mx postfix/submissions/smtpd[5001]: connect from unknown[198.51.100.62]
Mar  6 09:10:02 mx postfix/submissions/smtpd[5001]: warning: unknown[198.51.100.62]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Mar  6 09:10:03 mx postfix/submissions/smtpd[5001]: disconnect from unknown[198.51.100.62] ehlo=1 auth=0/1 quit=1 commands=2/3
"""  # noqa: E501


def test_an_unknown_postfix_is_told_both_names_and_a_known_one_its_own(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(PORT_25_GUESS)
    assert "submissions (465; smtps before Postfix 3.7)" in _port_25_fix(run, path)
    assert "named smtps in the stock master.cf of Postfix before 3.7" in _actions(
        _explain(run, path)
    )
    path = log_file(PORT_25_GUESS + ON_465)
    fix = _port_25_fix(run, path)
    assert "only on submission (587) and submissions (465) in master.cf" in fix
    actions = _actions(_explain(run, path))
    assert "only under submission and submissions in master.cf" in actions
    zh = dense(run("analyze", "--lang", "zh_CN", log_file(PORT_25_GUESS))[1])
    assert "submissions（465；Postfix3.7之前名为smtps）" in zh


def test_after_a_break_in_the_other_accounts_tried_are_still_named(
    run: Runner, log_file: LogFile
) -> None:
    """One sprayer got in as sales: analyze says to “audit other accounts it tried”;
    explain changes sales's password and still names the other 7 for strong passwords."""
    path = log_file(spray(login="sales@example.com"))
    _code, analyzed, _err = run("analyze", path)
    assert "audit other accounts it tried" in flat(analyzed)
    actions = _actions(_explain(run, path))
    assert "Change the password of “sales@example.com” now" in actions
    others = ", ".join(f"“{name}@example.com”" for name in sorted(set(SPRAYED) - {"sales"}))
    assert (
        f"Make sure the other targeted accounts ({others}) have strong, unique passwords too: "
        "one password was guessed here, others may be as weak."
    ) in actions
    zh = dense(_explain(run, "--lang", "zh_CN", path))
    assert "也要确保其他被攻击的账户（“admin@example.com”、" in zh
