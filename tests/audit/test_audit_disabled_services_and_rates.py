"""What master_service_disable switches off, and what fixes leave behind.

- An anvil/unix that master_service_disable switches off enforces no AUTH rate limit,
  as if master.cf had none (`anvil_missing#disabled`): the fix takes it out of the
  list, and so does the fix that switches a disabled submission back on.
- A postscreen that master_service_disable switches off feeds its `smtpd pass`
  service nothing: that service is no login service to audit.
- Switching submission back on rewrites master_service_disable from its items as
  written (`$name` stays unless its expansion names submission).
- The fix of TLS required on port 25 keeps AUTH there behind TLS.
- The AUTH rate limit is judged a minute (`limit * 60 / unit`) for every
  anvil_rate_time_unit, against one threshold: more than 60.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, HARDENED_MASTER, build_postfix, requires_postconf, settle

pytestmark = requires_postconf
VERSION = ("--postfix-version", "3.11.1")
SUBMISSION = """
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
"""


def report(run_cli, directory: Path, *extra: str) -> dict:
    args = ("audit", "--postfix-dir", str(directory), "--format", "json", *VERSION, *extra)
    return json.loads(run_cli(*args).out)


def ids(document: dict) -> list[str]:
    return [f["id"] for f in document["findings"]]


def run(commands: list[str], directory: Path) -> None:
    for command in commands:
        argv = shlex.split(command)
        if argv[-1] == "reload":
            continue
        assert argv[:3] == ["postconf", "-c", str(directory)], command
        done = subprocess.run(argv, capture_output=True, text=True)
        assert (done.returncode, done.stderr) == (0, ""), command
    settle(directory)


def postconf(directory: Path, *args: str) -> str:
    done = subprocess.run(["postconf", "-c", str(directory), *args], capture_output=True, text=True)
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("disable", "written"),
    [
        ("anvil/unix", ""),
        ("ANVIL.unix", ""),
        ("uucp/unix, anvil/unix", "uucp/unix"),
        ("!smtp/unix, unix", "!anvil/unix,!smtp/unix,unix"),  # a type item: `!` first
    ],
)
def test_a_disabled_anvil_enforces_no_limit(run_cli, tmp_path: Path, disable: str, written: str):
    main = HARDENED_MAIN + f"master_service_disable = {disable}\n"
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER)

    document = report(run_cli, directory)

    (finding,) = [f for f in document["findings"] if f["id"] == "postfix.anvil_missing"]
    assert finding["title"] == (
        "The AUTH rate limit is not enforced: master_service_disable switches anvil off"
    )
    assert "master_service_disable" in [e["parameter"] for e in finding["evidence"]]
    assert document["commands"] == [
        f"postconf -c {directory} -e 'master_service_disable={written}'",
        f"postfix -c {directory} reload",
    ]
    zh = run_cli("audit", "--postfix-dir", str(directory), *VERSION, "--lang", "zh_CN").out
    assert "AUTH速率限制没有生效：master_service_disable关闭了anvil服务" in "".join(zh.split())
    run(document["commands"], directory)
    assert report(run_cli, directory)["findings"] == []


def test_switching_submission_back_on_switches_anvil_on_too(run_cli, tmp_path: Path):
    main = (
        HARDENED_MAIN
        + "smtpd_sasl_auth_enable = yes\n"
        + "master_service_disable = anvil/unix, submission/inet\n"
    )
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION)

    document = report(run_cli, directory)

    found = ids(document)
    assert "postfix.auth_on_port_25" in found and "postfix.anvil_missing" in found
    disable = [c for c in document["commands"] if "master_service_disable" in c]
    assert disable == [f"postconf -c {directory} -e 'master_service_disable='"]
    # the submission fix alone, applied on its own, leaves no anvil switched off
    (auth,) = [f for f in document["findings"] if f["id"] == "postfix.auth_on_port_25"]
    assert f"postconf -c {directory} -e 'master_service_disable='" in auth["fix"]["commands"]
    run(auth["fix"]["commands"], directory)
    after = report(run_cli, directory)
    assert "postfix.anvil_missing" not in ids(after)
    assert postconf(directory, "-h", "master_service_disable") == ""


@pytest.mark.parametrize(
    ("defined", "written"),
    [
        ("uucp/unix ifmail/unix", "$site_disabled"),
        ("uucp/unix, submission/inet ifmail/unix", "uucp/unix,ifmail/unix"),
    ],
)
def test_switching_submission_on_keeps_names_as_written(
    run_cli, tmp_path: Path, defined: str, written: str
):
    main = (
        HARDENED_MAIN
        + "smtpd_sasl_auth_enable = yes\n"
        + f"site_disabled = {defined}\n"
        + "master_service_disable = $site_disabled, submission/inet\n"
    )
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION)

    document = report(run_cli, directory)

    disable = [c for c in document["commands"] if "master_service_disable" in c]
    assert disable == [f"postconf -c {directory} -e 'master_service_disable={written}'"]
    run(document["commands"], directory)
    assert postconf(directory, "-h", "master_service_disable") == written
    assert report(run_cli, directory)["findings"] == []


@pytest.mark.parametrize("wrapper", [False, True], ids=["encrypt", "wrapper"])
def test_tls_made_optional_on_port_25_keeps_auth_behind_tls(run_cli, tmp_path: Path, wrapper: bool):
    main = HARDENED_MAIN + "smtpd_sasl_auth_enable = yes\n"
    if not wrapper:
        main = main.replace("level = may", "level = encrypt")
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER)
    if wrapper:
        text = (directory / "master.cf").read_text()
        stock = "smtp      inet  n       -       y       -       -       smtpd\n"
        smtp = "smtp inet n - y - - smtpd\n  -o smtpd_tls_wrappermode=yes\n"
        (directory / "master.cf").write_text(text.replace(stock, smtp))
        settle(directory)

    document = report(run_cli, directory)

    (finding,) = [f for f in document["findings"] if f["id"] == "postfix.port25_tls_required"]
    commands = finding["fix"]["commands"]
    assert f"postconf -c {directory} -P 'smtp/inet/smtpd_tls_auth_only=yes'" in commands
    assert "smtpd_tls_auth_only = yes" in finding["explanation"]
    zh = run_cli("audit", "--postfix-dir", str(directory), *VERSION, "--lang", "zh_CN").out
    assert "所以修复同时设置smtpd_tls_auth_only=yes" in "".join(zh.split())  # wrapped
    run(commands, directory)  # this fix alone, not the one that turns AUTH off there
    after = report(run_cli, directory)
    assert "postfix.port25_tls_required" not in ids(after)
    (auth,) = [f for f in after["findings"] if f["id"] == "postfix.auth_on_port_25"]
    assert auth["title"] == "AUTH is offered on port 25"  # not in cleartext
    assert "cleartext_auth" not in ids(after)
    assert postconf(directory, "-P", "smtp/inet/smtpd_tls_auth_only") == (
        "smtp/inet/smtpd_tls_auth_only = yes"
    )


@pytest.mark.parametrize(
    ("limit", "unit", "title", "wanted"),
    [
        (
            "600",
            "60s",
            "AUTH rate limit of 600 a minute per client: too high to slow guessing down",
            "10",
        ),
        (
            "61",
            "1m",
            "AUTH rate limit of 61 a minute per client: too high to slow guessing down",
            "10",
        ),
        (
            "36000",
            "3600s",
            "AUTH rate limit counted per 3600s: 600 attempts a minute per client",
            "600",
        ),
        (
            "100000",
            "1h",
            "AUTH rate limit counted per 1h: 1667 attempts a minute per client",
            "600",
        ),
    ],
)
def test_the_limit_is_judged_a_minute_for_every_unit(
    run_cli, tmp_path: Path, limit: str, unit: str, title: str, wanted: str
):
    main = HARDENED_MAIN.replace("rate_limit = 10", f"rate_limit = {limit}")
    main += f"anvil_rate_time_unit = {unit}\n"
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER)

    document = report(run_cli, directory)

    (finding,) = [f for f in document["findings"] if f["id"] == "postfix.no_auth_rate_limit"]
    assert finding["title"] == title
    assert document["commands"][0] == (
        f"postconf -c {directory} -e 'smtpd_client_auth_rate_limit={wanted}'"
    )
    if unit.endswith("h") or unit == "3600s":
        # no claim that the fix's own limit rules out: it too can be tried in a burst
        assert "burst" not in finding["explanation"]
        assert f"lowers the limit to {wanted} per {unit}" in finding["explanation"]
    run(document["commands"], directory)
    assert report(run_cli, directory)["findings"] == []


@pytest.mark.parametrize(("limit", "unit"), [("60", "60s"), ("3600", "1h"), ("10", "30s")])
def test_a_limit_of_at_most_60_a_minute_is_fine(run_cli, tmp_path: Path, limit: str, unit: str):
    main = HARDENED_MAIN.replace("rate_limit = 10", f"rate_limit = {limit}")
    main += f"anvil_rate_time_unit = {unit}\n"
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER)

    assert report(run_cli, directory)["findings"] == []


POSTSCREEN = """
smtpd     pass  -       -       y       -       -       smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_sasl_auth_enable=yes
"""


@pytest.mark.parametrize("disable", ["smtp/inet", "inet, !submission/inet"])
def test_the_pass_service_of_a_disabled_postscreen_is_no_login_service(
    run_cli, tmp_path: Path, disable: str
):
    main = HARDENED_MAIN + f"master_service_disable = {disable}\n"
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER + POSTSCREEN)
    text = (directory / "master.cf").read_text()
    stock = "smtp      inet  n       -       y       -       -       smtpd\n"
    (directory / "master.cf").write_text(
        text.replace(stock, "smtp      inet  n       -       y       -       1       postscreen\n")
    )
    settle(directory)

    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *VERSION)

    assert (json.loads(result.out)["findings"], result.status) == ([], 0)
    # with postscreen on, the same pass service is port 25 and offers AUTH there
    subprocess.run(["postconf", "-c", str(directory), "-X", "master_service_disable"], check=True)
    settle(directory)
    assert "postfix.auth_on_port_25" in ids(report(run_cli, directory))


@pytest.mark.parametrize(
    ("disable", "written"),
    [("anvil/unix", ""), ("uucp/unix, anvil/unix", "uucp/unix")],
)
def test_an_added_anvil_is_taken_out_of_the_disable_list(
    run_cli, tmp_path: Path, disable: str, written: str
):
    main = HARDENED_MAIN + f"master_service_disable = {disable}\n"
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER)
    run([f"postconf -c {directory} -MX anvil/unix"], directory)

    document = report(run_cli, directory)

    (finding,) = [f for f in document["findings"] if f["id"] == "postfix.anvil_missing"]
    assert (
        f"postconf -c {directory} -M 'anvil/unix=anvil unix - - y - 1 anvil'"
        in finding["fix"]["commands"]
    )
    # the entry alone would be one that master(8) skips
    assert (
        f"postconf -c {directory} -e 'master_service_disable={written}'"
        in finding["fix"]["commands"]
    )
    run(document["commands"], directory)
    assert postconf(directory, "-h", "master_service_disable") == written
    assert report(run_cli, directory)["findings"] == []


@pytest.mark.parametrize(
    ("disable", "written"),
    [
        ("submission/inet", ""),
        ("uucp/unix, submission/inet", "uucp/unix"),
        ("submission/inet, anvil/unix", ""),  # anvil missing and listed too
    ],
)
def test_an_added_submission_is_taken_out_of_the_disable_list(
    run_cli, tmp_path: Path, disable: str, written: str
):
    main = HARDENED_MAIN + "smtpd_sasl_auth_enable = yes\n"
    main += f"master_service_disable = {disable}\n"
    directory = build_postfix(tmp_path / "pf", main)
    if "anvil" in disable:
        run([f"postconf -c {directory} -MX anvil/unix"], directory)

    document = report(run_cli, directory)

    assert "postfix.submission_missing" in ids(document)
    disable_fixes = [c for c in document["commands"] if "master_service_disable" in c]
    assert disable_fixes == [f"postconf -c {directory} -e 'master_service_disable={written}'"]
    run(document["commands"], directory)
    # users have a port to log in on: master(8) runs the added submission service
    assert postconf(directory, "-h", "master_service_disable") == written
    assert postconf(directory, "-M", "submission/inet").startswith("submission inet")
    assert report(run_cli, directory)["findings"] == []
