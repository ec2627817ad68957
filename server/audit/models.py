"""Tables of the audit log: the events, and the single-row head that serialises appends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

#: ``prev_hash`` of the first event
GENESIS_HASH = "0" * 64
#: the one row of ``audit_head``
HEAD_ID = 1


class AuditEvent(Base):
    """One audited operation. Never updated or deleted: :func:`server.audit.verify.verify`
    detects any change through the hash chain."""

    __tablename__ = "audit_events"

    #: 1, 2, 3 … without gaps, in the order of the chain
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    #: ``terminal``, ``operator``, ``portal``, ``provider``, ``supporter``, ``enrollment``
    actor_kind: Mapped[str] = mapped_column(String(16))
    #: the terminal id, the operator's OS user, the client address, the key id …
    actor_id: Mapped[str] = mapped_column(String(256))
    #: e.g. ``lookup``, ``payment.hold``, ``grant.decide``, ``portal.login``
    action: Mapped[str] = mapped_column(String(128))
    #: ``ok`` or the refusal's code (an :class:`~server.api.schemas.ErrorCode` value)
    outcome: Mapped[str] = mapped_column(String(64))
    #: what the operation was about, canonical JSON (digests and ids, never PINs or DER)
    fields: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: SHA-256(prev_hash ‖ canonical JSON of this row), lower-case hex
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's last ``seq`` and ``hash``: appends update this one row first, so
    concurrent transactions queue on its lock and the chain never forks."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
