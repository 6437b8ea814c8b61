"""A rotation and what the user sees of it: a reload within the rotation's grace keeps
the renamed file's last lines, the log and ``status`` name the file a backlog sits in,
and a dry run says each ban once."""

from __future__ import annotations

import json
import re

import pytest
from test_preflight import run_cli
from wardenlab import ATTACKER, OTHER, Warden, append, banned, guesses, sasl_failure, stamp


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


# -- a reload within the rotation's grace ----------------------------------------------


def test_a_reload_just_after_a_rename_still_reads_the_writers_last_lines(
    warden: Warden,
) -> None:
    """logrotate renames mail.log; the writer (rsyslog before its HUP) writes its last
    lines into mail.log.1 for a moment. A reload (a new policy) in that moment lost
    them: the new reader resumed in the new mail.log."""
    daemon = warden.start()
    rotated = warden.log.with_name("mail.log.1")
    append(warden.log, sasl_failure(OTHER, "x"))
    daemon.step()
    warden.log.rename(rotated)
    warden.log.touch()
    daemon.step()
    warden.sections["policy"]["ban_time"] = "2h"
    warden.write()
    daemon.reload()

    append(rotated, guesses())  # the writer still has the old file open
    for _ in range(3):
        daemon.step()

    assert banned(daemon) == {f"{ATTACKER}/32"}


def test_a_reload_keeps_counting_what_was_read_before_it(warden: Warden) -> None:
    daemon = warden.start()
    three = guesses()  # one attack's stamps, however long the reload takes
    append(warden.log, three[:2])
    daemon.step()
    warden.sections["policy"]["ban_time"] = "2h"
    warden.write()
    daemon.reload()
    assert banned(daemon) == set()

    append(warden.log, three[2])
    daemon.step()

    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert len(daemon.store.history()) == 1


# -- a backlog in a file renamed while the daemon was stopped ---------------------------


def noise(size: int) -> str:
    line = f"{stamp()} mx postfix/smtpd[1]: connect from unknown[198.51.100.250]\n"
    return line * (size // len(line) + 1)


def test_status_and_the_start_name_the_renamed_file_a_backlog_is_in(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """logrotate renamed mail.log while the daemon was stopped, with 3 MiB of it not
    read yet: ``status`` showed the line and offset in mail.log.1 as mail.log's, with
    no bytes behind, and the start said mail.log's backlog, and nothing of the rename."""
    daemon = warden.start()
    append(warden.log, sasl_failure(OTHER, "x"))
    daemon.step()
    daemon.close()
    with warden.log.open("a") as out:
        out.write(noise(3 << 20))
    rotated = warden.log.with_name("mail.log.1")
    warden.log.rename(rotated)
    append(warden.log, sasl_failure(OTHER, "y"))
    behind = rotated.stat().st_size - len(sasl_failure(OTHER, "x")) - 1 + warden.log.stat().st_size

    config = str(warden.config_path)
    _code, _, out = run_cli(capsys, "status", "--config", config)
    (source,) = [line for line in out.splitlines() if line.startswith(f"  {warden.log} ")]
    assert source.endswith(
        f"line 2 of {rotated}, offset {len(sasl_failure(OTHER, 'x')) + 1}, "
        f"{behind} bytes behind (the rest of {rotated}, then {warden.log})"
    ), source
    _code, _, out = run_cli(capsys, "status", "--format", "json", "--config", config)
    (entry,) = json.loads(out)["sources"]
    assert entry["position_file"] == str(rotated) and entry["behind_bytes"] == behind

    caplog.clear()
    warden.start()
    said = messages(caplog)
    assert (
        f"{warden.log}: the file read before the restart is {rotated} now (a rotation): "
        f"reading its rest first, from line 2, then {warden.log} from its start"
    ) in said
    assert (
        f"{warden.log}: 3 MiB not read yet (3 MiB of {rotated} from line 2 on, then "
        f"{warden.log}): read in pieces of 1 MiB, a stop is honoured between two"
    ) in said, said


# -- a dry run says each ban once ---------------------------------------------------------


def test_a_dry_run_says_each_ban_once_and_a_restart_restores_it(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    """Each ban was said twice (``ban … until …Z`` and ``would ban … until …+00:00``),
    and after a restart every stored ban was said again as ``would ban``, as if new."""
    daemon = warden.start()
    append(warden.log, guesses())
    daemon.step()
    said = [m for m in messages(caplog) if re.match(r"(would )?ban ", m)]
    assert len(said) == 1, said
    ban = re.match(rf"ban {ATTACKER}/32 for 1h until (\d{{4}}-\d\d-\d\dT[\d:]{{8}}Z): ", said[0])
    assert ban is not None, said
    daemon.close()

    caplog.clear()
    warden.start()
    said = messages(caplog)
    assert not any(re.match(r"(would )?ban ", m) for m in said), said
    assert "dry run: restoring 1 active ban(s) from the store" in said
    (kept,) = [m for m in said if m.startswith("would keep ")]
    assert kept.startswith(f"would keep {ATTACKER}/32 until {ban[1]}: bruteforce")
