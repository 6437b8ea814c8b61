"""A whole AUTH PLAIN payload (it ends in ``==``, or ``??`` shows its end) that is too
short is malformed, not cut off by the log: ``AA==`` is one NUL byte (no account, no
password); ``AGJvYg==`` names bob but holds no password. Neither is called truncated."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]

P = "Feb 23 11:57:43 mail postfix/smtpd[1]: "


def _note(run: Runner, log_file: LogFile, line: str, *lang: str) -> str:
    code, out, err = run("explain", log_file(P + line + "\n"), *lang)
    assert code == 0, err
    return " ".join(out.split())


@pytest.mark.parametrize(
    "line", ["Read 17 chars: AUTH PLAIN AA==??", "< unknown[203.0.113.7]: AUTH PLAIN AA=="]
)
def test_a_nul_byte_alone_is_an_empty_payload_not_a_cut_one(
    run: Runner, log_file: LogFile, line: str
) -> None:
    out = _note(run, log_file, line)
    assert "decodes to NUL bytes only: no account and no password" in out
    assert "an empty or malformed PLAIN response" in out
    assert "cut" not in out.split("Verdict")[0].replace("40 bytes of every", "")
    assert "account “…”" not in out


def test_a_whole_payload_without_a_password_names_its_account_whole(
    run: Runner, log_file: LogFile
) -> None:
    out = _note(run, log_file, "Read 21 chars: AUTH PLAIN AGJvYg==??")
    assert "Decoded: account “bob”." in out
    assert "The data is whole but holds no password: a malformed PLAIN response" in out
    assert "The log cut the line off" not in out


def test_the_empty_payload_in_chinese(run: Runner, log_file: LogFile) -> None:
    out = _note(run, log_file, "Read 17 chars: AUTH PLAIN AA==??", "--lang", "zh_CN")
    assert "解码后只有 NUL 字节" in out
    assert "截断" not in out
