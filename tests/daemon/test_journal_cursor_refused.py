"""A stored cursor journalctl refuses (``Failed to seek to cursor: Invalid argument``:
the journal was vacuumed, or the store came from another machine) left the daemon blind
for ever, starting journalctl again every 5 s: now it follows the journal again from the
time of that cursor's entry, says so once, and ``status`` shows it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from test_daemon_journal import FAKE, arrive, entry, runs_of, stand_in_journal
from wardenlab import ATTACKER, OTHER, Warden, banned, run_cli, step_until

from mailwarden.daemon import journal

REFUSING = FAKE.replace(
    "args = sys.argv[1:]\n",
    "args = sys.argv[1:]\n"
    "refused = os.environ.get('FAKE_JOURNAL_REFUSED')\n"
    "if refused and '--after-cursor=' + refused in args:\n"
    "    with open(os.environ['FAKE_JOURNAL_ARGS'], 'a') as log:\n"
    "        log.write(json.dumps(args) + '\\n')\n"
    "    print('Failed to seek to cursor: Invalid argument', file=sys.stderr)\n"
    "    sys.exit(1)\n",
)


@pytest.fixture
def refusing_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    args = stand_in_journal(tmp_path, monkeypatch, REFUSING)
    monkeypatch.setattr(journal, "RESTART_DELAY", 0.05)
    return args


def test_a_refused_cursor_is_dropped_and_the_journal_followed_again(
    warden: Warden,
    refusing_journal: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    first = warden.start()
    old = [entry(n, u, ago=30) for n, u in enumerate(["a1", "b2", "c3"], 1)]
    arrive(refusing_journal, old)
    assert step_until(first, lambda: banned(first), 5)
    first.close()

    monkeypatch.setenv("FAKE_JOURNAL_REFUSED", old[-1]["__CURSOR"])
    caplog.set_level(logging.INFO)
    second = warden.start()
    new = [entry(n, u, ip=OTHER) for n, u in enumerate(["d4", "e5", "f6"], 4)]
    (refusing_journal.parent / "entries.json").write_text(json.dumps(old + new))
    deadline = time.monotonic() + 10
    while f"{OTHER}/32" not in banned(second) and time.monotonic() < deadline:
        second.step()
        time.sleep(0.01)
    assert banned(second) == {f"{ATTACKER}/32", f"{OTHER}/32"}
    for _ in range(50):  # ten times the (shortened) restart delay: no new start
        second.step()
        time.sleep(0.01)

    follows = runs_of(refusing_journal)
    assert f"--after-cursor={old[-1]['__CURSOR']}" in follows[1]
    assert len(follows) == 3, "started once more, not every 5 s"
    since = int(int(old[-1]["__REALTIME_TIMESTAMP"]) / 1_000_000)
    assert f"--since=@{since}" in follows[2] and "--no-tail" in follows[2]
    said = [r.getMessage() for r in caplog.records if "refuses that cursor" in r.getMessage()]
    assert len(said) == 1
    assert said[0].startswith(
        "source: journal: journalctl ended (exit 1) without reading anything after the "
        f"stored cursor {old[-1]['__CURSOR']}: it refuses that cursor"
    )
    second.close()

    code, err, out = run_cli(capsys, "status", "--config", str(warden.config_path))
    assert code == 0, err
    assert any(
        line.startswith("  problem: journal: journalctl ended (exit 1)")
        for line in out.splitlines()
    )
