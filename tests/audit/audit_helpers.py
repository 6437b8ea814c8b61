"""Configurations the audit tests build (the fixtures are in conftest.py).

Three Postfix directories, each built from Debian's stock files in /usr/share/postfix:
- `user_server`: modelled on the user's server (AUTH in main.cf so on port 25, TLS log
  level 4, soft_bounce, `ALL:+RC4:@STRENGTH` as the opportunistic cipher list, the 1990s
  `broken_sasl_auth_clients`), with comments and a continuation line in main.cf;
- `hardened`: AUTH only on submission (587) and submissions (465), TLS required there,
  log level 1, SSLv3 and weak ciphers excluded, an AUTH rate limit;
- `debian_stock`: main.cf.debian and master.cf.dist unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

STOCK = Path("/usr/share/postfix")

requires_postconf = pytest.mark.skipif(
    shutil.which("postconf", path="/usr/sbin:/usr/bin:/sbin") is None
    or not (STOCK / "main.cf.debian").exists(),
    reason="Debian's postfix package is not installed (make debian)",
)
requires_doveconf = pytest.mark.skipif(
    shutil.which("doveconf", path="/usr/bin:/usr/sbin") is None,
    reason="Debian's dovecot-core package is not installed (make debian)",
)

USER_MAIN = """
# --- copied from the user's mail server, names changed ---
myhostname = mail.example.com
mydestination = $myhostname, localhost

# TLS: STARTTLS on port 25
smtpd_tls_cert_file = /etc/pki/tls/certs/mail.example.com.pem
smtpd_tls_key_file = /etc/pki/tls/private/mail.example.com.key
smtpd_use_tls = yes
smtpd_tls_loglevel = 4
smtpd_tls_ciphers = export
tls_export_cipherlist = ALL:+RC4:@STRENGTH

# SASL through Dovecot
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
broken_sasl_auth_clients = yes
smtpd_recipient_restrictions = permit_mynetworks,
    permit_sasl_authenticated,
    reject_unauth_destination

soft_bounce = yes
"""

HARDENED_MAIN = """
myhostname = mail.example.com
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_protocols = !SSLv2, !SSLv3
smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1
smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, LOW, RC4, MD5, DES, 3DES
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 10
"""

HARDENED_MASTER = """
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
submissions     inet  n       -       y       -       -       smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
"""


# A Dovecot certificate and key (doveconf does not read the files): with TLS on, the
# default, and neither set, the audit reports dovecot.ssl_no_certificate.
DOVECOT_CERTIFICATE = (
    "ssl_cert = </etc/dovecot/private/dovecot.pem\nssl_key = </etc/dovecot/private/dovecot.key\n"
)
DOVECOT_CERTIFICATE_24 = (
    "ssl_server_cert_file = /etc/dovecot/private/dovecot.pem\n"
    "ssl_server_key_file = /etc/dovecot/private/dovecot.key\n"
)


def build_postfix(directory: Path, main_extra: str = "", master_extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    main_cf = (STOCK / "main.cf.debian").read_text() + main_extra
    master_cf = (STOCK / "master.cf.dist").read_text() + master_extra
    (directory / "main.cf").write_text(main_cf)
    (directory / "master.cf").write_text(master_cf)
    settle(directory)
    return directory


def settle(directory: Path) -> None:
    """Date the files back: postconf re-reads a main.cf changed in the last second
    (it may be half-written) and sleeps 0.3 s each time, which makes tests slow."""
    past = time.time() - 60
    for path in directory.iterdir():
        os.utime(path, (past, past))


def line_of(path: Path, text: str) -> int:
    """1-based number of the first line of `path` that starts with `text`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith(text):
            return number
    raise AssertionError(f"{text!r} not in {path}")


@dataclass
class Result:
    status: int
    out: str
    err: str


def write(directory: Path, name: str, text: str) -> Path:
    """``text`` as the file ``name`` in ``directory`` (made if need be)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def audit(run_cli, path: Path, *extra: str) -> tuple[int, dict]:
    """(exit status, JSON report) of ``mailwarden audit`` of the Dovecot configuration
    ``path``."""
    result = run_cli("audit", "--dovecot-config", str(path), "--format", "json", *extra)
    return result.status, json.loads(result.out)
