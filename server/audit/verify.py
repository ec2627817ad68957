"""Checking the chains (:func:`verify`) and exporting events for an auditor (:func:`export`).

Each chain shows any edit of an event (its hash no longer matches), any deletion (a gap in
``seq`` or a ``prev_hash`` that does not match) and a cut-off tail (its ``audit_head`` row
is ahead of its last event).  Someone able to rewrite the whole table *and* the heads
could build new consistent chains: keep the heads' digest that ``audit verify`` and
``audit export`` print (``head_hash``: SHA-256 over every chain's ``chain:seq:hash``)
outside the database (the auditor's records) and compare it later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.chain import canonical_json, event_body, format_at, link_hash
from server.audit.models import GENESIS_HASH, AuditEvent, AuditHead, head_id

_BATCH = 1000


@dataclass(frozen=True)
class Verdict:
    """The result of a check: events seen, the heads (``head_seq``: their sum;
    ``head_hash``: their digest), and the first bad ``seq`` (of ``first_bad_chain``)."""

    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    first_bad_chain: int | None = None
    #: chain → (seq, hash) of its head
    heads: dict[int, tuple[int, str]] | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def heads_digest(heads: Mapping[int, tuple[int, str]]) -> str:
    """SHA-256 over ``chain:seq:hash`` lines of every chain, in chain order."""
    lines = "".join(f"{chain}:{seq}:{digest}\n" for chain, (seq, digest) in sorted(heads.items()))
    return hashlib.sha256(lines.encode("ascii")).hexdigest()


def as_dict(event: AuditEvent) -> dict[str, object]:
    """The event as exported: its hashed content plus ``prev_hash`` and ``hash``."""
    try:
        fields: object = json.loads(event.fields)
    except ValueError:
        fields = event.fields
    return {
        "chain": event.chain,
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
    seq, prev, chain = row.get("seq"), row.get("prev_hash"), row.get("chain", 0)
    if not isinstance(fields, dict) or not isinstance(seq, int) or not isinstance(prev, str):
        return None
    if not isinstance(chain, int):
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
        chain=chain,
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


def _rows(session: Session, chain: int) -> Iterable[dict[str, object]]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=_BATCH)
    )
    for event in session.scalars(query):
        yield as_dict(event)


def verify(session: Session) -> Verdict:
    """Recompute every chain and compare its end with its ``audit_head`` row."""
    heads = {row.id - 1: (row.seq, row.hash) for row in session.scalars(select(AuditHead))}
    total, seq_sum, digest = 0, sum(seq for seq, _ in heads.values()), heads_digest(heads)
    stray = session.scalars(
        select(AuditEvent.chain).where(AuditEvent.chain.not_in(list(heads))).limit(1)
    ).first()
    if stray is not None:
        return Verdict(total, seq_sum, digest, 1, f"chain {stray} has no head", stray, heads)
    for chain, (head_seq, head_hash) in sorted(heads.items()):
        count, bad, problem, last_hash = check_rows(_rows(session, chain))
        total += count
        if bad is not None:
            return Verdict(total, seq_sum, digest, bad, f"chain {chain}: {problem}", chain, heads)
        if head_seq != count or (count and head_hash != last_hash):
            return Verdict(
                total,
                seq_sum,
                digest,
                count + 1 if head_seq > count else head_seq,
                f"chain {chain} ends at event {count} but its head says {head_seq}: "
                "events at the end were removed or the head was changed",
                chain,
                heads,
            )
    return Verdict(total, seq_sum, digest, heads=heads)


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
    total, heads = 0, dict[int, tuple[int, str]]()
    for number, group in itertools.groupby(sorted(rows, key=_chain), key=_chain):
        segment = sorted(group, key=_seq)
        first_seq, first_prev = segment[0].get("seq"), segment[0].get("prev_hash")
        if number < 0 or not isinstance(first_seq, int) or not isinstance(first_prev, str):
            unreadable = f"chain {number}: a line without chain, seq or prev_hash"
            return Verdict(total, 0, "", 1, unreadable, number)
        count, bad, problem, last = check_rows(segment, first_seq=first_seq, first_prev=first_prev)
        total += count
        if bad is not None:
            return Verdict(total, 0, "", bad, f"chain {number}: {problem}", number)
        heads[number] = (first_seq + count - 1, last)
    seq_sum = sum(seq for seq, _ in heads.values())
    return Verdict(total, seq_sum, heads_digest(heads), heads=heads)


def _chain(row: Mapping[str, object]) -> int:
    value = row.get("chain", 0)  # lines exported before there were chains: chain 0
    return value if isinstance(value, int) else -1


def _seq(row: Mapping[str, object]) -> int:
    value = row.get("seq")
    return value if isinstance(value, int) else -1


def export(session: Session, out: Path, start: dt.datetime | None, end: dt.datetime | None) -> int:
    """Write the events with ``start <= at < end`` to ``out`` as JSON lines; how many."""
    query = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
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


def head(session: Session, chain: int = 0) -> AuditHead:
    return session.get_one(AuditHead, head_id(chain))
