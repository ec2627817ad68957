"""Alembic migrations on an empty PostgreSQL database."""

from __future__ import annotations

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
