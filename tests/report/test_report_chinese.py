# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The analyze text report in Chinese: the same report, its words translated, its
addresses and client text inserted as they are, its tables and lines fit the width."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

import pytest
from rich.cells import cell_len
from test_analysis_report import (
    BREAK_IN,
    BRUTE_FORCE,
    GUESSER,
    IPV6_TOKEN,
    NETWORK,
    PHONE,
    SPRAYERS,
    SUMMARY,
    WIDE_NETWORK,
    analysis_of,
    long_addresses,
    render,
)

from mailwarden.config import PolicyConfig
from mailwarden.detect import Analysis, Compromise, analyze
from mailwarden.detect.rules import _burst_text
from mailwarden.framing import Framer
from mailwarden.locale import activate
from mailwarden.model import Event
from mailwarden.parsers import parse
from mailwarden.report.text import headline


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    activate("zh_CN")
    yield
    activate("en")


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("width", [80, 72, 60])
def test_addresses_stay_whole_and_lines_fit_in_chinese(width: int) -> None:
    text = render(long_addresses(), width=width)
    known = {GUESSER, PHONE, NETWORK, WIDE_NETWORK, *SPRAYERS}
    tokens = {
        t[:-1] if t.endswith(":") and not t.endswith("::") else t for t in IPV6_TOKEN.findall(text)
    }
    assert not tokens - known, text
    assert all(cell_len(line) <= width for line in text.splitlines()), text
    for heading in (
        "被入侵的账户",
        "攻击者（5 个，最严重的在前）",
        "协同攻击的网络",
        "不是攻击（从不建议封禁）",
    ):
        assert heading in text.splitlines(), heading
    # A reason no pattern knows stays as the detector wrote it (English).
    assert "•sales@example.com：loggedin" in _flat(text)


def test_the_headline_asks_to_ban_one_client_without_a_plural() -> None:
    top, _ = headline(analysis_of(BRUTE_FORCE), SUMMARY)
    assert top.startswith("没有人登录进来。1 个客户端")
    assert top.endswith("：请将其封禁。") and "它们" not in top


def test_a_break_in_is_told_in_chinese() -> None:
    text = render(analysis_of(BREAK_IN + "\n"))
    first = text.splitlines()[0]
    assert first.startswith("有人登录进来了：") and "carol@example.com" in first
    assert "现在该做什么：" in text
    assert "封禁这次登录的来源地址，并检查它尝试过的其他账户。" in _flat(text)
    assert "Someone got in" not in text and "What to do now" not in text


def test_client_text_is_a_value_never_a_template() -> None:
    """A username with braces or markup is shown as written, in Chinese as in English."""
    analysis = long_addresses()
    name = "{who}[bold]{n}"
    hostile = Analysis(
        attackers=analysis.attackers,
        compromised=(
            Compromise(
                name,
                GUESSER,
                None,
                6,
                f"logged in as {name} after 6 failed logins from this client (bruteforce)",
            ),
        ),
        credentials=(),
        findings=(),
    )
    text = _flat(render(hostile))
    # Quoted as lists quote it in English ([ could pass for a separator).
    assert f"有人登录进来了：6次登录失败之后，{GUESSER}以“{name}”登录成功。" in text
    assert f"这个客户端登录失败6次之后以{name}登录成功（暴力破解）" in text


def _events(lines: list[str]) -> list[Event]:
    framer = Framer(year=2026)
    return [
        e
        for n, line in enumerate(lines, 1)
        for r in framer.frame_line(line, "m", n, 0)
        for e in parse(r)
    ]


def test_never_banned_clients_and_the_webmail_hint_in_chinese() -> None:
    webmail = [
        f"Feb 23 09:00:{n:02d} mx dovecot: imap-login: Disconnected: Connection closed "
        f"(auth failed, 1 attempts in 2 secs): user=<user{n % 7}@example.org>, method=PLAIN, "
        f"rip=127.0.0.1, lip=127.0.0.1, secured, session=<web{n}>"
        for n in range(30)
    ]
    text = _flat(render(analyze(_events(webmail), PolicyConfig())))
    assert "不是攻击，以及永不封禁的客户端（从不建议封禁）" in text
    assert "127.0.0.1（暴力破解，30次失败）永不封禁：本机回环地址。" in text
    assert "login_trusted_networks=127.0.0.0/8::1" in text and "网页邮箱" in text
    allowed = [
        f"Feb 23 09:00:0{n} mx postfix/submission/smtpd[7001]: warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=admin@example.com"
        for n in range(5)
    ]
    policy = PolicyConfig(allow=(ipaddress.ip_network("192.0.2.0/24"),))
    text = _flat(render(analyze(_events(allowed), policy)))
    assert "192.0.2.7（暴力破解，5次失败）永不封禁：在允许列表中（192.0.2.0/24）。" in text


def test_chinese_breaks_between_characters_and_never_inside_an_address() -> None:
    from mailwarden.report.layout import break_offsets

    text = "这个客户端登录失败之后，2001:db8:a11:1::17 以 carol@example.com 登录成功（暴力破解）。"
    for width in (10, 16, 24, 40):
        offsets = break_offsets(text, width)
        pieces = [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)], strict=True)]
        assert "".join(pieces) == text
        assert any("2001:db8:a11:1::17" in piece for piece in pieces)
        assert any("carol@example.com" in piece for piece in pieces)
        for piece in pieces:
            # Too long only when one unbreakable word is (the address on 10 cells).
            assert cell_len(piece.rstrip()) <= width or " " not in piece.strip(), (width, piece)
            assert not re.match(r"[，。）]", piece)  # closing punctuation never starts a line


@pytest.mark.parametrize(
    ("english", "translated"),
    [
        (
            f"logged in as carol@example.com right after {_burst_text(0, 6)} within 30m "
            "(from 192.0.2.1, 192.0.2.2 and 3 more)",
            "在 30m 内出现其他客户端对这个账户的 6 次登录失败之后紧接着以 carol@example.com "
            "登录成功（来自 192.0.2.1, 192.0.2.2 及另外 3 个地址）",
        ),
        (
            f"logged in as bob right after {_burst_text(2, 5)} within 30m",
            "在 30m 内出现对这个账户的 7 次登录失败（2 次来自这个客户端，5 次来自其他客户端）"
            "之后紧接着以 bob 登录成功",
        ),
        (
            "logged in (the log does not say as whom) after 1 failed login from this client "
            "(slow_bruteforce)",
            "这个客户端登录失败 1 次之后登录成功（日志没有写明是哪个账户；慢速暴力破解）",
        ),
        (
            "The login came from 127.0.0.1, loopback: it is never banned. Find the machine or "
            "program there that logged in (a webmail, proxy or relay passes on its users' "
            "logins) and audit other accounts tried from it.",
            "这次登录来自 127.0.0.1（本机回环地址）：它永远不会被封禁。请找出那里进行登录的机器或"
            "程序（网页邮箱、代理或中继会转发其用户的登录），并检查从那里尝试过的其他账户。",
        ),
        ("12 failed logins named no client address", "12 次登录失败没有写明客户端地址"),
        # One no pattern knows (a newer detector's) stays English.
        ("a reason from the future", "a reason from the future"),
    ],
)
def test_the_detectors_reasons_are_translated_where_shown(english: str, translated: str) -> None:
    from mailwarden.report.phrases import reason

    assert reason(english) == translated
    activate("en")
    assert reason(english) == english
