"""Migration 0014 (the audit log as 16 chains): the single chain's events become chain 0
with their hashes unchanged, new events spread over the chains, and a downgrade refuses to
fold chains back into one.

:func:`check_0014` runs on SQLite here and on PostgreSQL in
``tests/integration/server/test_audit_migration_postgres.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.util import CommandError
from sqlalchemy import text

from server.audit.log import Actor, record
from server.audit.models import AUDIT_CHAINS, GENESIS_HASH
from server.audit.verify import verify
from server.db import Database
from tests.unit.server.audit_helpers import append_as_single_chain, events
from tests.unit.server.test_audit_migration import migrate

BEFORE = "0013_rate_counters"


def _single_chain_events(db: Database, count: int) -> str:
    """``count`` events written as the single chain wrote them; the last hash."""
    for n in range(1, count + 1):
        append_as_single_chain(db, "operator", f"op{n}", "test.old", "ok", {"n": n})
    with db.engine.connect() as connection:
        return str(connection.execute(text("SELECT hash FROM audit_head WHERE id = 1")).scalar())


def check_0014(db: Database) -> None:
    migrate(db, BEFORE)
    last = _single_chain_events(db, 5)
    migrate(db, "0014_audit_chains")
    with db.engine.connect() as connection:
        heads = connection.execute(text("SELECT id, seq, hash FROM audit_head ORDER BY id")).all()
    assert [tuple(h) for h in heads] == [(1, 5, last)] + [
        (i, 0, GENESIS_HASH) for i in range(2, AUDIT_CHAINS + 1)
    ]
    verdict = db.transaction(verify)
    assert verdict.ok and verdict.events == 5
    assert {e.chain for e in events(db)} == {0}
    for i in range(20):
        db.transaction(lambda s, n=i: record(s, Actor("terminal", f"t{n}"), "test.new", "ok"))
    assert db.transaction(verify).ok and len({e.chain for e in events(db)}) > 1
    with pytest.raises((RuntimeError, CommandError)):
        migrate(db, BEFORE, down=True)


def test_0014_keeps_the_single_chain_as_chain_0_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'chains.sqlite'}")
    try:
        check_0014(db)
    finally:
        db.dispose()


def test_0014_downgrades_when_only_chain_0_holds_events(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'down.sqlite'}")
    try:
        migrate(db, BEFORE)
        _single_chain_events(db, 3)
        migrate(db, "0014_audit_chains")
        migrate(db, BEFORE, down=True)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_head")).scalar() == 1
            assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 3
    finally:
        db.dispose()
