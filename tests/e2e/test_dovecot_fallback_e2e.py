"""Real Dovecot (auth_verbose = yes, CRAM-MD5 offered): a mail program trying one wrong
password by CRAM-MD5, PLAIN and LOGIN on one IMAP connection is not banned; a bot trying
three passwords by PLAIN on one connection is, with each counted.

Dovecot 2.3 names the mechanism in its auth line only for CRAM-MD5 (``cram-md5(…)``);
PLAIN and LOGIN both show as ``passwd-file(…)``, so the client's tries count two (see
``_dovecot_mechanism`` in mailwarden.detect.sessions), below the three of a fast brute
force. The two clients run in parallel: each failure waits Dovecot's delay and penalty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from clirunner import Runner

from .lab import DovecotOptions, Lab

pytestmark = pytest.mark.e2e

BOB = "bob@lab.example"


def test_mechanism_fallback_of_a_mail_program_is_not_banned(
    lab_factory: Callable[..., Lab], run: Runner
) -> None:
    lab = lab_factory(dovecot=DovecotOptions(settings={"auth_mechanisms": "plain login cram-md5"}))
    phone, bot = lab.legit, lab.attacker
    mark = lab.dovecot_log.mark()
    with ThreadPoolExecutor(2) as pool:
        tried = pool.submit(
            lab.imap_authenticate,
            phone,
            BOB,
            [("CRAM-MD5", "an-old-pw"), ("PLAIN", "an-old-pw"), ("LOGIN", "an-old-pw")],
        )
        guessed = pool.submit(
            lab.imap_authenticate, bot, BOB, [("PLAIN", f"guess-{n}") for n in range(3)]
        )
        assert not tried.result().ok and not guessed.result().ok
    for client in (phone, bot):
        lab.dovecot_log.wait_for(
            rf"imap-login: .*\(auth failed, 3 attempts .*rip={re.escape(client.ipv4)},",
            since=mark,
        )
    text = lab.dovecot_log.text(mark)
    # The premise: one auth line per mechanism tried, the mechanism named for CRAM-MD5.
    assert len(re.findall(rf"passwd-file\({BOB},{phone.ipv4},<", text)) == 2
    assert len(re.findall(rf"cram-md5\({BOB},{phone.ipv4},<", text)) == 1
    assert len(re.findall(rf"passwd-file\({BOB},{bot.ipv4},<", text)) == 3

    # The lab puts both clients in one /24, guessing one account in the same seconds:
    # when the phone's lines come first, the network rules rightly take the two for a
    # network guessing together. This test is about the mechanism fallback: each
    # address is a network of its own here.
    code, out, err = run(
        "analyze", "--set", "ipv4_prefix=32", "--format", "json", str(lab.root / "dovecot.log")
    )

    assert code in (0, 1), err
    attackers = {a["ip"]: a for a in json.loads(out)["attackers"]}
    assert phone.ipv4 not in attackers
    assert attackers[bot.ipv4]["failures"] == 3
    assert attackers[bot.ipv4]["recommendation"] == "ban"
