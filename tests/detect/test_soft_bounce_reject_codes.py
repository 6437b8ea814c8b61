"""450 "User unknown" is soft_bounce, or the unknown_*_reject_code of the table that
refused the recipient set to 450. The finding named only the code of the first reply's
table (and knew no relay recipient table): replies from several tables, or without the
table's name (show_user_unknown_table_name = no), were blamed on one setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.cli import main

LOCAL = "unknown_local_recipient_reject_code"
ALIAS = "unknown_virtual_alias_reject_code"
MAILBOX = "unknown_virtual_mailbox_reject_code"
RELAY = "unknown_relay_recipient_reject_code"


def reject(n: int, reason: str, code: str = "450 4.1.1") -> list[str]:
    ip, pid = f"203.0.113.{n + 1}", 100 + n
    stamp = f"Nov 28 10:{n:02d}"
    return [
        f"{stamp}:00 mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
        f"{stamp}:01 mx postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: "
        f"{code} <u{n}@example.org>: {reason}; from=<s@example.biz> to=<u{n}@example.org> "
        "proto=ESMTP helo=<bot>",
        f"{stamp}:02 mx postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 mail=1 "
        "rcpt=0/1 quit=1 commands=3/4",
    ]


def unknown_in(n: int, table: str) -> list[str]:
    return reject(n, f"Recipient address rejected: User unknown in {table} table")


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    lines: list[str],
    *args: str,
) -> str:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "COLUMNS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("COLUMNS", "400")  # one finding, one line
    log = tmp_path / "mail.log"
    log.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([*args, "--year", "2026", str(log)])
    return " ".join(capsys.readouterr().out.split())


def test_replies_from_two_tables_name_both_codes(capsys, monkeypatch, tmp_path: Path):
    lines = unknown_in(0, "local recipient") + unknown_in(1, "relay recipient")

    out = run(capsys, monkeypatch, tmp_path, lines, "analyze")

    assert (
        f"2 replies say 4xx where Postfix means 5xx (450 4.1.1): soft_bounce, or {LOCAL} or "
        f"{RELAY} set to 450" in out
    )
    assert (
        f"Fix: postconf soft_bounce {LOCAL} {RELAY} shows which one: postconf -e "
        f"soft_bounce=no {LOCAL}=550 {RELAY}=550; postfix reload" in out
    )


def unspaced(text: str) -> str:
    """Chinese text as the terminal shows it, without the breaks a wrap put in."""
    return "".join(text.split())


def test_the_same_in_chinese(capsys, monkeypatch, tmp_path: Path):
    lines = unknown_in(0, "virtual mailbox") + unknown_in(1, "virtual alias")

    out = unspaced(run(capsys, monkeypatch, tmp_path, lines, "analyze", "--lang", "zh_CN"))

    assert unspaced(f"soft_bounce，或 {ALIAS} 或 {MAILBOX} 被设为 450") in out
    assert (
        unspaced(
            f"postconf soft_bounce {ALIAS} {MAILBOX} 可以看出是哪一个：postconf -e "
            f"soft_bounce=no {ALIAS}=550 {MAILBOX}=550; postfix reload"
        )
        in out
    )


def test_explain_names_both_and_sets_both(capsys, monkeypatch, tmp_path: Path):
    lines = unknown_in(0, "local recipient") + unknown_in(1, "virtual alias")

    out = run(capsys, monkeypatch, tmp_path, lines, "explain")
    chinese = unspaced(run(capsys, monkeypatch, tmp_path, lines, "explain", "--lang", "zh_CN"))

    assert f"soft_bounce = yes, or {LOCAL} or {ALIAS} set to 450:" in out
    assert f"Set soft_bounce = no and {LOCAL} = 550, {ALIAS} = 550 (450 is only" in out
    assert unspaced(f"soft_bounce = yes，或 {LOCAL} 或 {ALIAS} 被设为 450：") in chinese
    assert unspaced(f"设置 soft_bounce = no 和 {LOCAL} = 550、{ALIAS} = 550（450") in chinese


def test_a_reply_that_hides_the_table_may_be_any_code(capsys, monkeypatch, tmp_path: Path):
    """show_user_unknown_table_name = no: "User unknown" alone."""
    lines = reject(0, "Recipient address rejected: User unknown")

    out = run(capsys, monkeypatch, tmp_path, lines, "analyze")

    assert (
        f"1 reply says 4xx where Postfix means 5xx (450 4.1.1): soft_bounce, or {LOCAL}, "
        f"{ALIAS}, {MAILBOX} or {RELAY} set to 450" in out
    )
    assert f"soft_bounce=no {LOCAL}=550 {ALIAS}=550 {MAILBOX}=550 {RELAY}=550;" in out


def test_one_table_names_its_code_alone(capsys, monkeypatch, tmp_path: Path):
    lines = unknown_in(0, "relay recipient") + unknown_in(1, "relay recipient")

    out = run(capsys, monkeypatch, tmp_path, lines, "analyze")

    assert f"soft_bounce, or {RELAY} set to 450;" in out
    assert f"postconf -e soft_bounce=no {RELAY}=550;" in out
    assert LOCAL not in out


def test_a_remote_servers_user_unknown_is_no_table_here(capsys, monkeypatch, tmp_path: Path):
    """reject_unverified_recipient answers 450 (unverified_recipient_reject_code) with
    soft_bounce off, quoting the next hop's 550 "User unknown in local recipient
    table": neither soft_bounce nor this server's unknown_local_recipient_reject_code."""
    remote = (
        "Recipient address rejected: undeliverable address: host mail.example.org"
        "[192.0.2.25] said: 550 5.1.1 <u0@example.org>: Recipient address rejected: User "
        "unknown in local recipient table (in reply to RCPT TO command)"
    )
    lines = reject(0, remote)

    out = run(capsys, monkeypatch, tmp_path, lines, "analyze")

    assert "soft_bounce" not in out
    assert LOCAL not in out
