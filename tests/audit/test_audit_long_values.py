"""A configuration value of hundreds of kilobytes or megabytes: the text report shows
its start and how long it is, JSON the whole, and wrapping it costs its length."""

from __future__ import annotations

import json
import time
from pathlib import Path

from mailwarden.audit.render import wrap

LONG = 300_000


def long_value_conf(tmp_path: Path, length: int) -> Path:
    conf = tmp_path / "dovecot.conf"
    conf.write_text(f"auth_verbose_passwords = {'p' * length}\nauth_debug_passwords = yes\n")
    return conf


def test_the_text_report_shows_the_start_of_a_long_value_and_its_length(run_cli, tmp_path):
    conf = long_value_conf(tmp_path, LONG)

    result = run_cli("audit", "--read-files", "--dovecot-config", str(conf))

    assert result.status == 3
    assert len(result.out) < 5000  # not the 300,000 characters, twice
    assert "dovecot.auth_verbose_passwords" in result.out
    assert "dovecot.auth_debug_passwords" in result.out
    evidence = next(
        line for line in result.out.splitlines() if "auth_verbose_passwords = p" in line
    )
    assert evidence.strip() == (
        "auth_verbose_passwords = "
        + "p" * 200
        + f"… ({LONG} characters in all; --format json shows the whole value)"
    )
    flat = " ".join(result.out.split())
    assert f"… ({LONG + 25} characters in all; --format json shows the whole value)» with" in flat


def test_the_cut_in_chinese(run_cli, tmp_path):
    conf = long_value_conf(tmp_path, LONG)

    result = run_cli("audit", "--read-files", "--dovecot-config", str(conf), "--lang", "zh_CN")

    assert f"…（共 {LONG} 个字符；--format json 会显示完整内容）" in result.out


def test_json_keeps_the_whole_value(run_cli, tmp_path):
    conf = long_value_conf(tmp_path, LONG)

    result = run_cli("audit", "--read-files", "--dovecot-config", str(conf), "--format", "json")

    findings = {f["id"]: f for f in json.loads(result.out)["findings"]}
    evidence = findings["dovecot.auth_verbose_passwords"]["evidence"][0]
    assert evidence["value"] == "p" * LONG


def test_a_word_of_two_million_characters_wraps_in_one_pass():
    """The word was grown a character at a time: 4.4 s for 640 KB, over 30 s for
    10 MB. One pass takes milliseconds; the bound is generous for a busy machine."""
    word = "p" * 2_000_000
    started = time.monotonic()

    lines = wrap(f"value = {word} end，下一句。", 80)

    assert time.monotonic() - started < 10
    assert lines == ["value =", word, "end，下一句。"]
