# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The analyzer's prefilter drops nothing that could change an analysis.

"Could change" is defined end to end: the analysis (``Analysis.to_json``, all of it but
``stats.events``, the count of events fed) of the full pipeline, where every line is
framed, parsed and fed to the detector, equals the fast path's (:func:`mailwarden.scan.scan`
with :data:`~mailwarden.scan.ALWAYS_NEEDLES`, :data:`~mailwarden.scan.MAYBE_NEEDLES` and
:class:`~mailwarden.scan.Relevance`), in the process and through the worker. Checked on
every line of the parser corpus, the real logs, generated logs, and random sessions.

Line by line, without any state: a line the needles drop gives no event the detector
could read (its type is one the detector handles, it has a Dovecot session, it is strong
evidence, it names a local address, or it is a weak cipher, protocol or cipher list).
``connect from`` lines are the exception, as before this filter: they are kept only in a
chunk with TLS dump lines, whose sessions take their client address from them. (So a
session whose ``disconnect from`` line is missing is not ended by the next ``connect``
of its smtpd process on the fast path: a known difference, as before.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from analyze_logs import load_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwarden.detect import Detector
from mailwarden.detect import rules as detect_rules
from mailwarden.detect.server import ServerWatch
from mailwarden.framing import Framer
from mailwarden.model import Event, EventType, Strength
from mailwarden.parsers import parse
from mailwarden.pipeline import Counts, ReadOptions, read_events
from mailwarden.scan import _OTHER_STYLE, _analysis_lines, scan, streams_of
from mailwarden.sources.files import expand_inputs

ROOT = Path(__file__).resolve().parents[2]
REAL = sorted((ROOT / "tests" / "data" / "real").glob("*.log"))


CORPUS = load_module("relevance_corpus", ROOT / "tests" / "parsers" / "corpus.py")
GENERATE = load_module("generate", ROOT / "benchmarks" / "generate.py")
LINES = [case.line for case in CORPUS.ALL]


def _detected_types() -> frozenset[EventType]:
    """The types the detector reads: its session layer's and its handlers' (every type
    when it no longer tells: the line-by-line test then only gets stricter)."""
    sessions = getattr(detect_rules, "_SESSION_TYPES", None)
    handlers = getattr(Detector(detections=False), "_handlers", None)
    if sessions is None or handlers is None:
        return frozenset(EventType)
    return frozenset(sessions) | frozenset(handlers)


DETECTED = _detected_types()


def could_matter(event: Event) -> bool:
    """State-free: whether the detector could read anything in ``event``."""
    if event.type in (EventType.TLS_ESTABLISHED, EventType.TLS_SETUP):
        watch = ServerWatch()
        if event.type is EventType.TLS_ESTABLISHED:
            watch.tls_established(event)
        else:
            watch.tls_setup(event)
        return bool(watch.findings())
    if event.type is EventType.CONNECT:
        return False  # see the module doc
    if event.type is EventType.DEBUG and event.detail and "password_logged" in event.detail:
        return True  # a password in the log
    return (
        event.type in DETECTED
        or event.session is not None
        or event.server_ip is not None
        or (event.hostile and event.strength is Strength.STRONG)
    )


def events_of_line(line: str) -> list[Event]:
    framer = Framer(year=2026)
    return [event for record in framer.frame_line(line, "t", 1, 0) for event in parse(record)]


def kept(line: str, loose: bool) -> bool:
    """Whether the needles keep ``line``: in a chunk of its own (``loose`` False: the
    chunk is loose when this line makes it so), or in a loose chunk (another line in it
    starts like journal JSON, RFC 5424, bare chat or a blank)."""
    data = b"\n" + line.encode("utf-8", "surrogateescape")
    loose = loose or _OTHER_STYLE.search(data) is not None
    lines, _check = _analysis_lines([line], loose)
    return bool(lines)


def _variants(line: str) -> list[str]:
    record = Framer(year=2026).frame_line(line, "t", 1, 0)
    out = [line]
    if record:
        out.append(record[0].message)  # bare, as pasted or as SSHGuard tests have them
    return out


@pytest.mark.parametrize("loose", [False, True])
def test_a_dropped_corpus_line_gives_nothing_that_could_matter(loose: bool) -> None:
    dropped = 0
    for line in LINES:
        for text in _variants(line):
            if kept(text, loose):
                continue
            dropped += 1
            assert not [e for e in events_of_line(text) if could_matter(e)], text
    assert dropped > 20  # connect lines, strong TLS, chatter: the filter does drop


def test_the_needles_do_drop_what_never_matters() -> None:
    for line in (
        "Feb 23 01:35:08 mx postfix/smtpd[1]: Anonymous TLS connection established from mail.example.net[198.51.100.20]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519",
        "Feb 23 01:35:08 mx postfix/lmtp[3]: 4ZqA: to=<a@example.com>, relay=mx[private/dovecot-lmtp], delay=0.2, dsn=2.0.0, status=sent (250 2.0.0 <x> Saved)",
        "Feb 23 01:35:08 mx dovecot: imap(a@example.com)<7><kR2>: Disconnected: Logged out in=120 out=4500",
        "Feb 23 01:35:08 mx postfix/smtpd[1]: connect from unknown[203.0.113.7]",
    ):
        assert not kept(line, False), line


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(LINES), st.integers(0, 300), st.text(max_size=20), st.booleans())
def test_dropped_mutations_give_nothing_that_could_matter(
    line: str, at: int, insert: str, loose: bool
) -> None:
    mutated = line[:at] + insert + line[at:]
    if not kept(mutated, loose):
        assert not [e for e in events_of_line(mutated) if could_matter(e)], mutated


# -- end to end --------------------------------------------------------------------------


def analysis(detector: Detector) -> str:
    detector.close()
    result = detector.result().to_json(show_passwords=True)
    result["stats"] = {k: v for k, v in result["stats"].items() if k != "events"}
    return json.dumps(result, sort_keys=True, default=str)


def plain(paths: list[str]) -> str:
    detector, counts = Detector(detections=False), Counts()
    for _record, events in read_events(paths, ReadOptions(year=2026), counts):
        for event in events:
            detector.feed(event)
    return analysis(detector)


def fast(paths: list[str], parallel: bool) -> str:
    detector, counts = Detector(detections=False), Counts()
    streams = streams_of(expand_inputs(paths))
    scan(streams, ReadOptions(year=2026), detector.feed, counts, parallel=parallel)
    return analysis(detector)


def same_everywhere(paths: list[str]) -> None:
    expected = plain(paths)
    assert fast(paths, False) == expected
    assert fast(paths, True) == expected


def test_same_analysis_on_the_whole_corpus(tmp_path: Path) -> None:
    path = tmp_path / "corpus.log"
    path.write_text("".join(line + "\n" for line in LINES))
    same_everywhere([str(path)])


def test_same_analysis_line_by_line(tmp_path: Path) -> None:
    for number, line in enumerate(LINES):
        path = tmp_path / f"line{number}.log"
        path.write_text(line + "\n")
        expected = plain([str(path)])
        assert fast([str(path)], False) == expected, line


@pytest.mark.parametrize(
    "path", [*REAL, ROOT / "samples" / "seed-excerpt.txt"], ids=lambda p: p.name
)
def test_same_analysis_on_real_logs_through_the_worker(path: Path) -> None:
    same_everywhere([str(path)])


@pytest.mark.parametrize("seed", [1, 2])
def test_same_analysis_on_generated_logs(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "mix.log"
    path.write_text("".join(line + "\n" for line in GENERATE.generate(20_000, seed, 3000)))
    same_everywhere([str(path)])


# -- random sessions: the smtpd process state (which disconnects and lost connections
# -- end a session the detector opened) --------------------------------------------------

_IPS = ["203.0.113.7", "198.51.100.9", "2001:db8::5", "192.0.2.66"]
_PIDS = [101, 102, 103]
_TEMPLATES = [  # no "connect from": see the module doc (a connect ending a session is not seen)
    "{p}: warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin@example.com",
    "{p}: warning: unknown[{ip}]: SASL PLAIN authentication failed:",
    "{p}: warning: unknown[{ip}]: SASL LOGIN authentication aborted",
    "{p}: warning: unknown[{ip}]: SASL LOGIN authentication failed: Connection lost to authentication server",
    "{p}: lost connection after AUTH from unknown[{ip}]",
    "{p}: lost connection after CONNECT from unknown[{ip}]",
    "{p}: lost connection after EHLO from unknown[{ip}]",
    "{p}: timeout after auth from unknown[{ip}]",
    "{p}: timeout after DATA from unknown[{ip}]",
    "{p}: too many errors after RCPT from unknown[{ip}]",
    "{p}: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2",
    "{p}: disconnect from unknown[{ip}] ehlo=1 auth=0/2 rset=1 commands=2/4",
    "{p}: disconnect from unknown[{ip}] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6",
    "{p}: disconnect from unknown[{ip}] ehlo=1 unknown=0/1 commands=1/2",
    "{p}: disconnect from unknown[{ip}] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
    "{p}: disconnect from unknown[{ip}] commands=0/0",
    "{p}: disconnect from unknown[{ip}]",
    "{p}: 4ZqB{n}: client=laptop.example.net[{ip}], sasl_method=PLAIN, sasl_username=user1@example.com",
    "{p}: 4ZqC{n}: client=mail.example.net[{ip}]",
    "{p}: < unknown[{ip}]: AUTH LOGIN",
    "{p}: > unknown[{ip}]: 334 VXNlcm5hbWU6",
    "{p}: < unknown[{ip}]: YWRtaW5AZXhhbXBsZS5jb20=",
    "{p}: < unknown[{ip}]: c2VjcmV0",
    "{p}: > unknown[{ip}]: 235 2.7.0 Authentication successful",
    "{p}: > unknown[{ip}]: 435 4.7.8 Error: authentication failed",
    "{p}: Read 36 chars: AUTH PLAIN AGFkbWluAHNlY3JldDEyMw==",
    "{p}: Write 31 chars: 535 5.7.8 Error: authentication failed",
    "{p}: Anonymous TLS connection established from unknown[{ip}]: TLSv1.2 with cipher RC4-SHA (128/128 bits)",
    "{p}: Anonymous TLS connection established from unknown[{ip}]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
    '{p}: unknown[{ip}]: TLS cipher list "ALL:+RC4:@STRENGTH"',
    "{p}: NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@b.example> to=<x@example.org> proto=ESMTP helo=<bot>",
    "{p}: NOQUEUE: reject: RCPT from unknown[{ip}]: 450 4.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<a@b.example> to=<nobody@example.com> proto=ESMTP helo=<bot>",
    "{p}: warning: hostname bot.example does not resolve to address {ip}",
    "{p}: SSL_accept error from unknown[{ip}]: lost connection",
    "mx postfix/postscreen[800]: CONNECT from [{ip}]:4321 to [192.0.2.1]:25",
    "mx postfix/postscreen[800]: PASS OLD [{ip}]:4321",
    "mx postfix/postscreen[800]: DISCONNECT [{ip}]:4321",
    "mx postfix/postscreen[800]: PREGREET 11 after 0.1 from [{ip}]:4321: EHLO x\\r\\n",
    "mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 2 attempts in 4 secs): user=<admin@example.com>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<S{n}>",
    "mx dovecot: imap-login: Login: user=<user1@example.com>, method=PLAIN, rip={ip}, lip=192.0.2.1, mpid=9, TLS, session=<S{n}>",
    "mx dovecot: auth: passwd-file(admin@example.com,{ip},<S{n}>): unknown user",
    "mx dovecot: auth: passwd-file(user1@example.com,{ip}): Password mismatch",
]


@st.composite
def session_logs(draw: st.DrawFn) -> str:
    lines = []
    clock = 0
    for n in range(draw(st.integers(1, 60))):
        template = draw(st.sampled_from(_TEMPLATES))
        pid = draw(st.sampled_from(_PIDS))
        service = draw(st.sampled_from(["smtpd", "submission/smtpd"]))
        ip = draw(st.sampled_from(_IPS))
        clock += draw(st.sampled_from([1, 2, 30, 4000]))
        hours, rest = divmod(clock, 3600)
        stamp = f"Feb 23 {hours % 24:02d}:{rest // 60:02d}:{rest % 60:02d}"
        head = f"mx postfix/{service}[{pid}]"
        lines.append(f"{stamp} " + template.format(p=head, ip=ip, n=n % 4))
    return "".join(line + "\n" for line in lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session_logs())
def test_same_analysis_on_random_sessions(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("sessions") / "mail.log"
    path.write_text(text)
    expected = plain([str(path)])
    assert fast([str(path)], False) == expected


def test_a_worker_that_cannot_read_raises_in_the_caller(tmp_path: Path) -> None:
    from mailwarden.errors import InputError

    missing = tmp_path / "gone.log"
    detector, counts = Detector(detections=False), Counts()
    streams = streams_of([str(missing)])
    with pytest.raises(InputError, match="no such file"):
        scan(streams, ReadOptions(year=2026), detector.feed, counts, parallel=True)


# -- the worker's wire format ----------------------------------------------------------------


def _fed(path: Path, parallel: bool, options: ReadOptions) -> list[Event]:
    events: list[Event] = []
    scan(streams_of([str(path)]), options, events.append, Counts(), parallel=parallel)
    return events


@pytest.mark.parametrize("tz", [None, "Europe/Berlin", "UTC"], ids=["local", "zoneinfo", "utc"])
def test_the_worker_gives_back_the_very_same_events(tmp_path: Path, tz: str | None) -> None:
    from zoneinfo import ZoneInfo

    lines = []
    # Around the DST changes of 2026 in Europe (a gap in March, a fold in October), with
    # fractions, ISO stamps with and without a zone, and a line without a time.
    for n, stamp in enumerate(
        [
            "Mar 29 01:59:59",
            "Mar 29 02:30:00",
            "Mar 29 03:00:01.250",
            "Oct 25 02:30:00",
            "Oct 25 02:30:00.5",
            "2026-10-25T02:30:00.123456+01:00",
            "2026-10-25 02:45:00",
            "2026-06-01T12:00:00Z",
        ]
    ):
        lines.append(
            f"{stamp} mx postfix/submission/smtpd[{100 + n}]: warning: unknown[203.0.113.{n}]: "
            f"SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin{n}@example.com"
        )
    lines.append(
        "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<ü@example.com>, method=PLAIN, rip=2001:db8::9, lip=192.0.2.1, session=<abc>"
    )
    path = tmp_path / "mail.log"
    path.write_text("".join(line + "\n" for line in lines))
    options = ReadOptions(year=2026, tz=ZoneInfo(tz) if tz else None)
    expected, got = _fed(path, False, options), _fed(path, True, options)
    assert len(got) == len(expected) == len(lines)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs
        assert mine.record == theirs.record
        a, b = mine.record.time, theirs.record.time
        if b is None:
            assert a is None
            continue
        assert a is not None
        assert (a.isoformat(), a.fold, a.utcoffset(), a.tzname()) == (
            b.isoformat(),
            b.fold,
            b.utcoffset(),
            b.tzname(),
        )
        assert type(a.tzinfo) is type(b.tzinfo)


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int, int]] = []

    def start(self, source: str) -> None:
        self.calls.append(("start", source, 0, 0))

    def advance(self, source: str, size: int, lines: int) -> None:
        self.calls.append(("advance", source, size, lines))

    def finish(self, source: str) -> None:
        self.calls.append(("finish", source, 0, 0))


def test_the_worker_reports_progress_and_counts_as_the_process_would(tmp_path: Path) -> None:
    path = tmp_path / "mix.log"
    path.write_text("".join(line + "\n" for line in GENERATE.generate(3000, 5, 300)))
    results = []
    for parallel in (False, True):
        recorder, counts = _Recorder(), Counts()
        events: list[Event] = []
        scan(
            streams_of([str(path)]),
            ReadOptions(year=2026),
            events.append,
            counts,
            recorder,
            parallel=parallel,
        )
        results.append((recorder.calls, counts, events))
    (calls, counts, events), (calls2, counts2, events2) = results
    assert calls == calls2 and calls[0][0] == "start" and calls[-1][0] == "finish"
    assert counts == counts2 and counts.read.lines == 3000
    assert events == events2


def test_records_with_several_events_cross_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailwarden.scan as scan_module

    def twice(record: Any) -> list[Event]:
        found = parse(record)
        return [*found, *found[:1]]  # no parser gives two events today; the wire can

    monkeypatch.setattr(scan_module, "parse", twice)
    path = tmp_path / "mix.log"
    path.write_text("".join(line + "\n" for line in GENERATE.generate(2000, 6, 200)))
    options = ReadOptions(year=2026)
    expected, got = _fed(path, False, options), _fed(path, True, options)
    assert len(expected) > 400 and got == expected
    assert [e.record for e in got] == [e.record for e in expected]


def test_two_logs_merged_by_time_in_the_worker_give_the_same_events(tmp_path: Path) -> None:
    """mail.log and dovecot.log are two streams: the worker merges them by time as the
    process does, and Relevance sees the same merged sequence."""
    from mailwarden.scanpool import two_cores, worth_a_worker

    lines = list(GENERATE.generate(6000, 12, 300))
    mail, dovecot = tmp_path / "mail.log", tmp_path / "dovecot.log"
    mail.write_text("".join(line + "\n" for line in lines if " dovecot: " not in line))
    dovecot.write_text("".join(line + "\n" for line in lines if " dovecot: " in line))
    streams = streams_of([str(mail), str(dovecot)])
    assert len(streams) == 2
    assert worth_a_worker(streams, min_bytes=0) is two_cores()
    fed: list[list[Event]] = []
    for parallel in (False, True):
        events: list[Event] = []
        scan(streams, ReadOptions(year=2026), events.append, Counts(), parallel=parallel)
        fed.append(events)
    serial, parallel_ = fed
    assert len(serial) > 1000 and parallel_ == serial
    assert {e.record.source for e in serial} == {str(mail), str(dovecot)}


def test_a_slow_main_process_is_not_left_waiting_while_the_worker_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the detector is the slower side (a log of many passwords), the messages the
    worker has ready go into the pipe as it empties while the worker parses a batch,
    not only once the batch is sent: the main process was left waiting on an empty pipe
    for most of each batch (seconds on a million lines). Here the worker writes into a
    64 KiB pipe that a slow main process empties by 256 bytes per record parsed (for the
    first 10,000 records; then a thread takes the rest, so that the worker can end)."""
    import fcntl
    import os
    import select
    import signal
    import threading

    import mailwarden.scan as scan_module
    from mailwarden import scanpool

    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("needs Linux's F_SETPIPE_SZ")
    measured = 10_000
    path = tmp_path / "passwords.log"
    path.write_text(
        "".join(line + "\n" for line in GENERATE.generate(40_000, 5, 3000, "passwords"))
    )
    read_fd, write_fd = os.pipe()
    fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 64 << 10)
    os.set_blocking(read_fd, False)
    runs: list[int] = []  # records parsed with the pipe empty, before more came
    empty = calls = 0
    done = threading.Event()

    def slowly(record: Any) -> list[Event]:
        nonlocal empty, calls
        calls += 1
        if calls <= measured:
            try:
                os.read(read_fd, 256)
                runs.append(empty)
                empty = 0
            except BlockingIOError:
                empty += 1
        elif calls == measured + 1:
            done.set()
        return parse(record)

    def rest() -> None:
        done.wait()
        while True:
            try:
                if not os.read(read_fd, 1 << 16):
                    return
            except BlockingIOError:
                select.select([read_fd], [], [], 1)

    monkeypatch.setattr(scan_module, "parse", slowly)
    reader = threading.Thread(target=rest, daemon=True)
    reader.start()
    signal.alarm(60)  # a worker blocked on the full pipe would hang here
    try:
        scanpool._work(write_fd, streams_of([str(path)]), ReadOptions(year=2026))
    finally:
        signal.alarm(0)
        done.set()
        os.close(write_fd)
    reader.join(10)
    os.close(read_fd)
    assert calls > measured  # the worker parsed batches while the pipe was slow
    # Before: some 3,800 records parsed with the pipe empty in each batch (of 4,096).
    assert max(runs) < 512, max(runs)


def test_a_failing_detector_stops_the_worker(tmp_path: Path) -> None:
    import os
    import signal

    path = tmp_path / "mix.log"
    path.write_text("".join(line + "\n" for line in GENERATE.generate(60_000, 7, 3000)))
    seen = 0

    def feed(event: Event) -> None:
        nonlocal seen
        seen += 1
        if seen == 100:
            raise RuntimeError("detector bug")

    signal.alarm(60)  # a worker left blocked on the pipe would hang here
    try:
        with pytest.raises(RuntimeError, match="detector bug"):
            scan(streams_of([str(path)]), ReadOptions(year=2026), feed, Counts(), parallel=True)
    finally:
        signal.alarm(0)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # the worker was reaped


def test_a_journal_entry_whose_message_is_bytes_is_not_dropped(tmp_path: Path) -> None:
    """journalctl -o json writes a MESSAGE that is not UTF-8 as an array of bytes: no
    needle can be seen in it (the parsers' own prefilter dropped it)."""
    entries = []
    for n in range(12):
        text = (
            f"warning: unknown[203.0.113.{n % 3}]: SASL LOGIN authentication failed: "
            "UGFzc3dvcmQ6, sasl_username=j\xf6rg@example.com"
        ).encode("latin-1")
        message = json.dumps(list(text))
        entries.append(
            f'{{"MESSAGE":{message},"SYSLOG_IDENTIFIER":"postfix/submission/smtpd",'
            f'"_PID":"{100 + n}","__REALTIME_TIMESTAMP":"{1771840662000000 + n * 1000000}"}}'
        )
    path = tmp_path / "journal.json"
    path.write_text("".join(entry + "\n" for entry in entries))
    expected = plain([str(path)])
    assert '"bruteforce"' in expected
    assert fast([str(path)], False) == expected
