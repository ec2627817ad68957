"""Database access: engine set-up, the declarative base, and the retrying transaction.

SQLite (the embedded default) runs in WAL mode with foreign keys on, and every
transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on the busy
timeout instead of failing when a read transaction turns into a write.  PostgreSQL (and
PostgreSQL-wire distributed engines) may abort a transaction with a serialization
failure; :meth:`Database.transaction` runs the whole unit of work again in that case.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
import uuid6
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    DateTime,
    Engine,
    MetaData,
    create_engine,
    event,
    update,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from server.clock import utcnow as utcnow  # the platform's clock, imported from here by many

log = logging.getLogger(__name__)

DATABASE_URL_ENV = "MYKEY_PLATFORM_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: how long a brief write (a refusal's rate-limit count) waits for SQLite's write lock
BRIEF_BUSY_TIMEOUT_MS = 200
#: SQLSTATEs after which the whole transaction may simply run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
UNIQUE_VIOLATION = "23505"

T = TypeVar("T")


def new_id() -> uuid.UUID:
    """A new primary key: UUIDv7, made by the writer (time-ordered, no sequence)."""
    return uuid.UUID(int=uuid6.uuid7().int)


def default_database_url() -> str:
    """The database URL from the environment, or the SQLite file in the user data dir."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    directory = Path(platformdirs.user_data_dir("mykey-platform"))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'platform.db'}"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use timezone-aware UTC")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table of the platform."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime}


def make_engine(
    url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, read_only: bool = False
) -> Engine:
    """An engine for ``url``, with the SQLite pragmas and transaction mode set up.

    On SQLite, ``read_only`` gives an engine whose transactions begin deferred and may
    not write: it reads a snapshot without waiting for (or taking) the write lock.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # Every transaction here writes (BEGIN IMMEDIATE), and SQLite lets one writer in at a
    # time: one pooled connection makes this process's threads queue for it in order,
    # instead of polling SQLite's busy handler (which sleeps up to 100 ms between tries
    # and gave lookups a p99 of ~0.5 s under load). Other processes still meet busy_timeout.
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        pool_size=4 if read_only else 1,
        max_overflow=0,
        pool_timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
    )

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        _sqlite_on_connect(dbapi_connection, busy_timeout_ms, read_only)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _sqlite_on_begin_read if read_only else _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, busy_timeout_ms: int, read_only: bool) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    if read_only:
        cursor.execute("PRAGMA query_only=ON")
    else:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_on_begin_read(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def claim_once(
    session: Session, model: type[Base], *conditions: ColumnElement[bool], now: dt.datetime
) -> bool:
    """Set ``model.used_at`` to ``now`` where it is still NULL (and ``conditions`` hold), in
    one atomic UPDATE; ``True`` when this call set it — the single-use primitive."""
    used_at = model.__table__.c.used_at
    result = session.execute(
        update(model)
        .where(used_at.is_(None), *conditions)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


def is_retryable(error: DBAPIError) -> bool:
    """Whether running the transaction again may succeed."""
    if getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(error.orig)


def is_unique_violation(error: DBAPIError) -> bool:
    """Whether a unique (or primary key) constraint refused a row."""
    if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
        return True
    return "UNIQUE constraint failed" in str(error.orig)


class Database:
    """One database: its engine, a session factory, and :meth:`transaction`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reads: sessionmaker[Session] | None = None
        self._brief: sessionmaker[Session] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def _sqlite_file(self) -> bool:
        """SQLite on a file: other connections see the same database (not ``:memory:``)."""
        database = self.engine.url.database
        return self.dialect == "sqlite" and bool(database) and database != ":memory:"

    def transaction(
        self, work: Callable[[Session], T], *, attempts: int = 5, retry_unique: bool = False
    ) -> T:
        """Run ``work`` in one transaction and commit; run it again on serialization failure.

        With ``retry_unique``, a unique-constraint violation is also run again: for work
        that first looks up what it would create (an idempotent transfer id) and so finds,
        on the second run, the row a concurrent transaction committed first.

        ``work`` must not have effects outside the database: it may run more than once.
        Any exception rolls the transaction back and propagates.
        """
        for attempt in range(1, attempts + 1):
            session = self.sessions()
            try:
                with session.begin():
                    return work(session)
            except DBAPIError as error:
                retry = is_retryable(error) or (retry_unique and is_unique_violation(error))
                if attempt == attempts or not retry:
                    raise
                log.info("transaction retry %d after %s", attempt, type(error.orig).__name__)
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 (jitter)
            finally:
                session.close()
        raise AssertionError("unreachable")

    def read(self, work: Callable[[Session], T]) -> T:
        """Run read-only ``work`` without waiting for a writer: on SQLite a deferred
        transaction on a connection that may not write (WAL readers never block)."""
        if self._reads is None:
            engine = make_engine(self.url, read_only=True) if self._sqlite_file else None
            self._reads = sessionmaker(engine, expire_on_commit=False) if engine else self.sessions
        session = self._reads()
        try:
            with session.begin():
                return work(session)
        finally:
            session.close()

    def brief_transaction(self, work: Callable[[Session], T]) -> T:
        """Run a small write that must not queue behind a long one: on SQLite it waits at
        most :data:`BRIEF_BUSY_TIMEOUT_MS` for the write lock, then raises ``DBAPIError``
        ("database is locked").  Elsewhere it is :meth:`transaction`."""
        if not self._sqlite_file:
            return self.transaction(work)
        if self._brief is None:
            engine = make_engine(self.url, busy_timeout_ms=BRIEF_BUSY_TIMEOUT_MS)
            self._brief = sessionmaker(engine, expire_on_commit=False)
        session = self._brief()
        try:
            with session.begin():
                return work(session)
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        for extra in (self._reads, self._brief):
            bind = extra.kw.get("bind") if extra is not None else None
            if isinstance(bind, Engine) and bind is not self.engine:
                bind.dispose()
