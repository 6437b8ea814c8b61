"""(a) Anonymous suites on a loopback-only AUTH service: a client on this machine has
no man in the middle, so no finding (as the AUTH exposure checks skip such services).
(b) A submission service with optional TLS and `smtpd_tls_auth_only = yes` takes
logins only over TLS, in the versions `smtpd_tls_protocols` allows: TLSv1 and TLSv1.1
there are graded as where TLS is required (postfix.submission_old_tls, medium), and
the fixes, pasted into the real postconf alone or together, bring up nothing new."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from audit_helpers import build_postfix, requires_postconf, settle

MAIN = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 10
smtpd_tls_exclude_ciphers = aNULL
smtpd_tls_mandatory_exclude_ciphers = aNULL
"""

LOOPBACK = """
127.0.0.1:submission inet n - y - - smtpd
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3,!TLSv1,!TLSv1.1
"""

OPPORTUNISTIC = """
submission inet n - y - - smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
"""


def report(run_cli, directory: Path) -> dict:
    args = ("audit", "--postfix-dir", str(directory), "--postfix-version", "3.10.2")
    result = run_cli(*args, "--format", "json")
    document = json.loads(result.out)
    document["status"] = result.status
    return document


def ids(document: dict) -> list[tuple[str, str, str]]:
    return [(f["severity"], f["id"], f["subject"]) for f in document["findings"]]


def test_anonymous_ciphers_on_a_loopback_only_service_are_no_finding(run_cli, tmp_path: Path):
    main = MAIN.replace("smtpd_tls_exclude_ciphers = aNULL\n", "").replace(
        "smtpd_tls_mandatory_exclude_ciphers = aNULL\n", ""
    )
    directory = build_postfix(tmp_path / "pf", main, LOOPBACK)

    document = report(run_cli, directory)

    assert ids(document) == [] and document["status"] == 0


def test_anonymous_ciphers_on_a_public_service_still_are(run_cli, tmp_path: Path):
    main = MAIN.replace("smtpd_tls_exclude_ciphers = aNULL\n", "").replace(
        "smtpd_tls_mandatory_exclude_ciphers = aNULL\n", ""
    )
    directory = build_postfix(tmp_path / "pf", main, LOOPBACK.replace("127.0.0.1:", ""))

    document = report(run_cli, directory)

    assert ("medium", "postfix.anonymous_ciphers", "submission/inet") in ids(document)


def paste(commands: list[str], directory: Path) -> None:
    for command in commands:
        argv = shlex.split(command)
        if argv[-1] == "reload":
            continue
        assert argv[:3] == ["postconf", "-c", str(directory)], command
        subprocess.run(argv, check=True, capture_output=True)
    settle(directory)


@requires_postconf
def test_old_tls_for_logins_over_optional_tls_is_graded_as_submission_old_tls(
    run_cli, tmp_path: Path
):
    pristine = build_postfix(tmp_path / "pristine", MAIN, OPPORTUNISTIC)

    before = report(run_cli, pristine)

    assert ids(before) == [
        ("medium", "postfix.submission_old_tls", "submission/inet"),
        ("low", "postfix.submission_tls_not_required", "submission/inet"),
    ]
    old_tls = before["findings"][0]
    assert old_tls["title"] == "Deprecated TLS versions allowed for logins: TLSv1, TLSv1.1"
    assert old_tls["fix"]["commands"] == [
        f"postconf -c {pristine} -P 'submission/inet/smtpd_tls_protocols="
        "!SSLv2,!SSLv3,!TLSv1,!TLSv1.1'"
    ]
    assert before["status"] == 0

    for finding in [*before["findings"], None]:
        directory = tmp_path / "copy"
        subprocess.run(["rm", "-rf", str(directory)], check=True)
        subprocess.run(["cp", "-a", str(pristine), str(directory)], check=True)
        commands = before["commands"] if finding is None else finding["fix"]["commands"]
        paste([c.replace(str(pristine), str(directory)) for c in commands], directory)
        after = report(run_cli, directory)
        left = {(i, s) for _, i, s in ids(after)}
        if finding is None:
            assert left == set()
        else:
            assert (finding["id"], finding["subject"]) not in left
            assert left <= {(i, s) for _, i, s in ids(before)}


def test_without_tls_auth_only_the_cleartext_finding_covers_it(run_cli, tmp_path: Path):
    master = OPPORTUNISTIC.replace("smtpd_tls_auth_only=yes", "smtpd_tls_auth_only=no")
    directory = build_postfix(tmp_path / "pf", MAIN, master)

    found = {i for _, i, _ in ids(report(run_cli, directory))}

    assert "postfix.cleartext_auth" in found
    assert "postfix.submission_old_tls" not in found
