"""`mailwarden run` with no configuration file: the built-in defaults, for a stock Debian
Postfix + Dovecot. Debian 12 installs no rsyslog: there is no /var/log/mail.log, Postfix
and Dovecot log to the journal only, and defaults that followed the file read nothing
while saying "ready to run". They follow the journal then, and say so; with no
journalctl either, the check and the start refuse in one line.

Each run is a process in a network namespace of its own (nftables, the default backend,
is checked and set up there) and a mount namespace in which /var/log, /var/lib and
/etc/mailwarden are empty folders: a stock host, whatever this one has.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from wardenlab import Namespace, mailwarden, namespace, need_root_and, wait_for_text, wait_until

STOCK_HOST = """
set -e
mail_log=$1; shift
for folder in /var/log /var/lib /etc/mailwarden; do
    if [ -d "$folder" ]; then mount -t tmpfs -o mode=0755 mailwarden-test "$folder"; fi
done
if [ "$mail_log" = yes ]; then : > /var/log/mail.log; fi
exec "$@"
"""
"""Run the command after it on a stock host: no configuration, no store, no logs (and
/var/log/mail.log when the first argument is ``yes``). Our own text, never a log's."""

JOURNAL_INSTEAD = (
    "sources: /var/log/mail.log does not exist (no rsyslog?): the built-in defaults "
    "follow the journal instead (journal = true)"
)


@pytest.fixture
def ns() -> Iterator[Namespace]:
    need_root_and("nft", "unshare", "mount", "journalctl")
    with namespace() as made:
        yield made


def on_a_stock_host(mail_log: bool, *argv: str) -> list[str]:
    return ["unshare", "--mount", "sh", "-c", STOCK_HOST, "sh", "yes" if mail_log else "no", *argv]


def test_with_no_mail_log_the_defaults_follow_the_journal_and_the_check_says_so(
    ns: Namespace,
) -> None:
    done = ns.exec(*on_a_stock_host(False, *mailwarden("run", "--check")), check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        f"mailwarden: {JOURNAL_INSTEAD}",
        "mailwarden: store.path: /var/lib/mailwarden/mailwarden.db does not exist yet: the "
        "daemon creates it when it starts",
        "mailwarden: (built-in defaults): ready to run",
    ]


def test_with_a_mail_log_the_defaults_follow_it(ns: Namespace) -> None:
    done = ns.exec(*on_a_stock_host(True, *mailwarden("run", "--check")), check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert "journal" not in done.stdout
    assert done.stdout.splitlines()[-1] == "mailwarden: (built-in defaults): ready to run"


def test_with_no_mail_log_and_no_journalctl_the_check_refuses(
    ns: Namespace, tmp_path: Path
) -> None:
    """A PATH with the firewall's program but no journalctl: nothing could be read."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    nft = shutil.which("nft")
    assert nft is not None
    (bin_dir / "nft").symlink_to(nft)
    argv = ["env", f"PATH={bin_dir}", *mailwarden("run", "--check")]
    done = ns.exec(*on_a_stock_host(False, *argv), check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "mailwarden: error: (built-in defaults): sources.files: /var/log/mail.log does not "
        "exist and journalctl is not installed: the daemon would read nothing; write "
        "/etc/mailwarden/mailwarden.toml naming the mail log in [sources] files"
    ]
    assert "ready to run" not in done.stdout


def test_the_daemon_follows_the_journal_and_says_so_at_start(ns: Namespace, tmp_path: Path) -> None:
    """The start agrees with the check: it reads the journal, not a file that is not
    there (it said "started: reading /var/log/mail.log" and read nothing)."""
    output = tmp_path / "daemon.out"
    process = ns.spawn(on_a_stock_host(False, *mailwarden("run")), output)
    try:
        assert wait_for_text(output, "started: ", 30), output.read_text()
        said = output.read_text()
        assert JOURNAL_INSTEAD in said
        assert "started: reading journal; " in said
        assert "does not exist (yet)" not in said
    finally:
        os.kill(process.pid, signal.SIGTERM)
        assert wait_until(lambda: process.poll() is not None, 20)
    assert process.returncode == 0
