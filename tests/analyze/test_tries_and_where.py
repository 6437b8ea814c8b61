"""One count of tries everywhere: a client's tries in the attackers table include those
that named no account (a lost connection to the authentication server amid its
guessing) and say how many; an account's count ("Most tried", the JSON's ``most_tried``)
is of the tries that named it, from every client. Where a line is (credentials) names
its file when there are several; a warning the report shows is said once on a
terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from analyze_logs import Log, run_analyze, sorted_lines

GUESSER = "192.0.2.44"
ENUMERATOR = "198.51.100.150"


def guessing_with_lost_connections(tmp_path: Path) -> Path:
    """GUESSER: ten failures on info@, and three lost connections to the authentication
    server amid them (guesses, naming no account); ENUMERATOR: info@ once among four
    names."""
    log = Log()
    log.sasl_failures(0, GUESSER, "info@example.com", 5)
    for t in (20, 25, 30):
        log.auth_outage(t, GUESSER)
    log.sasl_failures(40, GUESSER, "info@example.com", 5)
    for n, user in enumerate(["info", "sales", "office", "jobs"]):
        log.sasl_failures(300 + n * 30, ENUMERATOR, f"{user}@example.com", 1)
    path = tmp_path / "mail.log"
    path.write_text("\n".join(sorted_lines(log.lines)) + "\n")
    return path


def test_tries_naming_no_account_are_said_beside_the_accounts_tried(tmp_path: Path) -> None:
    path = guessing_with_lost_connections(tmp_path)
    data = json.loads(run_analyze("--format", "json", path).stdout)
    attackers = {a["ip"]: a for a in data["attackers"]}
    guesser = attackers[GUESSER]
    assert guesser["failures"] == 13 and guesser["unnamed_failures"] == 3
    assert guesser["users"] == ["info@example.com"]
    assert attackers[ENUMERATOR]["unnamed_failures"] == 0
    (enumeration,) = [f for f in data["findings"] if f["kind"] == "enumeration"]
    most = {item["user"]: item["failures"] for item in enumeration["data"]["most_tried"]}
    # info@'s tries: the guesser's ten that named it and the enumerator's one.
    assert most["info@example.com"] == 10 + 1
    out = run_analyze(path).stdout
    rows = out.split("Attackers (", 1)[1].splitlines()
    row = next(n for n, line in enumerate(rows) if line.startswith(GUESSER))
    assert " 13 " in rows[row] and "info@example.com" in rows[row]
    assert "3 tries unnamed" in rows[row + 1]
    flat = " ".join(out.split())
    assert "Most tried: info@example.com (11)" in flat
    assert (
        "Each account's count is of its tries from every client; 3 more tries named no "
        "account." in flat
    )


def test_a_credential_line_names_its_file_when_there_are_several(tmp_path: Path) -> None:
    older, newer = Log(), Log()
    older.tls_dump_auth(0, "203.0.113.61", "jobs@example.com", "Summer2026")
    newer.sasl_failures(600, "192.0.2.7", "admin@example.com", 4, every=1)
    first = older.write(tmp_path / "mail.log.1")
    second = newer.write(tmp_path / "mail.log")
    data = json.loads(run_analyze("--format", "json", first, second).stdout)
    (credential,) = data["credentials"]
    assert Path(credential["source"]).name == "mail.log.1"
    out = run_analyze(first, second).stdout
    table = out.split("Credentials seen in the log (1)", 1)[1].splitlines()
    assert "File:line" in table[1]
    assert table[3].startswith("203.0.113.61")
    assert table[3].rstrip().endswith(f"mail.log.1:{credential['line']}")
    # One input: the line number alone, as before.
    alone = run_analyze(first).stdout.split("Credentials seen in the log (1)", 1)[1]
    assert alone.splitlines()[3].rstrip().endswith(f" {credential['line']}")
    assert "mail.log.1:" not in alone


def out_of_order(tmp_path: Path) -> Path:
    """Two logs joined with cat, the newer first: the input goes back in time."""
    newer, older = Log(), Log()
    newer.sasl_failures(86400 * 3, "192.0.2.7", "admin@example.com", 4, every=1)
    older.sasl_failures(0, "203.0.113.9", "root", 2, every=1)
    path = tmp_path / "joined.log"
    path.write_text(newer.text() + older.text())
    return path


def on_a_terminal(*args: str | Path) -> tuple[str, str]:
    """`mailwarden analyze ARGS` with its standard output on a terminal (a pty), its
    standard error in a pipe: (output, error)."""
    main, child = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env.update(COLUMNS="80", LINES="50", TERM="dumb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "analyze", *map(str, args)],
        stdout=child,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(child)
    chunks: list[bytes] = []

    def drain() -> None:  # a pty holds a few KB: read while it writes
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    _, error = process.communicate(timeout=120)
    reader.join(timeout=30)
    os.close(main)
    return b"".join(chunks).decode(errors="replace"), error.decode()


def test_going_back_in_time_is_said_once_on_a_terminal(tmp_path: Path) -> None:
    path = out_of_order(tmp_path)
    out, error = on_a_terminal(path)
    flat = " ".join(out.split())
    assert flat.count("goes back in time") == 1, (out, error)
    assert "goes back in time" not in error
    # Not on a terminal: standard error says it for the person there, the report too.
    piped = run_analyze(path)
    assert "goes back in time" in piped.stderr
    assert "goes back in time" in " ".join(piped.stdout.split())
    # JSON: standard error, and the notes.
    data = run_analyze("--format", "json", path)
    assert "goes back in time" in data.stderr
    assert any("goes back in time" in note for note in json.loads(data.stdout)["notes"])
