"""The scheduled run purges what expired — challenges, nonces, card sessions, portal
sessions, rate events and counters, registration tickets — with real rows on SQLite, and keeps
everything still alive."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db import Base, utcnow
from server.housekeeping import RATE_EVENT_KEEP
from server.identity.models import MyKey
from server.jobs import run_scheduled
from server.ledger.models import CardSession
from server.portal.models import PortalSession, RateEvent, RegistrationTicket
from server.ratelimit import RateCounter
from server.terminals.models import Challenge, RequestNonce, Terminal
from tests.unit.server.conftest import Library
from tests.unit.server.portal_helpers import open_registration
from tests.unit.server.world import tap

HOUR = dt.timedelta(hours=1)


def _count(library: Library, table: type[Base]) -> int:
    return library.world.db.transaction(
        lambda s: s.scalar(select(func.count()).select_from(table)) or 0
    )


def _expired_rows(session: Session, now: dt.datetime) -> None:
    terminal = session.scalars(select(Terminal)).first()
    mykey = session.scalars(select(MyKey)).first()
    assert terminal is not None and mykey is not None
    past = now - HOUR
    session.add(Challenge(terminal_pk=terminal.id, value=b"x" * 32, expires_at=past))
    session.add(RequestNonce(terminal_pk=terminal.id, nonce="old-nonce", expires_at=past))
    session.add(
        CardSession(terminal_pk=terminal.id, mykey_pk=mykey.id, created_at=past, expires_at=past)
    )
    session.add(RateEvent(bucket="login-ip:192.0.2.1", at=now - RATE_EVENT_KEEP - HOUR))
    session.add(RateCounter(bucket="address/60:192.0.2.1", slot=1, hits=9, expires_at=past))
    orphan = RegistrationTicket(
        ticket_hash=uuid.uuid4().hex * 2, purpose="register", terminal_pk=terminal.id,
        fingerprint="a" * 64, issuer="CN=x", serial="1", not_after=now, expires_at=past,
    )  # fmt: skip
    claimed = RegistrationTicket(
        ticket_hash=uuid.uuid4().hex * 2, purpose="register", terminal_pk=terminal.id,
        fingerprint="b" * 64, issuer="CN=x", serial="2", not_after=now, expires_at=past,
    )  # fmt: skip
    session.add_all([orphan, claimed])
    session.flush()
    session.add(
        PortalSession(
            token_hash=uuid.uuid4().hex * 2,
            kind="register",
            ticket_pk=claimed.id,
            csrf_token="c",
            created_at=past - HOUR,
            expires_at=past,
        )  # fmt: skip
    )


def test_the_scheduled_run_purges_expired_rows_and_keeps_live_ones(library: Library) -> None:
    assert tap(library.desk, library.patron).status_code == 200  # live challenge, nonces
    live = open_registration(library, library.ca.issue(5))  # live session on a live ticket
    db = library.world.db
    now = utcnow()
    db.transaction(lambda s: s.add(RateEvent(bucket="check:live", at=now)))
    before = {t: _count(library, t) for t in (Challenge, RequestNonce, PortalSession)}
    live_counters = _count(library, RateCounter)  # the tap's, per terminal and per card
    assert live_counters >= 2
    db.transaction(lambda s: _expired_rows(s, now))

    report = run_scheduled(db, now).purged.fields()

    assert report == {
        "purged_challenges": 1,
        "purged_nonces": 1,
        "purged_card_sessions": 1,
        "purged_portal_sessions": 1,
        "purged_rate_events": 1,
        "purged_registration_tickets": 2,
        "purged_rate_counters": 1,
    }
    assert _count(library, RateCounter) == live_counters
    assert {t: _count(library, t) for t in (Challenge, RequestNonce, PortalSession)} == before
    assert _count(library, CardSession) == 0
    assert _count(library, RegistrationTicket) == 1  # the live session's
    assert _count(library, RateEvent) >= 1
    generated = live.generate()  # the live registration session still works
    assert generated.status_code == 200, generated.text
    again = run_scheduled(db, now).purged.fields()
    assert set(again.values()) == {0}
