"""The fixes `mailwarden audit` prints work when an administrator pastes them.

Each configuration is Debian's stock Postfix or Dovecot configuration made bad in the
ways the audit knows about. The printed commands are run exactly as printed, split with
shlex into argument lists (never through a shell): `postconf -c DIR -e/-M/-P`, `sed -i`,
`printf ... >> FILE`; a reload line is checked for naming the audited instance, not run.
Then, with the real tools:

- `postconf -n/-M/-P`, `postfix check` and `doveconf -n` accept the result without a
  warning that the fix brought;
- a new audit no longer reports what was fixed, and reports nothing whose fix the first
  report did not already print: a fix never brings up a problem of its own;
- what an administrator needs survives: AUTH leaves port 25 but stays on submission,
  a service keeps its other `-o` options, AUTH stays offered where it was.

This holds for every fix applied alone, for all of them together, and for the fixes of
every finding pasted one after another, top to bottom or bottom to top.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import DOVECOT_CERTIFICATE, STOCK, requires_doveconf, requires_postconf, settle

REPOSITORY = Path(__file__).resolve().parents[2]
SAMPLE = REPOSITORY / "samples" / "postfix-user-server"
DEBIAN_DOVECOT = Path("/etc/dovecot")
COMMAND = re.compile(  # a command line of the text report (prose never matches)
    r"^    (postconf -c \S+ -[eMP] '|postfix -c \S+ reload$|sed -i '|printf '%s\\n' "
    r"|doveadm -c \S+ reload$)"
)

# --- Postfix configurations -----------------------------------------------------------

CERTIFICATE = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
"""

POSTFIX = {
    # AUTH in main.cf so on port 25, no submission service, every leak and weak setting
    # in main.cf, and smtpd -v on port 25.
    "auth-on-port-25": (
        CERTIFICATE
        + """
smtpd_tls_security_level = may
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_security_options = noplaintext
smtpd_tls_loglevel = 4
debug_peer_list = 192.0.2.1
smtpd_tls_protocols = SSLv3, TLSv1
smtpd_tls_ciphers = low
tls_low_cipherlist = ALL:+RC4:@STRENGTH
broken_sasl_auth_clients = yes
soft_bounce = yes
""",
        "",
        False,
    ),
    # Submission services present but wrong, their problems written as -o options; the
    # mandatory TLS settings of main.cf are weak, so requiring TLS must also fix them.
    "submission-wrong": (
        CERTIFICATE
        + """
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_tls_mandatory_protocols = !SSLv2
smtpd_tls_mandatory_ciphers = low
""",
        """
submission inet n       -       y       -       -       smtpd -v
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=may
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_loglevel=3
  -o debug_peer_list=198.51.100.7
  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }
  -o smtpd_sasl_security_options=
submissions     inet  n       -       y       -       -       smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_ciphers=export
  -o smtpd_client_auth_rate_limit=0
  -o broken_sasl_auth_clients=yes
  -o soft_bounce=yes
2525 inet n - y - - smtpd
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=none
""",
        False,
    ),
    # postscreen in front of port 25, AUTH in main.cf; a loopback submission for a
    # webmail, 465 relying on main.cf for AUTH; an AUTH rate limit, but no anvil.
    "postscreen": (
        CERTIFICATE
        + """
smtpd_tls_security_level = may
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 20
smtpd_tls_loglevel = 2
""",
        """
127.0.0.1:submission inet n - y - - smtpd
submissions inet n - y - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
""",
        True,
    ),
    # AUTH in main.cf, and the only 587 is Debian's loopback-only stanza for a webmail:
    # remote users have no submission port, and one for all addresses cannot bind 587.
    "loopback-submission": (
        CERTIFICATE
        + """
smtpd_tls_security_level = may
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
""",
        """
127.0.0.1:submission inet n -   y       -       -       smtpd
  -o syslog_name=postfix/webmail
  -o smtpd_sasl_auth_enable=yes
""",
        False,
    ),
    # Listeners that each override a setting whose fix goes to main.cf for the rest (the
    # cipher grade in main.cf, the exclusions in each listener): a listener's fix alone
    # leaves the others with what their own findings print, nothing new.
    "listeners-override": (
        CERTIFICATE
        + """
smtpd_tls_security_level = may
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_tls_ciphers = export
tls_export_cipherlist = ALL:+RC4:@STRENGTH
""",
        "".join(
            f"{port} inet n - y - - smtpd\n"
            "  -o smtpd_tls_security_level=may\n"
            "  -o smtpd_tls_exclude_ciphers=MD5\n"
            for port in (2526, 2527, 2528)
        ),
        False,
    ),
    # No TLS anywhere and AUTH only after TLS: the submission services offer no AUTH,
    # and turning it on must bring the TLS (and what TLS then needs) with it; no anvil,
    # so the AUTH rate limit that AUTH then needs must bring anvil back.
    "no-tls": (
        """
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 4
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
broken_sasl_auth_clients = yes
""",
        """
submission inet n - y - - smtpd
  -o smtpd_sasl_auth_enable=no
submissions inet n - y - - smtpd -v
smtps inet n - y - - smtpd
  -o smtpd_tls_security_level=none
""",
        False,
    ),
}


WITHOUT_ANVIL = ("postscreen", "no-tls")
ANVIL_ENTRY = "anvil     unix  -       -       y       -       1       anvil\n"


def build(directory: Path, name: str) -> Path:
    """Debian's main.cf and master.cf (Postfix 3.7 wording) with `name`'s problems."""
    main_extra, master_extra, postscreen = POSTFIX[name]
    directory.mkdir(parents=True)
    master = (STOCK / "master.cf.dist").read_text()
    if postscreen:
        master = master.replace(
            "smtp      inet  n       -       y       -       -       smtpd\n",
            "smtp      inet  n       -       y       -       1       postscreen\n"
            "smtpd     pass  -       -       y       -       -       smtpd\n",
        )
    elif name == "auth-on-port-25":
        master = master.replace(
            "smtp      inet  n       -       y       -       -       smtpd\n",
            "smtp      inet  n       -       y       -       -       smtpd -v\n",
        )
    if name in WITHOUT_ANVIL:
        master = master.replace(ANVIL_ENTRY, "")
    (directory / "main.cf").write_text((STOCK / "main.cf.debian").read_text() + main_extra)
    (directory / "master.cf").write_text(master + master_extra)
    settle(directory)
    return directory


def copy_of(pristine: Path, directory: Path) -> Path:
    """A fresh copy of `pristine` at `directory`, so that printed paths stay valid."""
    if directory.exists():
        shutil.rmtree(directory)
    shutil.copytree(pristine, directory)
    settle(directory)
    return directory


# --- running what was printed ---------------------------------------------------------


def paste(commands: list[str], config: Path) -> None:
    """Run the printed commands as argument lists; each must succeed silently. `config`
    is the audited directory or dovecot.conf: every command must name it."""
    for command in commands:
        argv = shlex.split(command)
        if argv[-1] == "reload":
            assert argv in (
                ["postfix", "-c", str(config), "reload"],
                ["doveadm", "-c", str(config), "reload"],
            ), command
            continue
        if argv[0] == "printf":
            assert argv[-2] == ">>" and argv[-1].startswith(str(config.parent)), command
            with open(argv[-1], "a", encoding="utf-8") as file:
                file.write(subprocess.run(argv[:-2], capture_output=True, text=True).stdout)
            continue
        if argv[0] == "postconf":
            assert argv[1:3] == ["-c", str(config)] and argv[3] in ("-e", "-M", "-P"), command
        else:
            assert argv[:2] == ["sed", "-i"], command
            assert argv[-1].startswith(str(config.parent)), command
        done = subprocess.run(argv, capture_output=True, text=True)
        assert (done.returncode, done.stderr) == (0, ""), command
    settle(config if config.is_dir() else config.parent)


def tool_messages(config: Path, *, postfix_check: bool = True) -> set[str]:
    """What postconf and `postfix check` (or doveconf) say about the configuration:
    warnings, errors, and a failing exit status. (`postfix check` takes a second; the
    fix-by-fix tests leave it to the others.)"""
    if config.is_dir():
        runs = [["postconf", "-c", str(config), option] for option in ("-n", "-M", "-P")]
        if postfix_check:
            runs.append(["postfix", "-c", str(config), "check"])
    else:
        runs = [["doveconf", "-c", str(config), "-n"]]
    messages: set[str] = set()
    for argv in runs:
        done = subprocess.run(argv, capture_output=True, text=True)
        messages.update(done.stderr.splitlines())
        if done.returncode:
            messages.add(f"{' '.join(argv)}: exit status {done.returncode}")
    return messages


Audit = Callable[..., dict]


@pytest.fixture
def audit(run_cli) -> Audit:
    def run(config: Path, *extra: str) -> dict:
        option = "--postfix-dir" if config.is_dir() else "--dovecot-config"
        result = run_cli("audit", option, str(config), "--format", "json", *extra)
        document = json.loads(result.out)
        document["status"] = result.status
        return document

    return run


def every_command(document: dict) -> set[str]:
    """Every command the report printed, in the findings or the combined list, with the
    `-o` options of a rewritten master.cf entry in a stable order."""
    found = set(document["commands"])
    for finding in document["findings"]:
        found.update(finding["fix"]["commands"] + finding["fix"]["reload"])
    return {_stable(command) for command in found}


def _stable(command: str) -> str:
    head, separator, options = command.partition(" -o ")
    if " -M '" not in head or not separator:
        return command
    return head + separator + " -o ".join(sorted(options.rstrip("'").split(" -o ")))


def assert_fixed(before: dict, after: dict, fixed: list[dict]) -> None:
    """`fixed` is gone, and everything left was in the first report with its fix."""
    left = {(f["id"], f["subject"]) for f in after["findings"]}
    for finding in fixed:
        assert (finding["id"], finding["subject"]) not in left, finding["id"]
    assert {f["id"] for f in after["findings"]} <= {f["id"] for f in before["findings"]}
    assert every_command(after) <= every_command(before)


# --- Postfix ----------------------------------------------------------------------------


@requires_postconf
@pytest.mark.parametrize("name", sorted(POSTFIX))
def test_all_fixes_together_leave_nothing_to_fix(audit, tmp_path: Path, name: str):
    directory = build(tmp_path / name, name)
    messages = tool_messages(directory)
    before = audit(directory)
    assert before["status"] == 3 and before["commands"]

    paste(before["commands"], directory)

    assert tool_messages(directory) - messages == set()
    after = audit(directory)
    if name == "no-tls":
        # The fixes turn TLS on, and no printed edit can name the certificate: what is
        # left is the finding that says so, which the first report showed already.
        left = {f["id"] for f in after["findings"]}
        assert left == {"postfix.no_certificate"} <= {f["id"] for f in before["findings"]}
        assert after["commands"] == []
        certificate = "smtpd_tls_chain_files=/etc/ssl/private/mail.pem"
        subprocess.run(["postconf", "-c", str(directory), "-e", certificate], check=True)
        settle(directory)
        after = audit(directory)
    assert after["status"] == 0
    assert after["findings"] == [] and after["commands"] == []


# Postfix 3.0 has postconf -M/-P but no smtpd_client_auth_rate_limit: turning AUTH on
# brings up a finding that only an upgrade fixes, and the report must have said so.
EACH_ALONE = [(name, ()) for name in sorted(POSTFIX)] + [
    (name, ("--postfix-version", "3.0.4")) for name in ("no-tls", "submission-wrong")
]


@requires_postconf
@pytest.mark.parametrize(
    ("name", "version"), EACH_ALONE, ids=[f"{n}{'-'.join(('', *v[1:]))}" for n, v in EACH_ALONE]
)
def test_each_fix_alone_fixes_its_finding_and_brings_up_nothing(
    audit, tmp_path: Path, name: str, version: tuple[str, ...]
):
    pristine = build(tmp_path / "pristine", name)
    directory = tmp_path / "server"
    before = audit(copy_of(pristine, directory), *version)
    messages = tool_messages(directory, postfix_check=False)
    assert len([f for f in before["findings"] if f["fix"]["commands"]]) >= 4

    for finding in before["findings"]:
        if not finding["fix"]["commands"]:  # only an upgrade helps (the note says so)
            assert finding["fix"]["note"], finding["id"]
            continue
        copy_of(pristine, directory)
        paste(finding["fix"]["commands"] + finding["fix"]["reload"], directory)

        assert tool_messages(directory, postfix_check=False) - messages == set(), finding["id"]
        assert_fixed(before, audit(directory, *version), [finding])


@requires_postconf
@pytest.mark.parametrize("order", ["top-down", "bottom-up"])
def test_findings_fixed_one_after_another_in_any_order_fix_everything(
    audit, tmp_path: Path, order: str
):
    """`postconf -M` must rewrite `smtpd -v` out of an entry with all its `-o` options:
    the rewrite may undo none of the `-o` fixes pasted before it (debug_peer_list,
    the TLS requirement), whichever comes first."""
    directory = build(tmp_path / "server", "submission-wrong")
    before = audit(directory)
    findings = before["findings"] if order == "top-down" else before["findings"][::-1]

    for finding in findings:
        paste(finding["fix"]["commands"], directory)

    after = audit(directory)
    assert after["findings"] == [] and after["status"] == 0
    entry = postconf(directory, "-M", "submission/inet")
    assert " -v" not in entry
    for kept in (
        "-o syslog_name=postfix/submission",
        "-o {smtpd_client_restrictions=permit_sasl_authenticated, reject}",
        "-o smtpd_tls_security_level=encrypt",
        "-o debug_peer_list= ",
        "-o smtpd_tls_loglevel=1",
    ):
        assert kept in entry + " ", kept
    # The administrator's order of the options is kept.
    assert entry.index("syslog_name") < entry.index("smtpd_sasl_auth_enable=yes")


def postconf(directory: Path, *args: str) -> str:
    argv = ["postconf", "-c", str(directory), *args]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


@requires_postconf
def test_auth_leaves_port_25_and_stays_where_users_log_in(audit, tmp_path: Path):
    directory = build(tmp_path / "server", "postscreen")

    paste(audit(directory)["commands"], directory)

    assert postconf(directory, "-h", "smtpd_sasl_auth_enable") == "no"
    assert postconf(directory, "-P", "smtpd/pass/smtpd_sasl_auth_enable") == ""
    for service in ("submissions/inet", "127.0.0.1:submission/inet"):
        assert postconf(directory, "-P", f"{service}/smtpd_sasl_auth_enable").endswith("= yes")
    # 465 keeps its own options; a loopback listener is left as it was otherwise.
    submissions = postconf(directory, "-P", "submissions/inet/syslog_name")
    assert submissions == "submissions/inet/syslog_name = postfix/submissions"
    assert postconf(directory, "-P", "127.0.0.1:submission/inet/smtpd_tls_auth_only") == ""


@requires_postconf
def test_a_loopback_only_submission_is_no_port_for_remote_users(run_cli, audit, tmp_path: Path):
    """Debian's `127.0.0.1:submission` stanza for a webmail, AUTH in main.cf: turning
    AUTH off on port 25 alone would lock every remote user out. The report says that no
    port is left for them, and the fix adds submissions on 465 for everyone (a listener
    on all addresses cannot bind 587 beside 127.0.0.1:587) and leaves the webmail's
    entry as it is."""
    directory = build(tmp_path / "server", "loopback-submission")

    text = run_cli("audit", "--postfix-dir", str(directory)).out
    assert "MEDIUM  postfix.submission_missing" in text
    assert "Submission listens on loopback only: users elsewhere have no port" in text
    prose = " ".join(text.split())
    assert "leaves 127.0.0.1:submission/inet as it is and adds submissions/inet on port 465" in (
        prose
    )
    assert "Users set their mail client to port 465 with SSL/TLS." in prose
    before = audit(directory)
    fix = {f["id"]: f["fix"]["commands"] for f in before["findings"]}["postfix.auth_on_port_25"]
    add = f"postconf -c {directory} -M 'submissions/inet=submissions inet n - y - - smtpd'"
    assert fix[0] == f"postconf -c {directory} -e 'smtpd_sasl_auth_enable=no'"
    assert add in fix
    assert not any("127.0.0.1:submission" in command for command in before["commands"])

    paste(before["commands"], directory)

    entries = [line.split() for line in postconf(directory, "-M").splitlines()]
    assert [e[:2] for e in entries if e[0].endswith(("submission", "submissions"))] == [
        ["127.0.0.1:submission", "inet"],
        ["submissions", "inet"],
    ]
    webmail = postconf(directory, "-M", "127.0.0.1:submission/inet").split()
    assert webmail[8:] == ["-o", "syslog_name=postfix/webmail", "-o", "smtpd_sasl_auth_enable=yes"]
    for option in ("smtpd_tls_wrappermode", "smtpd_sasl_auth_enable"):
        assert postconf(directory, "-P", f"submissions/inet/{option}").endswith(" = yes")
    assert postconf(directory, "-h", "smtpd_sasl_auth_enable") == "no"
    assert audit(directory)["findings"] == []


@requires_postconf
@pytest.mark.parametrize(("version", "name"), [("3.6.4", "smtps"), ("3.7.11", "submissions")])
def test_the_new_465_service_has_the_name_of_the_stock_master_cf(
    run_cli, tmp_path: Path, version: str, name: str
):
    """Postfix 3.7 renamed the stock master.cf's smtps (465) to submissions: the service
    the fix adds on 465 has the name that the version's own master.cf uses."""
    directory = build(tmp_path / "server", "loopback-submission")

    text = run_cli("audit", "--postfix-dir", str(directory), "--postfix-version", version).out
    prose = " ".join(text.split())
    assert f"leaves 127.0.0.1:submission/inet as it is and adds {name}/inet on port 465" in prose
    add = f"postconf -c {directory} -M '{name}/inet={name} inet n - y - - smtpd'"
    assert add in prose


@requires_postconf
def test_a_new_submission_service_gets_auth_and_tls(audit, tmp_path: Path):
    directory = build(tmp_path / "server", "auth-on-port-25")

    paste(audit(directory)["commands"], directory)

    assert postconf(directory, "-M", "smtp/inet").split()[-1] == "smtpd"  # -v is gone
    assert postconf(directory, "-M", "submission/inet").split()[:8] == (
        ["submission", "inet", "n", "-", "y", "-", "-", "smtpd"]
    )
    options = {}
    for line in postconf(directory, "-P").splitlines():
        name, _, value = line.partition(" = ")
        service, _, parameter = name.rpartition("/")
        if service == "submission/inet":
            options[parameter] = value
    assert options["smtpd_sasl_auth_enable"] == "yes"
    assert options["smtpd_tls_security_level"] == "encrypt"
    assert options["smtpd_tls_auth_only"] == "yes"
    assert options["smtpd_tls_mandatory_protocols"] == "!SSLv2,!SSLv3,!TLSv1,!TLSv1.1"


@requires_postconf
def test_a_submission_added_beside_postscreen_has_the_default_process_limit(audit, tmp_path: Path):
    """postscreen requires a process limit of 1 on smtp/inet; the submission service
    that the fix adds is an smtpd, and with that limit one user at a time could log in
    (the next one's mail client waits). It gets `-`, default_process_limit."""
    directory = tmp_path / "server"
    directory.mkdir()
    master = (
        (STOCK / "master.cf.dist")
        .read_text()
        .replace(
            "smtp      inet  n       -       y       -       -       smtpd\n",
            "smtp      inet  n       -       y       -       1       postscreen\n"
            "smtpd     pass  -       -       y       -       -       smtpd\n",
        )
    )
    main = (STOCK / "main.cf.debian").read_text() + CERTIFICATE + "smtpd_sasl_auth_enable = yes\n"
    (directory / "master.cf").write_text(master)
    (directory / "main.cf").write_text(main)
    settle(directory)

    paste(audit(directory)["commands"], directory)

    assert postconf(directory, "-M", "submission/inet").split()[:8] == (
        ["submission", "inet", "n", "-", "y", "-", "-", "smtpd"]
    )
    assert postconf(directory, "-M", "smtp/inet").split()[6:8] == ["1", "postscreen"]


@requires_postconf
def test_a_rate_limit_without_anvil_gets_anvil_back(audit, tmp_path: Path):
    """anvil(8) counts for the AUTH rate limit; without its entry nothing enforces it."""
    directory = build(tmp_path / "server", "postscreen")
    assert ANVIL_ENTRY not in (directory / "master.cf").read_text()
    before = audit(directory, "--check", "postfix.anvil_missing")
    (finding,) = before["findings"]
    assert finding["severity"] == "medium"

    paste(finding["fix"]["commands"], directory)

    assert postconf(directory, "-M", "anvil/unix").split() == (
        ["anvil", "unix", "-", "-", "y", "-", "1", "anvil"]
    )
    assert audit(directory, "--check", "postfix.anvil_missing")["findings"] == []


@requires_postconf
def test_setting_a_rate_limit_brings_anvil_with_it(audit, tmp_path: Path):
    directory = build(tmp_path / "server", "no-tls")
    before = audit(directory)
    assert "postfix.anvil_missing" not in {f["id"] for f in before["findings"]}
    setting = [c for c in before["commands"] if "smtpd_client_auth_rate_limit=10" in c]
    assert setting
    assert (
        f"postconf -c {directory} -M 'anvil/unix=anvil unix - - y - 1 anvil'"
        in (before["commands"])
    )


@requires_postconf
def test_auth_without_tls_is_fixed_by_adding_tls_not_by_removing_auth(audit, tmp_path: Path):
    """On a listener without TLS, "AUTH only after TLS" alone would make AUTH vanish
    from it; the fix offers TLS there first."""
    directory = build(tmp_path / "server", "submission-wrong")
    before = audit(directory, "--check", "postfix.cleartext_auth")
    (finding,) = [f for f in before["findings"] if f["subject"] == "2525/inet"]

    paste(finding["fix"]["commands"], directory)

    assert postconf(directory, "-P", "2525/inet/smtpd_tls_security_level").endswith("= may")
    assert postconf(directory, "-P", "2525/inet/smtpd_tls_auth_only").endswith("= yes")
    assert postconf(directory, "-P", "2525/inet/smtpd_sasl_auth_enable").endswith("= yes")


@requires_postconf
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_text_and_json_print_the_same_commands(audit, run_cli, tmp_path: Path, lang: str):
    directory = build(tmp_path / "server", "submission-wrong")
    document = audit(directory, "--lang", lang)
    english = audit(directory, "--lang", "en")
    text = run_cli("audit", "--postfix-dir", str(directory), "--lang", lang).out

    printed = {line.strip() for line in text.splitlines() if COMMAND.match(line)}
    in_json = set(document["commands"])
    for finding in document["findings"]:
        in_json.update(finding["fix"]["commands"] + finding["fix"]["reload"])
    assert printed == in_json
    # The language changes the words, never a command.
    assert [f["fix"]["commands"] for f in document["findings"]] == [
        f["fix"]["commands"] for f in english["findings"]
    ]
    assert document["commands"] == english["commands"]


@requires_postconf
def test_commands_name_the_directory_absolutely(audit, tmp_path: Path, monkeypatch):
    build(tmp_path / "server", "auth-on-port-25")
    monkeypatch.chdir(tmp_path)

    document = audit(Path("server"))

    assert document["commands"]
    for command in document["commands"]:
        assert shlex.split(command)[:3] in (
            ["postconf", "-c", str(tmp_path / "server")],
            ["postfix", "-c", str(tmp_path / "server")],
        ), command


# --- the user's Postfix 2.6.6 -----------------------------------------------------------


def write_master_cf(entries: str | None, directory: Path) -> None:
    """Make each printed master.cf entry read as printed, as the report asks for a
    Postfix before 2.11: replace the entry and its continuation lines, or append it."""
    if entries is None:
        return
    path = directory / "master.cf"
    lines = path.read_text().splitlines()
    for stanza in re.split(r"\n(?=\S)", entries.strip("\n")):
        key = stanza.split()[:2]
        starts = [n for n, line in enumerate(lines) if line[:1].strip() and line.split()[:2] == key]
        if not starts:
            lines += stanza.splitlines()
            continue
        end = starts[0] + 1
        while end < len(lines) and lines[end][:1].isspace() and lines[end].strip():
            end += 1
        lines[starts[0] : end] = stanza.splitlines()
    path.write_text("\n".join(lines) + "\n")
    settle(directory)


@requires_postconf
def test_fixes_for_postfix_2_6_never_name_tls_1_1(audit, tmp_path: Path):
    """Postfix 2.6.6 (CentOS 6) takes a protocol list that names TLSv1.1 for invalid and
    turns TLS off: "Invalid TLS protocol list ...: disabling TLS support". The fix for
    the submission service excludes SSL only, and the report says an upgrade is needed
    to refuse TLSv1 and TLSv1.1."""
    directory = copy_of(SAMPLE, tmp_path / "postfix")
    messages = tool_messages(directory)
    before = audit(directory, "--postfix-version", "2.6.6")

    printed = json.dumps([before["commands"], before["master_cf"], before["findings"]])
    assert "!TLSv1.1" not in printed.replace("even as !TLSv1.1", "")
    assert "-o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3\n" in before["master_cf"] + "\n"
    old_tls = {f["id"]: f for f in before["findings"]}["postfix.submission_old_tls"]
    assert old_tls["subject"] == "submission/inet" and old_tls["fix"]["commands"] == []
    assert "Upgrade Postfix" in old_tls["fix"]["note"]
    assert "postfix.auth_on_port_25 adds" in old_tls["fix"]["note"]

    paste(before["commands"], directory)
    write_master_cf(before["master_cf"], directory)

    assert tool_messages(directory) - messages == set()
    after = audit(directory, "--postfix-version", "2.6.6")
    assert after["commands"] == [] and after["master_cf"] is None
    # What stays high is the version itself: no setting makes 2.6 patched again.
    high = [f["id"] for f in after["findings"] if f["severity"] == "high"]
    assert high == ["postfix.eol_version"] and after["status"] == 3
    assert {f["id"] for f in after["findings"]} <= {f["id"] for f in before["findings"]}


@requires_postconf
@pytest.mark.parametrize("version", ["2.6.19", "2.10.0", "3.7.11"])
def test_a_postfix_that_knows_tls_1_1_refuses_it_for_logins(audit, tmp_path: Path, version):
    directory = copy_of(SAMPLE, tmp_path / "postfix")

    document = audit(directory, "--postfix-version", version)

    printed = document["master_cf"] or "\n".join(document["commands"])
    assert "smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3,!TLSv1,!TLSv1.1" in printed
    assert "postfix.submission_old_tls" not in {f["id"] for f in document["findings"]}


@requires_postconf
def test_the_sample_fixed_with_this_machines_postfix(audit, tmp_path: Path):
    directory = copy_of(SAMPLE, tmp_path / "postfix")
    messages = tool_messages(directory)
    before = audit(directory)

    paste(before["commands"], directory)

    assert tool_messages(directory) - messages == set()
    after = audit(directory)
    assert after["status"] == 0 and after["commands"] == []
    assert {f["id"] for f in after["findings"]} <= {f["id"] for f in before["findings"]}


# --- Dovecot ----------------------------------------------------------------------------

requires_debian_dovecot = pytest.mark.skipif(
    not (DEBIAN_DOVECOT / "conf.d" / "10-auth.conf").is_file(),
    reason="Debian's /etc/dovecot (dovecot-core) is not installed (make debian)",
)


def readable_only(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if not os.access(os.path.join(directory, n), os.R_OK)]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def bad_dovecot(directory: Path) -> Path:
    """Debian's /etc/dovecot with passwords in the log and in cleartext, weak TLS, no
    delay, ANONYMOUS, every network trusted, a protocol section, and a setting continued
    over three lines."""
    shutil.copytree(DEBIAN_DOVECOT, directory, ignore=readable_only)
    edit(
        directory / "dovecot.conf",
        "#login_trusted_networks =",
        "login_trusted_networks = 0.0.0.0/0 ::/0",
    )
    conf = directory / "conf.d"
    edit(conf / "10-auth.conf", "#disable_plaintext_auth = yes", "disable_plaintext_auth = no")
    edit(conf / "10-auth.conf", "#auth_failure_delay = 2 secs", "auth_failure_delay = 0")
    edit(
        conf / "10-auth.conf",
        "\nauth_mechanisms = plain\n",
        "\nauth_mechanisms = plain anonymous\n",
    )
    edit(conf / "10-logging.conf", "#auth_verbose_passwords = no", "auth_verbose_passwords = plain")
    edit(conf / "10-logging.conf", "#auth_debug_passwords = no", "auth_debug_passwords = yes")
    edit(conf / "10-ssl.conf", "#ssl_min_protocol = TLSv1.2", "ssl_min_protocol = TLSv1")
    with open(conf / "10-ssl.conf", "a", encoding="utf-8") as file:
        file.write("ssl_cipher_list = HIGH:\\\n    RC4-SHA:\\\n    MEDIUM\n")
    with open(conf / "20-imap.conf", "a", encoding="utf-8") as file:
        file.write(
            "protocol imap {\n\tdisable_plaintext_auth = no\n\tssl_min_protocol = SSLv3\n}\n"
        )
    return directory / "dovecot.conf"


@requires_doveconf
@requires_debian_dovecot
def test_dovecot_fixes_together_and_alone(audit, tmp_path: Path):
    pristine = bad_dovecot(tmp_path / "pristine")
    messages = tool_messages(pristine)
    config = tmp_path / "dovecot" / "dovecot.conf"
    shutil.copytree(pristine.parent, config.parent)
    before = audit(config)
    ids = {f["id"] for f in before["findings"]}
    assert before["dovecot_reader"] == "doveconf" and before["status"] == 3
    assert {
        "dovecot.cleartext_auth",
        "dovecot.auth_verbose_passwords",
        "dovecot.auth_debug_passwords",
        "dovecot.ssl_old_protocols",
        "dovecot.weak_ciphers",
        "dovecot.auth_failure_delay",
        "dovecot.anonymous_mechanism",
        "dovecot.login_trusted_networks",
    } <= ids

    for finding in before["findings"]:
        shutil.rmtree(config.parent)
        shutil.copytree(pristine.parent, config.parent)
        paste(finding["fix"]["commands"] + finding["fix"]["reload"], config)
        assert tool_messages(config) - messages == set(), finding["id"]
        assert_fixed(before, audit(config), [finding])

    shutil.rmtree(config.parent)
    shutil.copytree(pristine.parent, config.parent)
    paste(before["commands"], config)
    assert tool_messages(config) - messages == set()
    after = audit(config)
    assert after["findings"] == [] and after["status"] == 0
    ssl = (config.parent / "conf.d" / "10-ssl.conf").read_text()
    assert "RC4-SHA" not in ssl and "\n    MEDIUM" not in ssl


@requires_doveconf
def test_a_continued_setting_is_replaced_whole(audit, tmp_path: Path):
    config = tmp_path / "dovecot.conf"
    config.write_text(
        "protocols = imap\n"
        "ssl_cipher_list = HIGH:\\\n   RC4-SHA\n"
        "auth_verbose_passwords = plain\n"
        "passdb {\n  driver = pam\n}\nuserdb {\n  driver = passwd\n}\n" + DOVECOT_CERTIFICATE
    )
    before = audit(config)
    (ciphers,) = [f for f in before["findings"] if f["id"] == "dovecot.weak_ciphers"]
    (edit_,) = ciphers["fix"]["edits"]
    assert (edit_["line"], edit_["end_line"]) == (2, 3)
    assert "lines 2-3" in edit_["instruction"]

    # Pasted last, after an edit further down: line numbers still hold.
    paste(before["commands"][::-1], config)

    assert tool_messages(config) == set()
    lines = config.read_text().splitlines()
    assert lines[1].startswith("ssl_cipher_list = ALL:") and lines[2] == ""
    assert lines[3] == "auth_verbose_passwords = no"
    assert audit(config)["findings"] == []


@requires_doveconf
def test_requiring_tls_for_passwords_turns_tls_on_and_asks_for_a_certificate(audit, tmp_path: Path):
    """With `ssl = no`, refusing cleartext passwords alone would lock every remote
    user out: the fix turns TLS on too, and says that a certificate is needed."""
    config = tmp_path / "dovecot.conf"
    config.write_text(
        "protocols = imap\nssl = no\ndisable_plaintext_auth = no\n"
        "passdb {\n  driver = pam\n}\nuserdb {\n  driver = passwd\n}\n"
    )
    before = audit(config)
    (cleartext,) = [f for f in before["findings"] if f["id"] == "dovecot.cleartext_auth"]
    assert "ssl_cert" in cleartext["fix"]["note"]

    paste(cleartext["fix"]["commands"], config)

    assert "ssl = yes\ndisable_plaintext_auth = yes\n" in config.read_text()
    # Without a certificate every TLS handshake fails: the audit says so, before the
    # fix (named with the fix that turns TLS on) and after it, until one is set.
    (missing,) = [f for f in before["findings"] if f["id"] == "dovecot.ssl_no_certificate"]
    assert missing["fix"]["commands"] == [] and "ssl_cert = <" in missing["fix"]["note"]
    after = audit(config)
    assert [f["id"] for f in after["findings"]] == ["dovecot.ssl_no_certificate"]
    assert after["status"] == 3
    with_certificate(config, "2.3")
    assert audit(config)["findings"] == []


TLS_OFF = {
    "2.3": "protocols = imap\nssl = no\n",
    # read from the files: this machine's doveconf (2.3) refuses a 2.4 configuration
    "2.4": "dovecot_config_version = 2.4.1\nprotocols = imap\nssl = no\n",
}
TLS_OFF_REST = (
    "ssl_min_protocol = TLSv1\nssl_cipher_list = ALL:!aNULL\n"
    "passdb {\n  driver = pam\n}\nuserdb {\n  driver = passwd\n}\n"
)


def with_certificate(config: Path, version: str) -> None:
    """What the ssl_disabled finding asks for beside its fix: a certificate and key."""
    pem = config.parent / "cert.pem"
    pem.write_text("certificate\n")
    names = ("ssl_server_cert_file", "ssl_server_key_file") if version == "2.4" else None
    lines = (
        [f"{n} = {pem}" for n in names]
        if names
        else [f"{n} = <{pem}" for n in ("ssl_cert", "ssl_key")]
    )
    with open(config, "a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


@requires_doveconf
@pytest.mark.parametrize("version", sorted(TLS_OFF))
def test_turning_tls_on_brings_up_no_tls_finding_the_report_did_not_show(
    audit, tmp_path: Path, version: str
):
    """With `ssl = no`, a weak cipher list and old protocols do nothing yet; the fix of
    dovecot.ssl_disabled brings them into force, so the report shows them now, named
    with that fix (the README: fixes never bring up a new finding)."""
    pristine = tmp_path / "pristine" / "dovecot.conf"
    pristine.parent.mkdir()
    pristine.write_text(TLS_OFF[version] + TLS_OFF_REST)
    extra = ("--openssl-version", "1.0.2k", *(("--read-files",) if version == "2.4" else ()))
    config = tmp_path / "dovecot" / "dovecot.conf"
    shutil.copytree(pristine.parent, config.parent)
    before = audit(config, *extra)
    found = {f["id"]: f for f in before["findings"]}
    assert set(found) == {
        "dovecot.ssl_disabled",
        "dovecot.ssl_no_certificate",
        "dovecot.weak_ciphers",
        "dovecot.ssl_old_protocols",
    }
    assert found["dovecot.weak_ciphers"]["severity"] == "high"
    assert found["dovecot.ssl_old_protocols"]["severity"] == "medium"
    for later in ("dovecot.weak_ciphers", "dovecot.ssl_old_protocols"):
        assert "the fix of dovecot.ssl_disabled turns TLS on" in found[later]["fix"]["note"]

    ssl_disabled = found["dovecot.ssl_disabled"]
    paste(ssl_disabled["fix"]["commands"] + ssl_disabled["fix"]["reload"], config)
    with_certificate(config, version)
    assert_fixed(before, audit(config, *extra), [ssl_disabled])

    shutil.rmtree(config.parent)
    shutil.copytree(pristine.parent, config.parent)
    paste(before["commands"], config)
    with_certificate(config, version)
    if version == "2.3":
        assert tool_messages(config) == set()
    after = audit(config, *extra)
    assert after["findings"] == [] and after["status"] == 0


# --- a running server -------------------------------------------------------------------


def lab_module() -> Any:
    """tests/e2e/lab.py: real Postfix and Dovecot in network namespaces."""
    tests = str(REPOSITORY / "tests")
    if tests not in sys.path:
        sys.path.append(tests)
    return importlib.import_module("e2e.lab")


@pytest.mark.e2e
def test_a_running_server_fixed_as_printed_keeps_its_users_logging_in(audit):
    """A live Postfix (AUTH on 25, TLS optional on 587, TLS log level 4, soft_bounce)
    and Dovecot (cleartext passwords, failed passwords in the log) are fixed with the
    printed commands, reload lines included. Then port 25 offers no AUTH, 587 offers it
    only after STARTTLS and the user logs in there, IMAP refuses a cleartext password
    and takes it after STARTTLS, and the audit finds nothing."""
    lab = lab_module()
    reason = lab.missing_requirements()
    if reason:
        pytest.skip(reason)
    options = lab.PostfixOptions(
        smtp_auth=True, main={"smtpd_tls_loglevel": "4", "soft_bounce": "yes"}
    )
    dovecot = lab.DovecotOptions(
        settings={"auth_verbose_passwords": "plain", "disable_plaintext_auth": "no"}
    )
    with lab.Lab(postfix=options, dovecot=dovecot) as server:
        user = next(name for name in server.users if "@" in name)
        password = server.password(user)
        assert "250-AUTH PLAIN LOGIN" in ehlo(server, 25)
        before = audit_both(audit, server)
        assert {"postfix.auth_on_port_25", "dovecot.cleartext_auth"} <= {
            f["id"] for f in before["findings"]
        }

        for command in before["commands"]:
            argv = shlex.split(command)
            if argv[-1] == "reload":  # what the administrator runs last, on the server
                assert server.run(server.server, argv).returncode == 0, command
            else:
                subprocess.run(argv, capture_output=True, text=True, check=True)

        assert "AUTH" not in ehlo(server, 25)
        assert "AUTH" not in ehlo(server, 587) and "250-STARTTLS" in ehlo(server, 587)
        assert server.smtp_auth(server.legit, user, password, port=587, tls=True).auth_ok
        refused = server.imap_login(server.legit, user, password)
        assert not refused.ok and "PRIVACYREQUIRED" in refused.response
        assert server.imap_login(server.legit, user, password, starttls=True).ok
        after = audit_both(audit, server)
        assert after["findings"] == [] and after["status"] == 0


def ehlo(server: Any, port: int) -> str:
    dialogue = server.smtp_dialogue(server.legit, [{"send": "EHLO client.example"}], port=port)
    return "\n".join(line for _, line in dialogue.transcript)


def audit_both(run: Audit, server: Any) -> dict:
    return run(server.postfix_dir, "--dovecot-config", str(server.dovecot_conf))


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_missing_465_service_is_named_for_every_postfix_version(run_cli, lang: str) -> None:
    # The finding told a Postfix 2.6 that it had no "submissions (465)" service, a name
    # its master.cf never used (the fix it prints adds smtps).
    directory = Path(__file__).parents[2] / "samples" / "postfix-user-server"
    text = run_cli(
        "audit", "--lang", lang, "--postfix-dir", str(directory), "--postfix-version", "2.6.6"
    ).out
    prose = " ".join(text.split()) if lang == "en" else "".join(text.split())
    if lang == "en":
        assert "nor one on port 465 (submissions, smtps before Postfix 3.7)" in prose
        assert "nor a submissions (465) service" not in prose
    else:
        assert "也没有465端口的服务（submissions，Postfix3.7之前叫smtps）" in prose
