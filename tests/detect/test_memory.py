# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What the analysis of many attacking addresses costs in memory: ``mailwarden analyze``
on a million lines with 100,000 distinct client addresses stays under 200 MB (the
issue's goal; benchmarks/throughput.py measures it, benchmarks/generate.py
``--shape passwords`` makes the log where every address sends a password the log shows).
These tests hold the parts of that budget that grow with the addresses, on a few
thousand of them, with the evidence and the credentials reported as before."""

from __future__ import annotations

import base64
import gc
import json
import tracemalloc

from mailwarden.detect import Detector
from mailwarden.detect.analysis import Analysis
from mailwarden.native import compiled_modules
from sasllines import events_from

ADDRESSES = 3000
RESULT_BYTES_PER_ATTACKER = 400
"""What :meth:`Detector.result` may add per attacker: its :class:`Attacker` and little
more (the evidence lines stay as the detector keeps them; before, each attacker held
parsed copies of its lines, about 800 bytes)."""
DETECTOR_BYTES_PER_ATTACKER = {False: 1410, True: 1480}
"""What the detector holds per attacking address once it has read the log (its state, its
evidence, its network), in pure Python and compiled: about 1,395 and 1,470 bytes (8 of
them :attr:`ClientState.names_in_connection`, the time a connection of the address last
failed on a second account). Before, each address kept six fields for failures with an
old password that hardly any address has (1,430 and 1,500 bytes)."""


def stamp(n: int) -> str:
    return f"Feb 23 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"


def address(n: int) -> str:
    if n < 200:
        return f"203.0.113.{n + 1}"
    return f"2001:db8:{n >> 8:x}:{n & 0xFF:x}::1"


def password_lines(n: int) -> list[str]:
    """Address ``n`` guesses once, its password in the log: smtpd -v's AUTH line for the
    even ones, Dovecot's ``given password`` for the odd ones."""
    ip, user, password = address(n), f"user{n % 40}@example.com", f"Secret-{n}!"
    if n % 2:
        return [
            f"{stamp(n)} mx dovecot: auth: passwd-file({user},{ip},<S{n:08d}>): Password mismatch (given password: {password})"
        ]
    smtpd = f"mx postfix/submission/smtpd[{10000 + n}]"
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    return [
        f"{stamp(n)} {smtpd}: connect from unknown[{ip}]",
        f"{stamp(n)} {smtpd}: < unknown[{ip}]: AUTH PLAIN {token}",
        f"{stamp(n)} {smtpd}: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}",
        f"{stamp(n)} {smtpd}: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2",
    ]


def fed() -> Detector:
    detector = Detector(keep_history=True, detections=False)
    for event in events_from([line for n in range(ADDRESSES) for line in password_lines(n)]):
        detector.feed(event)
    detector.close()
    return detector


def test_the_detector_holds_little_per_attacking_address() -> None:
    events = list(events_from([line for n in range(ADDRESSES) for line in password_lines(n)]))
    gc.collect()
    tracemalloc.start()
    try:
        detector = Detector(keep_history=True, detections=False)
        for event in events:
            detector.feed(event)
        detector.close()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        # At the end of the input, what only more input would need goes before the
        # analysis is made: the network of each address that is alone in its network,
        # and each address's recent failure times (about 90 bytes an address: 470 bytes
        # in all went before, pure Python, 492 compiled; now some 560).
        detector.finished()
        gc.collect()
        finished = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    compiled = compiled_modules()["mailwarden.detect.state"]
    assert held / ADDRESSES < DETECTOR_BYTES_PER_ATTACKER[compiled]
    assert (held - finished) / ADDRESSES > 530
    # and it still reports every address
    assert len(detector.result().attackers) == ADDRESSES


def result_held(detector: Detector) -> tuple[Analysis, int]:
    """The analysis, and the bytes that :meth:`Detector.result` allocated and still holds."""
    gc.collect()
    tracemalloc.start()
    try:
        analysis = detector.result()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return analysis, held


def test_the_analysis_of_many_attackers_holds_no_copy_of_their_evidence() -> None:
    analysis, held = result_held(fed())
    assert len(analysis.attackers) == ADDRESSES
    assert held / ADDRESSES < RESULT_BYTES_PER_ATTACKER
    # Every attacker's evidence is still reported: its failed login, as the log has it
    # (a password Dovecot logged masked).
    smtpd = analysis.attacker(address(10))
    dovecot = analysis.attacker(address(11))
    assert smtpd is not None and dovecot is not None
    failure = sum(len(password_lines(n)) for n in range(10)) + 3  # the line's number
    assert [event.record.text for event in smtpd.evidence] == [password_lines(10)[2]]
    assert smtpd.evidence[0].ip == address(10) and smtpd.evidence[0].record.line == failure
    (line,) = dovecot.evidence
    assert line.record.text.startswith(password_lines(11)[0].split("given password: ")[0])
    assert "Secret-11!" not in line.record.text
    written = json.loads(json.dumps(smtpd.to_json()))
    assert written["evidence"] == [
        {"source": "mail.log", "line": failure, "text": password_lines(10)[2]}
    ]
    assert written["users"] == ["user10@example.com"]


def test_many_attackers_share_what_they_have_in_common() -> None:
    """Equal verdicts, reasons, services and evidence headers are one object each, not
    one per attacker (in the compiled build too, where a plain tuple type is unboxed
    and boxed anew wherever it is stored)."""
    analysis = fed().result()
    attackers = analysis.attackers
    for values in (
        [a.verdicts for a in attackers],
        [a.reasons for a in attackers],
        [a.services for a in attackers],
        [a.users for a in attackers],
        [item[-1] for a in attackers for item in a.items],  # the evidence lines' headers
    ):
        assert len({id(value) for value in values}) == len(set(values)) < ADDRESSES / 20
    credentials = analysis.findings_of("credential_exposed")
    assert {f.subject for f in credentials} == {"verbose", "dovecot"}
    assert sum(f.data["payloads"] for f in credentials) == ADDRESSES
