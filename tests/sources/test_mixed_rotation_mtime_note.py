"""A rotated set with numbered and dated names is read in the order of its files'
modification times; when that disagrees with their contents, the note says so, and does
not blame the file read second for joining several logs (cat mail.log mail.log.1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from clirunner import Runner

P = "mx postfix/submission/smtpd[{pid}]: "
FAIL = "warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, "


def _write(path: Path, lines: list[str], mtime: float) -> str:
    path.write_text("".join(line + "\n" for line in lines))
    os.utime(path, (mtime, mtime))
    return str(path)


def test_a_set_put_in_mtime_order_against_its_contents_is_said_so(
    run: Runner, tmp_path: Path
) -> None:
    base = 1_796_029_200.0  # 2026-11-30 09:00 UTC
    dated = [f"Nov 28 08:00:0{n} {P.format(pid=1201)}{FAIL}sasl_username=alice" for n in range(6)]
    login = "4XyZ1a2B3c: client=unknown[203.0.113.7], sasl_method=PLAIN, sasl_username=alice"
    numbered = [f"Nov 29 08:00:00 {P.format(pid=1301)}{login}"]
    live = [f"Nov 30 08:00:00 {P.format(pid=1302)}connect from unknown[192.0.2.50]"]
    files = [
        _write(tmp_path / "mail.log.1", numbered, base - 9 * 3600 - 60),
        # touched after mail.log.1 although its entries are older (a copy, a touch)
        _write(tmp_path / "mail.log-20261128", dated, base - 60),
        _write(tmp_path / "mail.log", live, base),
    ]
    code, out, err = run(
        "analyze", "--year", "2026", "--timezone", "UTC", "--format", "json", *files
    )  # fmt: skip
    assert code in (0, 1), err
    notes = [n for n in json.loads(out)["notes"] if "goes back in time" in n]
    assert len(notes) == 1, notes
    note = notes[0]
    assert note.startswith(f"{files[1]}: line 1 goes back in time"), note
    assert "cat mail.log mail.log.1" not in note
    assert "read in the order of their modification times" in note
    assert "mail.log.1 before it" in note
