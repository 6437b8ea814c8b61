"""`mailwarden status` on what the daemon wrote, with one value damaged since (edited by
hand, written by a broken tool): the value is said to be damaged, never shown as if it
were good, in text and in JSON alike, and the exit status is 1."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_preflight import run_cli
from wardenlab import Warden, append, guesses


def store_path(warden: Warden) -> Path:
    return Path(warden.sections["store"]["path"])


def ran_and_stopped(warden: Warden) -> None:
    """The daemon read a few lines, banned, wrote its position and heartbeat, stopped."""
    daemon = warden.start()
    append(warden.log, guesses())
    daemon.step()
    daemon.close()


def edit(warden: Warden, key: str, change: Any) -> None:
    """Change (or write) the stored JSON of `key` as a tool other than mailwarden would."""
    db = sqlite3.connect(store_path(warden))
    row = db.execute("SELECT value FROM positions WHERE key = ?", (key,)).fetchone()
    value = json.dumps(change(None if row is None else json.loads(row[0])))
    db.execute(
        "INSERT INTO positions VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET value = ?",
        (key, value, value),
    )
    db.commit()
    db.close()


def setting(field: str, value: object) -> Any:
    def change(stored: dict[str, Any]) -> dict[str, Any]:
        return {**stored, field: value}

    return change


def status(
    warden: Warden, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[str], str]:
    return run_cli(capsys, "status", "--config", str(warden.config_path), *args)


def damaged_status(
    warden: Warden, capsys: pytest.CaptureFixture[str], key: str, change: Any
) -> tuple[list[str], str, dict[str, Any]]:
    """After a daemon ran and stopped, `change` the stored value of `key`; then
    `mailwarden status` in text and in JSON: both exit 1 with the same error line."""
    ran_and_stopped(warden)
    edit(warden, key, change)
    code, err, text = status(warden, capsys)
    json_code, json_err, out = status(warden, capsys, "--format", "json")
    assert (code, json_code) == (1, 1) and json_err == err and len(err) == 1
    return err, text, json.loads(out)


def test_status_of_a_good_store_names_no_damage(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    ran_and_stopped(warden)
    code, err, out = status(warden, capsys, "--format", "json")
    assert (code, err) == (0, [])
    document = json.loads(out)
    assert document["damage"] == [] and document["daemon"]["damaged"] == []
    (source,) = document["sources"]
    assert source["damaged"] == [] and source["line"] == 4 and source["offset"] > 0


FILE_DAMAGE = {
    "text": (setting("offset", "x"), "offset 'x' is not a byte offset"),
    "negative": (setting("offset", -1), "offset -1 is not a byte offset"),
    "absurd": (setting("offset", 10**30), f"offset {10**30} is not a byte offset"),
    "fraction": (setting("inode", 3.5), "inode 3.5 is not an inode number"),
    "line": (setting("line", 10**6), "line 1000000 cannot begin at byte "),
    "missing": (lambda p: {k: v for k, v in p.items() if k != "line"}, "line is missing"),
    # What status does not show but the daemon needs to resume from it.
    "unusable": (lambda p: {k: v for k, v in p.items() if k != "fingerprint"}, "'fingerprint'"),
    "notanobject": (lambda p: [p["offset"]], "the position ["),
}


@pytest.mark.parametrize("kind", sorted(FILE_DAMAGE))
def test_a_damaged_file_position_is_said_to_be_damaged(
    warden: Warden, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    change, what = FILE_DAMAGE[kind]
    err, text, document = damaged_status(warden, capsys, f"file:{warden.log}", change)
    (line,) = [line for line in text.splitlines() if line.startswith(f"  {warden.log}")]
    assert line.startswith(f"  {warden.log}  position damaged in the store: {what}")
    assert line.endswith(" (left out)") and "offset" not in line.replace(what, "")
    assert err[0].startswith(
        f"mailwarden: error: the store {store_path(warden)} is damaged: "
        f"position 'file:{warden.log}': {what}"
    )
    (source,) = document["sources"]
    assert [source[k] for k in ("offset", "line", "inode", "behind_bytes")] == [None] * 4
    (damaged,) = source["damaged"]
    assert damaged.startswith(what)
    assert document["damage"] == [f"position 'file:{warden.log}': {damaged}"]


HEARTBEAT_DAMAGE = {
    "pid": ("x\x1b[2J", "pid 'x\\x1b[2J' is not a process id"),
    "backend": ("none\n  problem: forged", "backend 'none\\n  problem: forged' is not a backend"),
    "started": (1700000000, "started 1700000000 is not a time"),
    "counters": ({"lines": -1, "bans": "many"}, "counter 'lines' -1 is not a count"),
    "problems": ("disk full", "problems 'disk full' is not a list"),
}


@pytest.mark.parametrize("field", sorted(HEARTBEAT_DAMAGE))
def test_a_damaged_heartbeat_field_is_said_to_be_damaged(
    warden: Warden, capsys: pytest.CaptureFixture[str], field: str
) -> None:
    value, what = HEARTBEAT_DAMAGE[field]
    err, text, document = damaged_status(warden, capsys, "daemon", setting(field, value))
    assert f"\n  damaged in the store: {what} (left out)\n" in text
    assert "\x1b" not in text and "  problem: forged" not in text.replace(what, "")
    assert text.startswith("daemon: stopped ")
    assert f"position 'daemon': {what}" in err[0]
    daemon = document["daemon"]
    assert what in daemon["damaged"]
    if field == "counters":
        assert daemon["counters"] == {"lines": None, "bans": None}
    elif field == "problems":
        assert daemon["problems"] == []
    else:
        assert daemon[field] is None


@pytest.mark.parametrize(
    ("seen", "what"),
    [
        ("yesterday", "seen 'yesterday' is not a time"),
        ("2999-01-01T00:00:00Z", "in the future"),
        (None, "seen is missing"),
    ],
    ids=["text", "future", "missing"],
)
def test_a_heartbeat_that_cannot_be_read_is_not_a_running_daemon(
    warden: Warden, capsys: pytest.CaptureFixture[str], seen: str | None, what: str
) -> None:
    """A heartbeat in the year 2999 used to read as a daemon running for ever."""
    _err, text, document = damaged_status(
        warden, capsys, "daemon", lambda beat: {**beat, "seen": seen, "stopped": None}
    )
    assert text.startswith("daemon: unknown (its heartbeat in the store cannot be read)\n")
    daemon = document["daemon"]
    assert daemon["running"] is False and daemon["seen"] is None
    assert any(what in line for line in daemon["damaged"])


def test_a_damaged_journal_cursor_is_said_to_be_damaged(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    _err, text, document = damaged_status(
        warden, capsys, "journal", lambda _: {"cursor": "s=1\x1b[2J"}
    )
    assert "\x1b" not in text
    assert (
        "  journal  position damaged in the store: cursor 's=1\\x1b[2J' is not a journal "
        "cursor (left out)"
    ) in text.splitlines()
    (journal,) = [s for s in document["sources"] if s["kind"] == "journal"]
    assert journal["cursor"] is None and journal["damaged"] == [
        "cursor 's=1\\x1b[2J' is not a journal cursor"
    ]
