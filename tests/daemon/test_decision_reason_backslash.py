"""A detector's reason can quote a name a client chose (a probe's ``tried …``). The
daemon's decision lines and the reason stored with a ban (which ``status`` shows) write
its backslash as ``\\\\``: ``\\x0a`` there is a newline the name held, ``\\\\x0a`` the four
characters a client typed. Before, both read ``tried a\\x0ab``: one name could pass for
another."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_network

from mailwarden.daemon.decisions import ban_reason, compromise_line, detection_line
from mailwarden.detect import Detection
from mailwarden.detect.analysis import Verdict

IP = "198.51.100.40"


def _detection(name: str, recommendation: str = "watch") -> Detection:
    return Detection(
        Verdict.PROBE,
        ip_network(f"{IP}/32"),
        IP,
        recommendation,
        f"tried {name}, which the server does not know",
        datetime(2026, 2, 23, 11, 58, tzinfo=UTC),
        evidence=(),
    )


def test_the_watch_line_tells_a_newline_from_typed_text() -> None:
    decoded = detection_line(_detection("a\nb"))
    typed = detection_line(_detection("a\\x0ab"))
    assert decoded == f"watch {IP}: probe: tried a\\x0ab, which the server does not know"
    assert typed == f"watch {IP}: probe: tried a\\\\x0ab, which the server does not know"


def test_the_stored_reason_status_shows_tells_them_apart() -> None:
    tail = ", which the server does not know"
    assert ban_reason(_detection("a\nb", "ban")).endswith(f"tried a\\x0ab{tail}")
    assert ban_reason(_detection("a\\x0ab", "ban")).endswith(f"tried a\\\\x0ab{tail}")


def test_the_compromise_line_tells_them_apart() -> None:
    shown = {compromise_line(_detection(n, "ban")) for n in ("a\nb", "a\\x0ab")}
    assert len(shown) == 2
    assert all(line.isprintable() and line.isascii() for line in shown)
