"""A ``postfix/tlsproxy`` TLS dump line (``Read N chars``) shows tlsproxy's own
``tlsproxy_tls_loglevel``, not smtpd_tls_loglevel: the finding's cause and fix name it,
and ``settings`` lists the settings the lines show."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner, analyze_json

LogFile = Callable[[str], str]

PROXY = "Nov 30 08:00:01 mx postfix/tlsproxy[4301]: Read 6 chars: QUIT"
SMTPD = "Nov 30 08:00:02 mx postfix/smtpd[4302]: Read 6 chars: QUIT"


def _exposed(run: Runner, log_file: LogFile, lines: list[str]) -> dict[str, object]:
    document = analyze_json(run, log_file, lines)
    (exposed,) = [f for f in document["findings"] if f["kind"] == "credential_exposed"]
    data: dict[str, object] = exposed["data"]
    return data


def test_a_tlsproxy_dump_line_names_tlsproxy_tls_loglevel(run: Runner, log_file: LogFile) -> None:
    data = _exposed(run, log_file, [PROXY])
    assert data["settings"] == ["tlsproxy_tls_loglevel"]
    assert str(data["cause"]).startswith("tlsproxy_tls_loglevel 4")
    assert "smtpd_tls_loglevel" not in str(data["cause"])
    assert data["fix"] == (
        "set tlsproxy_tls_loglevel = 1 (postconf -e tlsproxy_tls_loglevel=1; postfix reload)"
    )


def test_smtpd_and_tlsproxy_dump_lines_name_both_settings(run: Runner, log_file: LogFile) -> None:
    data = _exposed(run, log_file, [PROXY, SMTPD])
    assert data["settings"] == ["smtpd_tls_loglevel", "tlsproxy_tls_loglevel"]
    assert "postconf -e smtpd_tls_loglevel=1 tlsproxy_tls_loglevel=1" in str(data["fix"])


def test_an_smtpd_dump_line_still_names_smtpd_tls_loglevel(run: Runner, log_file: LogFile) -> None:
    data = _exposed(run, log_file, [SMTPD])
    assert data["settings"] == ["smtpd_tls_loglevel"]
    assert data["fix"] == (
        "set smtpd_tls_loglevel = 1 (postconf -e smtpd_tls_loglevel=1; postfix reload)"
    )
