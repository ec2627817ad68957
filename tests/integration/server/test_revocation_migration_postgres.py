"""Migration 0009 (revocation status) on PostgreSQL."""

from __future__ import annotations

import pytest

from server.db import Database
from tests.unit.server.test_revocation_migration import check_0009_round_trip

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_0009_upgrades_and_downgrades_on_postgres(postgres_database_url: str) -> None:
    db = Database(postgres_database_url)
    try:
        check_0009_round_trip(db)
    finally:
        db.dispose()
