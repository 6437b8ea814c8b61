"""A /64 with more guessing addresses than mailwarden remembers of a network (its 256
most recent): `analyze` (JSON and text) and `explain` say "256 or more" / "at least 256",
in English and Chinese, never "256 addresses" as if that were all of them; a smaller
network's count stays exact, without "at least"."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

BIG = "2001:db8:1:2::"
SMALL = "2001:db8:7:1::"
WIDE = {"COLUMNS": "100"}


def _line(s: int, pid: int, ip: str, user: str) -> str:
    return (
        f"Feb 23 {10 + s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d} mx "
        f"postfix/submission/smtpd[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication "
        f"failed: authentication failure, sasl_username={user}"
    )


def two_networks() -> str:
    """300 addresses of one /64, each failing twice at two of three accounts 3 s apart
    (half an hour), and 40 of another /64 once each at other accounts."""
    lines = []
    for n in range(300):
        for k in range(2):
            lines.append(_line(n * 6 + k * 3, 9000 + n, f"{BIG}{n + 1:x}", f"user{(n + k) % 3}"))
    for n in range(40):
        lines.append(_line(1801 + n * 30, 12000 + n, f"{SMALL}{n + 1:x}", f"sales{n % 3}"))
    return "\n".join(lines) + "\n"


def flat(text: str) -> str:
    return " ".join(text.split())


def dense(text: str) -> str:
    return "".join(text.split())


def test_analyze_says_or_more_of_a_network_bigger_than_remembered(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(two_networks())
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    networks = {f["subject"]: f["data"] for f in json.loads(out)["findings"]}
    big, small = networks[f"{BIG}/64"], networks[f"{SMALL}/64"]
    assert (big["member_count"], big["member_count_capped"], big["failures"]) == (256, True, 600)
    assert (small["member_count"], small["member_count_capped"], small["failures"]) == (
        40,
        False,
        40,
    )
    code, out, err = run("analyze", "--year", "2026", path, env=WIDE)
    assert code == 0, err
    assert re.search(rf"^{BIG}/64 +256 or more +600 ", out, re.M), out
    assert re.search(rf"^{SMALL}/64 +40 +40 ", out, re.M), out
    code, zh, err = run("analyze", "--lang", "zh_CN", "--year", "2026", path, env=WIDE)
    assert code == 0, err
    assert re.search(rf"^{BIG}/64 +至少 256 +600 ", zh, re.M), zh
    assert re.search(rf"^{SMALL}/64 +40 +40 ", zh, re.M), zh


def test_explain_says_at_least_of_a_network_bigger_than_remembered(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(two_networks())
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    out = flat(out)
    assert f"At least 256 addresses of the network {BIG}/64 failed 600 times together" in out
    assert f"• 40 addresses of the network {SMALL}/64 failed 40 times together" in out
    assert "At least 40" not in out
    code, zh, err = run("explain", "--lang", "zh_CN", "--year", "2026", path)
    assert code == 0, err
    zh = dense(zh)
    assert f"网段{BIG}/64中至少256个地址一共失败了600次" in zh
    assert f"网段{SMALL}/64中的40个地址一共失败了40次" in zh
