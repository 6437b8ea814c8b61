"""explain names tlsproxy's own ``tlsproxy_tls_loglevel`` for ``postfix/tlsproxy`` TLS
dump lines, in the line's note, the server's finding and the step that lowers it."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

PROXY = "Nov 30 08:00:01 mx postfix/tlsproxy[4301]: Read 6 chars: QUIT\n"
SMTPD = "Nov 30 08:00:02 mx postfix/smtpd[4302]: Read 6 chars: QUIT\n"


def test_tlsproxy_lines_name_its_own_setting(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(PROXY))
    assert code == 0, err
    text = " ".join(out.split())
    assert "smtpd_tls_loglevel" not in text
    assert "because tlsproxy_tls_loglevel is 4 or more" in text
    assert "Lower tlsproxy_tls_loglevel to 1: postconf -e tlsproxy_tls_loglevel=1 postfix" in text


def test_both_kinds_of_lines_name_both_settings(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(PROXY + SMTPD))
    assert code == 0, err
    text = " ".join(out.split())
    assert "Lower smtpd_tls_loglevel to 1" in text
    assert "The “postfix/tlsproxy” lines show tlsproxy_tls_loglevel 4" in text
