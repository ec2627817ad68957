"""The scheduled jobs' "MyKey ID expired" notice on SQLite and PostgreSQL: its query (an
aggregate per MyKey ID, the accounts locked with SKIP LOCKED) runs on both, once per expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.db import Database, utcnow
from server.identity.models import CertificateBinding, MyKey
from server.jobs import run_scheduled
from server.migrate import upgrade
from server.portal.models import OutboxMail, PortalAccount

pytestmark = pytest.mark.integration


def test_an_expired_mykey_id_is_noticed_once(platform_database_url: str) -> None:
    db = Database(platform_database_url)
    try:
        upgrade(db.engine)
        now = utcnow()

        def seed(session):  # type: ignore[no-untyped-def]
            for name, days in (("EXPIRED1", -1), ("VALID001", 30)):
                mykey = MyKey(mykey_id=name)
                session.add(mykey)
                session.flush()
                session.add(CertificateBinding(
                    mykey_pk=mykey.id, fingerprint=name.lower().ljust(64, "0"),
                    issuer="CN=test", serial=name, not_after=now + dt.timedelta(days=days)))
                session.add(PortalAccount(
                    mykey_pk=mykey.id, password_hash="x", email=f"{name.lower()}@example.jp",
                    email_verified_at=now, notify_mykey=True))

        db.transaction(seed)
        first = run_scheduled(db, now)
        again = run_scheduled(db, now + dt.timedelta(hours=1))
        assert (first.mykeys_expired, again.mykeys_expired) == (1, 0)
        mails = db.transaction(lambda s: s.scalars(select(OutboxMail.recipient)).all())
        assert mails == ["expired1@example.jp"]
    finally:
        db.dispose()
