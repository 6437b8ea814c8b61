"""The zh_CN wording the review found stilted, as a reader sees it: one sentence where
English chains “It …. It ….”, no English colon joining clauses, “表示接受” after a 250."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

P = "Feb 23 11:57:{s:02d} mail postfix/smtpd[4242]: "
BOT = [
    "connect from unknown[203.0.113.7]",
    "Anonymous TLS connection established from unknown[203.0.113.7]: TLSv1.2 with cipher "
    "ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
    "Read 16 chars: EHLO localhost??",
    "Write 30 chars: 250-mail.example.com??250-PIP",
    "Read 25 chars: AUTH PLAIN !!!notb64$$??",
    "warning: unknown[203.0.113.7]: SASL PLAIN authentication failed: ",
    "Write 42 chars: 501 5.5.2 Error: invalid base64 data??",
    "disconnect from unknown[203.0.113.7] ehlo=1 auth=0/1 commands=1/2",
]


def _zh(run: Runner, log_file: LogFile, lines: list[str]) -> str:
    text = "".join(P.format(s=40 + n) + line + "\n" for n, line in enumerate(lines))
    code, out, err = run("explain", log_file(text), "--lang", "zh_CN")
    assert code == 0, err
    return "".join(out.split())


def test_the_bot_paragraph_reads_as_chinese(run: Runner, log_file: LogFile) -> None:
    out = _zh(run, log_file, BOT)
    assert "它自称“localhost”，并建立了TLS连接（TLSv1.2，加密套件" in out
    assert "它建立了TLS连接" not in out
    assert "一次登录失败（认证方式PLAIN）。" in out
    assert "服务器答复250，表示接受。" in out
    # (blanks are folded out of ``out``: “mailwarden audit --check …” reads so)
    assert "针对你的服务器的具体修改命令：mailwardenaudit--checkauth_on_port_25" in out
    assert "启用AUTH的服务在日志中只显示为“smtpd”（没有服务名后缀）" in out


def test_a_clean_log_and_an_unsure_outcome(run: Runner, log_file: LogFile) -> None:
    clean = _zh(run, log_file, ["Read 6 chars: QUIT??"])
    assert "没有。这些日志中没有任何失败的登录尝试。" in clean
    unsure = _zh(
        run,
        log_file,
        ["warning: unknown[203.0.113.12]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"],
    )
    assert "行为：它尝试登录，但失败了。" in unsure
    assert "但这不能证明它没有登录，因为只有在随后发送邮件时" in unsure


def test_a_decoded_try_continues_the_sentence_before(run: Runner, log_file: LogFile) -> None:
    out = _zh(
        run,
        log_file,
        [
            "connect from unknown[203.0.113.8]",
            "Read 16 chars: EHLO localhost??",
            "Read 29 chars: AUTH PLAIN AGJvYgBwdw==??",
            "warning: unknown[203.0.113.8]: SASL PLAIN authentication failed: ",
            "disconnect from unknown[203.0.113.8] ehlo=1 auth=0/1 commands=1/2",
        ],
    )
    assert "它自称“localhost”。随后用AUTHPLAIN尝试了账户“bob”" in out
    assert "它用AUTH" not in out
