# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Programs mailwarden runs: argument lists only, never a shell, and no client text in any
argument. What each program receives:

- ``nft -j -f -``: a JSON document on standard input built from `ipaddress` numbers.
- ``ipset -exist restore`` and ``iptables-restore -w --noflush``: a script on standard
  input built from numbers and our own validated names; the checks of the sets and
  rules (``ipset list -t``, ``ipset test``, ``iptables -C``) fixed words, our names and
  networks rebuilt from their numbers, as arguments.
- the postfix-map backend: a file of ``network<TAB>fixed words`` lines, then ``postfix
  reload`` (fixed argv).
- ``journalctl --output=json …``: options as ``--name=value`` single arguments, matches
  checked as ``FIELD=value``.
- ``ip -j addr show``, ``postconf``, ``doveconf``: fixed argv.
- the alert command (``[alerts] command``): exactly the configured argv, nothing added;
  the alert is one JSON object on its standard input, where client text (usernames,
  reasons) is JSON-escaped data.
"""

from __future__ import annotations

import ast
import ipaddress
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from seclab import REPO, alert_recorder, restamp, warden

from mailwarden.enforce.interface import BanEntry
from mailwarden.enforce.ipset import IpsetEnforcer
from mailwarden.enforce.nftables import TABLE_COMMENT, NftablesEnforcer
from mailwarden.enforce.postfix_map import PostfixMapEnforcer
from mailwarden.errors import InputError
from mailwarden.sources.journal import journal_command

SRC = REPO / "src" / "mailwarden"
UNTIL = datetime.now(UTC) + timedelta(hours=1)
HOSTILE_REASON = (
    "bruteforce: users: $(touch /tmp/mw-pwn); `id` | x\nadd mailwarden4 0.0.0.0/1\x1b[2J"
)
SCOPED = ipaddress.ip_network("2001:db8::7%x\ndestroy mailwarden4\n#")
"""What `ipaddress` accepts: an IPv6 scope id may hold anything, a newline too."""


def _calls() -> list[tuple[Path, ast.Call]]:
    found = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(path, node) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return found


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return "?"


def test_no_shell_anywhere_in_the_package() -> None:
    runners = {
        "subprocess.run",
        "subprocess.Popen",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
    }
    forbidden = {
        "os.system",
        "os.popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.execl",
        "os.execlp",
        "os.spawnl",
        "os.spawnlp",
    }
    seen = 0
    for path, call in _calls():
        name = _name(call.func)
        assert name not in forbidden, f"{path}:{call.lineno}: {name}"
        if name in runners:
            seen += 1
            shell = [k for k in call.keywords if k.arg == "shell"]
            assert not shell, f"{path}:{call.lineno}: shell= given"
            first = call.args[0] if call.args else None
            # A command line as one string (literal, f-string, concatenation) needs a shell.
            assert not isinstance(first, ast.Constant | ast.JoinedStr | ast.BinOp), (
                f"{path}:{call.lineno}"
            )
    assert seen >= 5


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str | None]] = []

    def __call__(
        self, argv: list[str], stdin: str | None = None, check: bool = True, **_: Any
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), stdin))
        return subprocess.CompletedProcess(argv, 0, "", "")


def test_ipset_scripts_hold_only_numbers_and_our_names(monkeypatch: pytest.MonkeyPatch) -> None:
    enforcer = IpsetEnforcer()
    recorder = _Recorder()
    monkeypatch.setattr(enforcer, "_run", recorder)
    entries = [
        BanEntry(ipaddress.ip_network("192.0.2.7/32"), UNTIL, HOSTILE_REASON),
        BanEntry(SCOPED, UNTIL, HOSTILE_REASON),
    ]
    enforcer.apply(entries, [SCOPED])
    enforcer.sync(entries)
    scripts = [stdin or "" for _argv, stdin in recorder.calls]
    assert recorder.calls and all(
        argv[:3] == ["ipset", "-exist", "restore"] for argv, _ in recorder.calls
    )
    for script in scripts:
        for line in script.splitlines():
            verb, *rest = line.split(" ")
            assert verb in {"add", "del", "create", "flush", "swap", "destroy"}, line
            assert rest[0].startswith("mailwarden"), line
            if verb in {"add", "del"}:
                ipaddress.ip_network(rest[1])  # a plain network, nothing else
                assert "%" not in rest[1]
    assert "pwn" not in "".join(scripts) and "destroy mailwarden4\n#" not in "".join(scripts)


def test_ipset_checks_pass_only_our_names_and_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []
    terse = "".join(
        f"Name: mailwarden{v}\nType: hash:net\nHeader: family {f} timeout 600\n"
        "Number of entries: 5\n\n"
        for v, f in ((4, "inet"), (6, "inet6"))
    )

    def fake_run(
        argv: list[str], stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        ran.append(list(argv))
        out = terse if argv[1:] == ["list", "-t"] else "-A MAILWARDEN -j DROP\n"
        return subprocess.CompletedProcess(argv, 0, out, "")

    enforcer = IpsetEnforcer(ports=[])
    monkeypatch.setattr(enforcer, "_run", fake_run)
    enforcer.sync(
        [
            BanEntry(ipaddress.ip_network("192.0.2.7/32"), UNTIL, HOSTILE_REASON),
            BanEntry(SCOPED, UNTIL, HOSTILE_REASON),
        ]
    )
    assert not enforcer.gone() and enforcer.present()
    tests = [argv for argv in ran if argv[:2] == ["ipset", "test"]]
    assert sorted(argv[2:] for argv in tests) == [
        ["mailwarden4", "192.0.2.7/32"],
        ["mailwarden4", "192.0.2.7/32"],
        ["mailwarden6", "2001:db8::7/128"],
        ["mailwarden6", "2001:db8::7/128"],
    ]
    for argv in ran:
        assert not any("pwn" in arg or "%" in arg or "\n" in arg for arg in argv), argv


def test_the_postfix_map_holds_only_networks_and_fixed_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(
        "mailwarden.enforce.postfix_map.run", lambda argv, **_: ran.append(list(argv))
    )
    enforcer = PostfixMapEnforcer(tmp_path / "access.cidr")
    enforcer.apply(
        [
            BanEntry(ipaddress.ip_network("192.0.2.7/32"), UNTIL, HOSTILE_REASON),
            BanEntry(SCOPED, UNTIL, HOSTILE_REASON),
        ],
        [],
    )
    lines = (tmp_path / "access.cidr").read_text(encoding="ascii").splitlines()
    assert lines[0].startswith("# mailwarden:")
    assert len(lines) == 3
    for line in lines[1:]:
        network, action = line.split("\t")
        ipaddress.ip_network(network)
        assert "%" not in network
        assert action.startswith("REJECT mailwarden: banned until ")
    assert ran == [["postfix", "reload"]]


def test_nft_gets_json_on_stdin_without_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[list[str], str | None]] = []

    def fake_run(
        argv: list[str],
        *,
        netns: str | None = None,
        stdin: str | None = None,
        check: bool = True,
        what: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        sent.append((list(argv), stdin))
        if argv[-2:] in (["list", "chains"], ["list", "sets"]):
            return subprocess.CompletedProcess(argv, 0, '{"nftables": []}', "")
        if "list" in argv:  # whose table: there is none yet
            return subprocess.CompletedProcess(argv, 1, "", "Error: No such file or directory")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr("mailwarden.enforce.nftables.run", fake_run)
    enforcer = NftablesEnforcer()
    enforcer.ensure()
    enforcer.sync([BanEntry(SCOPED, UNTIL, HOSTILE_REASON)])
    enforcer.apply([BanEntry(ipaddress.ip_network("192.0.2.7/32"), UNTIL, HOSTILE_REASON)], [])
    listed = [argv for argv, stdin in sent if stdin is None]
    assert ["nft", "-t", "-j", "list", "table", "inet", "mailwarden"] in listed
    assert all(argv[:1] == ["nft"] and "list" in argv for argv in listed)
    marked = [stdin for argv, stdin in sent if argv == ["nft", "-f", "-"]]
    assert marked == [f'add table inet mailwarden {{ comment "{TABLE_COMMENT}"; }}\n']
    sent = [(argv, stdin) for argv, stdin in sent if stdin is not None and stdin not in marked]
    assert all(argv == ["nft", "-j", "-f", "-"] for argv, _ in sent)
    documents = [stdin or "" for _, stdin in sent]
    assert not any("pwn" in d or "destroy" in d or "%" in d for d in documents)
    for document in documents:
        json.loads(document)


def test_journalctl_options_are_single_arguments() -> None:
    argv = journal_command(
        since="2026-02-23 10:00",
        after_cursor="s=abc;i=1; rm -rf /",
        matches=["_SYSTEMD_UNIT=postfix@-.service"],
        follow=True,
    )
    assert argv[0] == "journalctl"
    assert "--after-cursor=s=abc;i=1; rm -rf /" in argv
    with pytest.raises(InputError):
        journal_command(matches=["--file=/etc/shadow"])
    with pytest.raises(InputError):
        journal_command(matches=["-D/tmp"])


def test_the_alert_command_gets_its_argv_and_the_alert_on_stdin(tmp_path: Path) -> None:
    """The alert command receives exactly the configured argument list; the alert (with
    the client's usernames as JSON strings) comes on standard input, never in argv."""
    script, record = alert_recorder(tmp_path)
    users = ["$(touch /tmp/mw-pwn)", "`id`; reboot", "a\x1b[2J\nb", "--help"]
    lines = [
        f"Feb 23 11:57:{10 + n:02d} mx postfix/submission/smtpd[{200 + n}]: warning: unknown[198.51.100.9]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}"
        for n, user in enumerate(users)
    ]
    with warden(tmp_path) as lab:
        lab.sections["alerts"] = {"command": [str(script), "--to", "ops team"]}
        lab.write()
        daemon = lab.start()
        lab.append(restamp(lines))
        daemon.step()
        daemon.alerter.close(timeout=20)
    calls = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert calls, "a ban must send an alert"
    for call in calls:
        assert call["argv"] == ["--to", "ops team"]
        alert = json.loads(call["stdin"])
        assert alert["kind"] == "ban" and alert["ip"] == "198.51.100.9"
    assert not Path("/tmp/mw-pwn").exists()
