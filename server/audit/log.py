"""Appending to the audit log: :func:`record` inside a transaction, :func:`audited` around one.

An event goes to its actor's chain (:func:`~server.audit.models.chain_of`); appends to one
chain are serialised by that chain's row of ``audit_head``: the first statement of an
append is ``UPDATE audit_head SET seq = seq + 1 … RETURNING seq, hash``, which takes the
row's lock on PostgreSQL until the transaction ends (SQLite's ``BEGIN IMMEDIATE`` already
lets one writer in at a time).  So two transactions can never both append after the same
event, a rolled-back transaction leaves neither an event nor a gap, and transactions of
actors in different chains do not wait for each other.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from server.audit.chain import FieldValue, canonical_json, event_body, link_hash
from server.audit.models import AuditEvent, AuditHead, chain_of, head_id
from server.db import Database, utcnow
from server.errors import PlatformError

log = logging.getLogger(__name__)

T = TypeVar("T")
OK = "ok"


@dataclass(frozen=True)
class Actor:
    """Who acted: a kind (``terminal``, ``operator``, ``portal`` …) and an id within it."""

    kind: str
    id: str

    @classmethod
    def operator(cls) -> Actor:
        """The operator running this process, by OS user name."""
        try:
            user = getpass.getuser()
        except (OSError, KeyError):
            user = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"
        return cls("operator", user)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def sha256_hex(data: bytes | str) -> str:
    """SHA-256 of ``data`` (UTF-8 for text), lower-case hex: how digests enter the log."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def outcome_text(outcome: str | Enum) -> str:
    return str(outcome.value) if isinstance(outcome, Enum) else outcome


def _checked(fields: Mapping[str, object]) -> dict[str, FieldValue]:
    checked: dict[str, FieldValue] = {}
    for name, value in fields.items():
        if isinstance(value, Enum):
            value = value.value
        if value is not None and not isinstance(value, str | int | bool):
            raise TypeError(f"audit field {name} must be str, int, bool or None, not {value!r}")
        checked[name] = value
    return checked


def record(
    session: Session, actor: Actor, action: str, outcome: str | Enum, **fields: object
) -> int:
    """Append one event in ``session``'s transaction; its ``seq``.

    ``fields`` hold only what the operation needed (ids, codes, amounts, digests): never
    a PIN, a certificate, a service ID or a MyKey ID.
    """
    checked = _checked(fields)
    chain = chain_of(actor.kind, actor.id)
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == head_id(chain))
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if head is None:
        raise RuntimeError("the audit_head row is missing: run the database migrations")
    seq, prev_hash = head
    at = utcnow()
    body = event_body(
        seq=seq,
        at=at,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=action,
        outcome=outcome_text(outcome),
        fields=checked,
        chain=chain,
    )
    digest = link_hash(prev_hash, body)
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == head_id(chain))
        .values(hash=digest)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        insert(AuditEvent).values(
            chain=chain,
            seq=seq,
            at=at,
            actor_kind=actor.kind,
            actor_id=actor.id,
            action=action,
            outcome=body["outcome"],
            fields=canonical_json(checked),
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    return seq


def default_outcome(result: object) -> str:
    """``ok``, or the code of a refusal the work returned (so that it commits)."""
    if isinstance(result, PlatformError):
        return result.code.value
    if isinstance(result, Exception):
        return str(getattr(result, "key", type(result).__name__))
    return OK


@dataclass(frozen=True)
class AuditSpec:
    """What :func:`audited` records: the actor, the action, the request's fields, and
    how to read the outcome and further fields from the work's result."""

    actor: Actor
    action: str
    fields: Mapping[str, object] = field(default_factory=dict)
    outcome_of: Callable[[Any], str] = default_outcome
    result_fields: Callable[[Any], Mapping[str, object]] | None = None
    #: fields that need the database to be computed (e.g. a keyed digest)
    session_fields: Callable[[Session], Mapping[str, object]] | None = None

    def fields_in(self, session: Session) -> dict[str, object]:
        """The request's fields, with those computed in ``session``."""
        extra = self.session_fields(session) if self.session_fields is not None else {}
        return {**self.fields, **extra}


def audited(
    db: Database, work: Callable[[Session], T], spec: AuditSpec, *, retry_unique: bool = False
) -> T:
    """Run ``work`` in one transaction and record its event in that same transaction.

    A result that is an exception (a refusal the work returns so that its effects commit,
    e.g. a spent challenge) is recorded with its code.  A :class:`PlatformError` raised
    by ``work`` rolls its transaction back; the refusal is then recorded in a second,
    small transaction and the error propagates.  Other errors are not recorded.
    ``retry_unique`` is passed on to :meth:`~server.db.Database.transaction`.
    """

    def with_event(session: Session) -> T:
        result = work(session)
        extra: Mapping[str, object] = {}
        if spec.result_fields is not None and not isinstance(result, Exception):
            extra = spec.result_fields(result)
        outcome = spec.outcome_of(result)
        record(session, spec.actor, spec.action, outcome, **spec.fields_in(session), **extra)
        return result

    try:
        return db.transaction(with_event, retry_unique=retry_unique)
    except PlatformError as error:
        record_refusal(db, spec, error)
        raise


def record_refusal(db: Database, spec: AuditSpec, error: PlatformError) -> None:
    """Record ``error`` as the outcome of ``spec`` in a transaction of its own."""
    try:
        db.transaction(
            lambda session: record(
                session, spec.actor, spec.action, error.code, **spec.fields_in(session)
            )
        )
    except Exception:  # the refusal itself must still reach the caller
        log.exception("could not record the refusal %s of %s", error.code.value, spec.action)
