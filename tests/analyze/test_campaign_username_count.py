"""A spraying campaign's "N usernames in all" (JSON ``usernames``) is never fewer than
the accounts it targeted (``target_count``): each member keeps 32 names, so five
members trying the same 50 names counted 32, beside 50 targets. And the text's "+N"
after the names shown counts every name left out, not only the 50 targets the JSON
lists."""

from __future__ import annotations

import re
from collections.abc import Callable

from clirunner import Runner, analyze_json

MEMBERS = ["192.0.2.10", "198.51.100.11", "203.0.113.12", "192.0.2.13", "198.51.100.14"]


def _lines(rounds: int, name: Callable[[int, int], str]) -> list[str]:
    """Each member fails once a round, from its own smtpd process, a second apart."""
    lines = []
    t = 0
    for r in range(rounds):
        for k, ip in enumerate(MEMBERS):
            lines.append(
                f"Mar 10 {10 + t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d} mx "
                f"postfix/submission/smtpd[{700 + k}]: warning: unknown[{ip}]: SASL LOGIN "
                f"authentication failed: authentication failure, sasl_username={name(r, k)}"
            )
            t += 1
    return lines


def _spray(report: dict[str, object]) -> dict[str, object]:
    findings = report["findings"]
    assert isinstance(findings, list)
    [spray] = [f["data"] for f in findings if f["kind"] == "spray"]
    assert isinstance(spray, dict)
    return spray


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_count_is_at_least_the_targets(run: Runner, log_file: Callable[[str], str]) -> None:
    lines = _lines(100, lambda r, k: f"n{r % 50}")
    spray = _spray(analyze_json(run, log_file, lines))
    assert spray["target_count"] == 50
    assert spray["usernames"] == 50
    assert spray["usernames_complete"] is False
    code, out, _err = run("analyze", "--year", "2026", log_file("\n".join(lines) + "\n"))
    assert code == 0
    assert "50 or more usernames in all: n9, n8 +48" in _flat(out)


def test_more_counts_every_name_left_out(run: Runner, log_file: Callable[[str], str]) -> None:
    # member k tries names 100k … 100k+299: 700 names, each but the first and last 100
    # by two members or more
    lines = _lines(300, lambda r, k: f"w{r + 100 * k}")
    spray = _spray(analyze_json(run, log_file, lines))
    assert spray["target_count"] == 500
    assert len(spray["targets"]) == 50  # type: ignore[arg-type]
    assert spray["usernames"] == 500
    code, out, _err = run(
        "analyze", "--year", "2026", log_file("\n".join(lines) + "\n"), env={"COLUMNS": "200"}
    )
    assert code == 0
    assert re.search(r"500 or more usernames in all: w\d+, w\d+ \+498 ", _flat(out))
