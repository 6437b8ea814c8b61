"""A cleartext setting under the other Dovecot version's name does not merely "have no
effect": Dovecot refuses the whole configuration, as doveconf shows. The report says
what happens (no start, no reload), with a severity to match."""

from __future__ import annotations

import subprocess
from pathlib import Path

from audit_helpers import DOVECOT_CERTIFICATE, audit, requires_doveconf, write

CONFIG = "protocols = imap pop3\nauth_allow_cleartext = no\nssl = yes\n" + DOVECOT_CERTIFICATE


@requires_doveconf
def test_a_24_name_in_a_23_configuration_is_high_since_dovecot_will_not_start(
    run_cli, tmp_path: Path
):
    path = write(tmp_path, "dovecot.conf", CONFIG)
    doveconf = subprocess.run(["doveconf", "-c", str(path), "-n"], capture_output=True, text=True)
    assert doveconf.returncode != 0  # what Dovecot 2.3 itself does with the line
    assert "Unknown setting: auth_allow_cleartext" in doveconf.stderr

    status, document = audit(run_cli, path)

    [finding] = document["findings"]
    assert finding["id"] == "dovecot.setting_other_version"
    assert finding["severity"] == "high"
    assert status == 3
    assert finding["title"] == (
        "auth_allow_cleartext is a Dovecot 2.4 setting: Dovecot 2.3 refuses this "
        "configuration (2.3 calls it disable_plaintext_auth)"
    )
    assert "no effect" not in finding["title"] + finding["explanation"]
    explanation = " ".join(finding["explanation"].split())
    assert "Dovecot does not start with it" in explanation
    assert "a running Dovecot cannot reload it (doveadm reload fails)" in explanation
    _, chinese = audit(run_cli, path, "--lang", "zh_CN")
    assert chinese["findings"][0]["severity"] == "high"
    assert "Dovecot 2.3 会拒绝此配置" in chinese["findings"][0]["title"]
