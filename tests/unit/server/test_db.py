"""The database layer: retrying transactions, UTC times, migrations equal to the models."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from server.db import Database, default_database_url, new_id
from server.identity.models import MyKey
from server.ledger.models import Municipality
from server.migrate import current, head, upgrade
from server.models import Base


class _Sqlstate(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(database.engine)
    return database


def test_a_serialization_failure_runs_the_work_again(db: Database) -> None:
    calls = []

    def work(session: Session) -> str:
        calls.append(1)
        session.add(Municipality(code=f"1413{len(calls)}", name="α市"))
        session.flush()
        if len(calls) == 1:
            raise OperationalError("UPDATE …", {}, _Sqlstate("40001"))
        return "done"

    assert db.transaction(work) == "done"
    assert len(calls) == 2
    with db.sessions() as session:  # the first attempt was rolled back
        codes = session.scalars(text("SELECT code FROM municipalities")).all()
    assert codes == ["14132"]


def test_other_errors_are_not_retried(db: Database) -> None:
    calls = []

    def work(session: Session) -> None:
        calls.append(1)
        session.add_all([MyKey(mykey_id="SAME0000"), MyKey(mykey_id="SAME0000")])
        session.flush()

    with pytest.raises(IntegrityError):
        db.transaction(work)
    assert len(calls) == 1


def test_retries_stop(db: Database) -> None:
    calls = []

    def work(_session: Session) -> None:
        calls.append(1)
        raise OperationalError("SELECT", {}, _Sqlstate("40P01"))

    with pytest.raises(OperationalError):
        db.transaction(work, attempts=3)
    assert len(calls) == 3


def test_times_are_utc_and_ids_are_uuid7(db: Database) -> None:
    tokyo = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))

    def work(session: Session) -> MyKey:
        mykey = MyKey(mykey_id="TIME0000", address_changed_at=tokyo)
        session.add(mykey)
        return mykey

    stored = db.transaction(work)
    assert stored.id.version == 7
    loaded = db.transaction(lambda s: s.get(MyKey, stored.id))
    assert loaded is not None
    assert loaded.address_changed_at == tokyo
    assert loaded.address_changed_at.tzinfo == dt.UTC
    assert new_id() > stored.id  # time-ordered


def test_naive_times_are_refused(db: Database) -> None:
    def work(session: Session) -> None:
        session.add(MyKey(mykey_id="NAIVE000", address_changed_at=dt.datetime(2026, 1, 1)))
        session.flush()

    with pytest.raises(Exception, match="naive"):
        db.transaction(work)


def test_sqlite_settings(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_migrations_match_the_models(db: Database) -> None:
    assert current(db.engine) == head()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(db: Database) -> None:
    assert upgrade(db.engine) == head()
    with db.engine.connect() as connection:
        anchors = connection.exec_driver_sql("SELECT count(*) FROM trust_anchors").scalar()
    assert anchors == 2


def test_default_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MYKEY_PLATFORM_DATABASE_URL", "postgresql+psycopg://h/db")
    assert default_database_url() == "postgresql+psycopg://h/db"
    monkeypatch.delenv("MYKEY_PLATFORM_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = default_database_url()
    assert url == f"sqlite:///{tmp_path}/mykey-platform/platform.db"
