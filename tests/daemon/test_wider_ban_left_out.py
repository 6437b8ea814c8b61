"""A wider ban that nftables leaves out past ``enforce.max_bans`` blocks nothing, so the
clients inside it that the daemon skipped as banned by it are banned on their next
guessing (a running daemon spared them until the wider ban ended, while a restart
banned them), and a firewall repair keeps knowing which bans it leaves out (it
forgot them: the clients inside went unbanned, and the log said every ban was held
again)."""

from __future__ import annotations

import signal
import sqlite3
import time

from test_process import Running, running  # noqa: F401 (a fixture)
from wardenlab import append, guesses, wait_until

from configfile import write_config
from mailwarden.store import open_store

MEMBER = "203.0.113.90"


def fill(lab: Running, bans: int, wider_until: int) -> None:
    """``bans`` /32 bans ending in half an hour and more, and 203.0.113.0/24 ending
    ``wider_until`` seconds from now, in the store before the daemon starts."""
    lab.sections["enforce"]["max_bans"] = 100
    lab.sections["policy"]["ban_time"] = "1h"
    write_config(lab.config, lab.sections)
    path = lab.sections["store"]["path"]
    open_store(path).close()
    now = round(time.time())
    rows = [(f"10.0.{n // 250}.{n % 250 + 1}/32", now + 1800 + n) for n in range(bans)]
    rows.append(("203.0.113.0/24", now + wider_until))
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO bans (network, since, until, reason, evidence, source, offences)"
            f" VALUES (?, {now}, ?, 'bruteforce', '{{}}', 'auto', 1)",
            rows,
        )
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
    db.close()


def test_clients_skipped_under_a_wider_ban_left_out_later_are_banned(
    running: Running,  # noqa: F811 (the fixture)
) -> None:
    fill(running, 99, 900)  # 100 bans: the /24 fits
    running.start()
    assert "203.0.113.0/24" in running.v4()
    append(running.log, guesses(MEMBER))
    time.sleep(1.5)
    assert MEMBER not in running.v4()  # held by the /24: skipped
    # Another ban, ending later, fills the table: the /24 is left out.
    append(running.log, guesses("198.51.100.77"))
    assert wait_until(lambda: "198.51.100.77" in running.v4(), 3.0)
    assert wait_until(lambda: "203.0.113.0/24" not in running.v4(), 3.0)
    # The member guesses on, unblocked: banned at once now.
    append(running.log, guesses(MEMBER, users=("office", "test", "web")))
    assert wait_until(lambda: MEMBER in running.v4(), 3.0), running.said()
    assert wait_until(lambda: f"ban {MEMBER}/32 for 1h" in running.said(), 2.0)
    # A restart agrees: it is held, and not banned again.
    running.proc.send_signal(signal.SIGTERM)
    running.proc.wait(10)
    mark = len(running.said())
    running.start()
    assert MEMBER in running.v4()
    time.sleep(1)
    assert f"ban {MEMBER}/32" not in running.said(mark)


def test_a_repair_keeps_the_bans_left_out(
    running: Running,  # noqa: F811 (the fixture)
) -> None:
    fill(running, 100, 600)  # 101 bans: the /24 ends first, left out
    running.start()
    assert "203.0.113.0/24" not in running.v4()
    # Someone else's element in our set: the next ban's batch is refused, the table
    # is written whole again.
    running.ns.exec("nft", "add", "element", "inet", "mailwarden", "v4", "{ 198.51.100.0/28 }")
    mark = len(running.said())
    append(running.log, guesses("198.51.100.5"))
    assert wait_until(lambda: "writing table" in running.said(mark), 4.0)
    time.sleep(1)
    assert "203.0.113.0/24" not in running.v4()
    # Still left out, and said so: a client inside it is banned.
    append(running.log, guesses("203.0.113.91"))
    assert wait_until(lambda: "203.0.113.91" in running.v4(), 3.0), running.said(mark)
    assert "holds every ban again" not in running.said(mark)


def test_a_restart_waits_for_new_failures_as_the_running_daemon_does(
    running: Running,  # noqa: F811 (the fixture)
) -> None:
    fill(running, 99, 900)  # 100 bans: the /24 fits
    running.start()
    append(running.log, guesses(MEMBER))
    time.sleep(1.5)
    assert MEMBER not in running.v4()  # held by the /24: skipped
    append(running.log, guesses("198.51.100.77"))  # the /24 is left out
    assert wait_until(lambda: "203.0.113.0/24" not in running.v4(), 3.0)
    time.sleep(1)
    assert MEMBER not in running.v4()  # its failures were answered: it waits for new ones
    # A restart reads the same failures again: answered by the /24 until it was left
    # out, not banned now (it was: the two disagreed).
    running.proc.send_signal(signal.SIGTERM)
    running.proc.wait(10)
    mark = len(running.said())
    running.start()
    time.sleep(1.5)
    assert MEMBER not in running.v4(), running.said(mark)
    assert f"ban {MEMBER}/32" not in running.said(mark)
    # New failures ban it, as in the running daemon.
    append(running.log, guesses(MEMBER, users=("office", "test", "web")))
    assert wait_until(lambda: MEMBER in running.v4(), 3.0), running.said(mark)


def test_a_client_held_at_a_restart_is_banned_once_the_wider_ban_is_left_out(
    running: Running,  # noqa: F811 (the fixture)
) -> None:
    fill(running, 99, 900)  # 100 bans: the /24 fits
    running.start()
    append(running.log, guesses(MEMBER))
    time.sleep(1.5)
    assert MEMBER not in running.v4()  # held by the /24: skipped
    running.proc.send_signal(signal.SIGTERM)
    running.proc.wait(10)
    running.start()  # the warm-up finds it held by the /24 still
    time.sleep(1)
    assert MEMBER not in running.v4()
    append(running.log, guesses("198.51.100.77"))  # the /24 is left out
    assert wait_until(lambda: "203.0.113.0/24" not in running.v4(), 3.0)
    append(running.log, guesses(MEMBER, users=("office", "test", "web")))
    assert wait_until(lambda: MEMBER in running.v4(), 3.0), running.said()
