"""`$name` inside a section is the value `name` has there so far: the section's own,
else the one around it, else the top level's, as doveconf reads it. The file parser
(--read-files) took Dovecot's built-in default instead of the top-level value."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from audit_helpers import audit, write

READERS = [(), ("--read-files",)]
if shutil.which("doveconf", path="/usr/bin:/usr/sbin") is None:
    READERS = [("--read-files",)]

CONFIG = """\
protocols = imap pop3
ssl = required
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
auth_mechanisms = plain anonymous
protocol imap {
  auth_mechanisms = $auth_mechanisms login
}
"""


@pytest.mark.parametrize("reader", READERS, ids=lambda r: "files" if r else "doveconf")
def test_a_reference_in_a_section_takes_the_top_level_value(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    path = write(tmp_path, "dovecot.conf", CONFIG)

    _, document = audit(run_cli, path, *reader)

    found = {
        f["subject"]: f for f in document["findings"] if f["id"] == "dovecot.anonymous_mechanism"
    }
    assert set(found) == {None, "protocol imap"}
    [evidence] = found["protocol imap"]["evidence"]
    assert evidence["value"] == "plain anonymous login"
    assert found["protocol imap"]["fix"]["commands"] == [
        f"sed -i '7s/.*/  auth_mechanisms = plain login/' {path}"
    ]
