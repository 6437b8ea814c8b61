"""`postfix.submission_no_login` (a submission service whose SASL security options
refuse PLAIN and LOGIN even after STARTTLS) said "With Dovecot's default mechanisms
(auth_mechanisms = plain) ... your users cannot log in" whatever `smtpd_sasl_type` was.
With Cyrus SASL (Postfix's default type) the mechanisms come from Cyrus's own mech_list,
which the audit does not read: the finding still says that PLAIN and LOGIN are refused,
but names Cyrus's setting, not Dovecot's. It also sat under `--check auth_on_port_25`,
though it is about what a submission service offers around STARTTLS: it is now under
`--check cleartext_auth`, with the other submission TLS-before-AUTH findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import Result, build_postfix, requires_postconf

pytestmark = requires_postconf

READERS = [[], ["--read-files"]]

MAIN = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_client_auth_rate_limit = 10
smtpd_sasl_security_options = noanonymous, noplaintext
"""

SUBMISSION = """
submission inet n - y - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level={level}
"""

NO_LOGIN = "postfix.submission_no_login"


def audit(run_cli, directory: Path, *extra: str) -> Result:
    return run_cli("audit", "--postfix-dir", str(directory), *extra)


def ids(result: Result) -> set[str]:
    return {f["id"] for f in json.loads(result.out)["findings"]}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("sasl", ["smtpd_sasl_type = cyrus\n", ""])  # "": the default
@pytest.mark.parametrize("level", ["may", "none"])
def test_with_cyrus_the_text_names_its_mech_list_not_dovecot(
    run_cli, tmp_path: Path, reader: list[str], sasl: str, level: str
):
    directory = build_postfix(tmp_path / "pf", MAIN + sasl, SUBMISSION.format(level=level))

    assert NO_LOGIN in ids(audit(run_cli, directory, "--format", "json", *reader))
    english = " ".join(audit(run_cli, directory, "--lang", "en", *reader).out.split())
    chinese = audit(run_cli, directory, "--lang", "zh_CN", *reader).out

    for text in (english, chinese):
        assert "Dovecot" not in text
        assert "auth_mechanisms" not in text
        assert "mech_list" in text
        assert "smtpd_sasl_type = cyrus" in text
    assert "(PLAIN, LOGIN)" in english
    # the title says what is known (PLAIN and LOGIN refused), not that no login is
    # offered: Cyrus's mech_list decides that, and the audit does not read it
    assert "offers no password login" not in english
    assert "Submission service that refuses PLAIN and LOGIN" in english
    (found,) = [
        f
        for f in json.loads(
            audit(run_cli, directory, "--format", "json", "--lang", "zh_CN", *reader).out
        )["findings"]
        if f["id"] == NO_LOGIN
    ]
    assert "提交服务不提供密码登录" not in chinese
    assert "拒绝 PLAIN 和 LOGIN" in found["title"]
    # no AUTH at all only where mech_list is PLAIN LOGIN; without mech_list Cyrus
    # offers every installed plugin (offered, failing with saslauthd)
    assert "when mech_list is PLAIN LOGIN (the usual saslauthd set-up" in english
    assert "as with pwcheck_method: saslauthd" not in english
    assert "without mech_list Cyrus offers every mechanism plugin installed" in english
    assert "当 mech_list 为 PLAIN LOGIN 时" in found["explanation"]
    assert "没有 mech_list 时，Cyrus 会提供所有已安装的机制插件" in found["explanation"]


def test_with_dovecot_the_text_still_names_dovecots_default(run_cli, tmp_path: Path):
    main = MAIN + "smtpd_sasl_type = dovecot\nsmtpd_sasl_path = private/auth\n"
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION.format(level="may"))

    english = " ".join(audit(run_cli, directory, "--lang", "en").out.split())

    assert "With Dovecot's default mechanisms (auth_mechanisms = plain)" in english
    assert "mech_list" not in english


@pytest.mark.parametrize("sasl", ["smtpd_sasl_type = cyrus\n", "smtpd_sasl_type = dovecot\n"])
def test_check_cleartext_auth_selects_it_and_auth_on_port_25_does_not(
    run_cli, tmp_path: Path, sasl: str
):
    directory = build_postfix(tmp_path / "pf", MAIN + sasl, SUBMISSION.format(level="may"))

    tls = audit(run_cli, directory, "--format", "json", "--check", "cleartext_auth")
    port25 = audit(run_cli, directory, "--format", "json", "--check", "auth_on_port_25")

    assert NO_LOGIN in ids(tls)
    assert NO_LOGIN in json.loads(tls.out)["selected"]
    assert NO_LOGIN not in ids(port25)
    assert NO_LOGIN not in json.loads(port25.out)["selected"]
