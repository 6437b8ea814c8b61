"""`mailwarden analyze` in Chinese: `--lang zh_CN` or a Chinese locale, as `explain`.

The text report is translated (headline, headings, tables, verdicts, what to do, the
server's findings); the JSON is a contract and stays English in any language."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from analyze_logs import ROOT, run_analyze
from rich.cells import cell_len

SAMPLES = sorted((ROOT / "samples").glob("mail.log*"))
NO_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", "COLUMNS": "80"}
HEADINGS = (
    "被入侵的账户",
    "攻击者（18 个，最严重的在前）",
    "密码喷洒攻击活动",
    "尝试过的用户名",
    "日志中出现的凭据（4 条）",
    "日志透露的服务器问题",
    "不是攻击（从不建议封禁）",
)


def _timeless(text: str) -> str:
    return re.sub(r"用时 [0-9.]+ 秒|in [0-9.]+ s", "…", text)


def test_the_sample_report_in_chinese() -> None:
    done = run_analyze("-q", "--lang", "zh_CN", *SAMPLES, env=NO_LOCALE)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "有人登录进来了：9 次登录失败之后，192.0.2.187 以 sales@example.com 登录成功。"
    )
    assert lines[1].startswith("从 3 个文件读取了 5,766 行")
    for heading in HEADINGS:
        assert heading in lines, heading
    text = done.stdout
    # Column headers, verdicts and what to do, in Chinese; commands and checks verbatim.
    assert re.search(r"^客户端 +判定 +次数 +尝试的账户 +首次、末次 +处理$", text, re.M)
    assert re.search(r"^192\.0\.2\.44 +暴力破解 +69 .* 封禁$", text, re.M)
    assert re.search(r"^192\.0\.2\.123 +慢速暴力破解 +47 .* 封禁$", text, re.M)
    assert re.search(r"^192\.0\.2\.36 +扫描器 .* 观察$", text, re.M)
    assert "现在该做什么：" in lines
    assert (
        "1. 立即重置该账户的密码。改密码不会结束已经登录的会话，封禁也只阻止新的连接：请" in lines
    )
    assert "     doveadm kick sales@example.com" in lines  # the exact commands, verbatim
    assert "     ss -K dst 192.0.2.187" in lines
    assert "• sales@example.com：这个客户端登录失败 9 次之后以 sales@example.com" in text
    flat = "".join(text.split())
    assert "修复：设置smtpd_tls_loglevel=1（postconf-esmtpd_tls_loglevel=1;postfixreload）" in flat
    assert "检查配置：mailwarden audit --check credential_exposed" in text
    assert "要让猜测变慢、让封禁持续有效：mailwarden audit --check bruteforce" in text
    # Readable at 80 columns: no line wider, Chinese characters counted as two cells.
    assert all(cell_len(line) <= 80 for line in lines), text
    assert "brute force" not in text and "What to do now" not in text


def test_a_chinese_locale_chooses_chinese_and_lang_en_keeps_english() -> None:
    by_option = run_analyze("-q", "--lang", "zh", *SAMPLES, env=NO_LOCALE)
    by_locale = run_analyze("-q", *SAMPLES, env={**NO_LOCALE, "LANG": "zh_CN.UTF-8"})
    assert by_locale.returncode == 0, by_locale.stderr
    assert _timeless(by_locale.stdout) == _timeless(by_option.stdout)
    english = run_analyze("-q", *SAMPLES, env=NO_LOCALE)
    asked = run_analyze("-q", "--lang", "en", *SAMPLES, env={**NO_LOCALE, "LANG": "zh_CN.UTF-8"})
    assert english.stdout.startswith("Someone got in: sales@example.com was logged into")
    assert _timeless(asked.stdout) == _timeless(english.stdout)


def _document(*args: str, env: dict[str, str]) -> dict[str, Any]:
    done = run_analyze("-q", "--format", "json", *args, *SAMPLES, env=env)
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    for key in ("seconds", "lines_per_second"):
        document["stats"].pop(key)
    return document


def test_the_json_is_english_in_any_language() -> None:
    english = _document(env=NO_LOCALE)
    assert _document("--lang", "zh_CN", env=NO_LOCALE) == english
    assert _document(env={**NO_LOCALE, "LANG": "zh_CN.UTF-8"}) == english
    # Masked passwords carry a note that the text report translates: not here.
    passwords = [c["password"] for c in english["credentials"]]
    assert any("characters" in p for p in passwords), passwords


def test_warnings_follow_the_language_of_the_text_report(tmp_path: Path) -> None:
    """A paste whose entries stay inside a client's HELO name is said in Chinese in the
    Chinese report and on standard error; the JSON says it in English."""
    reject = (
        "Mar 11 00:32:52 mx postfix/postscreen[55638]: NOQUEUE: reject: RCPT from "
        "[203.0.113.172]:60993: 550 5.5.1 Protocol error; from=<a@example.org>, "
        "to=<chris@example.com>, proto=ESMTP, helo=<localhost>"
    )
    guesses = [
        f"Mar 11 05:00:0{n} mx postfix/submission/smtpd[300]: warning: unknown[203.0.113.7]: "
        "SASL LOGIN authentication failed: authentication failure, sasl_username=root"
        for n in range(6)
    ]
    log = tmp_path / "pasted.log"
    log.write_text(" ".join([reject, *guesses]) + "\n")
    chinese = run_analyze("-q", "--lang", "zh_CN", log, env=NO_LOCALE)
    assert chinese.returncode == 0, chinese.stderr
    said = "6 个记录头位于客户端可控的文本中"
    assert "".join(said.split()) in "".join(chinese.stdout.split())
    assert chinese.stderr.startswith(f"mailwarden: 警告：{said}")
    english = run_analyze("-q", log, env=NO_LOCALE)
    assert english.stderr.startswith(
        "mailwarden: warning: 6 entry headers inside client text (a HELO name, a sender,"
    )
    document = json.loads(
        run_analyze("-q", "--lang", "zh_CN", "--format", "json", log, env=NO_LOCALE).stdout
    )
    assert document["problems"][0].startswith("6 entry headers inside client text")
