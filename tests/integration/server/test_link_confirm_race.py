"""Two confirmations of rival claims on one service ID at the same moment (PostgreSQL):
the second waits for the first's lock, then finds its claim dropped — never two
confirmed links, never both claims gone."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from server.api.schemas import BarcodeSpec, ErrorCode, Symbology
from server.db import Database, utcnow
from server.errors import PlatformError
from server.identity.links import confirm
from server.identity.models import MyKey, ServiceLink
from server.identity.services import add_service
from server.migrate import upgrade

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
NUMBER = "2222222222"


def _setup(db: Database) -> tuple[object, object]:
    def work(session):  # type: ignore[no-untyped-def]
        barcode = BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}")
        service = add_service(session, "library", display_name="L", provider="α市", barcode=barcode)
        ids = []
        for name in ("RACE0001", "RACE0002"):
            mykey = MyKey(mykey_id=name)
            session.add(mykey)
            session.flush()
            link = ServiceLink(
                mykey_pk=mykey.id, service_pk=service.id, external_id=NUMBER, linked_at=utcnow()
            )
            session.add(link)
            session.flush()
            ids.append(link.id)
        return tuple(ids)

    first, second = db.transaction(work)
    return first, second


def _waiting_for_a_lock(db: Database) -> bool:
    with db.engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()
    return bool(waiting)


def test_rival_confirmations_run_one_after_the_other(postgres_database_url: str) -> None:
    db = Database(postgres_database_url)
    try:
        upgrade(db.engine)
        first, second = _setup(db)
        holder = db.sessions()
        holder.begin()
        confirm(holder, holder.get(ServiceLink, first), "provider", utcnow())  # locks the rows
        outcome: list[object] = []

        def rival() -> None:
            def work(session):  # type: ignore[no-untyped-def]
                return confirm(session, session.get(ServiceLink, second), "provider", utcnow())

            try:
                outcome.append(db.transaction(work))
            except PlatformError as error:
                outcome.append(error.code)

        thread = threading.Thread(target=rival)
        thread.start()
        while not _waiting_for_a_lock(db):  # the rival is blocked behind the first
            assert thread.is_alive(), outcome
        holder.commit()
        holder.close()
        thread.join()
        assert outcome == [ErrorCode.LINK_UNKNOWN]

        def state(session):  # type: ignore[no-untyped-def]
            rows = session.scalars(select(ServiceLink).where(ServiceLink.external_id == NUMBER))
            return [(row.id, row.confirmed) for row in rows]

        assert db.transaction(state) == [(first, True)]
    finally:
        db.dispose()
