"""Mistakes in an option's value: a path that does not exist or is of the wrong kind, a
--set without its ``=``, an --until before --since. Each is bad usage (exit 2) said in
one line that names the option, the value and the reason; audit keeps 1 for a
configuration that exists but cannot be read, and 3 for its findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from clirunner import Runner


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    """A log, a folder and a path that does not exist."""
    log = tmp_path / "mail.log"
    log.write_text("Mar  9 04:43:04 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    return {"LOG": str(log), "DIR": str(folder), "NONE": str(tmp_path / "nosuch")}


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("analyze", "--users", "NONE", "LOG"), "--users: NONE: no such file"),
        (("analyze", "--users", "DIR", "LOG"), "--users: DIR: a directory, not a file"),
        (("analyze", "--config", "NONE", "LOG"), "--config: NONE: no such file"),
        (("analyze", "--config", "DIR", "LOG"), "--config: DIR: a directory, not a file"),
        (("audit", "--postfix-dir", "NONE"), "--postfix-dir: NONE: no such directory"),
        (("audit", "--postfix-dir", "LOG"), "--postfix-dir: LOG: not a directory"),
        (("audit", "--dovecot-config", "NONE"), "--dovecot-config: NONE: no such file"),
        (("audit", "--dovecot-config", "DIR"), "--dovecot-config: DIR: a directory, not a file"),
    ],
)
def test_a_wrong_path_is_one_line_and_exit_2(
    run: Runner, places: dict[str, str], args: tuple[str, ...], reason: str
) -> None:
    for name, path in places.items():
        reason = reason.replace(name, path)
    code, out, err = run(*(places.get(a, a) for a in args))
    assert (code, out) == (2, "")
    assert err == f"mailwarden: error: {reason}\n"


def test_a_pipe_is_a_file_to_read(run: Runner, places: dict[str, str]) -> None:
    """``--users <(getent …)`` names a pipe, not a missing file."""
    code, out, err = run("analyze", "-q", "--users", "/dev/stdin", "--thresholds")
    assert code == 0 and err == "" and "[policy]" in out


@pytest.mark.parametrize("value", ["fast_failures", "=5", "policy.=5"])
def test_a_set_without_its_equals_sign_asks_for_key_equals_value(
    run: Runner, places: dict[str, str], value: str
) -> None:
    code, _out, err = run("analyze", "--set", value, places["LOG"])
    assert code == 2
    assert err == f"mailwarden: error: --set: {value}: expected KEY=VALUE\n"


def test_until_before_since_names_both(run: Runner, places: dict[str, str]) -> None:
    code, _out, err = run(
        "analyze",
        "--since",
        "2026-03-10",
        "--until",
        "2026-03-01",
        "--timezone",
        "UTC",
        places["LOG"],
    )
    assert code == 2
    assert (
        "Invalid value for --until: '2026-03-01' (2026-03-01 23:59 UTC) is before --since "
        "'2026-03-10' (2026-03-10 00:00 UTC)" in err
    )


@pytest.mark.parametrize("journal", [("--journal", "--since", "1h"), ()])
def test_a_journal_match_that_is_none_is_bad_usage_before_anything_is_read(
    run: Runner, journal: tuple[str, ...]
) -> None:
    code, out, err = run("analyze", "-q", *journal, "--journal-match", "x")
    assert (code, out) == (2, "")
    assert err == "mailwarden: error: --journal-match: x: not a journal match (FIELD=value or +)\n"
