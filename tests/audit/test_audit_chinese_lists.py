"""The Chinese audit joins the lists in its sentences the Chinese way ("、"), while the
values to paste keep Postfix's syntax; the AUTH advertisement is one word throughout."""

from __future__ import annotations

from pathlib import Path

from audit_helpers import requires_postconf

from mailwarden.audit.texts import EXPLANATIONS, LABELS, NO_FIX, NOTES, TITLES


@requires_postconf
def test_chinese_sentences_join_lists_with_the_enumeration_comma(run_cli, user_server: Path):
    args = ("audit", "--postfix-dir", str(user_server), "--postfix-version", "2.6.6")
    chinese = run_cli(*args, "--lang", "zh_CN").out
    assert "允许已被攻破的协议：SSLv2、SSLv3" in chinese
    assert "允许弱加密套件：RC4、EXPORT、LOW" in chinese
    assert "SSLv2, SSLv3" not in chinese and "RC4, EXPORT" not in chinese
    # What is pasted stays exact Postfix syntax.
    assert "-e 'smtpd_tls_protocols=!SSLv2,!SSLv3'" in chinese
    assert "smtpd_tls_exclude_ciphers=aNULL,eNULL,EXPORT,LOW,RC4,MD5,DES,3DES" in chinese
    assert "-o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3" in chinese

    english = run_cli(*args, "--lang", "en").out
    assert "Broken protocols allowed: SSLv2, SSLv3" in english
    assert "、" not in english


@requires_postconf
def test_the_auth_advertisement_is_called_tonggao(run_cli, user_server: Path):
    out = run_cli("audit", "--postfix-dir", str(user_server), "--lang", "zh_CN").out
    chinese = "".join(line.strip() for line in out.splitlines())  # wrapped Chinese, joined
    assert "为上世纪九十年代客户端保留的旧式 AUTH= 通告" in chinese
    assert "AUTH 的通告。应关闭。" in chinese
    tables = (TITLES, EXPLANATIONS, LABELS, NO_FIX, NOTES)
    texts = [text.zh_CN for table in tables for text in table.values()]
    assert not [t for t in texts if "公告" in t or "宣传" in t]
