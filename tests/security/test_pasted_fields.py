# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Pasted text is split at each further header, never inside a field a client fills.

Attacks that worked: an authenticated user's MAIL FROM AUTH=<…> (``sasl_sender=`` in the
``client=`` line) and her own mailbox names (Dovecot mail_log's ``copy from <box>:``,
``box=``) held a whole forged entry that became an entry of its own; and a field that
Postfix cuts at 100 characters stopped protecting after them, so a forged line padded
past them split again. Then: the reason of a SASL failure (Dovecot's reason=, a site's
text that may hold the client's name), and the errors and warnings of Dovecot's mail
processes, which name her mailboxes (``Mailbox <name>: …``, ``open(<path>) failed``).
Each analysis below must blame nobody: the address in the forged text is `VICTIM`. And
a crash leaves a half-written entry, NULs and the next entry on one line: that entry
counts.
"""

from __future__ import annotations

import json
from pathlib import Path

from seclab import VICTIM, mailwarden


def analyze(text: str) -> dict[str, object]:
    result = mailwarden("analyze", "--format", "json", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def explain_blames(text: str, address: str) -> bool:
    """Whether explain's verdict names ``address`` as a client (a client's name may quote
    the forged text: that is no blame)."""
    result = mailwarden("explain", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    verdict = result.stdout.split("\nVerdict", 1)[1]  # explain shows each line before it
    return any(
        f"The client {address}" in line
        or line.lstrip().startswith(f"• {address} ")
        or (address in line and ("Block " in line or "mailwarden ban" in line))
        for line in verdict.splitlines()
    )


def attackers(text: str) -> list[str]:
    return [str(a["ip"]) for a in analyze(text)["attackers"]]  # type: ignore[index, union-attr]


MAILBOX = "".join(
    f"Mar 11 10:00:0{i} mx dovecot: imap(mallory)<81{i}><s{i}>: copy from Archive/2025/Projects/Customer-Correspondence: box=Junk Mar 11 10:00:0{i} auth: p(u,{VICTIM}): unknown user, uid={i}, msgid=<a{i}@b>, size=10\n"
    for i in range(1, 6)
)
SOURCE_MAILBOX = "".join(
    f"Mar 11 10:00:0{i} mx dovecot: imap(mallory.archive@example.com)<81{i}><Q2VzdGVzdDEyMzQ1Ng>: copy from Junk Mar 11 10:00:0{i} auth: p(u,{VICTIM}): unknown user: box=INBOX, uid={i}, msgid=<a{i}@b>, size=10\n"
    for i in range(1, 6)
)
SASL_SENDER = "".join(
    f"Mar 11 10:00:0{i} mx postfix/submission/smtpd[81{i}]: 4B2DD20C9F{i}: client=unknown[192.0.2.10], sasl_method=PLAIN, sasl_username=mallory, sasl_sender={'x' * 100} Mar 11 10:00:0{i} mx postfix/smtpd[9{i}]: warning: unknown[{VICTIM}]: SASL LOGIN authentication failed: x, sasl_username=admin\n"
    for i in range(1, 6)
)
PADDED = "".join(
    f"Mar 11 10:00:0{i} mx postfix/smtpd[9{i}]: warning: unknown[198.51.100.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin {'x' * 100} Mar 11 10:00:0{i} mx postfix/smtpd[9{i}]: warning: unknown[{VICTIM}]: SASL LOGIN authentication failed: x, sasl_username=admin\n"
    for i in range(1, 6)
)

SASL_REASON = "".join(
    f"Mar 11 10:00:0{i} mx postfix/smtpd[81{i}]: warning: unknown[198.51.100.9]: SASL LOGIN authentication failed: Account mallory Mar 11 10:00:0{i} mx postfix/smtpd[9{i}]: warning: unknown[{VICTIM}]: SASL LOGIN authentication failed: is disabled\n"
    for i in range(1, 7)
)
MAILBOX_ERRORS = "".join(
    f"Mar 11 10:00:0{i} mx dovecot: imap(mallory)<81{i}><s{i}>: Error: Mailbox Archive/2025/Projects/Customer-Correspondence Mar 11 10:00:0{i} auth: p(u,{VICTIM}): unknown user: Broken file dovecot.index.cache\n"
    f"Mar 11 10:00:0{i} mx dovecot: imap(mallory)<82{i}><t{i}>: Error: open(/home/mallory/Maildir/.Customers,2025.Projects.Correspondence.Archive-Old Mar 11 10:00:0{i} auth: p(v,{VICTIM}): unknown user/cur) failed: Permission denied\n"
    for i in range(1, 6)
)
CYRUS_REASONS = " ".join(
    f"Mar 11 10:00:0{i} mx postfix/smtpd[81{i}]: warning: unknown[198.51.100.9]: SASL LOGIN authentication failed: {reason}"
    for i, reason in enumerate(("authentication failure", "UGFzc3dvcmQ6", "") * 3)
)
# A CRAM-MD5 failure before Postfix 3.9 ends with the server's challenge as its reason;
# a host may be named "mailbox". Neither is a client's text.
CHALLENGES_ON_HOST_MAILBOX = " ".join(
    f"Mar 11 10:00:0{i} mailbox postfix/smtpd[81{i}]: warning: unknown[198.51.100.9]: SASL CRAM-MD5 authentication failed: PDEyMzQ1Ni4xNzAwMDAwMDA{i}QG14Pg=="
    for i in range(9)
)


def test_a_forged_entry_in_a_sasl_failures_reason_blames_nobody() -> None:
    found = attackers(SASL_REASON)
    assert VICTIM not in found and "198.51.100.9" in found
    assert not explain_blames(SASL_REASON, VICTIM) and explain_blames(SASL_REASON, "198.51.100.9")


def test_a_forged_entry_in_a_mailbox_error_blames_nobody() -> None:
    assert attackers(MAILBOX_ERRORS) == []
    assert not explain_blames(MAILBOX_ERRORS, VICTIM)


def test_pasted_failures_with_a_servers_own_reason_all_count() -> None:
    """The reasons Cyrus and Postfix write themselves end the entry: each failure after
    one is an entry of its own, counted."""
    (attacker,) = analyze(CYRUS_REASONS + "\n")["attackers"]  # type: ignore[misc]
    assert attacker["ip"] == "198.51.100.9" and attacker["failures"] == 9


def test_pasted_cram_md5_failures_on_a_host_named_mailbox_all_count() -> None:
    (attacker,) = analyze(CHALLENGES_ON_HOST_MAILBOX + "\n")["attackers"]  # type: ignore[misc]
    assert attacker["ip"] == "198.51.100.9" and attacker["failures"] == 9


def test_a_forged_entry_in_a_mailbox_name_blames_nobody() -> None:
    for text in (MAILBOX, SOURCE_MAILBOX):
        assert attackers(text) == []
        assert not explain_blames(text, VICTIM)


def test_a_forged_entry_in_mail_from_auth_blames_nobody() -> None:
    assert attackers(SASL_SENDER) == []
    assert not explain_blames(SASL_SENDER, VICTIM)


def test_a_forged_entry_after_a_padded_sasl_username_blames_nobody() -> None:
    found = attackers(PADDED)
    assert VICTIM not in found and "198.51.100.9" in found
    assert not explain_blames(PADDED, VICTIM) and explain_blames(PADDED, "198.51.100.9")


def test_the_entry_after_a_crash_and_its_nuls_counts(tmp_path: Path) -> None:
    fail = "Mar 11 10:00:0{} mx postfix/submission/smtpd[10{}]: warning: unknown[198.51.100.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=u{}"
    log = tmp_path / "mail.log"
    log.write_bytes(
        (fail.format(1, 1, 1) + "\n" + fail.format(2, 2, 2)[:60]).encode()
        + b"\x00" * 3000
        + (fail.format(3, 3, 3) + "\n" + fail.format(4, 4, 4) + "\n").encode()
    )
    result = mailwarden("analyze", "--format", "json", log)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    (attacker,) = report["attackers"]
    assert attacker["ip"] == "198.51.100.9" and attacker["failures"] == 3
    assert sorted(attacker["users"]) == ["u1", "u3", "u4"]
    assert report["stats"]["lines_skipped"] == 1  # the half-written entry
