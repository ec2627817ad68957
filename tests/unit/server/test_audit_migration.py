"""Migration 0006 (audit log, address changes, provider keys): up, down and up again.

:func:`check_0006_round_trip` runs on SQLite here and on PostgreSQL in
``tests/integration/server/test_audit_migration_postgres.py``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from server.audit.models import GENESIS_HASH
from server.db import Database, utcnow
from server.identity.address_changes import AddressChange
from server.identity.models import MyKey
from server.migrate import alembic_config, current, head
from server.models import Base

NEW_TABLES = {"audit_events", "audit_head", "address_changes", "provider_keys"}


def migrate(db: Database, target: str, *, down: bool = False) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)


def tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def head_row(db: Database) -> tuple[object, ...]:
    """The head of the first chain (the only one before 0014)."""
    with db.engine.connect() as connection:
        query = text("SELECT id, seq, hash FROM audit_head WHERE id = 1")
        return tuple(connection.execute(query).one())


def check_0006_round_trip(db: Database) -> None:
    """0005 with data → 0006 → 0005 → head: data kept, the new tables come and go."""
    migrate(db, "0005")
    assert not NEW_TABLES & tables(db)
    mykey_pk = uuid.uuid4()
    db.transaction(lambda s: s.add(MyKey(id=mykey_pk, mykey_id="MIGR0006")))
    migrate(db, "0006")
    assert NEW_TABLES <= tables(db)
    assert head_row(db) == (1, 0, GENESIS_HASH)
    db.transaction(lambda s: s.add(AddressChange(mykey_pk=mykey_pk, changed_at=utcnow())))
    migrate(db, "0005", down=True)
    assert not NEW_TABLES & tables(db)
    assert current(db.engine) == "0005"
    with db.engine.connect() as connection:
        kept = connection.execute(text("SELECT mykey_id FROM mykeys")).scalars().all()
    assert kept == ["MIGR0006"]
    migrate(db, "head")
    assert current(db.engine) == head()
    assert head_row(db) == (1, 0, GENESIS_HASH)
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_0006_upgrades_and_downgrades_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'migrations.sqlite'}")
    try:
        check_0006_round_trip(db)
    finally:
        db.dispose()


def test_the_whole_chain_downgrades_to_base_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'base.sqlite'}")
    try:
        migrate(db, "head")
        migrate(db, "base", down=True)
        assert tables(db) <= {"alembic_version"}
        migrate(db, "head")
        assert current(db.engine) == head()
    finally:
        db.dispose()
