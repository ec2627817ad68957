"""Checking the chain (:func:`verify`) and exporting events for an auditor (:func:`export`).

The chain shows any edit of an event (its hash no longer matches), any deletion (a gap in
``seq`` or a ``prev_hash`` that does not match) and a cut-off tail (``audit_head`` is
ahead of the last event).  Someone able to rewrite the whole table *and* the head could
build a new consistent chain: keep the head hash that ``audit verify`` and ``audit export``
print outside the database (the auditor's records) and compare it later.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.chain import canonical_json, event_body, format_at, link_hash
from server.audit.models import GENESIS_HASH, HEAD_ID, AuditEvent, AuditHead

_BATCH = 1000


@dataclass(frozen=True)
class Verdict:
    """The result of a check: events seen, the head, and the first bad ``seq`` if any."""

    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def as_dict(event: AuditEvent) -> dict[str, object]:
    """The event as exported: its hashed content plus ``prev_hash`` and ``hash``."""
    try:
        fields: object = json.loads(event.fields)
    except ValueError:
        fields = event.fields
    return {
        "seq": event.seq,
        "at": format_at(event.at),
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "action": event.action,
        "outcome": event.outcome,
        "fields": fields,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _recomputed(row: Mapping[str, object]) -> str | None:
    """The hash ``row`` should have, or ``None`` when it cannot even be read."""
    fields = row.get("fields")
    seq, prev = row.get("seq"), row.get("prev_hash")
    if not isinstance(fields, dict) or not isinstance(seq, int) or not isinstance(prev, str):
        return None
    body = {name: row.get(name) for name in ("at", "actor_kind", "actor_id", "action", "outcome")}
    if not all(isinstance(value, str) for value in body.values()):
        return None
    try:
        at = dt.datetime.fromisoformat(str(body["at"]))
    except ValueError:
        return None
    content = event_body(
        seq=seq,
        at=at,
        actor_kind=str(body["actor_kind"]),
        actor_id=str(body["actor_id"]),
        action=str(body["action"]),
        outcome=str(body["outcome"]),
        fields=fields,
    )
    return link_hash(prev, content)


def check_rows(
    rows: Iterable[Mapping[str, object]], *, first_seq: int = 1, first_prev: str = GENESIS_HASH
) -> tuple[int, int | None, str | None, str]:
    """Walk ``rows`` in order: (count, first bad seq, problem, last hash)."""
    expected_seq, expected_prev, count = first_seq, first_prev, 0
    for row in rows:
        seq = row.get("seq")
        if seq != expected_seq:
            return count, expected_seq, f"event {expected_seq} is missing (next is {seq})", ""
        if row.get("prev_hash") != expected_prev:
            return count, expected_seq, f"event {seq} does not follow event {seq - 1}", ""
        if _recomputed(row) != row.get("hash"):
            return count, expected_seq, f"event {seq} was altered (its hash does not match)", ""
        expected_prev = str(row["hash"])
        expected_seq += 1
        count += 1
    return count, None, None, expected_prev


def _rows(session: Session) -> Iterable[dict[str, object]]:
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=_BATCH)
    for event in session.scalars(query):
        yield as_dict(event)


def verify(session: Session) -> Verdict:
    """Recompute the whole chain and compare its end with ``audit_head``."""
    head = session.get_one(AuditHead, HEAD_ID)
    count, bad, problem, last_hash = check_rows(_rows(session))
    if bad is not None:
        return Verdict(count, head.seq, head.hash, bad, problem)
    if head.seq != count or (count and head.hash != last_hash):
        return Verdict(
            count,
            head.seq,
            head.hash,
            count + 1 if head.seq > count else head.seq,
            f"the log ends at event {count} but its head says {head.seq}: "
            "events at the end were removed or the head was changed",
        )
    return Verdict(count, head.seq, head.hash)


def verify_export(path: Path) -> Verdict:
    """Check an exported segment on its own: consecutive, linked, every hash right."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows: list[dict[str, object]] = []
    for number, line in enumerate(lines, start=1):
        try:
            rows.append(json.loads(line))
        except ValueError:
            return Verdict(len(rows), 0, "", number, f"line {number} is not JSON")
    if not rows:
        return Verdict(0, 0, GENESIS_HASH)
    first_seq, first_prev = rows[0].get("seq"), rows[0].get("prev_hash")
    if not isinstance(first_seq, int) or not isinstance(first_prev, str):
        return Verdict(0, 0, "", 1, "line 1 has no seq or prev_hash")
    count, bad, problem, last_hash = check_rows(rows, first_seq=first_seq, first_prev=first_prev)
    return Verdict(count, first_seq + count - 1, last_hash, bad, problem)


def export(session: Session, out: Path, start: dt.datetime | None, end: dt.datetime | None) -> int:
    """Write the events with ``start <= at < end`` to ``out`` as JSON lines; how many."""
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end)
    count = 0
    with out.open("w", encoding="utf-8") as stream:
        for event in session.scalars(query.execution_options(yield_per=_BATCH)):
            stream.write(canonical_json(as_dict(event)) + "\n")
            count += 1
    return count


def head(session: Session) -> AuditHead:
    return session.get_one(AuditHead, HEAD_ID)
