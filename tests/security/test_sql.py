"""SQL: statements are constants (PostgreSQL: constants with only our checked schema name
composed in as an identifier); every value from a log, a person or a configuration is
a bound parameter. A hostile reason, evidence, position key or network text is stored
and read back exactly, and changes nothing else."""

from __future__ import annotations

import ast
import ipaddress
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from seclab import REPO

from mailwarden.errors import StoreError
from mailwarden.model import BanEntry
from mailwarden.store import Source, open_store

STORE = REPO / "src" / "mailwarden" / "store"
HOSTILE = "x'); DROP TABLE bans; -- \" ; SELECT * FROM positions; \x00 ' OR '1'='1"


def _sql_arguments(path: Path) -> list[tuple[int, ast.expr]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "execute"
            and node.args
        ):
            found.append((node.lineno, node.args[0]))
    return found


def _constant(node: ast.expr, module: ast.Module) -> bool:
    """A literal, a module-level constant, or ``self._q(<one of those>)``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.Name):
        names = {
            t.id
            for stmt in module.body
            if isinstance(stmt, ast.Assign)
            for t in stmt.targets
            if isinstance(t, ast.Name)
        }
        return node.id in names and node.id.isupper()
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "_q"
    ):
        return len(node.args) == 1 and _constant(node.args[0], module)
    return False


@pytest.mark.parametrize("name", ["sqlite.py", "postgres.py"])
def test_every_statement_is_a_constant(name: str) -> None:
    path = STORE / name
    module = ast.parse(path.read_text(encoding="utf-8"))
    # Reviewed exceptions: a pragma takes no parameter; its value is a checked word,
    # our own schema number or a whole number of milliseconds (``int(...)``: the
    # daemon's patience); `_read` runs the module's constants with bound parameters;
    # the schema statements are split from the constant SCHEMA.
    allowed = {
        "PRAGMA synchronous",
        "PRAGMA user_version",
        "PRAGMA busy_timeout = {int(",
        "sql",
        "statement",
    }
    for line, arg in _sql_arguments(path):
        if _constant(arg, module):
            continue
        text = ast.unparse(arg)
        assert any(word in text for word in allowed), f"{name}:{line}: {text}"


def test_hostile_text_is_stored_exactly_and_harms_nothing(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with open_store(str(tmp_path / "m.db")) as store:
        network = ipaddress.ip_network("203.0.113.0/24")
        entry = BanEntry(network, now + timedelta(hours=1), HOSTILE)
        row = store.record_ban(entry, json.dumps({"user": HOSTILE}), Source.MANUAL, now)
        store.set_position(HOSTILE, {"k": HOSTILE})
        assert store.lift_ban(ipaddress.ip_network("198.51.100.0/24"), HOSTILE) is False
        assert row.reason == HOSTILE.replace("\x00", "\ufffd")
        assert json.loads(row.evidence)["user"] == HOSTILE
        assert store.get_position(HOSTILE) == {"k": HOSTILE}
        assert [r.network for r in store.active_bans()] == [network]
        assert store.offences(network) == 1
        assert store.integrity_check() == "ok"  # type: ignore[attr-defined]


def test_the_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "m.db"
    with open_store(str(path)) as store:
        store.set_position("a", 1)
        for file in path.parent.iterdir():
            assert file.stat().st_mode & 0o077 == 0, file
    assert path.parent.stat().st_mode & 0o077 == 0


def test_a_postgres_schema_name_is_checked() -> None:
    pytest.importorskip("psycopg")
    from mailwarden.store.postgres import PostgresStore

    with pytest.raises(StoreError, match="bad schema name"):
        PostgresStore("postgresql://nobody@127.0.0.1:1/x", schema='x"; DROP TABLE bans; --')
