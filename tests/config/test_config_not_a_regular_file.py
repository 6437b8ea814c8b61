"""``--config`` naming what is no regular file: ``/dev/null`` is an empty configuration
(the defaults), a pipe (``--config <(…)``) is read to its end; a device that never ends
(``/dev/zero``) and a FIFO nobody writes to are refused in one line, never a hang."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import mailwarden.config
from clirunner import Runner

LOG = (
    "Mar  9 04:43:04 mx postfix/smtpd[1]: warning: unknown[192.0.2.1]: "
    "SASL LOGIN authentication failed: authentication failure, sasl_username=alice\n"
)


def test_dev_null_is_the_defaults(run: Runner, tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(LOG)
    code, _out, err = run("analyze", "-q", "--year", "2026", "--config", "/dev/null", str(log))
    assert code == 0, err
    assert mailwarden.config.load_config("/dev/null") == mailwarden.config.Config(path="/dev/null")


def test_a_pipe_is_read_to_its_end(run: Runner, tmp_path: Path) -> None:
    # as bash's <(…): /dev/fd/N, a pipe whose writer writes a little later
    log = tmp_path / "mail.log"
    log.write_text(LOG)
    read, write = os.pipe()

    def writer() -> None:
        time.sleep(0.3)
        os.write(write, f'[sources]\nfiles = ["{log}"]\n'.encode())
        os.write(write, b"[policy]\nfast_failures = 7\n")
        os.close(write)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        config = mailwarden.config.load_config(f"/proc/self/fd/{read}")
    finally:
        thread.join()
        os.close(read)
    assert config.policy.fast_failures == 7
    assert list(config.sources.files) == [str(log)]


def test_dev_zero_is_refused_at_the_size_bound(run: Runner) -> None:
    code, out, err = run("run", "--check", "--config", "/dev/zero")
    assert (code, out) == (2, "")
    assert err == "mailwarden: error: /dev/zero: over 1 MiB: not a configuration file\n"


def test_a_fifo_with_no_writer_is_refused(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mailwarden.config, "CONFIG_PIPE_WAIT", 0.5)
    path = tmp_path / "fifo"
    os.mkfifo(path)  # with no writer: opening it to read would block for ever
    started = time.monotonic()
    code, out, err = run("run", "--check", "--config", str(path))
    assert time.monotonic() - started < 5
    assert (code, out) == (2, "")
    assert err == (
        f"mailwarden: error: {path}: cannot read: not written to its end in 0.5 s"
        " (a FIFO with no writer?)\n"
    )
