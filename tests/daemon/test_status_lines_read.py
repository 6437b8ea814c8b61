"""`mailwarden status` says how far a file was read as the last line read, not as the
number of the line reading resumes at (a fully read 23-line file said "line 24")."""

from __future__ import annotations

import pytest
from wardenlab import OTHER, Warden, append, drain, run_cli, sasl_success


def source_line(warden: Warden, capsys: pytest.CaptureFixture[str]) -> str:
    code, err, out = run_cli(capsys, "status", "--config", str(warden.config_path))
    assert code == 0, err
    (line,) = [line for line in out.splitlines() if line.startswith(f"  {warden.log} ")]
    return line


def test_a_fully_read_file_is_read_up_to_its_last_line(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    daemon = warden.start()
    drain(daemon)
    daemon.close()
    assert "nothing read yet; next: line 1, offset 0" in source_line(warden, capsys)

    append(warden.log, [sasl_success(OTHER, "alice", pid=100 + n) for n in range(23)])
    daemon = warden.start()
    drain(daemon)
    daemon.close()
    size = warden.log.stat().st_size
    assert f"read up to line 23; next: line 24, offset {size}" in source_line(warden, capsys)
