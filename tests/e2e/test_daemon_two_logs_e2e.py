"""End to end: `mailwarden run` following two files that hold the same Postfix lines, as
/var/log/mail.log and /var/log/syslog do on Debian (rsyslog writes every mail line to
both). Real Postfix and Dovecot in the lab (lab.py); a copier stands in for rsyslog's
second file (the lab logs through Postfix's postlogd, not rsyslog): each Postfix line is
appended to `syslog` a moment later, between lines of other programs.

What a user would notice: a person who mistypes the password twice and then gets it right
is not banned (two failures, not four); an attacker is banned at the third guess, once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import _live_labs, require_lab
from .lab import ATTACKER_IPV4, LEGIT_IPV4, DovecotOptions, Lab
from .test_daemon_e2e import ALICE, Warden, wait

pytestmark = pytest.mark.e2e

CONFIG = """\
[sources]
files = ["{root}/postfix.log", "{root}/syslog"]

[store]
path = "{root}/mailwarden/mailwarden.db"

[enforce]
backend = "nftables"
ports = [25, 587, 143]

[policy]
fast_failures = 3
fast_window = "5m"
ban_time = "10m"
"""


class Copier(threading.Thread):
    """rsyslog's second file: every line of `source`, 50 ms later, after a line of
    another program."""

    def __init__(self, source: Path, target: Path) -> None:
        super().__init__(daemon=True)
        self.source, self.target = source, target
        self.stop = threading.Event()
        target.touch()

    def run(self) -> None:
        offset = self.source.stat().st_size if self.source.exists() else 0
        while not self.stop.wait(0.05):
            try:
                with self.source.open("rb") as src:
                    src.seek(offset)
                    data = src.read()
            except FileNotFoundError:
                continue
            end = data.rfind(b"\n") + 1
            if not end:
                continue
            offset += end
            with self.target.open("ab") as out:
                for line in data[:end].splitlines(keepends=True):
                    out.write(b"Nov 28 10:00:00 mx CRON[77]: (root) CMD (true)\n" + line)


@pytest.fixture(scope="module")
def warden() -> Iterator[Warden]:
    require_lab()
    with Lab(dovecot=DovecotOptions(auth_failure_delay="0 secs")) as lab:
        _live_labs.append(lab)
        copier = Copier(lab.root / "postfix.log", lab.root / "syslog")
        copier.start()
        try:
            config = lab.root / "mailwarden.toml"
            config.write_text(CONFIG.format(root=lab.root))
            made = Warden(lab, config, lab.root / "mailwarden.out")
            made.start()
            yield made
            made.stop()
        finally:
            copier.stop.set()
            copier.join(5)
            _live_labs.remove(lab)


def test_two_typos_read_from_two_files_are_two_failures(warden: Warden) -> None:
    lab = warden.lab
    mark = warden.mark()
    for typo in ("Wrong-1", "Wrong-2"):
        result = lab.smtp_auth(lab.legit, ALICE, typo)
        assert not result.auth_ok, result.transcript
    syslog = lab.root / "syslog"
    assert wait(lambda: syslog.read_text().count("authentication failed") >= 2, 10)
    assert wait(lambda: "repeats entries of" in warden.said(mark), 5), warden.said(mark)
    time.sleep(1.5)  # the daemon reads every 50 ms: it has seen both copies of both lines

    assert LEGIT_IPV4 not in warden.banned()
    assert f"ban {LEGIT_IPV4}" not in warden.said()
    assert lab.smtp_auth(lab.legit, ALICE, lab.password(ALICE)).auth_ok
    assert warden.can_connect("legit")


def test_an_attacker_is_banned_once_at_the_third_guess(warden: Warden) -> None:
    lab = warden.lab
    mark = warden.mark()
    guesses = [("admin", "admin"), ("info", "123456"), ("sales", "sales")]
    lab.smtp_auth_many(lab.attacker, guesses, parallel=3, timeout=15)

    ban = rf"ban {re.escape(ATTACKER_IPV4)}/32 for 10m until "
    assert wait(lambda: re.search(ban, warden.said(mark)) is not None, 20), warden.said(mark)
    assert ATTACKER_IPV4 in warden.banned()
    assert not warden.can_connect("attacker")
    assert len(re.findall(ban, warden.said())) == 1
    assert "(offence" not in warden.said(mark)
