"""The verdict of `mailwarden explain`: what an administrator is told to believe and do,
for excerpts a reviewer found it wrong on (a user's typo called a break-in, times and
counts of a real break-in, "did not get in" stated as fact, masked passwords, names)."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len

from clirunner import Runner

LogFile = Callable[[str], str]


def flat(text: str) -> str:
    return " ".join(text.split())


def _actions(out: str) -> str:
    return out.split("What to do, most important first", 1)[1]


# A user on port 587 mistypes once and logs in 7 s later from the same address.
OWNER_TYPO = """\
Feb 23 19:00:00 mx postfix/submission/smtpd[9100]: connect from host-7.dsl.example.net[192.0.2.77]
Feb 23 19:00:00 mx postfix/submission/smtpd[9100]: Anonymous TLS connection established from host-7.dsl.example.net[192.0.2.77]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
Feb 23 19:00:02 mx postfix/submission/smtpd[9100]: warning: host-7.dsl.example.net[192.0.2.77]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=gina@example.com
Feb 23 19:00:09 mx postfix/submission/smtpd[9100]: 5AbC1: client=host-7.dsl.example.net[192.0.2.77], sasl_method=PLAIN, sasl_username=gina@example.com
Feb 23 19:00:10 mx postfix/submission/smtpd[9100]: disconnect from host-7.dsl.example.net[192.0.2.77] ehlo=2 starttls=1 auth=1/2 mail=1 rcpt=1 data=1 quit=1 commands=8/9
"""  # noqa: E501


def test_a_typo_then_the_login_is_the_owner_not_a_break_in(run: Runner, log_file: LogFile) -> None:
    path = log_file(OWNER_TYPO)
    _code, analyzed, _err = run("analyze", path)
    assert "No attack found" in analyzed  # the detector's judgement, which explain shares
    code, out, err = run("explain", path)
    assert code == 0, err
    out = flat(out)
    assert "Most likely not." in out
    assert "Most likely the account's owner mistyping the password, not an attack" in out
    assert "192.0.2.77 (reverse DNS name host-7.dsl.example.net) failed to log in once" in out
    actions = _actions(out)
    assert "ask the user of “gina@example.com” whether they logged in at Feb 23 19:00:09" in actions
    for wrong in ("got in", "guessed the password", "mailwarden ban", "Block 192.0.2.77"):
        assert wrong not in out, wrong
    assert "Change the password of" not in out
    _code, zh, _err = run("explain", "--lang", "zh_CN", path)
    assert "很可能没有" in zh and "封禁" not in zh


# The same user mistypes twice and logs in; an hour later the same address fails once
# as another account (a second account set up on the phone).
TYPOS_THEN_ANOTHER_ACCOUNT = """\
Nov 28 10:00:01 mx postfix/submission/smtpd[100]: connect from unknown[198.51.100.7]
Nov 28 10:00:02 mx postfix/submission/smtpd[100]: warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: authentication failure, sasl_username=alice@example.com
Nov 28 10:00:05 mx postfix/submission/smtpd[100]: warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: authentication failure, sasl_username=alice@example.com
Nov 28 10:00:09 mx postfix/submission/smtpd[100]: 4A1B2C3D4E: client=unknown[198.51.100.7], sasl_method=PLAIN, sasl_username=alice@example.com
Nov 28 10:00:10 mx postfix/submission/smtpd[100]: disconnect from unknown[198.51.100.7] ehlo=1 auth=1/3 mail=1 rcpt=1 data=1 quit=1 commands=6/8
Nov 28 11:00:01 mx postfix/submission/smtpd[101]: connect from unknown[198.51.100.7]
Nov 28 11:00:02 mx postfix/submission/smtpd[101]: warning: unknown[198.51.100.7]: SASL LOGIN authentication failed: authentication failure, sasl_username=bob@example.com
Nov 28 11:00:02 mx postfix/submission/smtpd[101]: disconnect from unknown[198.51.100.7] ehlo=1 auth=0/1 quit=1 commands=2/3
"""  # noqa: E501


def test_failures_after_the_login_are_told_apart_from_those_before(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(TYPOS_THEN_ANOTHER_ACCOUNT)
    _code, analyzed, _err = run("analyze", path)
    assert "No attack found" in analyzed
    code, out, err = run("explain", path)
    assert code == 0, err
    out = flat(out)
    assert (
        "198.51.100.7 failed to log in 2 times and then logged in successfully as "
        "“alice@example.com” (Nov 28 10:00:09) from the same address. "
        "After that, it failed once more (as “bob@example.com”)."
    ) in out
    assert "mailwarden ban" not in out
    _code, zh, _err = run("explain", "--lang", "zh_CN", path)
    assert "此后它又以 “bob@example.com” 的身份登录失败 1 次" in flat(zh)


BREAK_IN = """\
Feb 23 13:00:00 mx postfix/submission/smtpd[5100]: connect from unknown[192.0.2.44]
Feb 23 13:00:03 mx postfix/submission/smtpd[5100]: warning: unknown[192.0.2.44]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=carol@example.com
Feb 23 13:00:06 mx postfix/submission/smtpd[5100]: warning: unknown[192.0.2.44]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=carol@example.com
Feb 23 13:00:08 mx postfix/submission/smtpd[5100]: 4XyZ1a2b3c: client=unknown[192.0.2.44], sasl_method=LOGIN, sasl_username=carol@example.com
Feb 23 13:00:09 mx postfix/submission/smtpd[5100]: disconnect from unknown[192.0.2.44] ehlo=2 starttls=1 auth=1/3 mail=1 rcpt=1 data=1 quit=1 commands=8/10
Feb 23 13:10:00 mx postfix/smtpd[5200]: connect from unknown[192.0.2.44]
Feb 23 13:10:02 mx postfix/smtpd[5200]: warning: unknown[192.0.2.44]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=info@example.com
Feb 23 13:10:02 mx postfix/smtpd[5200]: lost connection after AUTH from unknown[192.0.2.44]
Feb 23 13:10:02 mx postfix/smtpd[5200]: disconnect from unknown[192.0.2.44] ehlo=1 auth=0/1 commands=1/2
"""  # noqa: E501


def test_a_break_in_is_dated_by_the_login_and_counts_earlier_failures(
    run: Runner, log_file: LogFile
) -> None:
    _code, out, _err = run("explain", log_file(BREAK_IN))
    out = flat(out)
    assert "YES: it got in as “carol@example.com”. That was after 2 failed attempts" in out
    actions = _actions(out)
    assert "check what was sent from the account after Feb 23 13:00:08" in actions
    assert "13:10:02" not in actions


OLD_SILENT = """\
Feb 23 20:00:00 mx postfix/smtpd[9200]: connect from unknown[203.0.113.88]
Feb 23 20:00:02 mx postfix/smtpd[9200]: warning: unknown[203.0.113.88]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Feb 23 20:00:05 mx postfix/smtpd[9200]: disconnect from unknown[203.0.113.88]
"""  # noqa: E501


def test_no_visible_login_is_not_stated_as_fact(run: Runner, log_file: LogFile) -> None:
    path = log_file(OLD_SILENT)
    _code, out, _err = run("explain", path)
    out = flat(out)
    assert "No, it did not get in" not in out
    assert "No successful login is visible in these lines." in out
    assert "Postfix logs a successful AUTH (the line with “sasl_method=”) only when mail" in out
    actions = _actions(out)
    assert (
        "Check the whole log: mailwarden analyze /var/log/mail.log* On Red Hat and CentOS "
        "the log files are /var/log/maillog*."
    ) in flat(actions)
    assert (
        "zgrep -F -e 'rip=203.0.113.88,' -e '[203.0.113.88]' /var/log/mail.log* | "
        "grep -E 'sasl_method=|Login:|Logged in|successful auths'" in actions
    )
    _code, zh, _err = run("explain", "--lang", "zh_CN", path)
    zh = flat(zh)
    assert "这些日志中看不到成功的登录" in zh and "没有登录成功" not in zh
    assert "mailwarden analyze /var/log/mail.log*" in zh
    # With an account named, the grep looks for its logins; with auth=0/N statistics at
    # the end of every connection, the answer may be firm.
    named = OLD_SILENT.replace(
        "failed: UGFzc3dvcmQ6", "failed: UGFzc3dvcmQ6, sasl_username=ann@example.com"
    )
    _code, out, _err = run("explain", log_file(named))
    # Postfix 3.9 names the account on its failures too: only the logins are asked for.
    grep = (
        "zgrep -F -e 'user=<ann@example.com>' -e 'sasl_username=ann@example.com' "
        "/var/log/mail.log* | grep -E 'sasl_method=|Login:|Logged in|successful auths'"
    )
    assert grep in flat(out)
    firm = named.replace("[203.0.113.88]\n", "[203.0.113.88] ehlo=1 auth=0/1 commands=1/2\n")
    _code, out, _err = run("explain", log_file(firm))
    out = flat(out)
    assert "No, it did not get in." in out and "auth=0/…" in out
    assert "Make sure nobody got in" not in out


DUMPED = """\
Feb 23 17:00:00 mx postfix/smtpd[8000]: connect from unknown[203.0.113.50]
Feb 23 17:00:00 mx postfix/smtpd[8000]: Anonymous TLS connection established from unknown[203.0.113.50]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)
Feb 23 17:00:01 mx postfix/smtpd[8000]: Read 85 chars: AUTH PLAIN AHBvc3RtYXN0ZXItZGVwYXJ0bWVud
Feb 23 17:00:03 mx postfix/smtpd[8000]: warning: unknown[203.0.113.50]: SASL PLAIN authentication failed: 
Feb 23 17:00:04 mx postfix/smtpd[8000]: Read 37 chars: AUTH PLAIN Ym9iAGJvYgBodW50ZXIyMg==??
Feb 23 17:00:06 mx postfix/smtpd[8000]: warning: unknown[203.0.113.50]: SASL PLAIN authentication failed: 
Feb 23 17:00:07 mx postfix/smtpd[8000]: Read 37 chars: AUTH LOGIN Y2Fyb2xAZXhhbXBsZS5jb20=??
Feb 23 17:00:07 mx postfix/smtpd[8000]: Write 18 chars: 334 UGFzc3dvcmQ6??
Feb 23 17:00:08 mx postfix/smtpd[8000]: Read 6 chars: eA==??
Feb 23 17:00:09 mx postfix/smtpd[8000]: warning: unknown[203.0.113.50]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Feb 23 17:00:09 mx postfix/smtpd[8000]: Read 12 chars: AUTH PLAIN??
Feb 23 17:00:09 mx postfix/smtpd[8000]: Write 18 chars: 334 ??
Feb 23 17:00:10 mx postfix/smtpd[8000]: Read 34 chars: AEFkbWluQEV4YW1wbGUuQ09NAHBhc3M=??
Feb 23 17:00:11 mx postfix/smtpd[8000]: warning: unknown[203.0.113.50]: SASL PLAIN authentication failed: 
Feb 23 17:00:12 mx postfix/smtpd[8000]: lost connection after AUTH from unknown[203.0.113.50]
Feb 23 17:00:12 mx postfix/smtpd[8000]: disconnect from unknown[203.0.113.50]
"""  # noqa: E501, W291


def test_the_emergency_comes_first_and_no_advice_about_a_guess(
    run: Runner, log_file: LogFile
) -> None:
    _code, out, _err = run("explain", log_file(DUMPED))
    actions = _actions(flat(out))
    assert actions.lstrip().startswith("1. Lower smtpd_tls_loglevel to 1")
    assert "The bot tried" not in actions and "starts like that" not in actions
    port_25 = actions.split("Offer AUTH only on the submission ports", 1)[1]
    assert "move users who send with AUTH on port 25 today to port 587 or 465" in port_25
    assert "submissions (465; named smtps in the stock master.cf of Postfix before 3.7)" in (
        port_25
    )


def test_an_old_postfix_gets_the_smtps_service_name(run: Runner) -> None:
    from pathlib import Path

    seed = Path(__file__).resolve().parents[2] / "samples" / "seed-excerpt.txt"
    _code, out, _err = run("explain", str(seed))
    actions = _actions(flat(out))
    assert "only under submission and smtps in master.cf" in actions
    assert "submissions" not in actions


def test_each_account_once_quoted_and_cut_names_marked(run: Runner, log_file: LogFile) -> None:
    _code, out, _err = run("explain", log_file(DUMPED))
    out = flat(out)
    assert (
        "203.0.113.50 tried to log in as “Admin@Example.COM”, “bob”, "
        "“carol@example.com”, “postmaster-departmen…”: 4 failed attempts." in out
    )
    assert "admin@example.com" not in out  # the same account, lowercased by detection
    assert "It is trying to guess passwords for 4 accounts." in out
    assert "4 different user names were tried, by 1 address:" in out


def test_a_name_with_a_comma_cannot_pass_for_two(run: Runner, log_file: LogFile) -> None:
    text = (
        "Feb 23 15:00:00 mx postfix/smtpd[6000]: connect from unknown[198.51.100.7]\n"
        "Feb 23 15:00:03 mx postfix/smtpd[6000]: warning: unknown[198.51.100.7]: SASL PLAIN "
        "authentication failed: (reason unavailable), sasl_username=bob, "
        "sasl_username=admin@example.com\n"
    )
    _code, out, _err = run("explain", log_file(text))
    out = flat(out)
    assert "tried to log in as “bob, sasl_username=admin@example.com”: 1 failed attempt." in out
    assert "It failed to log in as “bob, sasl_username=admin@example.com”." in out


def test_one_failure_and_nothing_more_is_not_called_an_attack(
    run: Runner, log_file: LogFile
) -> None:
    # One failed login, no bot signs, nothing the detector judges: a person's typo and a
    # bot's first guess look the same; the answer says so instead of "Yes".
    text = (
        "Nov 28 10:00:01 mx postfix/submission/smtpd[4242]: connect from unknown[203.0.113.5]\n"
        "Nov 28 10:00:02 mx postfix/submission/smtpd[4242]: warning: unknown[203.0.113.5]: "
        "SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=bob@example.com\n"
        "Nov 28 10:00:03 mx postfix/submission/smtpd[4242]: disconnect from "
        "unknown[203.0.113.5] ehlo=1 auth=0/1 commands=1/2\n"
    )
    _code, out, _err = run("explain", log_file(text))
    out = flat(out)
    assert "Not clearly. These lines show 1 failed login and nothing more." in out
    assert "Yes." not in out
    assert "It failed to log in as “bob@example.com”." in out
    assert "trying to guess" not in out
    assert "No need to block 203.0.113.5" in out
    # The same failure from a bot that shows it is one: its signs are told, but it is no
    # attack for analyze (too few failures), nor "Yes" here:
    bot = text.replace(
        "sasl_username=bob@example.com\n",
        "sasl_username=bob@example.com\n"
        "Nov 28 10:00:02 mx postfix/submission/smtpd[4242]: lost connection after AUTH "
        "from unknown[203.0.113.5]\n",
    )
    assert bot != text
    _code, out, _err = run("explain", log_file(bot))
    out = flat(out)
    assert "Yes." not in out
    assert (
        "Not clearly. These lines show 1 failed login and nothing more. The client "
        "behaves like a bot" in out
    )
    assert "This is an automated bot, not a person who mistyped" in out


def test_a_username_cut_off_shows_no_password(run: Runner, log_file: LogFile) -> None:
    _code, out, _err = run("explain", log_file(DUMPED))
    out = flat(out)
    assert "Decoded: account “postmaster-departmen…”. The log cut the line off" in out
    assert "inside the user name: the name is cut off, and no part of the password" in out
    assert "only the beginning of the password" not in out


LEGIT_DUMP = """\
Feb 23 21:00:00 mx postfix/smtpd[9300]: connect from office.example.net[192.0.2.20]
Feb 23 21:00:00 mx postfix/smtpd[9300]: Anonymous TLS connection established from office.example.net[192.0.2.20]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)
Feb 23 21:00:01 mx postfix/smtpd[9300]: Read 53 chars: AUTH PLAIN AGhhbnNAZXhhbXBsZS5jb20AQmVy
Feb 23 21:00:01 mx postfix/smtpd[9300]: Write 37 chars: 235 2.7.0 Authentication successful??
Feb 23 21:00:02 mx postfix/smtpd[9300]: 7AbC1: client=office.example.net[192.0.2.20], sasl_method=PLAIN, sasl_username=hans@example.com
"""  # noqa: E501

GUESS_LOGIN = """\
Feb 23 12:01:00 mx postfix/smtpd[4000]: connect from unknown[198.51.100.23]
Feb 23 12:01:00 mx postfix/smtpd[4000]: Anonymous TLS connection established from unknown[198.51.100.23]: TLSv1.2 with cipher AES256-GCM-SHA384 (256/256 bits)
Feb 23 12:01:01 mx postfix/smtpd[4000]: Read 15 chars: EHLO ylmf-pc??
Feb 23 12:01:01 mx postfix/smtpd[4000]: Write 158 chars: 250-mail.example.com??250-PIPELINING??250
Feb 23 12:01:01 mx postfix/smtpd[4000]: Read 12 chars: AUTH LOGIN??
Feb 23 12:01:01 mx postfix/smtpd[4000]: Write 18 chars: 334 VXNlcm5hbWU6??
Feb 23 12:01:01 mx postfix/smtpd[4000]: Read 26 chars: YWxpY2VAZXhhbXBsZS5jb20=??
Feb 23 12:01:01 mx postfix/smtpd[4000]: Write 18 chars: 334 UGFzc3dvcmQ6??
Feb 23 12:01:01 mx postfix/smtpd[4000]: Read 18 chars: U29tbWVyMjAyNCE=??
Feb 23 12:01:03 mx postfix/smtpd[4000]: warning: unknown[198.51.100.23]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Feb 23 12:01:03 mx postfix/smtpd[4000]: Write 54 chars: 535 5.7.8 Error: authentication failed: 
Feb 23 12:01:03 mx postfix/smtpd[4000]: disconnect from unknown[198.51.100.23]
"""  # noqa: E501, W291


def test_a_successful_login_shows_nothing_of_its_password(run: Runner, log_file: LogFile) -> None:
    path = log_file(LEGIT_DUMP)
    _code, out, _err = run("explain", path)
    out = flat(out)
    assert "account “hans@example.com”, password hidden" in out
    assert "B***" not in out and "10–12" not in out
    _code, shown, _err = run("explain", "--show-passwords", path)
    assert "Ber…" in flat(shown)
    # A failed guess: its length at most, not its first character.
    _code, out, _err = run("explain", log_file(GUESS_LOGIN))
    out = flat(out)
    assert "The client answers the password prompt: *** (11 characters)." in out
    assert "S***" not in out


def test_greeting_and_extension_notes_say_only_what_the_lines_show(
    run: Runner, log_file: LogFile
) -> None:
    _code, out, _err = run("explain", log_file(GUESS_LOGIN))
    out = flat(out)
    ehlo = out.split("EHLO ylmf-pc??", 1)[1].split("Write 158 chars", 1)[0]
    assert "“localhost”" not in ehlo and "STARTTLS" not in ehlo
    assert "“ylmf-pc” is not a server's name" in ehlo
    extensions = out.split("Write 158 chars:", 1)[1].split("Read 12 chars", 1)[0]
    assert "(PIPELINING, AUTH…; inside TLS no STARTTLS" in extensions
    assert "PIPELINING, STARTTLS" not in extensions


def test_one_guess_is_not_called_a_few(run: Runner, log_file: LogFile) -> None:
    text = (
        "Feb 23 12:00:00 mx postfix/smtpd[4100]: connect from unknown[198.51.100.61]\n"
        "Feb 23 12:00:01 mx postfix/smtpd[4100]: warning: unknown[198.51.100.61]: SASL LOGIN "
        "authentication failed: UGFzc3dvcmQ6, sasl_username=admin\n"
    )
    _code, out, _err = run("explain", log_file(text))
    out = flat(out)
    assert "1 failed attempt." in out
    assert "A few guesses" not in out and "One guess at an account" in out


def test_chinese_lines_keep_closing_punctuation_and_codes_together(run: Runner) -> None:
    from pathlib import Path

    seed = Path(__file__).resolve().parents[2] / "samples" / "seed-excerpt.txt"
    for width in (60, 70, 80):
        from mailwarden.detect import analyze
        from mailwarden.explain import explain
        from mailwarden.explain.render import lines
        from mailwarden.locale import activate
        from mailwarden.pipeline import Counts, ReadOptions, read_events

        activate("zh_CN")
        pairs = list(read_events([str(seed)], ReadOptions(), Counts()))
        for line, style in lines(explain(pairs, analyze=analyze), width):
            if style in ("log", "command"):  # as logged; pasted whole
                continue
            assert cell_len(line) <= width
            assert line.strip()[:1] not in set("）。，、；：”"), (width, line)
            assert not line.endswith(("RFC", " 402", " 435", "、402")), (width, line)


def test_a_device_with_an_old_password_is_not_called_no_failure(
    run: Runner, log_file: LogFile
) -> None:
    dovecot = (
        "Feb 23 19:{m}:00 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 "
        "secs): user=<gina@example.com>, method=PLAIN, rip=192.0.2.77, lip=192.0.2.1, TLS, "
        "session=<{s}bcdEFGH1234ijkl>\n"
    )
    text = OWNER_TYPO.replace(" warning:", " ignored:") + "".join(
        dovecot.format(m=m, s=s) for m, s in (("10", "a"), ("20", "b"), ("30", "c"))
    )
    _code, out, _err = run("explain", log_file(text))
    out = flat(out)
    assert "Nobody in these lines tried to log in and failed" not in out
    assert "Most likely not." in out and "a device with an old password" in out
    assert "mailwarden ban" not in out


# bob's laptop logs in from his home /64; his phone, with the old password, fails once
# from each of its privacy addresses (RFC 8981), a new one every two hours.
PRIVACY_PHONE = (
    "Feb 23 08:00:00 mx dovecot: imap-login: Login: user=<bob@example.org>, method=PLAIN, "
    "rip=2001:db8:5:7::1e, lip=192.0.2.1, mpid=5151, TLS, session=<Lp0abcdEFGH1234>\n"
) + "".join(
    f"Feb 23 {10 + 2 * n}:00:00 mx dovecot: imap-login: Disconnected: Connection closed (auth "
    f"failed, 1 attempts in 2 secs): user=<bob@example.org>, method=PLAIN, "
    f"rip=2001:db8:5:7::{0xA1 + n * 0x11:x}, lip=192.0.2.1, TLS, session=<Ph{n}bcdEFGH1234>\n"
    for n in range(5)
)


def test_a_phone_on_privacy_addresses_is_not_someone_guessing(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(PRIVACY_PHONE)
    _code, analyzed, _err = run("analyze", path)
    assert "No attack found" in analyzed
    code, out, err = run("explain", path)
    assert code == 0, err
    out = flat(out)
    assert "Most likely not." in out and "Someone is trying to guess" not in out
    assert (
        "2001:db8:5:7::/64: failed logins from 5 addresses of this network as an account "
        "that logs in successfully from 2001:db8:5:7::/64: most likely a phone or mail "
        "program with an old password whose IPv6 address changes (privacy addresses), not "
        "an attack." in out
    ), out
    assert "mailwarden ban" not in out
    code, out, err = run("explain", "--lang", "zh_CN", path)
    assert code == 0, err
    assert "2001:db8:5:7::/64：该网络的5个地址" in "".join(out.split())


INJECTED_NAMES = """\
Feb 23 21:00:00 mx postfix/submission/smtpd[9300]: connect from unknown[203.0.113.90]
Feb 23 21:00:01 mx postfix/submission/smtpd[9300]: warning: unknown[203.0.113.90]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=x> rip=203.0.113.5 user=<admin
Feb 23 21:00:02 mx postfix/submission/smtpd[9300]: warning: unknown[203.0.113.90]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=bob@example.com
Feb 23 21:00:03 mx postfix/submission/smtpd[9300]: disconnect from unknown[203.0.113.90] ehlo=1 auth=0/2 commands=1/3
"""  # noqa: E501


def test_a_bots_injection_attempt_is_not_called_an_account_to_protect(
    run: Runner, log_file: LogFile
) -> None:
    _code, out, _err = run("explain", log_file(INJECTED_NAMES))
    actions = _actions(flat(out))
    assert "Make sure the targeted accounts (“bob@example.com”) have strong" in actions
    assert "rip=203.0.113.5" not in actions


def test_the_names_tried_are_credited_to_every_address_that_tried_them(run: Runner) -> None:
    """The enumeration finding counts the names of every hostile client but only the
    clients that tried many each: on the sample, 192.0.2.150 tried 36 names and
    192.0.2.187 the 37th; on the day before, 9 names came from 12 addresses."""
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "samples"
    _code, out, _err = run("explain", str(samples / "mail.log"))
    assert (
        "37 different user names were tried, by 2 addresses; 1 of them tried many names:"
        in flat(out)
    )
    assert "by 1 address" not in flat(out)
    _code, out, _err = run("explain", str(samples / "mail.log.1"))
    assert "9 different user names were tried, by 12 addresses; 1 of them" in flat(out)
    _code, out, _err = run("explain", "--lang", "zh_CN", str(samples / "mail.log"))
    assert "2个地址共尝试了37个不同的用户名，其中1个地址尝试了许多用户名" in "".join(out.split())


ONE_DOVECOT_FAILURE = """\
Mar  9 07:52:09 mx dovecot: auth: passwd-file(erin@example.com,198.51.100.53,<I/l015FMQs/GM2Q1>): Password mismatch
Mar  9 07:52:11 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<erin@example.com>, method=PLAIN, rip=198.51.100.53, lip=198.51.100.25, TLS, session=<I/l015FMQs/GM2Q1>
"""  # noqa: E501


def test_audit_is_advised_only_for_a_configuration_change(run: Runner, log_file: LogFile) -> None:
    """“Run mailwarden audit … the exact change for each point above” after advice that
    holds no change to the configuration (strong passwords, no ban yet) sent the
    administrator to a command with nothing to say about it."""
    _code, out, _err = run("explain", log_file(ONE_DOVECOT_FAILURE))
    actions = _actions(flat(out))
    assert "strong, unique passwords" in actions
    assert "mailwarden audit" not in actions


def _spray_excerpt(names: list[str], clients: list[str]) -> str:
    """Each client fails twice from its own smtpd process: its name of the list and
    the next one (so neighbours share an account), an hour after the one before."""
    lines = []
    for n, ip in enumerate(clients):
        pid = 9300 + n
        for k, name in enumerate((names[n % len(names)], names[(n + 1) % len(names)])):
            lines.append(
                f"Feb 23 {10 + n:02d}:0{k}:00 mx postfix/submission/smtpd[{pid}]: warning: "
                f"unknown[{ip}]: SASL LOGIN authentication failed: authentication failure, "
                f"sasl_username={name}"
            )
    return "\n".join(lines) + "\n"


SPRAY_CLIENTS = [
    "192.0.2.21",
    "198.51.100.22",
    "203.0.113.23",
    "2001:db8:d::24",
    "2001:db8:e::25",
    "192.0.2.26",
    "198.51.100.27",
    "203.0.113.28",
]


def test_a_campaign_trying_a_long_list_is_told_as_looking_for_accounts(
    run: Runner, log_file: LogFile
) -> None:
    names = [f"user{n}@example.com" for n in range(8)]
    path = log_file(_spray_excerpt(names, SPRAY_CLIENTS))
    _code, out, _err = run("explain", path)
    assert (
        "8 different user names were tried by 8 addresses working together, a few names each"
        in flat(out)
    )
    _code, out, _err = run("analyze", "--year", "2026", path)
    assert "Usernames tried" in out
    assert "spraying campaign 1 trying many together" in flat(out)
    assert "8 usernames in all" in flat(out)


def test_spraying_two_accounts_is_not_called_looking_for_accounts(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(_spray_excerpt(["alice@example.com", "bob@example.com"], SPRAY_CLIENTS))
    _code, out, _err = run("explain", path)
    assert "password-spraying campaign" in flat(out)
    assert "looking for the accounts that exist" not in flat(out)
    _code, out, _err = run("analyze", "--year", "2026", path)
    assert "Password spraying campaigns" in out and "Usernames tried" not in out


POSTSCREEN_ONLY = """\
Mar 11 00:32:45 mx postfix/postscreen[55638]: CONNECT from [203.0.113.172]:60993 to [198.51.100.25]:25
Mar 11 00:32:46 mx postfix/postscreen[55638]: PREGREET 16 after 0.35 from [203.0.113.172]:60993: EHLO localhost\\r\\n
Mar 11 00:32:52 mx postfix/postscreen[55638]: DISCONNECT [203.0.113.172]:60993
Mar 11 02:38:21 mx postfix/postscreen[55811]: CONNECT from [203.0.113.174]:48666 to [198.51.100.25]:25
Mar 11 02:38:23 mx postfix/postscreen[55811]: HANGUP after 1.5 from [203.0.113.174]:48666 in tests before SMTP handshake
Mar 11 02:38:23 mx postfix/postscreen[55811]: DISCONNECT [203.0.113.174]:48666
"""  # noqa: E501


def test_clients_stopped_by_postscreen_are_not_called_no_connection(
    run: Runner, log_file: LogFile
) -> None:
    _code, out, _err = run("explain", log_file(POSTSCREEN_ONLY))
    assert "Client 203.0.113.172, outside a session" in out
    assert "no client connection at all" not in flat(out)
    assert "These lines show 2 clients outside any mail session" in flat(out)
    _code, out, _err = run("explain", log_file("Mar 11 00:32:45 mx postfix/qmgr[7]: starting\n"))
    assert "These lines contain no client connection at all." in flat(out)


NEW_DEVICE_TYPOS = """\
Mar 10 19:30:21 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 3 attempts in 21 secs): user=<bob@example.com>, method=PLAIN, rip=203.0.113.150, lip=192.0.2.1, TLS, session=<aB1cD2eF3gH4iJ5k>
Mar 10 19:31:00 mx dovecot: imap-login: Login: user=<bob@example.com>, method=PLAIN, rip=203.0.113.150, lip=192.0.2.1, mpid=4242, TLS, session=<bC2dE3fG4hI5jK6l>
"""  # noqa: E501


def test_a_few_tries_on_one_account_then_in_is_a_maybe_in_both_commands(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(NEW_DEVICE_TYPOS)
    _code, out, _err = run("explain", "--year", "2026", path)
    assert "Maybe. A login followed failed ones" in flat(out)
    assert "a guess that worked, or its owner retyping a mistyped password" in flat(out)
    assert "at least one attacker got in" not in out and "YES: it got in" not in out
    _code, out, _err = run("analyze", "--year", "2026", path)
    assert out.startswith("Maybe someone got in: bob@example.com was logged into")
