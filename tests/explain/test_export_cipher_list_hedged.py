"""Postfix's pre-2.8 export cipher list was its default wherever TLS was not mandatory,
port 465 in wrapper mode included: it tells an old Postfix, not that the client used
STARTTLS. And “the smtp service” is port 25 only as far as the findings say it is:
unless submission logs without its own syslog_name."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

LOG = (
    "Feb 23 11:57:40 mail postfix/smtpd[32451]: connect from unknown[203.0.113.30]\n"
    "Feb 23 11:57:42 mail postfix/smtpd[32451]: unknown[203.0.113.30]: "
    'TLS cipher list "ALL:+RC4:@STRENGTH"\n'
    "Feb 23 11:57:43 mail postfix/smtpd[32451]: warning: unknown[203.0.113.30]: SASL LOGIN "
    "authentication failed: UGFzc3dvcmQ6\n"
)


def test_the_export_list_tells_an_old_postfix_not_starttls(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(LOG))
    assert code == 0, err
    text = " ".join(out.split())
    assert "port 465 (smtps, wrapper mode) at the default security level" in text
    assert "So the server runs an old Postfix." in text
    assert "So this client used STARTTLS" not in text


def test_the_who_line_hedges_port_25(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(LOG))
    assert code == 0, err
    text = " ".join(out.split())
    assert (
        "1 connection to the smtp service (port 25, unless submission on 587 was set up "
        "without its own syslog_name)"
    ) in text
    assert "the smtp service (port 25)," not in text
