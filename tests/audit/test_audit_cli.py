"""`mailwarden audit` as a user runs it: text, languages, exit statuses, selection."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from audit_helpers import requires_doveconf, requires_postconf, write

from mailwarden.audit import hint_for
from mailwarden.audit.interface import registered
from mailwarden.audit.lang import choose_language
from mailwarden.audit.render import wrap
from mailwarden.audit.texts import EXPLANATIONS, LABELS, NO_FIX, NOTES, TITLES

# Three or more lowercase English words in a row: a sentence left untranslated.
ENGLISH_RUN = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,}){2,}\b")


@requires_postconf
def test_text_report_is_plain_and_fits_80_columns(run_cli, user_server: Path):
    result = run_cli("audit", "--postfix-dir", str(user_server))

    assert result.status == 3
    assert "\x1b[" not in result.out  # no colour when not a terminal
    lines = result.out.splitlines()
    commands = [line for line in lines if line.lstrip().startswith(("postconf ", "postfix "))]
    prose = [line for line in lines if line not in commands and not line.startswith("      ")]
    # Only a single long word (a path of the temporary directory) may pass 80 columns.
    assert all(len(line) <= 80 or " " not in line.strip() for line in prose)
    assert all(line == line.rstrip() for line in lines)
    assert "HIGH  postfix.auth_on_port_25" in result.out
    assert "    smtpd_tls_loglevel = 4" in result.out
    assert f"    postconf -c {user_server} -e 'soft_bounce=no'" in lines
    assert "All fixes in order (paste them, then reload):" in result.out


def paste_list(out: str) -> list[str]:
    """The lines after the report's "All fixes in order" heading."""
    lines = out.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("All fixes in order"))
    return lines[start:]


@requires_postconf
def test_the_paste_list_of_postfix_before_2_11_has_no_postconf_m_or_p(run_cli, user_server):
    """postconf -M and -P came in Postfix 2.11: for 2.6 the list holds only what 2.6
    accepts, and the new master.cf entry as text, before the reload."""
    args = ("audit", "--postfix-dir", str(user_server), "--postfix-version", "2.6.6")
    pasted = paste_list(run_cli(*args).out)
    commands = [line.strip() for line in pasted if line.startswith("    postconf ")]
    assert f"postconf -c {user_server} -e 'smtpd_sasl_auth_enable=no'" in commands
    assert all(" -e " in command for command in commands), commands
    assert pasted[0] == (
        "All fixes in order (paste them, edit master.cf as shown below, then reload):"
    )
    text = "\n".join(pasted)
    assert "      submission  inet  n  -  y  -  -  smtpd" in pasted
    assert "        -o smtpd_sasl_auth_enable=yes" in pasted
    assert f"{user_server}/master.cf" in " ".join(text.split())
    assert text.index("smtpd_sasl_auth_enable=yes") < text.index("Then reload:")
    assert pasted[-1] == f"    postfix -c {user_server} reload"

    document = json.loads(run_cli(*args, "--format", "json").out)
    assert not [c for c in document["commands"] if re.search(r" -[MP] ", c)]
    assert document["commands"][-1] == f"postfix -c {user_server} reload"
    assert document["master_cf"].splitlines()[0] == "submission  inet  n  -  y  -  -  smtpd"
    assert "  -o smtpd_sasl_auth_enable=yes" in document["master_cf"].splitlines()


@requires_postconf
@pytest.mark.parametrize(
    ("version", "knows_tls11"),
    [("2.6.6", False), ("2.9.14", False), ("2.9.15", True), ("2.10.0", True)],
)
def test_only_a_postfix_that_knows_tlsv1_1_is_told_to_name_it(
    run_cli, user_server: Path, version: str, knows_tls11: bool
):
    """The README: a Postfix that does not know the name TLSv1.1 (before 2.10, except
    the last releases of 2.6 to 2.9, such as 2.9.15) is never told to name it, which it
    would answer by turning TLS off; one that knows it is given the fix that refuses it."""
    out = run_cli("audit", "--postfix-dir", str(user_server), "--postfix-version", version).out
    # A fix names it in a protocol list: a postconf command or a master.cf -o line.
    named = [line for line in out.splitlines() if re.search(r"protocols=\S*!TLSv1\.1", line)]
    if knows_tls11:
        assert named, out
        assert "postfix.submission_old_tls" not in out
    else:
        assert not named, named
        assert "does not know the protocol names TLSv1.1" in " ".join(out.split())


@requires_postconf
def test_no_fix_of_a_finding_on_postfix_before_2_11_uses_postconf_m_or_p(run_cli, user_server):
    """Each finding's own fix gives what 2.6 has: postconf -e, then the master.cf
    entries to write by hand, then the reload, as the combined list does."""
    args = ("audit", "--postfix-dir", str(user_server), "--postfix-version", "2.6.6")
    out = run_cli(*args).out
    findings = out.split("All fixes in order")[0]
    assert not [line for line in findings.splitlines() if re.search(r" -[MP] '", line)]
    auth = findings.split("HIGH  postfix.auth_on_port_25")[1].split("\n\n")[0]
    fix = auth.split("  Fix\n")[1].splitlines()
    assert fix[0] == f"    postconf -c {user_server} -e 'smtpd_sasl_auth_enable=no'"
    assert "      submission  inet  n  -  y  -  -  smtpd" in fix
    assert "        -o smtpd_sasl_auth_enable=yes" in fix
    assert fix.index("        -o smtpd_sasl_auth_enable=yes") < fix.index(
        f"    postfix -c {user_server} reload"
    )
    assert "by hand" in " ".join(auth.split())

    document = json.loads(run_cli(*args, "--format", "json").out)
    for finding in document["findings"]:
        commands = finding["fix"]["commands"]
        assert not [c for c in commands if re.search(r" -[MP] ", c)], finding["id"]
        assert all(c in document["commands"] for c in commands), finding["id"]
    (auth_json,) = [f for f in document["findings"] if f["id"] == "postfix.auth_on_port_25"]
    # The new submission service requires TLS: the mandatory exclusions are its own
    # (port 25's weak ciphers are fixed under their finding).
    assert auth_json["fix"]["commands"] == [
        f"postconf -c {user_server} -e 'smtpd_sasl_auth_enable=no'",
        f"postconf -c {user_server} -e "
        "'smtpd_tls_mandatory_exclude_ciphers=aNULL,eNULL,EXPORT,LOW,RC4,MD5,DES,3DES'",
    ]
    assert auth_json["fix"]["master_cf"] == document["master_cf"]


@requires_postconf
def test_the_paste_list_of_a_current_postfix_is_all_postconf(run_cli, user_server):
    args = ("audit", "--postfix-dir", str(user_server), "--postfix-version", "3.7.11")
    pasted = paste_list(run_cli(*args).out)
    assert pasted[0] == "All fixes in order (paste them, then reload):"
    prefix = f"    postconf -c {user_server}"
    assert f"{prefix} -M 'submission/inet=submission inet n - y - - smtpd'" in pasted
    assert f"{prefix} -P 'submission/inet/smtpd_sasl_auth_enable=yes'" in pasted
    assert not [line for line in pasted if line.startswith("      ")]  # no stanza
    document = json.loads(run_cli(*args, "--format", "json").out)
    assert document["master_cf"] is None
    assert [c for c in document["commands"] if " -M " in c] == [
        f"postconf -c {user_server} -M 'submission/inet=submission inet n - y - - smtpd'"
    ]
    assert [line.strip() for line in pasted[1:]] == document["commands"]


@requires_postconf
def test_chinese_from_the_environment_is_complete(run_cli, user_server: Path):
    result = run_cli("audit", "--postfix-dir", str(user_server), env={"LANG": "zh_CN.UTF-8"})

    assert "高危  postfix.auth_on_port_25" in result.out
    assert "原因" in result.out and "修复" in result.out
    for line in result.out.splitlines():
        stripped = line.strip()
        if stripped.startswith(("postconf ", "postfix ", "-o ", "submission ")):
            continue
        assert not ENGLISH_RUN.search(stripped), line


@requires_postconf
def test_lang_option_beats_the_environment_and_sets_the_json_language(run_cli, user_server):
    result = run_cli(
        "audit",
        "--postfix-dir",
        str(user_server),
        "--format",
        "json",
        "--lang",
        "en",
        env={"LC_ALL": "zh_CN.UTF-8"},
    )
    document = json.loads(result.out)
    assert document["language"] == "en"
    assert document["findings"][0]["explanation"].startswith("Port 25")

    result = run_cli(
        "audit", "--postfix-dir", str(user_server), "--format", "json", "--lang", "zh_CN"
    )
    document = json.loads(result.out)
    assert document["language"] == "zh_CN"
    assert document["findings"][0]["explanation"].startswith("25 端口")
    assert document["findings"][0]["severity"] == "high"  # ids and severities stay English


@pytest.mark.parametrize(("given", "expected"), [("zh", "zh_CN"), ("zh-CN", "zh_CN"), ("EN", "en")])
def test_lang_takes_the_names_explain_takes(run_cli, hardened: Path, given: str, expected: str):
    args = ["audit", "--read-files", "--postfix-dir", str(hardened), "--format", "json"]
    assert json.loads(run_cli(*args, "--lang", given).out)["language"] == expected
    refused = run_cli(*args, "--lang", "fr")
    assert refused.status == 2 and "'fr' is not a language we have" in refused.err


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "C"}, "en"),
        ({"LANG": "C", "LC_ALL": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANGUAGE": "zh_CN"}, "zh_CN"),
        ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_language_from_the_locale(environ: dict[str, str], expected: str):
    assert choose_language(None, environ) == expected


def test_language_variable_alone_makes_audit_chinese_as_it_does_explain(run_cli, hardened: Path):
    """LANGUAGE=zh_CN with LANG unset: audit speaks Chinese, as explain and analyze do
    (audit --help names LANGUAGE first among the variables it reads)."""
    args = ["audit", "--read-files", "--postfix-dir", str(hardened)]
    report = json.loads(run_cli(*args, "--format", "json", env={"LANGUAGE": "zh_CN"}).out)
    assert report["language"] == "zh_CN"
    text = run_cli(*args, env={"LANGUAGE": "zh_CN"}).out
    assert text != run_cli(*args).out
    assert any("\u4e00" <= char <= "\u9fff" for char in text)
    refused = run_cli("audit", "--postfix-dir", "/nonexistent", env={"LANGUAGE": "zh_CN"})
    assert refused.status == 2 and "/nonexistent" in refused.err
    assert any("\u4e00" <= char <= "\u9fff" for char in refused.err)
    usage = run_cli("audit", "--help", env={"LANGUAGE": "zh_CN"}).out
    assert "LANGUAGE、LC_ALL、LC_MESSAGES、LANG" in " ".join(usage.split()).replace("、 ", "、")


@requires_postconf
def test_check_selects_by_topic_and_hint_for_names_it(run_cli, user_server: Path):
    command = hint_for("credential_exposed")
    assert command == "mailwarden audit --check credential_exposed"

    args = [*command.split()[1:], "--postfix-dir", str(user_server), "--format", "json"]
    document = json.loads(run_cli(*args).out)

    assert [f["id"] for f in document["findings"]] == ["postfix.tls_loglevel_credentials"]
    assert hint_for("soft_bounce") == "mailwarden audit --check soft_bounce"
    assert hint_for("postfix.weak_ciphers") == "mailwarden audit --check postfix.weak_ciphers"
    assert hint_for("stale_password") == "mailwarden audit"


def test_a_check_of_what_was_not_audited_is_said_not_passed(run_cli, hardened: Path):
    # Naming --postfix-dir audits only Postfix: --check dovecot then checks nothing,
    # which "No problems found." would hide.
    only = ["audit", "--read-files", "--postfix-dir", str(hardened)]
    result = run_cli(*only, "--check", "dovecot")
    out = " ".join(result.out.split())
    assert "--check dovecot selects checks of Dovecot, which was not audited here" in out
    assert "No problems found in what was audited (see the notes above)." in out
    assert "No problems found." not in out.replace("found in what", "")
    zh = " ".join(run_cli(*only, "--check", "dovecot", "--lang", "zh_CN").out.split())
    assert "但这里没有审计 Dovecot" in zh and "在已审计的部分中未发现问题" in zh
    # A topic with Postfix checks among its own is no such case.
    plain = " ".join(run_cli(*only, "--check", "postfix").out.split())
    assert "not audited here" not in plain


def test_a_check_selection_is_said_and_never_passes_for_a_full_audit(run_cli, user_server: Path):
    """A cron job running `--check postfix.soft_bounce` on a server with other high
    findings must not read "No problems found.": the text names the selection, and the
    JSON lists the checks that ran (null when all did)."""
    fixed = user_server / "main.cf"
    fixed.write_text(fixed.read_text().replace("soft_bounce = yes", "soft_bounce = no"))
    only = ["audit", "--read-files", "--postfix-dir", str(user_server)]

    result = run_cli(*only, "--check", "postfix.soft_bounce")
    out = " ".join(result.out.split())
    assert result.status == 0
    assert "Only the checks selected with --check postfix.soft_bounce were run (1 of" in out
    assert "No problems found in what was audited (see the notes above)." in out
    assert "No problems found." not in out.replace("found in what", "")
    zh = " ".join(run_cli(*only, "--check", "postfix.soft_bounce", "--lang", "zh_CN").out.split())
    assert "只运行了 --check postfix.soft_bounce 选择的检查" in zh

    document = json.loads(run_cli(*only, "--check", "soft_bounce", "--format", "json").out)
    assert document["selected"] == ["postfix.soft_bounce"]
    assert document["findings"] == [] and document["complete"] is True
    full = json.loads(run_cli(*only, "--format", "json").out)
    assert full["selected"] is None
    assert full["exit_status"] == 3
    # Every check of what was audited is no partial audit.
    plain = " ".join(run_cli(*only, "--check", "postfix").out.split())
    assert "Only the checks" not in plain


def test_usage_errors_exit_2(run_cli):
    assert run_cli("audit", "--format", "xml").status == 2
    assert run_cli("audit", "--postfix-version", "latest").status == 2
    result = run_cli("audit", "--check", "postfix.nonsense")
    assert result.status == 2
    assert "not a check id" in result.err


def test_a_missing_directory_is_one_line_and_exit_2(run_cli, tmp_path: Path):
    result = run_cli("audit", "--postfix-dir", str(tmp_path / "nowhere"))

    assert result.status == 2  # named wrong: bad usage, not a configuration unreadable (1)
    assert (
        result.err
        == f"mailwarden: error: --postfix-dir: {tmp_path / 'nowhere'}: no such directory\n"
    )


def test_help_has_examples(run_cli):
    result = run_cli("audit", "--help")

    assert result.status == 0
    assert "Examples:" in result.out
    assert "--postfix-version 2.6.6" in result.out
    assert "Exit status: 0" in result.out


def test_chinese_help_says_the_tools_refused_the_configuration(run_cli):
    """The English: "a configuration ... that postconf or doveconf refused"."""
    usage = "".join(run_cli("audit", "--help", env={"LANGUAGE": "zh_CN"}).out.split())
    assert "postconf、doveconf拒绝了该配置" in usage
    assert "拒绝执行" not in usage


@requires_doveconf
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_header_says_the_files_were_parsed_and_what_the_configuration_is_for(
    run_cli, hardened: Path, tmp_path: Path, lang: str
):
    """Without postconf or doveconf the installed versions are unknown; a Dovecot
    configuration still says which Dovecot it is written for (2.4 requires
    dovecot_config_version), as its findings do."""
    dc4 = write(
        tmp_path / "dc4", "dovecot.conf", "dovecot_config_version = 2.4.1\nprotocols = imap\n"
    )
    dc3 = write(tmp_path / "dc3", "dovecot.conf", "protocols = imap\nauth_allow_cleartext = no\n")
    lang_args = ("--lang", lang)

    def header(*args: str) -> str:
        out = run_cli("audit", *lang_args, *args).out
        head = out.split("\n\n")[0]
        return " ".join(head.split()) if lang == "en" else "".join(head.split())

    both = header("--read-files", "--postfix-dir", str(hardened), "--dovecot-config", str(dc4))
    refused = header("--dovecot-config", str(dc4))  # this machine's doveconf is 2.3
    syntax = header("--read-files", "--dovecot-config", str(dc3))
    for text in (both, refused, syntax):
        assert "read with" not in text and "通过" not in text
        assert "version unknown" not in text.split("Dovecot")[-1]
    if lang == "en":
        assert (
            f"Postfix (version unknown) in {hardened} (main.cf and master.cf parsed directly)"
            in both
        )
        for text in (both, refused):
            assert (
                f"Dovecot configuration {dc4}, for Dovecot 2.4.1 (its dovecot_config_version; "
                "the files were parsed directly)"
            ) in text
        assert (
            f"Dovecot configuration {dc3}, in Dovecot 2.3 syntax (it has no "
            "dovecot_config_version; the files were parsed directly)"
        ) in syntax
    else:
        assert f"目录{hardened}（已直接解析main.cf和master.cf）" in both
        for text in (both, refused):
            assert (
                f"Dovecot配置{dc4}，适用于Dovecot2.4.1（据其dovecot_config_version；已直接解析配置文件）"
                in text
            )
        assert (
            f"Dovecot配置{dc3}，采用Dovecot2.3的配置语法（没有dovecot_config_version；已直接解析配置文件）"
            in syntax
        )


def test_every_check_has_both_languages():
    for check_id in registered():
        assert check_id in TITLES and check_id in EXPLANATIONS, check_id
    for table in (TITLES, EXPLANATIONS, LABELS, NOTES, NO_FIX):
        for key, text in table.items():
            assert text.en and text.zh_CN, key
            # the same placeholders in both languages
            assert set(re.findall(r"{(\w+)}", text.en)) == set(re.findall(r"{(\w+)}", text.zh_CN))
            assert not ENGLISH_RUN.search(re.sub(r"{\w+}", "", text.zh_CN)), key


def test_wrapping_counts_wide_characters_and_keeps_words_whole():
    text = "25 端口（smtp/inet）是其他邮件服务器投递邮件的端口，必须对整个互联网开放。"
    lines = wrap(text, 20)

    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(sum(2 if ord(c) > 0x2E80 else 1 for c in line) <= 20 for line in lines)
    assert not any(line.startswith(("，", "。", "）")) for line in lines)
    assert wrap("postconf -e 'smtpd_tls_loglevel=1' now", 12)[1] == "'smtpd_tls_loglevel=1'"


def test_an_opening_bracket_goes_down_with_what_it_opens():
    text = "可能缺少后来加入的防护（smtpd_client_auth_rate_limit 自 3.1 起提供）。"
    lines = wrap(text, 30)
    assert not any(line.endswith("（") for line in lines), lines
    assert lines[1].startswith("（smtpd_client_auth_rate_limit")
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
