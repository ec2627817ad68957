"""Tables of the audit log: the events, and one head per chain that serialises appends to it.

The log is :data:`AUDIT_CHAINS` hash chains; an event goes to the chain of its actor
(:func:`chain_of`), so a terminal's or an operator's events stay in order in one chain
while appends of different actors rarely wait for each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

#: ``prev_hash`` of the first event
GENESIS_HASH = "0" * 64
#: how many chains the log has (``audit_head`` has one row per chain, ids 1 … this)
AUDIT_CHAINS = 16


def chain_of(actor_kind: str, actor_id: str) -> int:
    """The chain of an actor's events: 0 … ``AUDIT_CHAINS - 1``, fixed for the actor."""
    digest = hashlib.sha256(f"{actor_kind}:{actor_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % AUDIT_CHAINS


def head_id(chain: int) -> int:
    """The ``audit_head`` row of ``chain`` (chain 0 is the row the single chain had)."""
    return chain + 1


class AuditEvent(Base):
    """One audited operation. Never updated or deleted: :func:`server.audit.verify.verify`
    detects any change through the hash chain."""

    __tablename__ = "audit_events"

    #: which chain (:func:`chain_of` its actor)
    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: 1, 2, 3 … without gaps, in the order of its chain
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
    """A chain's last ``seq`` and ``hash``: an append updates its chain's row first, so
    concurrent appends to one chain queue on its lock and the chain never forks."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint(f"id BETWEEN 1 AND {AUDIT_CHAINS}", name="chain_ids"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
