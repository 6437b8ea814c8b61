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
        f"{line}; then postfix reload"
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


WHERE_POSTFIX_READS_IT = {
    "main.cf": ("smtpd_client_restrictions = check_client_access cidr:{table}\n", ""),
    "main.cf, after permit_mynetworks": (
        "smtpd_recipient_restrictions = permit_mynetworks,\n"
        "    check_client_access cidr:{table}, reject_unauth_destination\n",
        "",
    ),
    "a $parameter": (
        "mailwarden_rules = check_client_access cidr:{table}\n"
        "smtpd_client_restrictions = $mailwarden_rules\n",
        "",
    ),
    "a restriction class": (
        "smtpd_restriction_classes = banned_clients\n"
        "banned_clients = check_client_access cidr:{table}\n"
        "smtpd_recipient_restrictions = banned_clients, reject_unauth_destination\n",
        "",
    ),
    "master.cf -o": (
        "",
        "submission inet n - y - - smtpd\n"
        "  -o smtpd_client_restrictions=check_client_access,cidr:{table},permit\n",
    ),
    "a symlink to it": ("smtpd_client_restrictions = check_client_access cidr:{link}\n", ""),
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
