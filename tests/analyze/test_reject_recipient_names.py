"""A relay prober's choice of recipient names does not hide it from ``mailwarden analyze``.

Postfix writes the recipient the client sent at the start of the reject's reply
(``554 5.7.1 <rcpt>: Relay access denied``). Thirty relay attempts are a scanner to
watch whatever the recipients are called: ``greylist.N@…`` or ``"Try again later"@…``
(words of a routine, temporary refusal) must not make them routine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner, analyze_json

IP = "203.0.113.5"


def _sessions(rcpt: Callable[[int], str]) -> list[str]:
    lines = []
    for n in range(30):
        tag = f"mx postfix/smtpd[{1000 + n}]:"
        at = f"Feb 23 11:{58 + n // 60:02d}:{n % 60:02d}"
        item = rcpt(n)
        lines += [
            f"{at} {tag} connect from unknown[{IP}]",
            f"{at} {tag} NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 <{item}>: Relay "
            f"access denied; from=<a@b.example> to=<{item}> proto=ESMTP helo=<x.example>",
            f"{at} {tag} disconnect from unknown[{IP}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
        ]
    return lines


def _verdict(report: dict[str, Any]) -> tuple[str, str] | None:
    found = [(a["verdict"], a["recommendation"]) for a in report["attackers"] if a["ip"] == IP]
    return found[0] if found else None


@pytest.mark.parametrize(
    "rcpt",
    [
        pytest.param(lambda n: f"greylist.v{n}@victim.example", id="greylist"),
        pytest.param(lambda n: f'"Try again later {n}"@victim.example', id="try-again-later"),
        pytest.param(lambda n: f'"x{n}; proto=a"@victim.example', id="quoted-trailer"),
    ],
)
def test_recipient_names_do_not_hide_relay_attempts(
    run: Runner, log_file: Callable[[str], str], rcpt: Callable[[int], str]
) -> None:
    plain = _verdict(analyze_json(run, log_file, _sessions(lambda n: f"v{n}@victim.example")))
    assert plain == ("scanner", "watch")
    assert _verdict(analyze_json(run, log_file, _sessions(rcpt))) == plain
