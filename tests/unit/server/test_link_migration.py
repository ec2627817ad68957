"""Migration 0007 (service links the provider confirms): up, down and up again.

:func:`check_0007_round_trip` runs on SQLite here and on PostgreSQL in
``tests/integration/server/test_link_migration_postgres.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Executable, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.db import Database
from server.identity.models import MyKey, Service, ServiceLink
from server.migrate import current, head
from server.models import Base
from tests.unit.server.test_audit_migration import migrate, tables

REVISION = "0007_service_link_confirmation"
WHEN = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
LINKS: Table = ServiceLink.__table__  # type: ignore[assignment]


def _run(db: Database, statement: Executable) -> None:
    with db.engine.begin() as connection:
        connection.execute(statement)


def _link(db: Database, mykey: uuid.UUID, service: uuid.UUID, number: str) -> None:
    """A link with the columns of 0006 only (typed by the model's table)."""
    row = {"mykey_pk": mykey, "service_pk": service, "external_id": number}
    _run(db, insert(LINKS).values(id=uuid.uuid4(), linked_at=WHEN, valid=True, **row))


def _links(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as connection:
        query = select(LINKS.c.external_id, LINKS.c.confirmed_by).order_by(LINKS.c.external_id)
        return [tuple(row) for row in connection.execute(query)]


def check_0007_round_trip(db: Database) -> None:
    """0006 with a link → 0007: kept confirmed; claims may share an ID, confirmed links
    may not; → 0006: pending claims dropped, confirmed kept; → head again."""
    migrate(db, "0006")
    service, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    _run(
        db,
        insert(Service.__table__).values(
            id=service,
            name="library",
            display_name="L",
            provider="α市",
            symbology="nw7",
            pattern="[0-9]{10}",
            nw7_start="A",
            nw7_stop="A",
            check_digit="none",
            created_at=WHEN,
        ),
    )
    for pk, name in ((first, "MIGR0071"), (second, "MIGR0072")):
        _run(db, insert(MyKey.__table__).values(id=pk, mykey_id=name, created_at=WHEN))
    _link(db, first, service, "1111111111")
    migrate(db, REVISION)
    assert "link_codes" in tables(db)
    assert _links(db) == [("1111111111", "migration")]
    _link(db, second, service, "1111111111")  # a second, pending claim on the same ID
    with pytest.raises(IntegrityError):  # … but never a second confirmed link
        _run(
            db,
            update(LINKS)
            .where(LINKS.c.mykey_pk == second)
            .values(confirmed_at=WHEN, confirmed_by="code"),
        )
    migrate(db, "0006", down=True)
    assert "link_codes" not in tables(db)
    with db.engine.connect() as connection:
        kept = connection.execute(select(LINKS.c.mykey_pk)).scalars().all()
    assert kept == [first]
    migrate(db, "head")
    assert current(db.engine) == head()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_0007_upgrades_and_downgrades_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'links.sqlite'}")
    try:
        check_0007_round_trip(db)
    finally:
        db.dispose()
