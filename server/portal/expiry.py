"""The "MyKey ID expired" notice: sent once when the last certificate bound to a MyKey
ID has expired (the card was not renewed, or its renewal was not bound on My Page).

Binding a renewed card's certificate moves the expiry forward, so a later expiry is
noticed again.  Run by the scheduled jobs (``mykey-platform jobs run`` and
``serve --jobs-every``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db import Database
from server.identity.models import CertificateBinding, MyKey
from server.notices import NoticeKind, enqueue_notice
from server.portal.models import PortalAccount

#: accounts handled per transaction
BATCH = 500


def _due(session: Session, now: dt.datetime) -> list[tuple[PortalAccount, str, dt.datetime]]:
    latest = (
        select(
            CertificateBinding.mykey_pk.label("mykey_pk"),
            func.max(CertificateBinding.not_after).label("not_after"),
        )
        .group_by(CertificateBinding.mykey_pk)
        .subquery()
    )
    rows = session.execute(
        select(PortalAccount, MyKey.mykey_id, latest.c.not_after)
        .join(latest, latest.c.mykey_pk == PortalAccount.mykey_pk)
        .join(MyKey, MyKey.id == PortalAccount.mykey_pk)
        .where(latest.c.not_after <= now)
        .where(
            (PortalAccount.expiry_noticed_for.is_(None))
            | (PortalAccount.expiry_noticed_for < latest.c.not_after)
        )
        .limit(BATCH)
        .with_for_update(of=PortalAccount, skip_locked=True)
    ).all()
    # max() keeps the column's type (UTCDateTime): aware UTC on every backend
    return [(account, mykey_id, not_after) for account, mykey_id, not_after in rows]


def notice_expired_mykeys(db: Database, now: dt.datetime) -> int:
    """Queue the notice for each MyKey ID whose certificates have all expired (once per
    expiry; only residents who chose MyKey notices get a mail).  How many expired."""
    total = 0
    while True:

        def batch(session: Session) -> int:
            due = _due(session, now)
            for account, mykey_id, not_after in due:
                enqueue_notice(
                    session, account.mykey_pk, NoticeKind.MYKEY_EXPIRED, {"mykey_id": mykey_id}
                )
                account.expiry_noticed_for = not_after
            return len(due)

        done = db.transaction(batch)
        total += done
        if done < BATCH:
            return total
