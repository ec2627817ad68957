"""Migration 0009 (revocation status): up, down and up again, anchors kept.

:func:`check_0009_round_trip` runs on SQLite here and on PostgreSQL in
``tests/integration/server/test_revocation_migration_postgres.py``.
"""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from server.db import Database
from server.migrate import current, head
from server.models import Base
from tests.unit.server.test_audit_migration import migrate, tables

ANCHOR_COLUMNS = {
    "crl_url",
    "ocsp_url",
    "ocsp_checked_at",
    "ocsp_ok",
    "ocsp_error",
    "crl_fetched_at",
    "crl_fetch_error",
}


def anchor_columns(db: Database) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns("trust_anchors")}


def builtin_anchors(db: Database) -> int:
    with db.engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM trust_anchors WHERE builtin"))
        return int(count.scalar_one())


def check_0009_round_trip(db: Database) -> None:
    """0008 → 0009 → 0008 → head: the built-in anchors kept, the new parts come and go."""
    migrate(db, "0008_card_rebinding")
    assert "ocsp_responses" not in tables(db)
    assert not ANCHOR_COLUMNS & anchor_columns(db)
    anchors = builtin_anchors(db)
    assert anchors > 0
    migrate(db, "0009_revocation_status")
    assert "ocsp_responses" in tables(db)
    assert ANCHOR_COLUMNS <= anchor_columns(db)
    assert builtin_anchors(db) == anchors
    migrate(db, "0008_card_rebinding", down=True)
    assert "ocsp_responses" not in tables(db)
    assert not ANCHOR_COLUMNS & anchor_columns(db)
    assert builtin_anchors(db) == anchors
    migrate(db, "head")
    assert current(db.engine) == head()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_0009_upgrades_and_downgrades_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'migrations.sqlite'}")
    try:
        check_0009_round_trip(db)
    finally:
        db.dispose()
