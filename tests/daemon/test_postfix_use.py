"""``backend = "postfix-map"``: `run --check` asks the real postconf whether Postfix reads
the map, and warns when no restriction list names it: every ban would be written and
Postfix reloaded, and nobody blocked. The daemon logs the same warning at its start.

Postfix's configuration is a private directory (Debian's stock main.cf and master.cf,
and the lines a test adds), which postconf and ``postfix reload`` both read from
``$MAIL_CONFIG``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from wardenlab import (
    base_config,
    fake_command,
    mailwarden,
    run_cli,
    wait_for_text,
    wait_until,
    write_config,
)

STOCK = Path("/usr/share/postfix")
FAKE_POSTFIX = """#!{python}
import sys
sys.exit(0)  # `postfix reload`: there is no Postfix running here to reload
"""


@pytest.fixture
def postfix_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stock Debian Postfix configuration of our own, read through $MAIL_CONFIG."""
    if shutil.which("postconf") is None and not os.path.exists("/usr/sbin/postconf"):
        pytest.skip("needs postconf (Debian package postfix)")
    if not (STOCK / "main.cf.debian").is_file():
        pytest.skip("needs /usr/share/postfix/main.cf.debian (Debian package postfix)")
    if os.geteuid() != 0:
        pytest.skip("the postfix-map backend's check needs root")
    directory = tmp_path / "postfix"
    directory.mkdir()
    (directory / "main.cf").write_text((STOCK / "main.cf.debian").read_text())
    (directory / "master.cf").write_text((STOCK / "master.cf.dist").read_text())
    monkeypatch.setenv("MAIL_CONFIG", str(directory))
    return directory


def settle(directory: Path) -> None:
    """Date the files back a minute: postconf reads a file changed in this second again
    (and warns that it did)."""
    for name in ("main.cf", "master.cf"):
        past = (directory / name).stat().st_mtime - 60
        os.utime(directory / name, (past, past))


def add(directory: Path, main_cf: str = "", master_cf: str = "") -> None:
    for name, text in (("main.cf", main_cf), ("master.cf", master_cf)):
        with (directory / name).open("a") as out:
            out.write(text)
    settle(directory)


def configuration(tmp_path: Path) -> tuple[Path, Path]:
    """(the configuration file, the map it names)."""
    table = tmp_path / "x" / "mailwarden_access"
    sections = base_config(tmp_path, "postfix-map")
    sections["enforce"]["postfix_map"] = str(table)
    (tmp_path / "mail.log").touch()
    return write_config(tmp_path / "mailwarden.toml", sections), table


def check(capsys: pytest.CaptureFixture[str], path: Path) -> list[str]:
    """The warnings of `run --check` about the map; it says "ready to run" (exit 0)."""
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert out.splitlines()[-1] == f"mailwarden: {path}: ready to run"
    return [line for line in err if "enforce.postfix_map" in line]


def not_used(table: Path, line: str, later: bool = True) -> str:
    when = (
        " (after the daemon's first start creates the file: Postfix defers every client "
        "while a table it names is missing)"
        if later
        else ""
    )
    return (
        f"mailwarden: warning: enforce.postfix_map: Postfix does not use {table}: no "
        f"smtpd_*_restrictions in main.cf or master.cf names check_client_access "
        f"cidr:{table}, so the bans written there block nobody; add to main.cf{when}: "
        f"{line} and smtpd_delay_reject = no; then postfix reload"
    )


def test_a_map_postfix_does_not_read_is_warned_of_with_the_line_to_add(
    tmp_path: Path, postfix_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, table = configuration(tmp_path)
    settle(postfix_dir)
    assert check(capsys, path) == [
        not_used(table, f"smtpd_client_restrictions = check_client_access cidr:{table}")
    ]


def test_the_line_to_add_keeps_the_restrictions_main_cf_has(
    tmp_path: Path, postfix_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line replaces main.cf's smtpd_client_restrictions: it carries what that
    said, as written (``$name`` unexpanded). A map named by another restriction of the
    same kind (check_client_access for another file) is not ours."""
    path, table = configuration(tmp_path)
    table.parent.mkdir()
    table.touch()
    add(
        postfix_dir,
        "own_rules = reject_unknown_reverse_client_hostname\n"
        "smtpd_client_restrictions = permit_mynetworks, "
        f"check_client_access cidr:{tmp_path}/other, $own_rules\n",
    )
    assert check(capsys, path) == [
        not_used(
            table,
            f"smtpd_client_restrictions = check_client_access cidr:{table}, permit_mynetworks, "
            f"check_client_access cidr:{tmp_path}/other, $own_rules",
            later=False,
        )
    ]


NO_DELAY = "smtpd_delay_reject = no\nsmtpd_sasl_auth_enable = yes\n"
WHERE_POSTFIX_READS_IT = {
    "main.cf": (NO_DELAY + "smtpd_client_restrictions = check_client_access cidr:{table}\n", ""),
    "main.cf, after permit_mynetworks": (
        NO_DELAY + "smtpd_client_restrictions = permit_mynetworks,\n"
        "    check_client_access cidr:{table}, reject_unknown_reverse_client_hostname\n",
        "",
    ),
    "a $parameter": (
        NO_DELAY + "mailwarden_rules = check_client_access cidr:{table}\n"
        "smtpd_client_restrictions = $mailwarden_rules\n",
        "",
    ),
    "a restriction class": (
        NO_DELAY + "smtpd_restriction_classes = banned_clients\n"
        "banned_clients = check_client_access cidr:{table}\n"
        "smtpd_helo_restrictions = banned_clients, permit\n",
        "",
    ),
    "master.cf -o": (
        "",
        "submission inet n - y - - smtpd\n"
        "  -o smtpd_client_restrictions=check_client_access,cidr:{table},permit\n"
        "  -o smtpd_delay_reject=no\n"
        "  -o smtpd_sasl_auth_enable=yes\n",
    ),
    "a content filter's loopback listener without the map": (
        NO_DELAY + "smtpd_client_restrictions = check_client_access cidr:{table}\n",
        "127.0.0.1:10025 inet n - n - - smtpd\n  -o smtpd_client_restrictions=\n"
        "  -o smtpd_delay_reject=yes\n"
        "localhost:10026 inet n - n - - smtpd\n  -o smtpd_client_restrictions=\n",
    ),
    "a symlink to it": (
        NO_DELAY + "smtpd_client_restrictions = check_client_access cidr:{link}\n",
        "",
    ),
}


@pytest.mark.parametrize("where", list(WHERE_POSTFIX_READS_IT))
def test_no_warning_when_postfix_reads_the_map(
    tmp_path: Path, postfix_dir: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    path, table = configuration(tmp_path)
    table.parent.mkdir()
    table.touch()
    link = tmp_path / "link"
    link.symlink_to(table)
    main_cf, master_cf = WHERE_POSTFIX_READS_IT[where]
    add(
        postfix_dir,
        main_cf.format(table=table, link=link),
        master_cf.format(table=table, link=link),
    )
    assert check(capsys, path) == []


def after_auth(table: Path, late: str = "", unnamed: str = "") -> str:
    problems = []
    if unnamed:
        problems.append(
            f"{unnamed} do not check it before AUTH: name check_client_access cidr:{table} "
            "first in smtpd_client_restrictions (main.cf, and any -o "
            "smtpd_client_restrictions= of those services)"
        )
    if late:
        problems.append(
            f"{late} check their client restrictions only at RCPT TO, after AUTH "
            "(smtpd_delay_reject = yes): set smtpd_delay_reject = no (main.cf, and any -o "
            "smtpd_delay_reject= of those services; restrictions that your users pass only "
            "by logging in belong in smtpd_recipient_restrictions then)"
        )
    return (
        f"mailwarden: warning: enforce.postfix_map: a client banned in cidr:{table} can "
        f"still guess passwords over SMTP: {'; '.join(problems)}; then postfix reload"
    )


AUTH_ON_587 = "submission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
CHECKED_ONLY_AFTER_AUTH = {
    "smtpd_delay_reject = yes, its default": (
        "smtpd_sasl_auth_enable = yes\nsmtpd_client_restrictions = check_client_access "
        "cidr:{table}\n",
        "",
        ("smtp/inet", ""),
    ),
    "only in the recipient restrictions": (
        "smtpd_sasl_auth_enable = yes\nsmtpd_delay_reject = no\nsmtpd_recipient_restrictions "
        "= check_client_access cidr:{table}, permit_mynetworks, reject_unauth_destination\n",
        "",
        ("", "smtp/inet"),
    ),
    "one service's own smtpd_delay_reject = no hid the others": (
        "smtpd_client_restrictions = check_client_access cidr:{table}\n",
        AUTH_ON_587 + "smtps inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
        "  -o smtpd_tls_wrappermode=yes\n  -o smtpd_delay_reject=no\n",
        ("submission/inet", ""),
    ),
    "a service's own client restrictions leave it out": (
        "smtpd_delay_reject = no\nsmtpd_client_restrictions = check_client_access cidr:{table}\n",
        AUTH_ON_587 + "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n",
        ("", "submission/inet"),
    ),
}


@pytest.mark.parametrize("case", list(CHECKED_ONLY_AFTER_AUTH))
def test_a_map_postfix_checks_only_after_auth_is_warned_of(
    tmp_path: Path, postfix_dir: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """Postfix checks every restriction list at RCPT TO unless smtpd_delay_reject = no,
    and the recipient list always then: a banned client was refused mail but could go
    on guessing passwords with AUTH (tried with Postfix 3.7: 535 for each wrong password,
    235 for the right one), while `run --check` said nothing. Each service that offers
    AUTH is judged with its own -o values."""
    path, table = configuration(tmp_path)
    table.parent.mkdir()
    table.touch()
    main_cf, master_cf, (late, unnamed) = CHECKED_ONLY_AFTER_AUTH[case]
    add(postfix_dir, main_cf.format(table=table), master_cf.format(table=table))
    assert check(capsys, path) == [after_auth(table, late, unnamed)]


def test_a_map_named_after_permit_is_warned_of(
    tmp_path: Path, postfix_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``permit`` accepts the client and ends the list: a map named after it is never
    read, and a banned client went on guessing while `run --check` said nothing."""
    path, table = configuration(tmp_path)
    table.parent.mkdir()
    table.touch()
    add(
        postfix_dir,
        "smtpd_sasl_auth_enable = yes\nsmtpd_delay_reject = no\nsmtpd_client_restrictions = "
        f"permit_mynetworks, permit, check_client_access cidr:{table}\n",
    )
    assert check(capsys, path) == [
        f"mailwarden: warning: enforce.postfix_map: a client banned in cidr:{table} can "
        f"still guess passwords over SMTP: smtp/inet name check_client_access cidr:{table} "
        "after permit, which accepts every client before Postfix reads the map: move it "
        "before permit (main.cf, and any -o smtpd_client_restrictions= of those services); "
        "then postfix reload"
    ]


def test_no_warning_of_the_delay_where_no_service_offers_auth(
    tmp_path: Path, postfix_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without AUTH nobody guesses passwords over SMTP: a map checked at RCPT TO is
    all a ban can do there."""
    path, table = configuration(tmp_path)
    table.parent.mkdir()
    table.touch()
    add(postfix_dir, f"smtpd_recipient_restrictions = check_client_access cidr:{table}\n")
    assert check(capsys, path) == []


def test_a_map_named_as_another_table_type_is_warned_of(
    tmp_path: Path, postfix_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mailwarden writes a CIDR table: hash: would need postmap and a .db Postfix would
    read instead (missing: every client deferred)."""
    path, table = configuration(tmp_path)
    add(postfix_dir, f"smtpd_client_restrictions = check_client_access hash:{table}\n")
    assert check(capsys, path) == [
        f"mailwarden: warning: enforce.postfix_map: main.cf's smtpd_client_restrictions "
        f"names hash:{table}, but mailwarden writes a CIDR table there: Postfix cannot read "
        f"it so; write check_client_access cidr:{table} instead, then postfix reload"
    ]


def test_a_postfix_configuration_postconf_cannot_read_is_said(
    tmp_path: Path, postfix_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, table = configuration(tmp_path)
    (postfix_dir / "main.cf").unlink()
    (warning,) = check(capsys, path)
    assert warning.startswith(
        f"mailwarden: warning: enforce.postfix_map: cannot ask Postfix whether it uses {table} ("
    )
    assert f"open {postfix_dir}/main.cf: No such file or directory" in warning
    assert warning.endswith(
        f"make sure an smtpd_*_restrictions names check_client_access cidr:{table}"
    )


def test_the_daemon_says_it_at_its_start(
    tmp_path: Path,
    postfix_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under systemd nobody runs --check: the start logs the same warning (and runs)."""
    fake_command(tmp_path, monkeypatch, "postfix", FAKE_POSTFIX)
    path, table = configuration(tmp_path)
    settle(postfix_dir)
    output = tmp_path / "daemon.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            mailwarden("run", "--config", str(path)),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for_text(output, "started: ", 30), output.read_text()
    finally:
        os.kill(process.pid, signal.SIGTERM)
        assert wait_until(lambda: process.poll() is not None, 20)
    said = output.read_text()
    warning = not_used(
        table, f"smtpd_client_restrictions = check_client_access cidr:{table}"
    ).removeprefix("mailwarden: warning: ")
    assert f" warning: {warning}\n" in said
    assert process.returncode == 0
