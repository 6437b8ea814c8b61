"""The Postfix audit against directories read by Debian's real postconf."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from audit_helpers import USER_MAIN, Result, build_postfix, line_of, requires_postconf, settle

pytestmark = requires_postconf


def findings(result: Result) -> dict[str, dict]:
    document = json.loads(result.out)
    return {finding["id"]: finding for finding in document["findings"]}


def test_user_server_gets_every_problem_of_the_log_and_exit_3(run_cli, user_server: Path):
    # The user's server links OpenSSL 1.0.1 (a Postfix 3.6 or later would need 1.1.1,
    # which has no export, single-DES or RC4 suites).
    args = ("--format", "json", "--openssl-version", "1.0.1e")
    result = run_cli("audit", "--postfix-dir", str(user_server), *args)

    assert result.status == 3
    found = findings(result)
    high = {i for i, f in found.items() if f["severity"] == "high"}
    assert high == {
        "postfix.auth_on_port_25",
        "postfix.tls_loglevel_credentials",
        "postfix.weak_ciphers",
    }
    assert found["postfix.soft_bounce"]["severity"] == "medium"  # as in mailwarden analyze
    assert {"postfix.submission_missing", "postfix.no_auth_rate_limit"} <= set(found)
    assert found["postfix.broken_sasl_auth_clients"]["severity"] == "low"
    assert found["postfix.weak_ciphers"]["title"].startswith("Weak ciphers allowed: RC4")


def test_evidence_names_the_parameter_value_file_and_line(run_cli, user_server: Path):
    args = ("--format", "json", "--openssl-version", "1.0.1e")
    found = findings(run_cli("audit", "--postfix-dir", str(user_server), *args))

    main_cf = user_server / "main.cf"
    evidence = found["postfix.tls_loglevel_credentials"]["evidence"][0]
    assert evidence["parameter"] == "smtpd_tls_loglevel"
    assert evidence["value"] == "4"
    assert evidence["file"] == str(main_cf)
    assert evidence["line"] == line_of(main_cf, "smtpd_tls_loglevel")
    ciphers = {e["parameter"]: e["value"] for e in found["postfix.weak_ciphers"]["evidence"]}
    assert ciphers["tls_export_cipherlist"] == "ALL:+RC4:@STRENGTH"
    rate = found["postfix.no_auth_rate_limit"]["evidence"][0]
    assert rate["default"] is True and rate["value"] == "0"


def test_auth_fix_moves_auth_to_a_new_submission_service(run_cli, user_server: Path):
    found = findings(run_cli("audit", "--postfix-dir", str(user_server), "--format", "json"))

    fix = found["postfix.auth_on_port_25"]["fix"]
    prefix = f"postconf -c {user_server}"
    assert fix["commands"][0] == f"{prefix} -e 'smtpd_sasl_auth_enable=no'"
    assert f"{prefix} -M 'submission/inet=submission inet n - y - - smtpd'" in fix["commands"]
    assert f"{prefix} -P 'submission/inet/smtpd_sasl_auth_enable=yes'" in fix["commands"]
    assert f"{prefix} -P 'submission/inet/smtpd_tls_security_level=encrypt'" in fix["commands"]
    assert f"{prefix} -P 'submission/inet/smtpd_tls_auth_only=yes'" in fix["commands"]
    assert fix["reload"] == [f"postfix -c {user_server} reload"]
    assert fix["master_cf"].startswith("submission  inet  n  -  y  -  -  smtpd\n")


def test_an_old_server_gets_its_own_defaults_and_end_of_life(run_cli, user_server: Path):
    result = run_cli(
        "audit", "--postfix-dir", str(user_server), "--postfix-version", "2.6.6", "--format", "json"
    )

    found = findings(result)
    document = json.loads(result.out)
    assert document["postfix_version"] == "2.6.6"
    # Postfix 2.6 left smtpd_tls_protocols empty: SSLv2 and SSLv3 were allowed.
    assert found["postfix.tls_old_protocols"]["severity"] == "high"
    assert found["postfix.tls_old_protocols"]["evidence"][0]["default"] is True
    assert found["postfix.eol_version"]["severity"] == "high"  # before 2.8: nobody patches it
    # smtpd_client_auth_rate_limit does not exist before 3.1: no command, a note instead.
    limit = found["postfix.no_auth_rate_limit"]["fix"]
    assert limit["commands"] == [] and "3.1" in limit["note"]


def test_mail_version_in_main_cf_is_the_audited_version(run_cli, tmp_path: Path):

    directory = build_postfix(tmp_path / "old", USER_MAIN + "mail_version = 2.6.6\n")
    document = json.loads(run_cli("audit", "--postfix-dir", str(directory), "--format", "json").out)

    assert document["postfix_version"] == "2.6.6"
    assert document["postfix_version_source"] == "main.cf"


def test_hardened_server_has_nothing_to_fix_and_exits_0(run_cli, hardened: Path):
    result = run_cli(
        "audit", "--postfix-dir", str(hardened), "--postfix-version", "3.10.2", "--format", "json"
    )

    assert result.status == 0
    assert findings(result) == {}


DEBIAN_SUBMISSION_MAIN = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 10
"""
DEBIAN_SUBMISSION_MASTER = """
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
"""


def debian_submission(tmp_path: Path) -> Path:
    """Debian 12's Postfix with its own cipher defaults (RC4 through the MEDIUM grade)
    and the stock submission service: no setting of the administrator's asks for RC4."""
    return build_postfix(tmp_path / "debian", DEBIAN_SUBMISSION_MAIN, DEBIAN_SUBMISSION_MASTER)


def test_rc4_of_the_medium_grade_is_not_claimed_on_a_library_without_it(run_cli, tmp_path: Path):
    """OpenSSL 1.1.0 and later have no RC4: Postfix 3.7's default `MEDIUM:+RC4` allows
    none there. A copied configuration does not show the library: a hedged low finding.
    A library before 1.1.0 counts RC4 as MEDIUM: the medium finding names it. (A
    Postfix 3.6 or later needs OpenSSL 1.1.1: the version unknown, as the files read
    without postconf and without mail_version show it.)"""
    directory = debian_submission(tmp_path)
    args = ("audit", "--postfix-dir", str(directory), "--format", "json")

    unknown = run_cli(*args, "--read-files")
    found = findings(unknown)
    hedged = found["postfix.weak_ciphers"]
    assert hedged["severity"] == "low"
    assert hedged["title"] == "RC4 allowed if Postfix is linked with OpenSSL before 1.1.0"
    assert "pass --openssl-version" in hedged["explanation"]
    assert json.loads(unknown.out)["openssl_version_source"] == "unknown"
    assert unknown.status == 0

    new = run_cli(*args, "--openssl-version", "3.0.13")
    assert "postfix.weak_ciphers" not in findings(new)
    assert json.loads(new.out)["openssl_version"] == "3.0.13"

    old = findings(run_cli(*args, "--openssl-version", "1.0.2k"))["postfix.weak_ciphers"]
    assert old["severity"] == "medium" and old["title"] == "Weak ciphers allowed: RC4"
    assert "OpenSSL 1.0.2k (--openssl-version), is older than 1.1.0" in old["explanation"]
    command = f"postconf -c {directory} -e "
    # TLS is required on submission: the exclusions are those of mandatory TLS only.
    assert old["fix"]["commands"][0].startswith(command + "'smtpd_tls_mandatory_exclude_ciphers=")


def test_this_machines_own_configuration_is_judged_with_its_openssl(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Auditing the directory this machine's Postfix reads, the local OpenSSL decides
    (`openssl version`); a copied directory is never judged by this machine's."""
    from mailwarden.audit import postfix_reader
    from mailwarden.audit.tls import Library

    directory = debian_submission(tmp_path)
    real = postfix_reader.read_with_postconf

    def as_own(program: str, path: Path):
        return replace(real(program, path), local_config_directory=str(directory))

    args = ("audit", "--postfix-dir", str(directory), "--format", "json")
    monkeypatch.setattr(postfix_reader, "read_with_postconf", as_own)
    for version, shown in (((3, 0, 19), "3.0.19"), ((1, 0, 2), "1.0.2u")):
        library = Library(version, shown, "openssl")
        monkeypatch.setattr(postfix_reader, "local_library", lambda library=library: library)
        result = run_cli(*args)
        assert json.loads(result.out)["openssl_version_source"] == "openssl"
        weak = findings(result).get("postfix.weak_ciphers")
        if version >= (1, 1, 0):
            assert weak is None
        else:
            assert "OpenSSL 1.0.2u (openssl version)" in weak["explanation"]

    monkeypatch.setattr(postfix_reader, "read_with_postconf", real)
    monkeypatch.setattr(postfix_reader, "local_library", lambda: pytest.fail("a copy"))
    # (the version unknown: a Postfix 3.6 or later would need OpenSSL 1.1.1)
    copy = findings(run_cli(*args, "--read-files"))
    assert copy["postfix.weak_ciphers"]["severity"] == "low"


def test_openssl_version_must_be_a_version(run_cli, tmp_path: Path):
    args = ("audit", "--postfix-dir", str(debian_submission(tmp_path)), "--openssl-version", "3")
    result = run_cli(*args)

    assert result.status == 2
    assert "is not a version such as 1.0.2k or 3.0.13" in result.err
    chinese = run_cli(*args, env={"LANG": "zh_CN.UTF-8"})
    assert "不是 1.0.2k 或 3.0.13 这样的版本号" in chinese.err


RECEIVE_ONLY = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
"""


@pytest.mark.parametrize(
    ("main", "master", "level", "check", "title"),
    [
        # a receive-only MX, level 3 in main.cf, or as -o on smtp/inet
        ("smtpd_tls_loglevel = 3\n", "", "3", "postfix.tls_loglevel_verbose", "every handshake"),
        ("", "-o smtpd_tls_loglevel=3", "3", "postfix.tls_loglevel_verbose", "every handshake"),
        # level 4 where no AUTH is offered: sessions, but no password in them
        ("", "-o smtpd_tls_loglevel=4", "4", "postfix.tls_loglevel_credentials", "sessions"),
    ],
    ids=["main.cf-3", "smtp-inet-3", "smtp-inet-4-no-auth"],
)
def test_tls_log_levels_that_log_no_password_are_low(
    run_cli, tmp_path: Path, main: str, master: str, level: str, check: str, title: str
):
    """Level 3 dumps the handshake only; level 4 dumps the session, AUTH included, but
    only matters where AUTH is offered. Neither logs a password here: low, exit 0,
    and no claim that log readers can log in as the users."""
    directory = build_postfix(tmp_path / "mx", RECEIVE_ONLY + main)
    if master:
        master_cf = directory / "master.cf"
        stock = "smtp      inet  n       -       y       -       -       smtpd\n"
        master_cf.write_text(master_cf.read_text().replace(stock, f"{stock}  {master}\n"))
        settle(directory)

    result = run_cli("audit", "--postfix-dir", str(directory))

    assert result.status == 0
    assert f"LOW  {check}" in result.out
    assert f"TLS log level {level}: {title}" in result.out
    assert "log in as your users" not in result.out
    assert "HIGH" not in result.out
    option = "-P 'smtp/inet/smtpd_tls_loglevel=1'" if master else "-e 'smtpd_tls_loglevel=1'"
    assert f"postconf -c {directory} {option}" in result.out


def test_tls_log_level_4_where_auth_is_offered_is_high_and_3_there_is_low(run_cli, tmp_path: Path):
    """AUTH comes after the handshake: level 3 does not log it, level 4 does."""
    for level in ("3", "4"):
        main = DEBIAN_SUBMISSION_MAIN + f"smtpd_tls_loglevel = {level}\n"
        directory = build_postfix(tmp_path / level, main, DEBIAN_SUBMISSION_MASTER)

        result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json")

        found = findings(result)
        if level == "4":
            finding = found["postfix.tls_loglevel_credentials"]
            assert finding["severity"] == "high" and finding["subject"] == "submission/inet"
            assert finding["title"] == (
                "TLS log level 4 where users log in: passwords go into the log"
            )
            assert "log in as your users" in finding["explanation"]
            assert result.status == 3
        else:
            assert "postfix.tls_loglevel_credentials" not in found
            finding = found["postfix.tls_loglevel_verbose"]
            assert finding["severity"] == "low"
            assert "The handshake carries no password" in finding["explanation"]
            assert result.status == 0


def test_debian_stock_configuration_offers_no_auth_and_exits_0(run_cli, debian_stock: Path):
    result = run_cli("audit", "--postfix-dir", str(debian_stock))

    assert result.status == 0
    assert "No problems found." in result.out


def test_same_findings_with_postconf_and_with_the_file_parser(run_cli, user_server: Path):
    args = ("audit", "--postfix-dir", str(user_server), "--format", "json")
    args += ("--openssl-version", "1.0.1e")
    by_tool = findings(run_cli(*args))
    by_files = findings(run_cli(*args, "--read-files"))

    assert set(by_tool) == set(by_files)
    for check_id, finding in by_tool.items():
        assert finding["fix"]["commands"] == by_files[check_id]["fix"]["commands"]


def test_auth_on_the_smtp_service_itself_is_found_and_fixed_there(run_cli, tmp_path: Path):

    master = "\n".join(
        [
            "submission inet n - y - - smtpd",
            "  -o smtpd_tls_security_level=encrypt",
            "  -o smtpd_sasl_auth_enable=yes",
            "  -o smtpd_tls_auth_only=yes",
        ]
    )
    directory = build_postfix(tmp_path / "svc", "smtpd_tls_cert_file = /x.pem\n", master)
    text = (directory / "master.cf").read_text()
    text = text.replace(
        "smtp      inet  n       -       y       -       -       smtpd\n",
        "smtp      inet  n       -       y       -       -       smtpd\n"
        "  -o smtpd_sasl_auth_enable=yes\n",
    )
    (directory / "master.cf").write_text(text)
    settle(directory)

    found = findings(run_cli("audit", "--postfix-dir", str(directory), "--format", "json"))

    evidence = found["postfix.auth_on_port_25"]["evidence"][0]
    assert evidence["service"] == "smtp/inet"
    assert evidence["file"] == str(directory / "master.cf")
    commands = found["postfix.auth_on_port_25"]["fix"]["commands"]
    assert commands == [f"postconf -c {directory} -P 'smtp/inet/smtpd_sasl_auth_enable=no'"]
    # The text says where the fix turns AUTH off: master.cf, as the command does.
    explanation = found["postfix.auth_on_port_25"]["explanation"]
    assert "The fix turns AUTH off for smtp/inet (in master.cf) and keeps it" in explanation
    assert "main.cf" not in explanation
    args = ("audit", "--postfix-dir", str(directory), "--format", "json", "--lang", "zh_CN")
    chinese = findings(run_cli(*args))["postfix.auth_on_port_25"]["explanation"]
    assert "修复方法是为 smtp/inet 关闭 AUTH（在 master.cf 中）" in chinese


def test_auth_turned_off_in_main_cf_is_said_so(run_cli, user_server: Path):
    """AUTH on port 25 through main.cf: the fix (`postconf -e`) and the text both say
    main.cf."""
    args = ("audit", "--postfix-dir", str(user_server), "--format", "json")
    finding = findings(run_cli(*args))["postfix.auth_on_port_25"]

    assert (
        f"postconf -c {user_server} -e 'smtpd_sasl_auth_enable=no'" in (finding["fix"]["commands"])
    )
    assert (
        "The fix turns AUTH off for smtp/inet (in main.cf) and keeps it" in (finding["explanation"])
    )


def test_smtpd_verbose_and_debug_peer_list_leak_credentials(run_cli, hardened: Path):
    text = (hardened / "master.cf").read_text()
    text = text.replace(
        "submission inet n       -       y       -       -       smtpd\n",
        "submission inet n       -       y       -       -       smtpd -v\n",
    )
    (hardened / "master.cf").write_text(text)
    with (hardened / "main.cf").open("a") as main_cf:
        main_cf.write("debug_peer_list = 192.0.2.10\n")
    settle(hardened)

    result = run_cli("audit", "--postfix-dir", str(hardened), "--format", "json")

    found = findings(result)
    assert result.status == 3
    assert found["postfix.debug_peer_list"]["severity"] == "high"
    verbose = found["postfix.smtpd_verbose"]
    assert verbose["evidence"][0]["value"] == "smtpd -v"
    rewrite = verbose["fix"]["commands"][0]
    assert "-M 'submission/inet=submission inet n - y - - smtpd -o " in rewrite
    assert "-o syslog_name=postfix/submission" in rewrite
    assert " -v" not in rewrite


def test_postscreen_smtps_without_wrapper_and_a_loopback_listener(run_cli, tmp_path: Path):
    """AUTH behind postscreen is AUTH on port 25; 465 without wrapper mode sends
    passwords in cleartext; a loopback-only listener is nobody's attack surface."""
    auth = "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
    extra = "\n".join(
        [
            "submissions inet n - y - - smtpd",
            "  -o smtpd_sasl_auth_enable=yes",
            "127.0.0.1:2525 inet n - y - - smtpd",
            "",
        ]
    )
    directory = build_postfix(tmp_path / "screen", auth, extra)
    master = (directory / "master.cf").read_text()
    master = master.replace(
        "smtp      inet  n       -       y       -       -       smtpd\n",
        "smtp      inet  n       -       y       -       1       postscreen\n"
        "smtpd     pass  -       -       y       -       -       smtpd\n",
    )
    (directory / "master.cf").write_text(master)
    settle(directory)

    found = findings(run_cli("audit", "--postfix-dir", str(directory), "--format", "json"))

    assert found["postfix.auth_on_port_25"]["subject"] == "smtpd/pass"
    cleartext = found["postfix.cleartext_auth"]
    assert cleartext["subject"] == "submissions/inet"
    # Wrapper mode makes smtpd use the mandatory TLS settings on 465: the fix sets those
    # too, or applying it would bring up weak ciphers and old protocols there.
    assert cleartext["fix"]["commands"] == [
        f"postconf -c {directory} -e "
        "'smtpd_tls_mandatory_exclude_ciphers=aNULL,eNULL,EXPORT,LOW,RC4,MD5,DES,3DES'",
        f"postconf -c {directory} -P 'submissions/inet/smtpd_tls_wrappermode=yes'",
        f"postconf -c {directory} -P "
        "'submissions/inet/smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3,!TLSv1,!TLSv1.1'",
    ]
    # No certificate in main.cf: the fix says that one is needed first.
    assert "smtpd_tls_cert_file" in cleartext["fix"]["note"]
    assert found["postfix.submissions_no_wrappermode"]["severity"] == "medium"
    assert "127.0.0.1:2525/inet" not in json.dumps(
        {k: v["subject"] for k, v in found.items() if k != "postfix.auth_on_port_25"}
    )


def test_a_loopback_465_leaves_587_for_the_new_submission_service(run_cli, tmp_path: Path):
    """A webmail's loopback-only listener on 465 holds that port, not 587: the new
    service for remote users goes on 587 (STARTTLS), the loopback entry is not touched."""
    auth = "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
    directory = build_postfix(tmp_path / "p", auth, "127.0.0.1:submissions inet n - y - - smtpd\n")

    found = findings(run_cli("audit", "--postfix-dir", str(directory), "--format", "json"))

    missing = found["postfix.submission_missing"]
    assert missing["title"].startswith("Submission listens on loopback only")
    assert "adds submission/inet on port 587 for everyone" in missing["explanation"]
    assert "port 587 with STARTTLS" in missing["explanation"]
    add = f"postconf -c {directory} -M 'submission/inet=submission inet n - y - - smtpd'"
    assert add in missing["fix"]["commands"]
    assert not any("127.0.0.1" in c for c in missing["fix"]["commands"])


def test_the_fix_preview_shows_an_edited_entry_as_edited_not_new(run_cli, tmp_path: Path):
    """The AUTH fix adds submissions/inet and keeps AUTH on the webmail's loopback 587,
    which relied on main.cf: the preview shows the added entry as new and the webmail's
    entry, which is there already, as an existing entry that the fix edits."""
    auth = "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
    webmail = "127.0.0.1:submission inet n - y - - smtpd\n  -o syslog_name=postfix/webmail\n"
    directory = build_postfix(tmp_path / "p", auth, webmail)

    out = run_cli("audit", "--postfix-dir", str(directory)).out

    fix = out.split("HIGH  postfix.auth_on_port_25")[1].split("\n\n")[0]
    prose = " ".join(fix.split())
    master_cf = directory / "master.cf"
    new = prose.index(f"The new entry in {master_cf} will read: submissions inet n - y")
    edited = prose.index(
        f"The existing entry in {master_cf} that the fix edits will read: "
        "127.0.0.1:submission inet n - y - - smtpd -o syslog_name=postfix/webmail "
        "-o smtpd_sasl_auth_enable=yes"
    )
    assert new < edited
    assert prose.count("new entry") == 1
    zh = run_cli("audit", "--postfix-dir", str(directory), "--lang", "zh_CN").out
    assert "中被此修复修改的现有条目将是：" in "".join(zh.split())


def test_both_submission_ports_on_loopback_say_what_to_do_by_hand(run_cli, tmp_path: Path):
    """With 587 and 465 both held by loopback-only listeners, no listener for every
    address can be added: the finding has no command, and says how to open one."""
    auth = "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
    extra = "127.0.0.1:submission inet n - y - - smtpd\n127.0.0.1:465 inet n - y - - smtpd\n"
    directory = build_postfix(tmp_path / "p", auth, extra)

    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json")

    found = findings(result)
    missing = found["postfix.submission_missing"]
    assert missing["fix"]["commands"] == []
    assert "127.0.0.1:submission/inet, 127.0.0.1:465/inet" in missing["explanation"]
    assert missing["fix"]["note"].startswith("Open one of 127.0.0.1:submission/inet")
    assert not any(" -M " in c for c in found["postfix.auth_on_port_25"]["fix"]["commands"])
    assert result.status == 3


def test_a_directory_postconf_refuses_is_read_from_the_files(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "broken", "smtpd_sasl_auth_enable = yes\nnot a setting\n")

    document = json.loads(run_cli("audit", "--postfix-dir", str(directory), "--format", "json").out)

    assert document["postfix_reader"] == "files"
    assert any("postconf could not read" in note for note in document["notes"])
    assert "postfix.auth_on_port_25" in {f["id"] for f in document["findings"]}


AUTH_ON_25 = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
smtpd_sasl_auth_enable = yes
"""


def test_check_cleartext_auth_finds_auth_before_starttls_on_port_25(run_cli, tmp_path: Path):
    """`explain`/`analyze` hand out `audit --check cleartext_auth` when they see a
    password sent in cleartext; AUTH before STARTTLS on port 25 is such a case, and its
    finding (auth_on_port_25, whose fix ends it) must be in that selection, saying so."""
    directory = build_postfix(tmp_path / "p", AUTH_ON_25 + "smtpd_tls_auth_only = no\n")
    args = ["audit", "--postfix-dir", str(directory), "--format", "json"]

    result = run_cli(*args, "--check", "cleartext_auth")

    assert result.status == 3
    found = findings(result)
    assert list(found) == ["postfix.auth_on_port_25"]
    assert "send the password in cleartext" in found["postfix.auth_on_port_25"]["explanation"]
    evidence = {e["parameter"]: e["value"] for e in found["postfix.auth_on_port_25"]["evidence"]}
    assert evidence["smtpd_tls_auth_only"] == "no"
    assert evidence["smtpd_tls_security_level"] == "may"


def test_auth_on_port_25_only_after_tls_is_not_a_cleartext_finding(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "p", AUTH_ON_25 + "smtpd_tls_auth_only = yes\n")
    args = ["audit", "--postfix-dir", str(directory), "--format", "json"]

    assert findings(run_cli(*args, "--check", "cleartext_auth")) == {}
    found = findings(run_cli(*args, "--check", "auth_on_port_25"))
    assert "postfix.auth_on_port_25" in found
    assert "cleartext" not in found["postfix.auth_on_port_25"]["explanation"]


RATE_LIMITED = AUTH_ON_25 + "smtpd_tls_auth_only = yes\nsmtpd_client_auth_rate_limit = 10\n"


EVERY_CLIENT = "every client is exempt, so the limit applies to nobody"
IPV4_ONLY = (
    "every client that connects over IPv4 is exempt, so the limit applies to IPv6 clients only"
)
IPV6_ONLY = (
    "every client that connects over IPv6 is exempt, so the limit applies to IPv4 clients only"
)


@pytest.mark.parametrize(
    ("exceptions", "exempt", "said", "title"),
    [
        ("0.0.0.0/0 [::]/0", "0.0.0.0/0, [::]/0", EVERY_CLIENT, "per client"),
        ("$mynetworks static:all", "static:all", EVERY_CLIENT, "per client"),
        ("127.0.0.0/8, [::/0]", "[::/0]", IPV6_ONLY, "for clients that connect over IPv6"),
        ("[::]/0", "[::]/0", IPV6_ONLY, "for clients that connect over IPv6"),
        ("0.0.0.0/0", "0.0.0.0/0", IPV4_ONLY, "for clients that connect over IPv4"),
    ],
    ids=["both-families", "static", "ipv6-beside-own", "ipv6", "ipv4"],
)
def test_exceptions_that_cover_every_client_leave_no_rate_limit(
    run_cli, tmp_path: Path, exceptions: str, exempt: str, said: str, title: str
):
    """smtpd_client_event_limit_exceptions lifts the AUTH rate limit for the clients it
    lists; a static: table lists everyone, and so do 0.0.0.0/0 and [::]/0 together: the
    limit is moot. One of the two alone exempts its own address family only (Postfix
    never matches an IPv4 client against an IPv6 network): the text names it."""
    main = RATE_LIMITED + f"smtpd_client_event_limit_exceptions = {exceptions}\n"
    directory = build_postfix(tmp_path / "p", main)
    args = ["audit", "--postfix-dir", str(directory), "--format", "json", "--check", "bruteforce"]

    found = findings(run_cli(*args))

    finding = found["postfix.no_auth_rate_limit"]
    assert f"lists {exempt}: {said}" in finding["explanation"]
    assert finding["title"] == f"No limit on AUTH attempts {title}"
    if said != EVERY_CLIENT:
        assert "every client is exempt" not in finding["explanation"]
        chinese = findings(run_cli(*args, "--lang", "zh_CN"))["postfix.no_auth_rate_limit"]
        family = "IPv6" if said == IPV6_ONLY else "IPv4"
        other = "IPv4" if family == "IPv6" else "IPv6"
        assert (
            f"所有通过 {family} 连接的客户端都被豁免，该限制只对 {other} 客户端生效"
            in (chinese["explanation"])
        )
        assert chinese["title"] == f"通过 {family} 连接的客户端的 AUTH 尝试次数不受限制"
    for command in finding["fix"]["commands"]:
        subprocess.run(shlex.split(command), check=True)
    settle(directory)
    assert "postfix.no_auth_rate_limit" not in findings(run_cli(*args))
    kept = subprocess.run(
        ["postconf", "-c", str(directory), "-h", "smtpd_client_event_limit_exceptions"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "/0" not in kept and "static:" not in kept
    assert ("127.0.0.0/8" in kept) == ("127.0.0.0/8" in exceptions)  # own networks stay


@pytest.mark.parametrize(
    ("mynetworks", "fixed", "shown"),
    [
        # $mynetworks stays a reference: a later change of mynetworks still counts
        ("127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128", "$mynetworks", "$mynetworks"),
        # unless it is what lifts the limit: then its other items, written out
        ("10.0.0.0/8 0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/8"),
    ],
    ids=["own-networks", "mynetworks-everyone"],
)
def test_the_exceptions_fix_keeps_mynetworks_as_written(
    run_cli, tmp_path: Path, mynetworks: str, fixed: str, shown: str
):
    main = (
        RATE_LIMITED
        + f"mynetworks = {mynetworks}\n"
        + "smtpd_client_event_limit_exceptions = $mynetworks, static:all\n"
    )
    directory = build_postfix(tmp_path / "p", main)
    args = ["audit", "--postfix-dir", str(directory), "--format", "json", "--check", "bruteforce"]

    finding = findings(run_cli(*args))["postfix.no_auth_rate_limit"]

    command = f"postconf -c {directory} -e 'smtpd_client_event_limit_exceptions={fixed}'"
    assert finding["fix"]["commands"] == [command]
    subprocess.run(shlex.split(command), check=True)
    settle(directory)
    written = subprocess.run(
        ["postconf", "-c", str(directory), "-h", "smtpd_client_event_limit_exceptions"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert written == shown
    assert "postfix.no_auth_rate_limit" not in findings(run_cli(*args))


def test_own_networks_as_exceptions_keep_the_rate_limit(run_cli, tmp_path: Path):
    main = RATE_LIMITED + "smtpd_client_event_limit_exceptions = 127.0.0.0/8 [::1]/128\n"
    directory = build_postfix(tmp_path / "p", main)

    args = ["audit", "--postfix-dir", str(directory), "--format", "json", "--check", "bruteforce"]

    assert "postfix.no_auth_rate_limit" not in findings(run_cli(*args))


@pytest.mark.parametrize(
    ("value", "check_id", "words"),
    [
        ("abc", "postfix.invalid_number", "smtpd stops with a fatal error"),
        ("-1", "postfix.invalid_number", "smtpd stops with a fatal error"),
        ("1" * 30, "postfix.invalid_number", "more digits than any setting holds"),
        ("00", "postfix.no_auth_rate_limit", "smtpd_client_auth_rate_limit is 0"),
    ],
)
def test_a_rate_limit_that_is_no_number_or_zero_is_flagged(
    run_cli, tmp_path: Path, value: str, check_id: str, words: str
):
    """`abc` and `-1` stop smtpd (no mail at all, no limit); `00` is 0, no limit."""
    main = AUTH_ON_25 + f"smtpd_tls_auth_only = yes\nsmtpd_client_auth_rate_limit = {value}\n"
    directory = build_postfix(tmp_path / "p", main)
    args = ["audit", "--postfix-dir", str(directory), "--format", "json"]

    found = findings(run_cli(*args, "--check", "bruteforce"))

    assert words in found[check_id]["explanation"]
    assert found[check_id]["fix"]["commands"] == [
        f"postconf -c {directory} -e 'smtpd_client_auth_rate_limit=10'"
    ]
    # The loglevel's invalid numbers stay in credential_exposed; this one is not there.
    assert check_id not in findings(run_cli(*args, "--check", "credential_exposed"))


RELAY = """
relayhost = [smtp.example.net]:587
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
smtp_tls_security_level = encrypt
"""


@pytest.mark.parametrize("level", ["4", "ssl-developer"])
def test_client_tls_loglevel_4_with_relay_auth_puts_the_password_in_the_log(
    run_cli, tmp_path: Path, level: str
):
    """postconf(5): smtp_tls_loglevel 4 dumps the complete transmission after STARTTLS,
    the client's own AUTH to the relay host included."""
    directory = build_postfix(
        tmp_path / "p",
        RELAY + f"smtp_tls_loglevel = {level}\n",
        "lmtp2 unix - - y - - lmtp\n  -o lmtp_tls_loglevel=4\n  -o lmtp_sasl_auth_enable=yes\n",
    )
    args = ["audit", "--postfix-dir", str(directory), "--format", "json"]

    result = run_cli(*args, "--check", "credential_exposed")

    assert result.status == 3
    document = json.loads(result.out)
    found = {f["subject"]: f for f in document["findings"]}
    smtp = found["smtp/unix, relay/unix"]
    assert smtp["id"] == "postfix.client_tls_loglevel_credentials"
    assert "smtp_sasl_password_maps" in smtp["explanation"]
    assert "lmtp_sasl_password_maps" in found["lmtp2/unix"]["explanation"]
    for command in document["commands"]:
        if not command.endswith("reload"):
            subprocess.run(shlex.split(command), check=True)
    settle(directory)
    assert run_cli(*args, "--check", "credential_exposed").status == 0


def test_client_tls_loglevel_without_relay_auth_or_below_4_is_no_finding(run_cli, tmp_path: Path):
    main = RELAY.replace("smtp_sasl_auth_enable = yes", "smtp_sasl_auth_enable = no")
    directory = build_postfix(tmp_path / "p", main + "smtp_tls_loglevel = 4\n")
    args = ["audit", "--postfix-dir", str(directory), "--format", "json"]
    assert findings(run_cli(*args, "--check", "credential_exposed")) == {}
    three = build_postfix(tmp_path / "q", RELAY + "smtp_tls_loglevel = 3\n")
    args = ["audit", "--postfix-dir", str(three), "--format", "json"]
    assert findings(run_cli(*args, "--check", "credential_exposed")) == {}


def test_postconf_warnings_are_shown_once(run_cli, tmp_path: Path):
    """postconf warns about an entry that overrides an earlier one on every run, and
    the audit runs it four times; the report names each warning once (the later entry
    is the one Postfix uses, and the one the evidence shows)."""
    main = "smtpd_tls_loglevel = 1\nsmtpd_tls_loglevel = 4\n"
    directory = build_postfix(tmp_path / "p", main)

    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json")

    warnings = [n for n in json.loads(result.out)["notes"] if n.startswith("postconf warns")]
    line = line_of(directory / "main.cf", "smtpd_tls_loglevel = 4")
    assert warnings == [
        f"postconf warns: {directory}/main.cf, line {line}: "
        "overriding earlier entry: smtpd_tls_loglevel=1"
    ]
    assert result.err == ""


def many_listeners(directory: Path, count: int) -> Path:
    """The user's main.cf (AUTH everywhere, weak TLS settings) and `count` extra smtpd
    listeners, each with its own options: every one of them has findings."""
    entries = "".join(
        f"{10000 + n} inet n - y - - smtpd\n"
        f"  -o syslog_name=postfix/listener{n}\n"
        "  -o smtpd_tls_security_level=may\n"
        for n in range(count)
    )
    return build_postfix(directory, USER_MAIN, entries)


def test_the_audit_grows_with_master_cf_not_with_its_square(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Each fix is checked again on the services it changes; a main.cf edit changes
    every service, and checking them all again for each finding made 2,000 listeners
    take hours. Twice the listeners now take about twice the service checks."""
    from mailwarden.audit import postfix

    checks = {"count": 0}
    real = postfix.service_findings

    def counted(config, service):
        checks["count"] += 1
        return real(config, service)

    monkeypatch.setattr(postfix, "service_findings", counted)
    counts = []
    for size in (40, 80):
        checks["count"] = 0
        directory = many_listeners(tmp_path / str(size), size)
        result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json")
        assert len(json.loads(result.out)["findings"]) > size
        counts.append(checks["count"])

    assert counts[1] < 2.2 * counts[0]


EXCLUDED = "MD5,aNULL,eNULL,EXPORT,LOW,RC4,DES,3DES"


def overriding_listeners(directory: Path, count: int) -> Path:
    """The user's main.cf (the `export` cipher grade, AUTH everywhere) and `count`
    listeners that each write their own cipher exclusions: the grade's fix goes to
    main.cf, the exclusions' to each listener."""
    entries = "".join(
        f"{10000 + n} inet n - y - - smtpd\n"
        "  -o smtpd_tls_security_level=may\n"
        "  -o smtpd_tls_exclude_ciphers=MD5\n"
        for n in range(count)
    )
    return build_postfix(directory, USER_MAIN, entries)


def text_blocks(text: str) -> list[list[str]]:
    """The findings of a text report, each as its lines (the header and summary left out)."""
    blocks = [block.splitlines() for block in text.split("\n\n")]
    return [lines for lines in blocks if lines and "  postfix." in lines[0]]


def test_a_listener_override_is_fixed_under_its_own_finding_only(run_cli, tmp_path: Path):
    """Every listener overrides the cipher exclusions, and the fix of the main.cf cipher
    grade is inherited by all: each listener's weak ciphers are fixed by the grade and
    its own exclusions, and no listener's fix names the other listeners (it named them
    all, each fix as long as master.cf: a report growing with the square of it)."""
    directory = overriding_listeners(tmp_path / "p", 4)
    listeners = [f"{10000 + n}/inet" for n in range(4)]
    postconf = f"postconf -c {directory}"
    grade = f"{postconf} -e 'smtpd_tls_ciphers=medium'"

    library = ("--openssl-version", "1.0.1e")  # export suites there (none in 1.1.1)
    text = run_cli("audit", "--postfix-dir", str(directory), *library).out
    args = ("audit", "--postfix-dir", str(directory), "--format", "json", *library)
    document = json.loads(run_cli(*args).out)

    for listener in listeners:
        exclude = f"{postconf} -P '{listener}/smtpd_tls_exclude_ciphers={EXCLUDED}'"
        weak = [
            f
            for f in document["findings"]
            if f["id"] == "postfix.weak_ciphers" and f["subject"] == listener
        ]
        assert [f["fix"]["commands"] for f in weak] == [[grade, exclude]]
        assert weak[0]["fix"]["note"] is None
        naming = [f["subject"] for f in document["findings"] if exclude in f["fix"]["commands"]]
        assert naming == [listener, listener]  # weak and anonymous ciphers
        block = [
            lines
            for lines in text_blocks(text)
            if "postfix.weak_ciphers" in lines[0] and f"service {listener}" in "\n".join(lines)
        ]
        assert [line.strip() for line in block[0] if line.startswith("    postconf")] == [
            grade,
            exclude,
        ]
        assert text.count(exclude) == 2  # its finding, and the combined list


def test_the_report_grows_with_the_listeners_not_with_their_square(run_cli, tmp_path: Path):
    """Twice the listeners that override a setting of a main.cf fix: about twice the
    commands in the report, not four times."""
    counts = []
    for size in (10, 20):
        directory = overriding_listeners(tmp_path / str(size), size)
        result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json")
        document = json.loads(result.out)
        counts.append(sum(len(f["fix"]["commands"]) for f in document["findings"]))
    assert counts[1] < 2.2 * counts[0]


# --- parameters older Postfix versions do not have -------------------------------------

# "This feature is available in Postfix X and later", postconf(5), for every parameter a
# fix may print that came after 2.0; OLDER are in every version an audit may be told.
SINCE = {
    "smtpd_reject_unlisted_recipient": (2, 1),
    "smtpd_use_tls": (2, 2),
    "smtpd_enforce_tls": (2, 2),
    "smtpd_tls_wrappermode": (2, 2),
    "smtpd_tls_auth_only": (2, 2),
    "smtpd_tls_loglevel": (2, 2),
    "smtp_tls_loglevel": (2, 2),
    "smtpd_sasl_tls_security_options": (2, 2),
    "smtpd_client_event_limit_exceptions": (2, 2),
    "smtpd_tls_security_level": (2, 3),
    "smtpd_tls_mandatory_protocols": (2, 3),
    "smtpd_tls_mandatory_ciphers": (2, 3),
    "smtpd_tls_exclude_ciphers": (2, 3),
    "smtpd_tls_mandatory_exclude_ciphers": (2, 3),
    "lmtp_tls_loglevel": (2, 3),
    "milter_macro_daemon_name": (2, 3),
    "smtpd_tls_protocols": (2, 6),
    "smtpd_tls_ciphers": (2, 6),
    "smtpd_client_auth_rate_limit": (3, 1),
}
OLDER = {
    "smtpd_sasl_auth_enable",
    "smtpd_sasl_security_options",
    "smtpd_recipient_restrictions",
    "broken_sasl_auth_clients",
    "debug_peer_list",
    "soft_bounce",
    "syslog_name",
}
# AUTH on 25 with TLS optional, log level 4, export ciphers (user_server), and a 587
# and a 465 service that take AUTH without requiring TLS.
OLD_MASTER = """
submission inet n - y - - smtpd
  -o smtpd_sasl_auth_enable=yes
smtps inet n - y - - smtpd
  -o smtpd_sasl_auth_enable=yes
"""


def printed_parameters(document: dict) -> set[str]:
    """The parameters that the printed commands and master.cf entries set."""
    texts = [*document["commands"], document["master_cf"] or ""]
    for finding in document["findings"]:
        texts += finding["fix"]["commands"] + [finding["fix"]["master_cf"] or ""]
    names = set()
    for text in texts:
        names.update(re.findall(r"-[eP] '(?:[^'/=]+/[^'/=]+/)?(\w+)=", text))
        names.update(re.findall(r"-o (\w+)=", text))
    return names


@pytest.mark.parametrize("version", ["2.2.10", "2.3.19", "2.5.18", "2.6.6", "3.0.4"])
def test_no_fix_prints_a_parameter_the_audited_postfix_does_not_have(
    run_cli, tmp_path: Path, version: str
):
    """Postfix ignores a parameter it does not know: a fix that wrote one would change
    nothing. A finding that this version cannot fix says what to do instead."""
    directory = build_postfix(tmp_path / "old", USER_MAIN, OLD_MASTER)
    args = ("audit", "--postfix-dir", str(directory), "--postfix-version", version)
    document = json.loads(run_cli(*args, "--format", "json").out)
    audited = tuple(int(part) for part in version.split("."))

    printed = printed_parameters(document)
    assert printed, document["commands"]
    assert printed <= OLDER | set(SINCE), printed - OLDER - set(SINCE)
    too_new = {name for name in printed if SINCE.get(name, (0,)) > audited}
    assert too_new == set()
    for finding in document["findings"]:
        fixed = finding["fix"]["commands"] or finding["fix"]["master_cf"]
        assert fixed or finding["fix"]["note"], finding["id"]


def test_postfix_2_2_is_told_what_it_has_in_place_of_the_2_3_parameters(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "old", USER_MAIN, OLD_MASTER)
    args = ("audit", "--postfix-dir", str(directory), "--postfix-version", "2.2.10")
    found = findings(run_cli(*args, "--format", "json"))

    # smtpd_enforce_tls is 2.2's smtpd_tls_security_level=encrypt
    submission = found["postfix.cleartext_auth"]["fix"]["master_cf"]
    assert "-o smtpd_enforce_tls=yes" in submission
    assert "smtpd_tls_security_level" not in submission
    ciphers = " ".join(found["postfix.weak_ciphers"]["fix"]["note"].split())
    assert "no smtpd_tls_exclude_ciphers (it came in 2.3)" in ciphers
    assert "smtpd_tls_cipherlist" in ciphers
    protocols = " ".join(found["postfix.tls_old_protocols"]["fix"]["note"].split())
    assert "neither smtpd_tls_mandatory_protocols (it came in 2.3)" in protocols

    zh = findings(run_cli(*args, "--format", "json", "--lang", "zh"))
    zh_ciphers = "".join(zh["postfix.weak_ciphers"]["fix"]["note"].split())
    assert "没有smtpd_tls_exclude_ciphers（2.3起提供）" in zh_ciphers


def test_a_2_3_setting_does_nothing_on_postfix_2_2(run_cli, tmp_path: Path):
    """smtpd_tls_security_level=encrypt copied from a newer howto: Postfix 2.2 ignores it,
    so port 25 takes AUTH without TLS there; the LMTP client had no TLS before 2.3."""
    main = USER_MAIN.replace("smtpd_use_tls = yes", "smtpd_tls_security_level = encrypt")
    master = "lmtp unix - - y - - lmtp\n  -o lmtp_tls_loglevel=4\n  -o lmtp_sasl_auth_enable=yes\n"
    directory = build_postfix(tmp_path / "old", main, master)
    by_version = {}
    for version in ("2.2.10", "2.3.19"):
        args = ("audit", "--postfix-dir", str(directory), "--postfix-version", version)
        by_version[version] = findings(run_cli(*args, "--format", "json"))

    old, newer = by_version["2.2.10"], by_version["2.3.19"]
    assert "cleartext" in old["postfix.auth_on_port_25"]["explanation"]
    assert "cleartext" not in newer["postfix.auth_on_port_25"]["explanation"]
    assert "postfix.client_tls_loglevel_credentials" not in old
    assert "postfix.client_tls_loglevel_credentials" in newer


def test_a_service_named_by_an_alias_of_etc_services_is_known(run_cli, tmp_path: Path):
    """Debian's /etc/services names port 465 "submissions ssmtp smtps urd": an ``ssmtp``
    service without wrapper mode was given STARTTLS advice, and no wrapper-mode finding."""
    auth = "smtpd_sasl_auth_enable = no\nsmtpd_sasl_type = dovecot\n"
    extra = "ssmtp inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
    directory = build_postfix(tmp_path / "ssmtp", auth, extra)

    found = findings(run_cli("audit", "--postfix-dir", str(directory), "--format", "json"))

    assert found["postfix.submissions_no_wrappermode"]["subject"] == "ssmtp/inet"
    commands = " ".join(found["postfix.cleartext_auth"]["fix"]["commands"])
    assert "ssmtp/inet/smtpd_tls_wrappermode=yes" in commands
