"""Reading the audit log in tests."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from server.audit.chain import FieldValue, canonical_json, event_body, link_hash
from server.audit.models import AuditEvent
from server.db import Database, utcnow


def events(db: Database) -> list[AuditEvent]:
    def work(session: Session) -> list[AuditEvent]:
        order = (AuditEvent.at, AuditEvent.chain, AuditEvent.seq)  # the chains interleaved
        return list(session.scalars(select(AuditEvent).order_by(*order)))

    return db.transaction(work)


def raw_log(db: Database) -> str:
    """Every column of every audit row and of the head, as one text."""
    with db.engine.connect() as connection:
        rows = list(connection.execute(text("SELECT * FROM audit_events")).all())
        rows += connection.execute(text("SELECT * FROM audit_head")).all()
    return "\n".join(" ".join(str(cell) for cell in row) for row in rows)


def append_as_single_chain(
    db: Database, actor_kind: str, actor_id: str, action: str, outcome: str,
    fields: dict[str, FieldValue],
) -> None:  # fmt: skip
    """Append an event as the log wrote them before it had chains (migrations before
    ``0014_audit_chains``: no ``chain`` column, one head row), with raw SQL."""
    with db.engine.begin() as connection:
        seq, prev = connection.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
        seq += 1
        at = utcnow()
        body = event_body(seq=seq, at=at, actor_kind=actor_kind, actor_id=actor_id,
                          action=action, outcome=outcome, fields=fields)  # fmt: skip
        digest = link_hash(prev, body)
        connection.execute(
            text("INSERT INTO audit_events (seq, at, actor_kind, actor_id, action, outcome, "
                 "fields, prev_hash, hash) VALUES (:seq, :at, :kind, :id, :action, :outcome, "
                 ":fields, :prev, :hash)"),
            {"seq": seq, "at": at, "kind": actor_kind, "id": actor_id, "action": action,
             "outcome": outcome, "fields": canonical_json(fields), "prev": prev, "hash": digest},
        )  # fmt: skip
        connection.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"),
                           {"seq": seq, "hash": digest})  # fmt: skip
