# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The fast path (prefilter before framing) concludes exactly what the plain pipeline does."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from analyze_logs import Log, stamp

from mailwarden.detect import Detector
from mailwarden.framing import Framer
from mailwarden.pipeline import Counts, ReadOptions, read_events
from mailwarden.scan import records_of_chunk, scan, streams_of
from mailwarden.sources.files import expand_inputs
from mailwarden.sources.interface import Chunk, ReadStats

ROOT = Path(__file__).resolve().parents[2]
REAL = sorted((ROOT / "tests" / "data" / "real").glob("*.log"))


def generated(path: Path, lines: int) -> Path:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module
    spec.loader.exec_module(module)
    path.write_text("".join(line + "\n" for line in module.generate(lines, clients=2000)))
    return path


def plain(paths: list[str]) -> tuple[dict[str, Any], Counts]:
    detector, counts = Detector(detections=False), Counts()
    for _record, events in read_events(paths, ReadOptions(year=2026), counts):
        for event in events:
            detector.feed(event)
    detector.close()
    return detector.result().to_json(show_passwords=True), counts


def fast(paths: list[str]) -> tuple[dict[str, Any], Counts]:
    detector, counts = Detector(detections=False), Counts()
    scan(streams_of(expand_inputs(paths)), ReadOptions(year=2026), detector.feed, counts)
    detector.close()
    return detector.result().to_json(show_passwords=True), counts


def same_analysis(a: dict[str, Any], b: dict[str, Any]) -> None:
    a, b = dict(a), dict(b)
    a["stats"] = {k: v for k, v in a["stats"].items() if k != "events"}  # events fed
    b["stats"] = {k: v for k, v in b["stats"].items() if k != "events"}
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


@pytest.mark.parametrize(
    "path", [*REAL, ROOT / "samples" / "seed-excerpt.txt"], ids=lambda p: p.name
)
def test_same_analysis_as_the_plain_pipeline_on_real_logs(path: Path) -> None:
    (expected, plain_counts), (got, fast_counts) = plain([str(path)]), fast([str(path)])
    same_analysis(expected, got)
    assert fast_counts.read.lines == plain_counts.read.lines


def test_same_analysis_on_a_generated_mixed_log(tmp_path: Path) -> None:
    path = generated(tmp_path / "mix.log", 30_000)
    (expected, plain_counts), (got, fast_counts) = plain([str(path)]), fast([str(path)])
    same_analysis(expected, got)
    assert got["attackers"] and got["credentials"] and got["compromised"] == []
    assert fast_counts.read.lines == plain_counts.read.lines == 30_000
    assert fast_counts.records < plain_counts.records * 0.7  # the prefilter did its job


def test_records_keep_their_line_numbers_offsets_and_text() -> None:
    lines = [
        f"{stamp(0)} mx postfix/qmgr[900]: 4ZqA: removed",
        f"{stamp(1)} mx postfix/smtpd[77]: warning: unknown[192.0.2.5]: SASL LOGIN authentication failed: authentication failure, sasl_username=jörg@example.com",
        "",
        f"{stamp(2)} mx postfix/cleanup[901]: 4ZqB: message-id=<ü@example.com>",
        f"{stamp(3)} mx postfix/smtpd[77]: disconnect from unknown[192.0.2.5] ehlo=1 auth=0/1 commands=1/2",
        f"{stamp(4)} mx postfix/smtpd[78]: warning: unknown[192.0.2.6]: SASL LOGIN authentication failed: bad \xff\xfe bytes",
    ]
    data = (
        "\n".join(lines)
        .encode("utf-8", "surrogateescape")
        .replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe")
    )
    chunk = Chunk("mail.log", data + b"\n", 41, 1000)
    reference = {r.line: r for r in Framer(year=2026).frame_chunk(chunk)}
    stats = ReadStats()
    got = list(records_of_chunk(chunk, Framer(year=2026, stats=stats)))
    assert [r.line for r in got] == [42, 45, 46]
    for record in got:
        assert record == reference[record.line]
    assert stats.lines == 6 and stats.replaced == 1


def test_tls_dump_credentials_keep_their_client_address(tmp_path: Path) -> None:
    log = Log()
    log.quiet_traffic(0, 3)
    log.tls_dump_auth(100, "203.0.113.30", "carol@example.com", "Summer2026")
    got, _ = fast([str(log.write(tmp_path / "mail.log"))])
    (credential,) = got["credentials"]
    assert credential["ip"] == "203.0.113.30" and credential["user"] == "carol@example.com"


def test_a_forged_connect_line_in_client_text_is_not_taken_for_the_real_one(tmp_path: Path) -> None:
    log = Log()
    log.tls_dump_auth(100, "203.0.113.30", "carol@example.com", "Summer2026")
    pid = log.lines[0].split("[")[1].split("]")[0]
    forged = (
        f"{stamp(100)} mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from unknown[198.51.100.3]: 554 5.7.1 "
        f"<x@example.org>: Relay access denied; from=<a@b> to=<x@example.org> proto=ESMTP "
        f"helo=<postfix/smtpd[{pid}]: connect from unknown[198.51.100.99]>"
    )
    log.lines.insert(1, forged)
    got, _ = fast([str(log.write(tmp_path / "mail.log"))])
    (credential,) = got["credentials"]
    assert credential["ip"] == "203.0.113.30"
