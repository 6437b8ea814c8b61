"""The Dovecot audit: real `doveconf -n` on files the tests write, and the file parser
with `!include` / `!include_try` when doveconf is absent or refuses the file."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from audit_helpers import (
    DOVECOT_CERTIFICATE,
    DOVECOT_CERTIFICATE_24,
    audit,
    requires_doveconf,
    write,
)

from mailwarden.audit.dovecot_config import parse_dovecot_files

BAD = """\
# the kind of settings left behind after a night of debugging
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_verbose = yes
auth_verbose_passwords = plain
auth_debug_passwords = yes
auth_failure_delay = 0
auth_mechanisms = plain login anonymous
protocol imap {
  disable_plaintext_auth = no
}
"""

HARDENED = """\
protocols = imap
ssl = required
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
disable_plaintext_auth = yes
auth_verbose = yes
"""


@requires_doveconf
def test_bad_settings_are_found_with_their_lines(run_cli, tmp_path: Path):
    path = write(tmp_path, "dovecot.conf", BAD)

    status, document = audit(run_cli, path)

    assert status == 3
    assert document["dovecot_reader"] == "doveconf"
    assert document["dovecot_version"].startswith("2.3")
    by_id: dict[str, list[dict]] = {}
    for finding in document["findings"]:
        by_id.setdefault(finding["id"], []).append(finding)
    assert {i for i, fs in by_id.items() if fs[0]["severity"] == "high"} == {
        "dovecot.cleartext_auth",
        "dovecot.ssl_disabled",
        "dovecot.ssl_no_certificate",  # no ssl_cert for the TLS that the fix turns on
        "dovecot.auth_verbose_passwords",
        "dovecot.auth_debug_passwords",
    }
    assert by_id["dovecot.auth_failure_delay"][0]["severity"] == "medium"
    assert by_id["dovecot.anonymous_mechanism"][0]["severity"] == "medium"
    sections = {
        f["evidence"][0]["section"]: f["evidence"][0] for f in by_id["dovecot.cleartext_auth"]
    }
    assert sections[None]["line"] == 4
    assert sections["protocol imap"]["line"] == 11
    assert sections["protocol imap"]["file"] == str(path)


@requires_doveconf
def test_hardened_dovecot_has_no_findings(run_cli, tmp_path: Path):
    status, document = audit(run_cli, write(tmp_path, "dovecot.conf", HARDENED))

    assert status == 0
    assert document["findings"] == []


@requires_doveconf
def test_printed_edits_fix_the_file(run_cli, tmp_path: Path):
    path = write(tmp_path, "dovecot.conf", BAD)
    _, before = audit(run_cli, path)

    for command in before["commands"]:
        argv = shlex.split(command)
        if argv == ["doveadm", "-c", str(path), "reload"]:  # the audited instance
            continue
        assert argv[:2] == ["sed", "-i"] and argv[-1] == str(path), command
        subprocess.run(argv, check=True)

    _, after = audit(run_cli, path)
    text = path.read_text()
    assert "  disable_plaintext_auth = yes\n}" in text  # indentation kept inside the section
    assert "auth_mechanisms = plain login\n" in text
    # Left: the certificate, which no printed edit can name (it was reported before).
    assert [f["id"] for f in after["findings"]] == ["dovecot.ssl_no_certificate"]
    assert "dovecot.ssl_no_certificate" in {f["id"] for f in before["findings"]}


def test_file_parser_follows_includes(tmp_path: Path):
    main = write(
        tmp_path,
        "dovecot.conf",
        "!include conf.d/*.conf\n!include_try local.conf\n!include_try absent.conf\n"
        "auth_mechanisms = plain \\\n  login\n",
    )
    write(tmp_path / "conf.d", "10-auth.conf", "disable_plaintext_auth = yes\n")
    write(
        tmp_path / "conf.d",
        "20-imap.conf",
        'protocol imap {\n  disable_plaintext_auth = "no" # for the old webmail\n}\n',
    )
    write(tmp_path, "local.conf", "remote 192.0.2.0/24 {\n  ssl = no\n}\n")

    settings, notes = parse_dovecot_files(main)

    found = {(s.name, s.section): s for s in settings}
    assert found[("disable_plaintext_auth", "")].file == str(tmp_path / "conf.d/10-auth.conf")
    imap = found[("disable_plaintext_auth", "protocol imap")]
    assert (imap.value, imap.line) == ("no", 2)
    assert found[("ssl", "remote 192.0.2.0/24")].value == "no"
    assert found[("auth_mechanisms", "")].value == "plain login"
    assert notes == ()


def test_missing_include_is_a_note_and_missing_file_an_error(run_cli, tmp_path: Path):
    main = write(tmp_path, "dovecot.conf", "!include nowhere.conf\nssl = no\n")

    status, document = audit(run_cli, main, "--read-files")
    assert status == 3
    assert any("nowhere.conf" in note for note in document["notes"])

    result = run_cli("audit", "--dovecot-config", str(tmp_path / "absent.conf"))
    assert result.status == 2  # named wrong: bad usage
    assert result.err.endswith("absent.conf: no such file\n")
    assert result.err.startswith("mailwarden: error: ")
    assert len(result.err.strip().splitlines()) == 1


@requires_doveconf
def test_dovecot_24_setting_falls_back_to_the_files(run_cli, tmp_path: Path):
    """A Dovecot 2.4 configuration (dovecot_config_version) read by a 2.3 doveconf:
    the files are read, and the fix keeps the 2.4 name."""
    text = "dovecot_config_version = 2.4.0\nauth_allow_cleartext = yes\n" + DOVECOT_CERTIFICATE_24
    path = write(tmp_path, "dovecot.conf", text)

    status, document = audit(run_cli, path)

    assert status == 3
    assert document["dovecot_reader"] == "files"
    assert any("doveconf" in note for note in document["notes"])
    assert [f["id"] for f in document["findings"]] == ["dovecot.cleartext_auth"]
    assert document["findings"][0]["fix"]["commands"] == [
        f"sed -i '2s/.*/auth_allow_cleartext = no/' {path}"
    ]


@requires_doveconf
def test_a_dovecot_24_name_in_a_23_configuration_is_fixed_with_the_23_name(run_cli, tmp_path: Path):
    """auth_allow_cleartext pasted from a 2.4 howto into a 2.3 configuration: Dovecot
    2.3 refuses the whole file (Unknown setting). The fix writes the 2.3 setting with
    the safe value, so that doveconf accepts the file again."""
    main = write(
        tmp_path,
        "dovecot.conf",
        "protocols = imap\n!include_try local.conf\n" + DOVECOT_CERTIFICATE,
    )
    local = write(
        tmp_path,
        "local.conf",
        "# admin copied from a Dovecot 2.4 howto\nauth_allow_cleartext = yes\n",
    )

    status, document = audit(run_cli, main)

    assert status == 3
    [finding] = document["findings"]
    assert finding["title"] == (
        "A Dovecot 2.4 setting asks for cleartext passwords in a 2.3 configuration"
    )
    assert "refuses the whole configuration (Unknown setting)" in finding["explanation"]
    sed = f"sed -i '2s/.*/disable_plaintext_auth = yes/' {local}"
    assert finding["fix"]["commands"] == [sed]

    subprocess.run(shlex.split(sed), check=True)

    doveconf = subprocess.run(["doveconf", "-c", str(main), "-n"], capture_output=True, text=True)
    assert doveconf.returncode == 0, doveconf.stderr
    status, after = audit(run_cli, main)
    assert (status, after["findings"], after["dovecot_reader"]) == (0, [], "doveconf")


def test_a_dovecot_23_name_in_a_24_configuration_is_fixed_with_the_24_name(run_cli, tmp_path: Path):
    text = "dovecot_config_version = 2.4.1\ndisable_plaintext_auth = no\n" + DOVECOT_CERTIFICATE_24
    path = write(tmp_path, "dovecot.conf", text)

    _, document = audit(run_cli, path, "--read-files")

    [finding] = document["findings"]
    assert finding["title"].startswith("A Dovecot 2.3 setting")
    assert finding["fix"]["commands"] == [f"sed -i '2s/.*/auth_allow_cleartext = no/' {path}"]


@pytest.mark.parametrize(
    ("setting", "severity"),
    [("ssl_min_protocol = SSLv3", "high"), ("ssl_min_protocol = TLSv1.1", "medium")],
)
def test_old_tls_protocols(run_cli, tmp_path: Path, setting: str, severity: str):
    path = write(tmp_path, "dovecot.conf", HARDENED + setting + "\n")

    _, document = audit(run_cli, path, "--read-files")

    [finding] = document["findings"]
    assert (finding["id"], finding["severity"]) == ("dovecot.ssl_old_protocols", severity)


MEDIUM_GRADE = "ssl_cipher_list = HIGH:MEDIUM:!aNULL:!MD5\n"


def test_rc4_of_the_medium_grade_is_judged_for_dovecots_openssl(run_cli, tmp_path: Path):
    """As for Postfix: OpenSSL 1.1.0 and later have no RC4, so a list with MEDIUM allows
    none there (no alarm on a modern Debian); before 1.1.0 MEDIUM holds RC4 (medium,
    naming the library); a copied configuration does not show the library (low, said
    so); RC4 asked for by name on an old library stays high."""
    path = write(tmp_path, "dovecot.conf", HARDENED + MEDIUM_GRADE)

    _, unknown = audit(run_cli, path, "--read-files")
    [hedged] = unknown["findings"]
    assert (hedged["id"], hedged["severity"]) == ("dovecot.weak_ciphers", "low")
    assert hedged["title"] == "RC4 allowed if Dovecot is linked with OpenSSL before 1.1.0"
    assert "pass --openssl-version" in hedged["explanation"]
    assert unknown["openssl_version_source"] == "unknown"

    status, new = audit(run_cli, path, "--read-files", "--openssl-version", "3.0.13")
    assert (status, new["findings"], new["openssl_version"]) == (0, [], "3.0.13")

    _, old = audit(run_cli, path, "--read-files", "--openssl-version", "1.0.2k")
    [weak] = old["findings"]
    assert weak["severity"] == "medium" and weak["title"] == "Weak ciphers allowed: RC4"
    assert "OpenSSL 1.0.2k (--openssl-version), is older than 1.1.0" in weak["explanation"]
    assert weak["fix"]["edits"][0]["value"].endswith(":!RC4:!ADH:!LOW@STRENGTH")

    named = write(tmp_path / "named", "dovecot.conf", HARDENED + "ssl_cipher_list = RC4-SHA\n")
    _, asked = audit(run_cli, named, "--read-files", "--openssl-version", "1.0.1e")
    assert [f["severity"] for f in asked["findings"]] == ["high"]


@requires_doveconf
def test_this_machines_own_dovecot_is_judged_with_its_openssl(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Auditing the dovecot.conf this machine's Dovecot reads, the local OpenSSL decides;
    a copy elsewhere is never judged by this machine's."""
    from mailwarden.audit import dovecot_reader
    from mailwarden.audit.tls import Library

    path = write(tmp_path, "dovecot.conf", HARDENED + MEDIUM_GRADE)
    monkeypatch.setattr(dovecot_reader, "DEFAULT_CONFIG", path)
    for version, shown in (((3, 0, 19), "3.0.19"), ((1, 0, 2), "1.0.2u")):
        library = Library(version, shown, "openssl")
        monkeypatch.setattr(dovecot_reader, "local_library", lambda library=library: library)
        _, document = audit(run_cli, path)
        assert document["openssl_version_source"] == "openssl"
        if version >= (1, 1, 0):
            assert document["findings"] == []
        else:
            [weak] = document["findings"]
            assert "OpenSSL 1.0.2u (openssl version)" in weak["explanation"]

    monkeypatch.setattr(dovecot_reader, "DEFAULT_CONFIG", tmp_path / "elsewhere.conf")
    monkeypatch.setattr(dovecot_reader, "local_library", lambda: pytest.fail("a copy"))
    _, copy = audit(run_cli, path)
    assert [f["severity"] for f in copy["findings"]] == ["low"]


HARDENED_24 = "dovecot_config_version = 2.4.1\n" + HARDENED.replace(
    "disable_plaintext_auth = yes\n", ""
)


@pytest.mark.parametrize(
    ("base", "setting"),
    [(HARDENED, "disable_plaintext_auth = no"), (HARDENED_24, "auth_allow_cleartext = yes")],
    ids=["2.3", "2.4"],
)
def test_cleartext_allowed_under_ssl_required_is_no_finding(
    run_cli, tmp_path: Path, base: str, setting: str
):
    """With `ssl = required` Dovecot refuses every login before TLS (LOGINDISABLED,
    "Plaintext authentication disallowed"), whatever disable_plaintext_auth (2.3) or
    auth_allow_cleartext (2.4) says: no password crosses the network in cleartext, so
    no high finding and no exit status 3 for monitoring."""
    certificate = (
        DOVECOT_CERTIFICATE_24 if "dovecot_config_version" in base else DOVECOT_CERTIFICATE
    )
    path = write(tmp_path, "dovecot.conf", base + setting + "\n" + certificate)

    status, document = audit(run_cli, path, "--read-files")

    assert status == 0
    assert document["findings"] == []


@requires_doveconf
def test_a_24_name_in_a_23_configuration_is_said_to_be_refused(run_cli, tmp_path: Path):
    """`auth_allow_cleartext = no` (2.4) pasted into a 2.3 configuration: doveconf
    refuses the file, and so does Dovecot 2.3; the report says so and gives the 2.3
    name, with the safe value."""
    path = write(
        tmp_path,
        "dovecot.conf",
        "protocols = imap\nauth_allow_cleartext = no\n" + DOVECOT_CERTIFICATE,
    )

    status, document = audit(run_cli, path)

    [finding] = document["findings"]
    assert (finding["id"], finding["severity"]) == ("dovecot.setting_other_version", "high")
    assert finding["title"] == (
        "auth_allow_cleartext is a Dovecot 2.4 setting: Dovecot 2.3 refuses this "
        "configuration (2.3 calls it disable_plaintext_auth)"
    )
    assert "refuses the whole configuration" in finding["explanation"]
    assert finding["fix"]["commands"] == [f"sed -i '2s/.*/disable_plaintext_auth = yes/' {path}"]
    assert any("Unknown setting" in note for note in document["notes"])
    assert status == 3  # a high finding (doveconf could not read it either)
    _, chinese = audit(run_cli, path, "--lang", "zh_CN")
    assert "Dovecot 2.3 会拒绝此配置" in chinese["findings"][0]["title"]

    text = "protocols = imap\ndisable_plaintext_auth = yes\n" + DOVECOT_CERTIFICATE
    after = write(tmp_path, "dovecot.conf", text)
    fixed_status, fixed = audit(run_cli, after)
    assert (fixed_status, fixed["findings"], fixed["dovecot_reader"]) == (0, [], "doveconf")


@pytest.mark.parametrize(
    ("text", "written", "fixed"),
    [
        # 2.3's name, safe value, in a 2.4 configuration
        (
            "dovecot_config_version = 2.4.1\ndisable_plaintext_auth = yes\n",
            "disable_plaintext_auth",
            "auth_allow_cleartext = no",
        ),
        # 2.4's name asking for cleartext in 2.3, where ssl = required refuses it anyway
        (
            "ssl = required\nauth_allow_cleartext = yes\n",
            "auth_allow_cleartext",
            "disable_plaintext_auth = yes",
        ),
    ],
    ids=["2.3-name-in-2.4", "2.4-name-in-2.3-under-ssl-required"],
)
def test_a_setting_of_the_other_version_is_named_and_renamed(
    run_cli, tmp_path: Path, text: str, written: str, fixed: str
):
    certificate = (
        DOVECOT_CERTIFICATE_24 if "dovecot_config_version" in text else DOVECOT_CERTIFICATE
    )
    path = write(tmp_path, "dovecot.conf", text + certificate)

    _, document = audit(run_cli, path, "--read-files")

    [finding] = document["findings"]
    assert finding["id"] == "dovecot.setting_other_version"
    assert finding["title"].startswith(f"{written} is a Dovecot")
    assert "refuses this configuration" in finding["title"]
    line = text.splitlines().index(next(t for t in text.splitlines() if t.startswith(written)))
    assert finding["fix"]["commands"] == [f"sed -i '{line + 1}s/.*/{fixed}/' {path}"]


@requires_doveconf
def test_a_section_without_ssl_required_still_accepts_cleartext(run_cli, tmp_path: Path):
    """`ssl = yes` inside `protocol pop3 {}` lifts the requirement for POP3, where the
    top-level `disable_plaintext_auth = no` then lets passwords through."""
    text = HARDENED + "disable_plaintext_auth = no\nprotocol pop3 {\n  ssl = yes\n}\n"
    path = write(tmp_path, "dovecot.conf", text)

    status, document = audit(run_cli, path)

    assert status == 3
    [finding] = document["findings"]
    assert finding["id"] == "dovecot.cleartext_auth"
    assert (
        finding["evidence"][0]["line"] == text.splitlines().index("disable_plaintext_auth = no") + 1
    )


def test_credential_exposed_is_passwords_in_the_log_not_cleartext(run_cli, tmp_path: Path):
    """`--help` says `--check credential_exposed` selects the settings that write
    passwords into the log (the analysis's credential_exposed); cleartext passwords on
    the network are the cleartext_auth topic."""
    path = write(tmp_path, "dovecot.conf", BAD)

    _, logged = audit(run_cli, path, "--read-files", "--check", "credential_exposed")
    _, cleartext = audit(run_cli, path, "--read-files", "--check", "cleartext_auth")

    assert {f["id"] for f in logged["findings"]} == {
        "dovecot.auth_verbose_passwords",
        "dovecot.auth_debug_passwords",
    }
    assert "dovecot.cleartext_auth" in {f["id"] for f in cleartext["findings"]}
    help_text = " ".join(run_cli("audit", "--help").out.split())
    assert "only the settings that write passwords into the log, or may" in help_text


@requires_doveconf
def test_trusting_every_network_is_high_and_narrowed_to_loopback(run_cli, tmp_path: Path):
    """Clients in login_trusted_networks are taken for secured (cleartext passwords
    accepted despite `ssl = required`) and may name another client address. Trusting
    0.0.0.0/0 ::/0 (an administrator behind a load balancer) hands both to everyone;
    the fix keeps loopback, which the list covered, for a webmail on this machine."""
    main = write(tmp_path, "dovecot.conf", HARDENED + "!include_try local.conf\n")
    local = write(
        tmp_path,
        "local.conf",
        "# behind a load balancer\nlogin_trusted_networks = 0.0.0.0/0 ::/0\n",
    )

    status, document = audit(run_cli, main)

    assert status == 3
    [finding] = document["findings"]
    assert finding["id"] == "dovecot.login_trusted_networks"
    assert finding["severity"] == "high"
    assert finding["title"] == "Dovecot trusts public networks as proxies: 0.0.0.0/0 ::/0"
    explanation = finding["explanation"]
    assert "accepts its password in cleartext" in explanation
    assert "mailwarden would ban that address instead of the guesser" in explanation
    assert finding["evidence"][0]["file"] == str(local) and finding["evidence"][0]["line"] == 2
    sed = f"sed -i '2s/.*/login_trusted_networks = 127.0.0.0\\/8 ::1/' {local}"
    assert finding["fix"]["commands"] == [sed]

    subprocess.run(shlex.split(sed), check=True)

    assert "login_trusted_networks = 127.0.0.0/8 ::1\n" in local.read_text()
    subprocess.run(["doveconf", "-c", str(main), "-n"], check=True, capture_output=True)
    status, after = audit(run_cli, main)
    assert (status, after["findings"]) == (0, [])


@pytest.mark.parametrize(
    "networks",
    ["127.0.0.0/8 ::1", "10.0.0.0/8, 192.168.1.0/24 fd00::/8", "127.0.0.1 203.0.113.5"],
    ids=["loopback", "private", "one-host"],
)
def test_trusting_loopback_private_networks_or_one_host_is_no_finding(
    run_cli, tmp_path: Path, networks: str
):
    """A webmail on this machine, the site's own networks, or the one address of a
    proxy: the setup Dovecot recommends."""
    path = write(tmp_path, "dovecot.conf", HARDENED + f"login_trusted_networks = {networks}\n")

    status, document = audit(run_cli, path, "--read-files")

    assert (status, document["findings"]) == (0, [])


def test_a_public_range_beside_private_ones_is_removed_alone(run_cli, tmp_path: Path):
    text = HARDENED + "login_trusted_networks = 10.0.0.0/8 198.51.100.0/24\n"
    path = write(tmp_path, "dovecot.conf", text)

    _, document = audit(run_cli, path, "--read-files")

    [finding] = document["findings"]
    assert finding["title"].endswith(": 198.51.100.0/24")
    line = text.splitlines().index("login_trusted_networks = 10.0.0.0/8 198.51.100.0/24") + 1
    assert finding["fix"]["commands"] == [
        f"sed -i '{line}s/.*/login_trusted_networks = 10.0.0.0\\/8/' {path}"
    ]


def many_remote_sections(count: int) -> str:
    """`ssl = required`, yet cleartext passwords and plain `ssl = yes` for `count`
    client networks: every section is a finding."""
    sections = "".join(
        f"remote 198.18.{n // 250}.{n % 250 + 1} {{\n"
        "  disable_plaintext_auth = no\n"
        "  ssl = yes\n"
        "  mail_plugins = $mail_plugins acl\n"
        "}\n"
        for n in range(count)
    )
    return HARDENED + sections


def test_the_audit_grows_with_the_sections_not_with_their_square(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Each section's settings were looked for among all the settings of the file, once
    per section: 2,000 `remote` sections took 11 s. Twice the sections now take about
    twice the looks at a setting, and every section is still reported."""
    from mailwarden.audit.dovecot_config import DovecotSetting

    looks = {"count": 0}
    real = DovecotSetting.filtered

    def counted(setting: DovecotSetting) -> bool:
        looks["count"] += 1
        return real.__get__(setting)

    monkeypatch.setattr(DovecotSetting, "filtered", property(counted))
    counts = []
    for size in (100, 200):
        looks["count"] = 0
        path = write(tmp_path / str(size), "dovecot.conf", many_remote_sections(size))
        status, document = audit(run_cli, path, "--read-files")
        cleartext = [f for f in document["findings"] if f["id"] == "dovecot.cleartext_auth"]
        assert status == 3 and len(cleartext) == size
        counts.append(looks["count"])

    assert counts[1] < 2.2 * counts[0]


def _audit_in_time(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The audit as its own process, killed (and the test failed) if it runs long."""
    command = [sys.executable, "-m", "mailwarden", "audit", "--dovecot-config", str(path)]
    return subprocess.run(
        [*command, "--format", "json", *extra], capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize("extra", [(), ("--read-files",)])
def test_a_file_that_includes_itself_is_read_once_with_a_note(tmp_path: Path, extra):
    """Three `!include dovecot.conf` lines in dovecot.conf made the file parser read it
    3^20 times (the audit never ended, with doveconf or without: doveconf refuses the
    file, and the audit then falls back to the parser). Now the repeat is a note, as
    doveconf says ("Recursive include file")."""
    path = write(
        tmp_path,
        "dovecot.conf",
        "auth_verbose_passwords = plain\n" + "!include dovecot.conf\n" * 3 + DOVECOT_CERTIFICATE,
    )

    done = _audit_in_time(path, *extra)

    document = json.loads(done.stdout)
    assert [f["id"] for f in document["findings"]] == ["dovecot.auth_verbose_passwords"]
    recursive = [n for n in document["notes"] if "recursive include" in n]
    assert recursive == [
        f"{path}, line {line}: recursive include of {path}, which is already being read: "
        "it was not read again. Dovecot refuses such a configuration."
        for line in (2, 3, 4)
    ]


def test_a_glob_that_matches_the_including_files_is_read_once(tmp_path: Path):
    """dovecot.conf and local.conf both `!include_try *.conf`: each reads the other once,
    and neither itself."""
    main = write(tmp_path, "dovecot.conf", "protocols = imap\n!include_try *.conf\n")
    write(
        tmp_path,
        "local.conf",
        "auth_verbose_passwords = plain\n!include_try *.conf\n" + DOVECOT_CERTIFICATE,
    )

    done = _audit_in_time(main, "--read-files")

    document = json.loads(done.stdout)
    assert [f["id"] for f in document["findings"]] == ["dovecot.auth_verbose_passwords"]
    assert len([n for n in document["notes"] if "recursive include" in n]) == 3
    settings, _ = parse_dovecot_files(main)
    assert [(s.name, Path(s.file or "").name) for s in settings] == [
        ("protocols", "dovecot.conf"),
        ("auth_verbose_passwords", "local.conf"),
        ("ssl_cert", "local.conf"),
        ("ssl_key", "local.conf"),
    ]


def test_includes_that_double_at_every_level_stop_at_a_bounded_number_of_files(tmp_path: Path):
    """No loop: f0 includes f1 twice, f1 includes f2 twice, ... (Dovecot allows a file
    read twice). The parser stops after a bounded number of files, with a note."""
    for i in range(19):
        write(tmp_path, f"f{i}.conf", f"auth_verbose = yes\n!include f{i + 1}.conf\n" * 2)
    write(tmp_path, "f19.conf", "auth_verbose = yes\n")

    settings, notes = parse_dovecot_files(tmp_path / "f0.conf")

    assert len(settings) < 5000
    assert [n.key for n in notes] == ["include_count"]


def test_every_address_written_short_is_trusted_too(run_cli, tmp_path: Path):
    """Dovecot reads an IPv4 address as inet_aton(3) does: ``0/0`` is every address, and
    a client anywhere may then log in with a cleartext password (seen with Dovecot
    2.3.19: "Logged in ... secured" over plain IMAP). It went unreported."""
    path = write(tmp_path, "dovecot.conf", HARDENED + "login_trusted_networks = 0/0\n")

    status, document = audit(run_cli, path, "--read-files")

    [finding] = document["findings"]
    assert (status, finding["id"], finding["severity"]) == (
        3,
        "dovecot.login_trusted_networks",
        "high",
    )


def test_protocol_names_are_read_in_any_case(run_cli, tmp_path: Path):
    """Dovecot takes ``ssl_min_protocol = tlsv1`` as TLSv1; it was "No problems found"."""
    path = write(tmp_path, "dovecot.conf", HARDENED + "ssl_min_protocol = tlsv1\n")

    _, document = audit(run_cli, path, "--read-files")

    [finding] = document["findings"]
    assert (finding["id"], finding["severity"]) == ("dovecot.ssl_old_protocols", "medium")
    assert "TLSv1, TLSv1.1" in finding["title"]


def test_y_is_yes_as_dovecot_reads_it(run_cli, tmp_path: Path):
    """Dovecot's booleans take ``y`` (doveconf -n prints some defaults so): a password
    leak written ``Y`` was missed, and ``disable_plaintext_auth = y`` was reported as
    allowing cleartext passwords."""
    text = HARDENED.replace("disable_plaintext_auth = yes", "disable_plaintext_auth = y")
    path = write(tmp_path, "dovecot.conf", text + "auth_debug_passwords = Y\n")

    _, document = audit(run_cli, path, "--read-files")

    assert [f["id"] for f in document["findings"]] == ["dovecot.auth_debug_passwords"]


def test_cleartext_for_loopback_clients_only_is_no_finding(run_cli, tmp_path: Path):
    """A webmail on this machine logging in without TLS: no password crosses the
    network. It was a high finding that said passwords can cross the network."""
    local = "remote 127.0.0.1 ::1 {\n  disable_plaintext_auth = no\n}\n"
    path = write(tmp_path, "dovecot.conf", HARDENED.replace("ssl = required", "ssl = yes") + local)

    status, document = audit(run_cli, path, "--read-files")

    assert (status, document["findings"]) == (0, [])
    # a public network in the same kind of section is still reported
    path.write_text(path.read_text().replace("127.0.0.1 ::1", "127.0.0.1 192.0.2.0/24"))
    _, document = audit(run_cli, path, "--read-files")
    assert [f["id"] for f in document["findings"]] == ["dovecot.cleartext_auth"]


@pytest.mark.parametrize(
    ("networks", "reported"),
    [
        ("010.0.0.0/8 172.016.0.0/12", False),  # decimal to Dovecot: its private ranges
        ("10/8 192.168.0.0/16", False),  # 0.0.0.0/8 to Dovecot: no client, not public
        ("[::]/0", True),  # brackets allowed: every IPv6 client
        ("127.0.0.0/8 [2001:db8::]/32", True),
    ],
)
def test_networks_are_read_as_dovecot_reads_them(
    run_cli, tmp_path: Path, networks: str, reported: bool
):
    """Dovecot reads dotted quads in decimal before it tries inet_aton(3) (which takes
    ``010`` for octal 8: a false high finding), and allows an IPv6 address in brackets
    (missed: every IPv6 client trusted)."""
    path = write(tmp_path, "dovecot.conf", HARDENED + f"login_trusted_networks = {networks}\n")

    _, document = audit(run_cli, path, "--read-files")

    found = [f["id"] for f in document["findings"]]
    assert found == (["dovecot.login_trusted_networks"] if reported else [])
