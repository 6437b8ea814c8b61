"""Chinese text at 80 columns wraps by display width between characters (it has no
spaces between words), not only at ASCII spaces: lines are full, a number stays with its
counter (``24 次``) and a command with its option (``postsuper -d``)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from rich.cells import cell_len

from clirunner import Runner
from mailwarden.report.layout import break_offsets


def _log() -> str:
    lines = [
        "2026-03-10T08:00:00+00:00 mx dovecot[99]: imap-login: Login: user=<alice@example.com>,"
        " method=PLAIN, rip=198.51.100.50, lip=192.0.2.1, mpid=5, TLS, session=<ok0>"
    ]
    for n in range(24):
        lines.append(
            f"2026-03-10T{10 + n // 4:02d}:{n % 4 * 15:02d}:00+00:00 mx dovecot[99]: imap-login:"
            " Disconnected (auth failed, 1 attempts in 2 secs): user=<alice@example.com>, "
            f"method=PLAIN, rip=198.51.100.50, lip=192.0.2.1, TLS, session=<s{n}>"
        )
    for n in range(8):
        lines.append(
            f"2026-03-10T09:00:0{n}+00:00 mx dovecot[99]: imap-login: Disconnected (auth "
            "failed, 1 attempts in 2 secs): user=<bob@example.com>, method=PLAIN, "
            f"rip=203.0.113.9, lip=192.0.2.1, TLS, session=<b{n}>"
        )
    lines.append(
        "2026-03-10T09:01:00+00:00 mx dovecot[99]: imap-login: Login: user=<bob@example.com>, "
        "method=PLAIN, rip=203.0.113.9, lip=192.0.2.1, mpid=6, TLS, session=<okb>"
    )
    return "\n".join(sorted(lines)) + "\n"


def test_chinese_report_wraps_by_width(run: Runner, log_file: Callable[[str], str]) -> None:
    code, out, _ = run(
        "analyze", "--lang", "zh_CN", log_file(_log()), env={"COLUMNS": "80"}
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    for above, below in itertools.pairwise(lines):
        # a number never ends a line whose next line starts with its counter
        assert not (re.search(r"\d$", above) and re.match(r"[个次行秒]", below)), (above, below)
    assert any("postsuper -d" in line for line in lines)
    # the headline's paragraph: its lines but the last are full (not ragged)
    head = out.split("\n\n")[0].splitlines()
    assert all(cell_len(line) >= 70 for line in head[:-1] if line != head[0]), head


def test_break_offsets_keep_number_and_counter() -> None:
    text = "从 3 个文件读取了 5,766 行：192 次登录失败（190，来自 18 个敌对客户端中的 15 个）"
    for width in range(20, 60):
        for offset in break_offsets(text, width):
            before = text[:offset].rstrip()
            assert not (before[-1].isdigit() and text[offset] in "个次行"), (width, offset)
