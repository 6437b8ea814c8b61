"""Configuration text the audit cannot take at face value: numbers no Postfix can read,
files that are binary or no configuration at all, and a postconf or doveconf that
refuses the file. Each gives a finding, a note or one line and exit status 1; never a
traceback, never "No problems found"."""

from __future__ import annotations

import contextlib
import json
import os
import random
import threading
import time
from pathlib import Path

import pytest
from audit_helpers import (
    DOVECOT_CERTIFICATE,
    HARDENED_MAIN,
    HARDENED_MASTER,
    build_postfix,
    requires_doveconf,
    requires_postconf,
)

HUGE = "9" * 5000  # over Python's 4300-digit limit for int()
NOISE = random.Random(7).randbytes(4000)


def findings(result) -> dict[str, dict]:
    return {f["id"]: f for f in json.loads(result.out)["findings"]}


def one_error_line(result, text: str) -> None:
    assert result.status == 1, (result.out, result.err)
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("mailwarden: error: ") and text in lines[0], lines[0]


# --- numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("reader", [(), ("--read-files",)], ids=["postconf", "files"])
def test_a_tls_loglevel_too_long_for_a_number_is_an_invalid_value(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    directory = build_postfix(
        tmp_path / "pf", HARDENED_MAIN + f"smtpd_tls_loglevel = {HUGE}\n", HARDENED_MASTER
    )

    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *reader)

    assert result.err == ""
    invalid = findings(result)["postfix.invalid_number"]
    assert invalid["severity"] == "medium"
    assert invalid["title"] == "smtpd_tls_loglevel is not a number Postfix can read"
    assert "(5000 characters)" in invalid["explanation"]
    assert f"postconf -c {directory} -e 'smtpd_tls_loglevel=1'" in invalid["fix"]["commands"]


def test_a_service_override_too_long_for_a_number_is_an_invalid_value(run_cli, tmp_path: Path):
    directory = build_postfix(
        tmp_path / "pf",
        HARDENED_MAIN,
        HARDENED_MASTER.replace(
            "-o smtpd_tls_auth_only=yes",
            f"-o smtpd_tls_auth_only=yes\n  -o smtpd_tls_loglevel={HUGE}",
        ),
    )

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory), "--format", "json")

    invalid = findings(result)["postfix.invalid_number"]
    assert invalid["subject"] == "submission/inet"
    assert "'submission/inet/smtpd_tls_loglevel=1'" in " ".join(invalid["fix"]["commands"])


def test_a_mail_version_too_long_for_a_number_is_ignored_with_a_note(run_cli, tmp_path: Path):
    directory = build_postfix(
        tmp_path / "pf", HARDENED_MAIN + f"mail_version = {HUGE}.1\n", HARDENED_MASTER
    )

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory), "--format", "json")

    document = json.loads(result.out)
    assert document["postfix_version"] is None
    assert any(
        note.startswith("mail_version = 9999") and "is not a Postfix version" in note
        for note in document["notes"]
    )


def test_a_postfix_version_option_too_long_for_a_number_is_a_usage_error(run_cli):
    result = run_cli("audit", "--postfix-version", f"3.{HUGE}")

    assert result.status == 2
    assert "is not a version such as 2.6.6" in result.err
    assert max(len(line) for line in result.err.splitlines()) < 200


def test_a_service_named_with_a_superscript_digit_is_no_port(run_cli, tmp_path: Path):
    # "²".isdigit() is true, but int("²") fails: master.cf names are read as Postfix does.
    directory = build_postfix(
        tmp_path / "pf", HARDENED_MAIN, HARDENED_MASTER + "\u00b2 inet n - y - - smtpd\n"
    )

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory))

    assert result.status in (0, 3) and result.err == ""


# --- configurations that cannot be read -------------------------------------------------

MAIL_LOG = (
    "Nov 28 10:00:01 mx postfix/smtpd[1201]: connect from unknown[203.0.113.7]\n"
    "Nov 28 10:00:02 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts)\n"
)


@pytest.mark.parametrize("reader", [(), ("--read-files",)], ids=["doveconf", "files"])
def test_a_mail_log_given_as_dovecot_config_is_one_line_and_exit_1(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    path = tmp_path / "mail.log"
    path.write_text(MAIL_LOG)

    result = run_cli("audit", "--dovecot-config", str(path), *reader)

    one_error_line(result, f"{path}: cannot read: no line is a Dovecot setting")


@pytest.mark.parametrize("reader", [(), ("--read-files",)], ids=["doveconf", "files"])
def test_a_binary_dovecot_config_is_one_line_and_exit_1(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    path = tmp_path / "dovecot.conf"
    path.write_bytes(NOISE.replace(b"\n", b"\x00"))

    result = run_cli("audit", "--dovecot-config", str(path), *reader)

    one_error_line(result, f"{path}: cannot read: binary data")


@pytest.mark.parametrize("name", ["main.cf", "master.cf"])
@pytest.mark.parametrize("reader", [(), ("--read-files",)], ids=["postconf", "files"])
def test_a_binary_postfix_file_is_one_line_and_exit_1(
    run_cli, tmp_path: Path, name: str, reader: tuple[str, ...]
):
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, HARDENED_MASTER)
    (directory / name).write_bytes(NOISE)

    result = run_cli("audit", "--postfix-dir", str(directory), *reader)

    one_error_line(result, f"{directory / name}: cannot read: binary data")


def test_a_main_cf_without_a_single_setting_is_one_line_and_exit_1(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "pf", "", HARDENED_MASTER)
    (directory / "main.cf").write_text(MAIL_LOG)

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory))

    one_error_line(result, "main.cf: cannot read: no line sets a parameter")


def test_a_fifo_is_refused_instead_of_blocking(run_cli, tmp_path: Path):
    path = tmp_path / "dovecot.conf"
    path.write_text("!include fifo.conf\n")
    fifo = tmp_path / "fifo.conf"
    os.mkfifo(fifo)

    def unblock() -> None:  # a reader that blocked on the FIFO gets an empty file
        time.sleep(2)
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    writer = threading.Thread(target=unblock)
    writer.start()
    try:
        result = run_cli("audit", "--read-files", "--dovecot-config", str(path))
    finally:
        writer.join()

    one_error_line(result, "fifo.conf: cannot read: not a regular file")


def test_read_files_says_the_files_were_read_as_asked(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, HARDENED_MASTER)

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory))

    assert "no postconf here" not in result.out
    assert "the files were read as asked" in result.out


@requires_doveconf
def test_a_config_doveconf_refuses_is_never_no_problems_found(run_cli, tmp_path: Path):
    path = tmp_path / "dovecot.conf"
    path.write_text(
        "protocols = imap\nssl = required\nnot_a_dovecot_setting = 1\n" + DOVECOT_CERTIFICATE
    )

    result = run_cli("audit", "--dovecot-config", str(path))

    assert result.status == 1
    assert "No problems found" not in result.out
    assert "doveconf could not read the configuration" in result.out
    assert "Not audited in full: doveconf could not read the configuration" in result.out
    document = json.loads(run_cli("audit", "--dovecot-config", str(path), "--format", "json").out)
    assert document["complete"] is False and document["exit_status"] == 1


@requires_postconf
def test_a_directory_postconf_refuses_is_never_no_problems_found(run_cli, tmp_path: Path):
    directory = build_postfix(
        tmp_path / "pf", HARDENED_MAIN + "this line is no setting\n", HARDENED_MASTER
    )

    result = run_cli("audit", "--postfix-dir", str(directory), "--postfix-version", "3.10.2")

    assert result.status == 1
    assert "No problems found" not in result.out
    assert "Not audited in full: postconf could not read the configuration" in result.out
