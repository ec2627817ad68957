"""Alembic migrations on an empty PostgreSQL database."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from server.db import Database
from server.migrate import alembic_config, current, head
from server.models import Base
from tests.fixtures.platform import run_platform_cli

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_upgrade_an_empty_database_by_command(postgres_database_url: str) -> None:
    out = run_platform_cli(postgres_database_url, "db", "upgrade").stdout
    assert f"schema revision: {head()} (was None)" in out
    db = Database(postgres_database_url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        with db.engine.connect() as connection:
            builtin = connection.execute(
                text("SELECT count(*) FROM trust_anchors WHERE builtin")
            ).scalar()
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert builtin == 2
        assert diff == []
        assert current(db.engine) == head()
    finally:
        db.dispose()
    again = run_platform_cli(postgres_database_url, "db", "upgrade").stdout
    assert again.splitlines()[-1] == f"schema revision: {head()}"


def test_downgrade_and_upgrade_again(postgres_database_url: str) -> None:
    db = Database(postgres_database_url)
    try:
        config = alembic_config()
        for target in ("head", "base", "head"):
            with db.engine.begin() as connection:
                config.attributes["connection"] = connection
                (command.upgrade if target == "head" else command.downgrade)(config, target)
        assert current(db.engine) == head()
    finally:
        db.dispose()


def test_labels_migration_upgrades_a_database_in_use(postgres_database_url: str) -> None:
    """0002 → 0003 keeps services and their data; new services start without a limit."""
    db = Database(postgres_database_url)
    try:
        config = alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO services (id, name, display_name, provider, symbology, pattern,"
                    " nw7_start, nw7_stop, check_digit, created_at) VALUES (:id, 'library',"
                    " 'α市立図書館', 'α市', 'nw7', '[0-9]{10}', 'A', 'A', 'none', now())"
                ),
                {"id": uuid.uuid4()},
            )
        out = run_platform_cli(postgres_database_url, "db", "upgrade").stdout
        assert f"schema revision: {head()} (was 0002)" in out
        with db.engine.connect() as connection:
            limit = connection.execute(
                text("SELECT labels_per_day FROM services WHERE name = 'library'")
            ).one()
            indexes = {i["name"] for i in inspect(connection).get_indexes("issued_labels")}
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert limit == (None,)
        assert "ix_issued_labels_mykey_service_issued_at" in indexes
        assert diff == []
        set_limit = run_platform_cli(
            postgres_database_url, "service", "set-label-limit", "library", "--per-day", "2"
        ).stdout
        assert "2 per card per day" in set_limit
    finally:
        db.dispose()
