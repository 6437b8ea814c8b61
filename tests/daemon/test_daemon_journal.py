"""The journal as a source: entries from ``journalctl -o json --follow`` are acted on, the
cursor is stored, and a restart resumes after it. journalctl is a stand-in script here
(the real one needs a journal with Postfix in it)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from wardenlab import ATTACKER, Warden, banned, wait_until

FAKE = """#!{python}
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_JOURNAL_ARGS"], "a") as log:
    log.write(json.dumps(args) + "\\n")
entries = json.load(open(os.environ["FAKE_JOURNAL_ENTRIES"]))
after = next((a.split("=", 1)[1] for a in args if a.startswith("--after-cursor=")), None)
for entry in entries:
    if after is None or entry["__CURSOR"] > after:
        print(json.dumps(entry), flush=True)
time.sleep(120)
"""


def entry(n: int, user: str) -> dict[str, str]:
    return {
        "__CURSOR": f"s=abc;i={n:04d}",
        "__REALTIME_TIMESTAMP": str(int(time.time() * 1_000_000)),
        "_HOSTNAME": "mx",
        "SYSLOG_IDENTIFIER": "postfix/submission/smtpd",
        "_PID": str(1200 + n),
        "MESSAGE": f"warning: unknown[{ATTACKER}]: SASL PLAIN authentication failed: "
        f"UGFzc3dvcmQ6, sasl_username={user}",
    }


@pytest.fixture
def fake_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "journalctl"
    script.write_text(FAKE.format(python=sys.executable))
    script.chmod(0o755)
    entries = tmp_path / "entries.json"
    entries.write_text(json.dumps([entry(n, u) for n, u in enumerate(["a1", "b2", "c3"], 1)]))
    args = tmp_path / "journalctl-args.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_JOURNAL_ENTRIES", str(entries))
    monkeypatch.setenv("FAKE_JOURNAL_ARGS", str(args))
    return args


def test_journal_entries_are_acted_on_and_the_cursor_resumes(
    warden: Warden, fake_journal: Path
) -> None:
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    first = warden.start()

    assert wait_until(lambda: first.step() or bool(banned(first)), 5)
    assert banned(first) == {f"{ATTACKER}/32"}
    first.close()
    runs = [json.loads(line) for line in fake_journal.read_text().splitlines()]
    assert "--follow" in runs[0] and "SYSLOG_FACILITY=2" in runs[0]
    assert not any(a.startswith("--after-cursor") for a in runs[0])

    second = warden.start()
    for _ in range(20):
        second.step()
        time.sleep(0.01)
    runs = [json.loads(line) for line in fake_journal.read_text().splitlines()]
    assert "--after-cursor=s=abc;i=0003" in runs[1]
    assert len(second.store.history()) == 1
