"""Migrations 0006 (audit log, address changes, provider keys) and 0014 (audit chains) on
PostgreSQL."""

from __future__ import annotations

import pytest

from server.db import Database
from tests.unit.server.test_audit_chains_migration import check_0014
from tests.unit.server.test_audit_migration import check_0006_round_trip

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_0006_upgrades_and_downgrades_on_postgres(postgres_database_url: str) -> None:
    db = Database(postgres_database_url)
    try:
        check_0006_round_trip(db)
    finally:
        db.dispose()


def test_0014_keeps_the_single_chain_as_chain_0_on_postgres(postgres_database_url: str) -> None:
    db = Database(postgres_database_url)
    try:
        check_0014(db)
    finally:
        db.dispose()
