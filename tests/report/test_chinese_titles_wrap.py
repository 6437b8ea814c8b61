"""A section's title in Chinese on a narrow terminal (20 to 26 columns) wraps like the
paragraphs: never between a number and its counter ("攻击者（13 个，…" kept "13" over
"个"), and within the width."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pytest
from rich.cells import cell_len

from clirunner import Runner


def _log() -> str:
    return "".join(
        f"2026-03-10T10:{n:02d}:00+00:00 mx dovecot[99]: imap-login: Disconnected (auth "
        f"failed, 1 attempts in 2 secs): user=<user{n}@example.com>, method=PLAIN, "
        f"rip=203.0.113.{n + 1}, lip=192.0.2.1, TLS, session=<s{n}>\n"
        for n in range(13)
    )


@pytest.mark.parametrize("columns", range(20, 27))
def test_title_keeps_number_with_counter(
    run: Runner, log_file: Callable[[str], str], columns: int
) -> None:
    code, out, _ = run(
        "analyze", "--lang", "zh_CN", log_file(_log()), env={"COLUMNS": str(columns)}
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    title = next(n for n, line in enumerate(lines) if line.startswith("攻击者（"))
    assert "13 个" in lines[title], lines[title : title + 2]
    assert cell_len(lines[title]) <= columns
    for above, below in itertools.pairwise(lines):
        assert not (re.search(r"\d$", above) and re.match(r"[个次行秒]", below)), (above, below)
