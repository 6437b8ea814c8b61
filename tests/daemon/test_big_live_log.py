"""A first start with a live log bigger than what the look-back reads of it: the rotated
files of the window are read all the same, the owners' look-back (`RECALL_BYTES`) and the
warm-up (``warmup_bytes``) alike, each within a bound of its own. The limits are made
small here: the files are a few kB, not hundreds of MiB."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from test_first_start import ALICE, OFFICE, rotated, said
from wardenlab import Warden, append, banned, drain, sasl_failure, sasl_success, stamp

from mailwarden.daemon import recall


def noise(count: int, start: datetime, every: timedelta) -> list[str]:
    return [
        f"{stamp(start + n * every)} mx postfix/smtpd[{3000 + n}]: connect from unknown[192.0.2.50]"
        for n in range(count)
    ]


def test_the_owners_of_the_rotated_files_are_recalled_when_the_live_log_is_past_the_limit(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Alice logged in from the office three days ago (mail.log.1); the live log, since
    # its rotation two days ago, is bigger than the whole look-back may read.
    login = now - timedelta(days=3)
    rotated(
        Path(f"{warden.log}.1"),
        [sasl_success(OFFICE, ALICE, when=login), *noise(5, login, timedelta(minutes=1))],
        now - timedelta(days=2),
    )
    append(warden.log, noise(120, now - timedelta(days=2), timedelta(minutes=20)))
    assert warden.log.stat().st_size > 8000
    monkeypatch.setattr(recall, "RECALL_BYTES", 4000)

    daemon = warden.start()

    rows = daemon.store.owners(now - timedelta(days=30), 100)
    assert [(str(row.network), row.account) for row in rows] == [(f"{OFFICE}/32", ALICE)]
    [line] = said(caplog, "owners: first start:")
    assert "recalled from 2 log file(s)" in line and "of mail.log its last 0.0 MiB only" in line
    # her phone with an old password, every five minutes: not a guesser
    every = timedelta(minutes=5)
    start = now - timedelta(minutes=30)
    append(
        warden.log,
        [sasl_failure(OFFICE, ALICE, pid=1400 + n, when=start + n * every) for n in range(6)],
    )
    drain(daemon)
    assert banned(daemon) == set()


def test_the_warm_up_reads_the_rotated_file_before_a_live_log_past_its_limit(
    warden: Warden,
    now: datetime,
) -> None:
    # A slow guesser (4 within 2h): two guesses before the rotation an hour ago, one in
    # the live log (bigger than the warm-up reads of it), one after the start.
    user = "carol@example.org"
    rotated(
        Path(f"{warden.log}.1"),
        [
            sasl_failure(OFFICE, user, pid=1201, when=now - timedelta(minutes=100)),
            sasl_failure(OFFICE, user, pid=1202, when=now - timedelta(minutes=90)),
        ],
        now - timedelta(minutes=89),
    )
    append(warden.log, noise(100, now - timedelta(minutes=60), timedelta(seconds=30)))
    append(warden.log, sasl_failure(OFFICE, user, pid=1203, when=now - timedelta(minutes=5)))
    assert warden.log.stat().st_size > 6000

    daemon = warden.start(warmup_bytes=3000)
    drain(daemon)
    assert banned(daemon) == set()
    # At the test's start too: 100 minutes after the first, however long the start took
    append(warden.log, sasl_failure(OFFICE, user, pid=1204, when=now))
    drain(daemon)

    assert banned(daemon) == {f"{OFFICE}/32"}
