"""Reading the audit log in tests."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.db import Database


def events(db: Database) -> list[AuditEvent]:
    def work(session: Session) -> list[AuditEvent]:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))

    return db.transaction(work)


def raw_log(db: Database) -> str:
    """Every column of every audit row and of the head, as one text."""
    with db.engine.connect() as connection:
        rows = list(connection.execute(text("SELECT * FROM audit_events")).all())
        rows += connection.execute(text("SELECT * FROM audit_head")).all()
    return "\n".join(" ".join(str(cell) for cell in row) for row in rows)
