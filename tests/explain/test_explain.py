"""`mailwarden explain`: what a mail administrator reads for an excerpt."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len

from clirunner import Runner

SEED = Path(__file__).resolve().parents[2] / "samples" / "seed-excerpt.txt"


def flat(text: str) -> str:
    """The output with line breaks and indentation folded into single spaces."""
    return " ".join(text.split())


# -- the user's excerpt ------------------------------------------------------------------


def test_seed_answers_the_three_questions(run: Runner) -> None:
    code, out, err = run("explain", str(SEED))
    assert code == 0, err
    out = flat(out)
    # what the lines mean
    assert "EAGAIN" in out
    assert "smtpd_tls_loglevel" in out
    assert "soft_bounce = yes" in out
    assert "only as an answer to a 334 prompt" in out  # the "*" is not a cancel
    assert "The normal reply is 535 5.7.8" in out
    # is someone trying to crack an account: who, what, which account
    assert "Yes. Someone is trying to guess passwords; these lines show no successful login." in out
    assert "176.103.49.30, an address without a reverse DNS name" in out
    assert "“admin@fipick.com”" in out
    assert "AUTH PLAIN" in out
    assert "password *** (4–6 characters, cut off in the log)" in out
    assert "automated bot" in out and "EHLO localhost" in out
    # did it succeed, and how we can tell: old Postfix logs no auth= statistics, so
    # these lines cannot prove it failed
    assert "No successful login is visible in these lines." in out
    assert "435 4.7.8: authentication failed" in out
    assert "no 235 reply" in out and "no line with “sasl_method=”" in out
    # what the log reveals and what to do, most important first
    assert "RC4-SHA" in out and "ALL:+RC4:@STRENGTH" in out
    actions = out.split("What to do, most important first", 1)[1]
    order = [
        "Lower smtpd_tls_loglevel to 1",
        "Make sure nobody got in",
        "No need to block 176.103.49.30",
        "smtpd_sasl_auth_enable = no",
        "smtpd_tls_exclude_ciphers",
        "soft_bounce = no",
        "Upgrade Postfix",
        "Run this on the server",
    ]
    positions = [actions.find(text) for text in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    assert "mailwarden ban" not in actions
    assert "mailwarden audit --check weak_tls" in actions  # the audit stage's exact fixes


def test_seed_never_shows_the_password(run: Runner) -> None:
    _code, out, _err = run("explain", str(SEED))
    out = flat(out)
    assert "AGFkbWluQGZpcGljay5jb20Ad2lsb" not in out  # the raw AUTH PLAIN payload
    assert "wil…" not in out and "wil " not in out
    assert "Read 45 chars: AUTH PLAIN ‹…›" in out


def test_show_passwords_reveals_them(run: Runner) -> None:
    _code, out, _err = run("explain", "--show-passwords", str(SEED))
    out = flat(out)
    assert "AGFkbWluQGZpcGljay5jb20Ad2lsb" in out
    assert "wil…" in out and "l, m, n, o" in out


_PASTED = ("zgrep ", "journalctl ")
"""The commands of the advice wider than 80 columns: each alone on its line, unwrapped,
to be pasted whole."""


def test_plain_output_fits_80_columns_without_escapes(run: Runner) -> None:
    _code, out, _err = run("explain", str(SEED))
    assert "\x1b" not in out
    for line in out.splitlines():
        assert cell_len(line) <= 80 or line.lstrip().startswith(_PASTED), line
        assert line == line.rstrip()


# -- other excerpts: the verdict comes from the events, not from the sample --------------

PREFIX = "Mar  3 10:0{m}:{s:02d} mx postfix/submission/smtpd[{pid}]: "


def _postfix_session(pid: int, minute: int, lines: list[str]) -> str:
    return "".join(
        PREFIX.format(m=minute, s=n, pid=pid) + line + "\n" for n, line in enumerate(lines)
    )


def _guess(pid: int, minute: int, ip: str, user: str) -> str:
    return _postfix_session(
        pid,
        minute,
        [
            f"connect from unknown[{ip}]",
            f"warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, "
            f"sasl_username={user}",
            f"disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
        ],
    )


def test_login_after_failures_says_they_got_in(run: Runner, log_file: Callable[[str], str]) -> None:
    ip, user = "203.0.113.7", "info@example.org"
    # Four: three tries on one account alone then a login are a "maybe" (test_verdict.py)
    text = "".join(_guess(1200 + n, n, ip, user) for n in range(4))
    text += _postfix_session(
        1210,
        5,
        [
            f"connect from unknown[{ip}]",
            f"4AbCdE1234: client=unknown[{ip}], sasl_method=LOGIN, sasl_username={user}",
            f"disconnect from unknown[{ip}] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6",
        ],
    )
    code, out, _err = run("explain", log_file(text))
    assert code == 0
    out = flat(out)
    assert "Yes, and at least one attacker got in." in out
    assert f"YES: it got in as “{user}”." in out
    assert "after 4 failed attempts: it guessed the password" in out
    actions = out.split("What to do, most important first", 1)[1]
    assert actions.lstrip().startswith(f"1. Change the password of “{user}” now")


def test_dovecot_imap_brute_force(run: Runner, log_file: Callable[[str], str]) -> None:
    ip = "198.51.100.23"
    lines = [
        f"Mar  3 11:00:{n * 20:02d} mx dovecot: imap-login: Disconnected (auth failed, 3 attempts "
        f"in 12 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, "
        f"session=<{chr(97 + n)}bcdEFGH1234ijkl>\n"
        for n, user in enumerate(["admin", "test", "info"])
    ]
    code, out, _err = run("explain", log_file("".join(lines)))
    assert code == 0
    out = flat(out)
    assert "Yes. Someone is trying to guess passwords; nobody got in." in out  # auth failed
    assert f"{ip} tried to log in as “admin”, “info”, “test”: 9 failed attempts." in out
    assert "IMAP" in out
    assert "Dovecot writes this line when the connection ends; 3 passwords" in out
    assert "No, it did not get in." in out
    assert "no “Login:” or “Logged in” line" in out
    assert "brute-force" in out
    assert f"mailwarden ban {ip}" in out
    assert "Postfix writes “unknown”" not in out  # Dovecot logs no reverse name


_IPV6 = re.compile(r"[0-9A-Fa-f]*(?::[0-9A-Fa-f]*){2,}")


def test_long_ipv6_addresses_stay_whole_at_any_width(log_file: Callable[[str], str]) -> None:
    """Log lines, notes and the verdict break around an address, never inside it: the
    first part of ``2001:db8:a11:1::17`` cut after ``::1`` is another valid address."""
    from mailwarden.detect import analyze
    from mailwarden.explain import explain
    from mailwarden.explain.render import lines
    from mailwarden.locale import activate
    from mailwarden.pipeline import Counts, ReadOptions, read_events

    guesser = "2001:db8:a11:1:1234:5678:9abc:def0"
    text = "".join(_guess(1400 + n, n, guesser, "info@example.org") for n in range(3))
    text += "".join(
        f"Mar  3 10:0{n}:40 mx dovecot: auth: passwd-file(office@example.org,{guesser},"
        f"<SpKev6RMM9ogAQ24ChEAAQAAAAAA000{n}>): Password mismatch\n"
        for n in range(3)
    )
    path = log_file(text)
    for language in ("en", "zh_CN"):
        activate(language)
        pairs = list(read_events([path], ReadOptions(year=2026), Counts()))
        blocks = explain(pairs, analyze=analyze)
        whole = {t for line, _ in lines(blocks, 1000) for t in _IPV6.findall(line)}
        assert guesser in whole
        for width in range(50, 101):
            for line, style in lines(blocks, width):
                assert set(_IPV6.findall(line)) <= whole, (language, width, line)
                # a command is never wrapped: it is pasted whole
                assert cell_len(line) <= width or style == "command", (language, width, line)


def test_clean_log_is_no_attack(run: Runner, log_file: Callable[[str], str]) -> None:
    text = _postfix_session(
        1300,
        0,
        [
            "connect from mail.example.net[192.0.2.44]",
            "5XyZabc: client=mail.example.net[192.0.2.44], sasl_method=PLAIN, "
            "sasl_username=alice@example.org",
            "disconnect from mail.example.net[192.0.2.44] ehlo=2 starttls=1 auth=1 mail=1 "
            "rcpt=1 data=1 quit=1 commands=8",
        ],
    )
    code, out, _err = run("explain", log_file(text))
    assert code == 0
    out = flat(out)
    assert "No. Nobody in these lines tried to log in and failed." in out
    assert "There is 1 successful login." in out
    assert "What to do" not in out
    assert "reverse DNS name is mail.example.net" in out


def test_auth_login_steps_in_verbose_chat(run: Runner, log_file: Callable[[str], str]) -> None:
    ip = "192.0.2.9"
    text = _postfix_session(
        2001,
        0,
        [
            f"connect from unknown[{ip}]",
            f"< unknown[{ip}]: AUTH LOGIN",
            f"> unknown[{ip}]: 334 VXNlcm5hbWU6",
            f"< unknown[{ip}]: c2FsZXNAZXhhbXBsZS5vcmc=",
            f"> unknown[{ip}]: 334 UGFzc3dvcmQ6",
            f"< unknown[{ip}]: UXdlcnR5MTIz",
            f"> unknown[{ip}]: 535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
            f"lost connection after AUTH from unknown[{ip}]",
        ],
    )
    _code, out, _err = run("explain", log_file(text))
    out = flat(out)
    assert "“Username:” (base64 decoded)" in out
    assert "The client answers the user name prompt: “sales@example.org”." in out
    assert "The client answers the password prompt: *** (9 characters)." in out
    assert "UXdlcnR5MTIz" not in out and "Qwerty123" not in out
    assert "verbose logging" in out
    _code, shown, _err = run("explain", "--show-passwords", log_file(text))
    assert "Qwerty123" in shown


def test_a_relay_deferred_by_default_is_not_called_soft_bounce(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """454 4.7.1 "Relay access denied" is what defer_unauth_destination (Postfix's default
    relay restrictions) answers with soft_bounce off: telling the administrator to turn
    soft_bounce off was wrong advice."""
    ip = "192.0.2.10"
    text = _postfix_session(
        2002,
        0,
        [
            f"connect from unknown[{ip}]",
            f"NOQUEUE: reject: RCPT from unknown[{ip}]: 454 4.7.1 <x@example.net>: Relay "
            "access denied; from=<a@example.org> to=<x@example.net> proto=ESMTP helo=<bot>",
            f"disconnect from unknown[{ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
        ],
    )
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    assert "The server refused the client's RCPT: 454" in flat(out)
    assert "soft_bounce" not in out


MAYBE_OWNER = "".join(
    f"Mar 11 10:02:{line}\n"
    for line in (
        "00 mx dovecot: auth: passwd-file(admin,203.0.113.20,<Sx1>): unknown user",
        "02 mx dovecot: auth: passwd-file(admin,203.0.113.20,<Sx1>): unknown user",
        "04 mx dovecot: auth: passwd-file(test,203.0.113.20,<Sx1>): unknown user",
        "05 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 3 attempts "
        "in 6 secs): user=<test>, method=PLAIN, rip=203.0.113.20, lip=192.0.2.1, TLS, "
        "session=<Sx1>",
        "10 mx dovecot: auth: passwd-file(bob@example.com,203.0.113.21,<Sx2>): Password mismatch",
        "12 mx dovecot: auth: passwd-file(bob@example.com,203.0.113.21,<Sx2>): Password mismatch",
        "13 mx dovecot: pop3-login: Disconnected: Connection closed (auth failed, 2 attempts "
        "in 4 secs): user=<bob@example.com>, method=PLAIN, rip=203.0.113.21, lip=192.0.2.1, "
        "session=<Sx2>",
        "20 mx dovecot: auth: passwd-file(bob@example.com,203.0.113.21,<Sx3>): Password mismatch",
        "22 mx dovecot: imap-login: Login: user=<bob@example.com>, method=PLAIN, "
        "rip=203.0.113.21, lip=192.0.2.1, mpid=55, TLS, session=<Sx3>",
    )
)


def test_advice_for_a_login_that_may_be_the_owner_asks_the_owner_first(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """The verdict says "Maybe ... ask the owner"; the steps said the account was broken
    into ("logged in with it", "one password was guessed here")."""
    code, out, err = run("explain", log_file(MAYBE_OWNER))
    assert code == 0, err
    steps = flat(out).split("What to do, most important first", 1)[1]
    assert steps.startswith(
        " 1. Ask the user of “bob@example.com” whether the login from 203.0.113.21 at "
        "Mar 11 10:02:22 was theirs. Only if it was not: change the password now"
    ), steps
    assert "was guessed" not in steps and "logged in with it" not in steps
    # two addresses to block, and `ban` takes one
    assert "now: mailwarden ban 203.0.113.21 and likewise for the others" in steps


DOVECOT_ENDS = "".join(
    f"Mar 11 10:07:{line}\n"
    for line in (
        "01 mx dovecot: imap-login: Disconnected: Inactivity during authentication "
        "(disconnected while authenticating, waited 180 secs): user=<>, method=PLAIN, "
        "rip=198.51.100.61, lip=192.0.2.1, TLS, session=<D2>",
        "04 mx dovecot: imap-login: Disconnected: Connection closed (password expired, 1 "
        "attempts in 2 secs): user=<carl@example.com>, method=PLAIN, rip=198.51.100.64, "
        "lip=192.0.2.1, TLS, session=<D5>",
        "08 mx postfix/smtpd[8100]: warning: unknown[203.0.113.30]: SASL LOGIN "
        "authentication failed: UGFzc3dvcmQ6, sasl_username=info@example.com",
        "10 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 5 attempts "
        "in 12 secs): user=<sales@example.com>, method=PLAIN, rip=203.0.113.31, "
        "lip=192.0.2.1, TLS, session=<Qa1>",
    )
)


def test_dovecot_lines_at_a_connections_end_keep_their_reason_and_count(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """An IMAP login broken off was told as a "*" answer to SMTP's 334 prompt; "password
    expired" (which PAM says only once the password was accepted) as one more failed
    password; and a line of 5 attempts after another failure as "Another failed login"."""
    code, out, err = run("explain", log_file(DOVECOT_ENDS))
    assert code == 0, err
    out = flat(out)
    assert "334" not in out
    assert "The client broke off its login" in out and "No password was checked." in out
    assert "“password expired”, the password has expired; 1 login failed in it." in out
    assert "the password itself may have been right" in out
    assert "5 passwords were tried in it and failed." in out


def test_a_bare_auth_login_after_a_broken_exchange_carries_no_credential(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """The second ``AUTH LOGIN`` was told as sending credentials "on the same line", cut
    off: those of the exchange before it, whose password line the log lacks."""
    ip = "192.0.2.36"
    text = _postfix_session(
        7500,
        0,
        [
            f"connect from unknown[{ip}]",
            f"< unknown[{ip}]: AUTH LOGIN",
            f"> unknown[{ip}]: 334 VXNlcm5hbWU6",
            f"< unknown[{ip}]: YWxpY2VAZXhhbXBsZS5jb20=",
            f"> unknown[{ip}]: 334 UGFzc3dvcmQ6",
            f"warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
            f"< unknown[{ip}]: AUTH LOGIN",
            f"> unknown[{ip}]: 334 VXNlcm5hbWU6",
        ],
    )
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    out = flat(out)
    assert "on the same line" not in out and "cut off" not in out
    assert out.count("The client asks to log in with method LOGIN.") == 2


def test_the_account_logged_into_is_no_other_targeted_account_without_its_domain(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """Guesses as "bob", then a login as bob@example.com: the advice told to make sure
    the *other* targeted accounts (“bob”) have strong passwords."""
    ip = "198.51.100.34"
    lines = [
        f"Nov 28 10:0{n}:00 mx postfix/submission/smtpd[{300 + n}]: warning: unknown[{ip}]: "
        "SASL LOGIN authentication failed: (reason unavailable), sasl_username=bob"
        for n in range(6)
    ]
    lines.append(
        f"Nov 28 10:07:00 mx postfix/submission/smtpd[310]: 4F0B: client=unknown[{ip}], "
        "sasl_method=LOGIN, sasl_username=bob@example.com"
    )
    code, out, err = run("explain", log_file("\n".join(lines) + "\n"))
    assert code == 0, err
    out = flat(out)
    assert "bob@example.com" in out
    assert "other targeted accounts" not in out


def test_hostile_text_is_escaped(run: Runner, log_file: Callable[[str], str]) -> None:
    line = (
        "Mar  3 11:00:00 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 "
        "secs): user=<evil\x1b[2Jroot>, method=PLAIN, rip=198.51.100.99, lip=192.0.2.1, "
        "session=<zzcdEFGH1234ijkl>\n"
    )
    _code, out, _err = run("explain", log_file(line))
    assert "\x1b" not in out


def test_long_input_lists_the_first_entries_and_judges_all(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    text = "".join(_guess(3000 + n, n % 10, "203.0.113.50", f"user{n}") for n in range(200))
    _code, out, _err = run("explain", log_file(text))
    out = flat(out)
    assert "more entries are not listed; the verdict below covers all of them" in out
    assert "200 failed attempts" in out


# -- the command line ------------------------------------------------------------------


def test_empty_input_is_not_an_error(run: Runner, log_file: Callable[[str], str]) -> None:
    code, out, err = run("explain", log_file(""))
    assert code == 0
    assert "no log entries" in out
    assert err == ""


def test_unreadable_file_is_one_line_and_exit_1(run: Runner, tmp_path: Path) -> None:
    code, out, err = run("explain", str(tmp_path / "missing.log"))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("mailwarden: error: ")


def test_bad_language_is_a_usage_error(run: Runner) -> None:
    code, _out, err = run("explain", "--lang", "fr", str(SEED))
    assert code == 2
    assert "--lang" in err


def test_help_has_examples(run: Runner) -> None:
    code, out, _err = run("explain", "--help")
    assert code == 0
    assert "Examples:" in out and "--lang zh_CN" in out and "--show-passwords" in out


def test_lang_option_and_locale_choose_chinese(run: Runner) -> None:
    _code, out, _err = run("explain", "--lang", "zh_CN", str(SEED))
    assert "结论" in out and "应对措施（按重要性排序）" in out
    _code, out, _err = run("explain", str(SEED), env={"LANG": "zh_CN.UTF-8"})
    assert "结论" in out
    _code, out, _err = run("explain", "--lang", "en", str(SEED), env={"LANG": "zh_CN.UTF-8"})
    assert "Verdict" in out and "结论" not in out


def test_chinese_output_fits_80_columns(run: Runner) -> None:
    _code, out, _err = run("explain", "--lang", "zh_CN", str(SEED))
    for line in out.splitlines():
        assert cell_len(line) <= 80 or line.lstrip().startswith(_PASTED), line


_ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,'-]+[a-z]{2,}){2,}")


def test_chinese_output_has_no_english_sentence(run: Runner) -> None:
    """Log text, commands, parameter names and quoted names may stay; prose may not."""
    from mailwarden.explain import explain
    from mailwarden.explain.document import Entry, Heading, Item, Paragraph
    from mailwarden.locale import activate
    from mailwarden.pipeline import Counts, ReadOptions, read_events

    activate("zh_CN")
    pairs = list(read_events([str(SEED)], ReadOptions(), Counts()))
    from mailwarden.detect import analyze

    texts: list[str] = []
    for block in explain(pairs, analyze=analyze):
        if isinstance(block, Entry):
            texts.append(block.note)  # the quoted log line is log text
        elif isinstance(block, Heading | Paragraph | Item):
            texts.append(block.text)
    assert any("机器人程序" in t for t in texts)
    allowed = re.compile(
        r"“[^”]*”"  # quoted log text and names
        r"|postconf -e \S+|postfix reload|mailwarden \w+(?: [\d.]+)?"  # commands
        r"|postfix/smtpd\[\d+\]"
    )
    for text in texts:
        prose = allowed.sub(" ", text)
        found = _ENGLISH_RUN.search(prose)
        assert found is None, (found.group(0) if found else "", text)


def test_a_paste_longer_than_a_line_may_be_is_named_not_silently_dropped(
    run: Runner, tmp_path: Path
) -> None:
    pasted = " ".join([SEED.read_text().replace("\n", " ")] * 30)  # 30 excerpts, one line
    path = tmp_path / "paste.txt"
    path.write_text(pasted + "\n")
    code, out, err = run("explain", str(path))
    assert code == 0
    said = "1 line longer than 64 KiB was skipped (a paste of many entries on one line"
    assert said in flat(out) and said in flat(err)
    # In Chinese on both, as the rest of the explanation.
    code, out, err = run("explain", "--lang", "zh_CN", str(path))
    assert "跳过了 1 行超过 64 KiB 的内容" in out and "跳过了 1 行超过 64 KiB 的内容" in err


def test_on_a_terminal_it_asks_for_the_paste_instead_of_waiting_silently() -> None:
    import os
    import subprocess
    import sys

    paste = (
        b"Feb 23 13:10:00 mx postfix/smtpd[5200]: connect from unknown[192.0.2.44]\n"
        b"Feb 23 13:10:02 mx postfix/smtpd[5200]: warning: unknown[192.0.2.44]: SASL PLAIN "
        b"authentication failed: (reason unavailable), sasl_username=info@example.com\n"
    )
    master, slave = os.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "explain"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        os.close(slave)
        # The terminal's line discipline: the paste, then Ctrl-D on a line of its own.
        os.write(master, paste + b"\x04")
        out, err = child.communicate(timeout=60)
    os.close(master)
    assert child.returncode == 0, err
    assert err == "Paste the log lines, then press Ctrl-D on a line of its own.\n"
    assert "192.0.2.44" in out and "info@example.com" in out and "Verdict" in out


def test_a_whole_log_is_read_only_to_the_limit_and_said(
    run: Runner, log_file: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # explain holds every entry for its verdict: a whole log is analyze's. (A review
    # saw 4 GB for 5 million junk lines.)
    import mailwarden.cli.explain as command

    monkeypatch.setattr(command, "MAX_READ", 50)
    lines = [
        f"Feb 23 09:{n // 60:02d}:{n % 60:02d} mx postfix/smtpd[{100 + n}]: "
        f"connect from unknown[192.0.2.{n % 250}]"
        for n in range(80)
    ]
    code, out, err = run("explain", log_file("\n".join(lines) + "\n"))
    assert code == 0
    assert out.startswith("Only the first 50 log entries were read")
    assert "50 log entries" in out and "80 log entries" not in out
    assert "Only the first 50 log entries were read" in err
    code, zh, err = run("explain", "--lang", "zh_CN", log_file("\n".join(lines) + "\n"))
    assert zh.startswith("只读取了前 50 条日志记录") and "只读取了前 50 条日志记录" in err
    monkeypatch.setattr(command, "MAX_READ", 80)
    code, out, err = run("explain", log_file("\n".join(lines) + "\n"))
    assert "Only the first" not in out and err == ""


def test_pasted_entries_kept_inside_a_helo_name_are_said(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # A paste whose first entry ends in a client's HELO name: the entries after it could
    # be forged by that client, so they stay inside it, and the reader is told.
    reject = (
        "Mar 11 00:32:52 mx postfix/postscreen[55638]: NOQUEUE: reject: RCPT from "
        "[203.0.113.172]:60993: 550 5.5.1 Protocol error; from=<a@example.org>, "
        "to=<chris@example.com>, proto=ESMTP, helo=<localhost>"
    )
    guesses = [
        f"Mar 11 05:00:0{n} mx postfix/submission/smtpd[300]: warning: unknown[203.0.113.7]: "
        "SASL LOGIN authentication failed: authentication failure, sasl_username=root"
        for n in range(6)
    ]
    code, out, err = run("explain", log_file(" ".join([reject, *guesses]) + "\n"))
    assert code == 0
    assert flat(out).startswith("6 entry headers lie inside text a client chose")
    assert "6 entry headers lie inside text a client chose" in flat(err)
    # The same lines one per line: nothing held, nothing said.
    code, out, err = run("explain", log_file("\n".join([reject, *guesses]) + "\n"))
    assert "entry headers" not in out + err and "203.0.113.7" in out


def test_an_auth_read_with_the_ehlo_is_no_part_of_the_helo_name(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(
        "Feb 23 11:57:41 mx postfix/smtpd[100]: Read 52 chars:"
        " EHLO x??AUTH LOGIN??Ym9i??SHVudGVyMg==??\n"
        "Feb 23 11:57:43 mx postfix/smtpd[100]: warning: unknown[203.0.113.5]: SASL LOGIN"
        " authentication failed: UGFzc3dvcmQ6\n"
    )
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    assert "SHVudGVyMg" not in out and "Ym9i" not in out
    assert "calls itself “x”" in flat(out)
