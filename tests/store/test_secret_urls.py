"""A PostgreSQL URL's password is never shown, wherever the URL carries it: in the user
info (``postgresql://mw:S3cret@db/mw``) or as a query parameter libpq reads
(``?password=``, ``?sslpassword=``, their names percent-encoded or not). ``status
--format json`` goes to monitoring, error lines and ``run --check`` notes to logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from storelab import cli

SECRET = "S3cretPW"


def mailwarden(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str, *args: str
) -> tuple[int, list[str], str]:
    code, err, out, _config = cli(capsys, tmp_path, url, *args)
    return code, err, out


# (what follows the database's URL, as it is shown)
FORMS = [
    (f"?password={SECRET}", "?password=***"),
    (f"?sslmode=disable&password={SECRET}&sslpassword=K3y{SECRET}", None),
    (f"?pass%77ord={SECRET}", "?pass%77ord=***"),
]


@pytest.mark.parametrize(("query", "shown_query"), FORMS, ids=["password", "both", "encoded"])
def test_a_password_in_the_query_is_never_shown(
    pg_database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    query: str,
    shown_query: str | None,
) -> None:
    """``status --format json`` printed ``"store": "postgresql://…?password=S3cretPW"``;
    the "no store yet" error of status and unban and the note of run --check too."""
    url = pg_database + query
    shown = pg_database + (shown_query or "?sslmode=disable&password=***&sslpassword=***")
    no_store = [f"mailwarden: error: {shown}: no store yet (the daemon creates it when it starts)"]
    assert mailwarden(capsys, tmp_path, url, "status") == (1, no_store, "")
    assert mailwarden(capsys, tmp_path, url, "status", "--format", "json") == (1, no_store, "")
    assert mailwarden(capsys, tmp_path, url, "unban", "192.0.2.7") == (1, no_store, "")
    code, err, out = mailwarden(capsys, tmp_path, url, "run", "--check")
    assert code == 0, err
    assert out.splitlines()[0] == (
        f"mailwarden: store.path: {shown} has no mailwarden tables yet: the daemon creates them"
    )

    code, err, out = mailwarden(capsys, tmp_path, url, "ban", "192.0.2.7")
    assert code == 0, err
    code, err, out = mailwarden(capsys, tmp_path, url, "status", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["store"] == shown
    for command in (("status",), ("unban", "192.0.2.7"), ("run", "--check")):
        code, err, out = mailwarden(capsys, tmp_path, url, *command)
        assert code == 0, err
        assert SECRET not in out + "".join(err), command
