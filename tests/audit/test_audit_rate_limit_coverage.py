"""The AUTH rate limit is lifted for every client when the exception networks together
cover a whole address family (0.0.0.0/1 with 128.0.0.0/1, not only 0.0.0.0/0), and it
counts per anvil_rate_time_unit: with `1s`, a limit of 10 is 600 attempts a minute."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, HARDENED_MASTER, build_postfix, requires_postconf, settle

pytestmark = requires_postconf
VERSION = ("--postfix-version", "3.11.1")


def report(run_cli, directory: Path, *extra: str) -> dict:
    args = ("audit", "--postfix-dir", str(directory), "--format", "json", *VERSION, *extra)
    return json.loads(run_cli(*args).out)


def apply(document: dict, directory: Path) -> None:
    for command in document["commands"]:
        argv = shlex.split(command)
        if argv[-1] != "reload":
            done = subprocess.run(argv, capture_output=True, text=True)
            assert (done.returncode, done.stderr) == (0, ""), command
    settle(directory)


@pytest.mark.parametrize(
    ("exceptions", "title", "kept"),
    [
        (
            "0.0.0.0/1 128.0.0.0/1 [::]/0 192.0.2.0/24",
            "No limit on AUTH attempts per client",
            "192.0.2.0/24",
        ),
        (
            "0.0.0.0/1, 128.0.0.0/1, 127.0.0.0/8",
            "No limit on AUTH attempts for clients that connect over IPv4",
            "127.0.0.0/8",
        ),
        (
            "[::]/1 [8000::]/1",
            "No limit on AUTH attempts for clients that connect over IPv6",
            "",
        ),
    ],
)
def test_exceptions_that_together_cover_a_family_lift_the_limit(
    run_cli, tmp_path: Path, exceptions: str, title: str, kept: str
):
    main = HARDENED_MAIN + f"smtpd_client_event_limit_exceptions = {exceptions}\n"
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER)

    document = report(run_cli, directory)

    (finding,) = [f for f in document["findings"] if f["id"] == "postfix.no_auth_rate_limit"]
    assert finding["title"] == title
    assert document["commands"] == [
        f"postconf -c {directory} -e 'smtpd_client_event_limit_exceptions={kept}'",
        f"postfix -c {directory} reload",
    ]
    apply(document, directory)
    assert report(run_cli, directory)["findings"] == []
    # networks that leave a gap limit the clients there: nothing to say
    gap = "smtpd_client_event_limit_exceptions=0.0.0.0/1,128.0.0.0/2,[::]/1"
    subprocess.run(["postconf", "-c", str(directory), "-e", gap], check=True)
    settle(directory)
    assert report(run_cli, directory)["findings"] == []


def test_a_limit_per_second_is_lowered(run_cli, tmp_path: Path):
    main = HARDENED_MAIN + "anvil_rate_time_unit = 1s\n"
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER)

    document = report(run_cli, directory)

    (finding,) = [f for f in document["findings"] if f["id"] == "postfix.no_auth_rate_limit"]
    assert finding["title"] == "AUTH rate limit counted per 1s: 600 attempts a minute per client"
    assert "anvil_rate_time_unit = 1s" in [
        f"{e['parameter']} = {e['value']}" for e in finding["evidence"]
    ]
    assert document["commands"][0] == f"postconf -c {directory} -e 'smtpd_client_auth_rate_limit=1'"
    zh = run_cli("audit", "--postfix-dir", str(directory), *VERSION, "--lang", "zh_CN").out
    assert "AUTH 速率限制按 1s 计数：每个客户端每分钟可尝试 600 次" in zh
    apply(document, directory)
    assert report(run_cli, directory)["findings"] == []
    # a unit of 30 seconds keeps 10 at 20 a minute: nothing to say
    subprocess.run(
        [
            "postconf",
            "-c",
            str(directory),
            "-e",
            "anvil_rate_time_unit=30s",
            "smtpd_client_auth_rate_limit=10",
        ],
        check=True,
    )
    settle(directory)
    assert report(run_cli, directory)["findings"] == []
