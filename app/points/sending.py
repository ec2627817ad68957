"""Sending an outbox entry: written first, then sent once; what the answer means.

A 2xx or a business refusal (:func:`is_final`) is the entry's definite answer (done);
anything else keeps it pending for the next try (:mod:`app.points.retry`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from enum import StrEnum

from pydantic import BaseModel

from app.client import PlatformRefusal
from app.points.outbox import SPECS, EntryState, Outbox, OutboxEntry, OutboxRecord, PointsApi
from app.ports import TapError

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    ANSWERED = "answered"  # 2xx: ``answer`` holds the result
    REFUSED = "refused"  # a definite 4xx: ``code`` says why
    UNREACHABLE = "unreachable"  # no definite answer: the entry stays pending


@dataclass(frozen=True)
class Sent:
    """What one :func:`send` came to."""

    entry_id: str
    outcome: Outcome
    answer: BaseModel | None = None
    code: str | None = None
    detail: str = ""


def _stored(record: OutboxRecord) -> Sent:
    """The result of an entry that already has its definite answer."""
    entry, answer = record.entry, record.answer or "{}"
    if record.status is not None and record.status < 300:
        model = SPECS[entry.operation].answer.model_validate_json(answer)
        return Sent(entry.id, Outcome.ANSWERED, answer=model)
    data = json.loads(answer)
    return Sent(entry.id, Outcome.REFUSED, code=data.get("error"), detail=data.get("message", ""))


#: answers that are not the platform's decision: the signature or clock (401, fixable by
#: the staff), a timeout, too many requests, the platform itself failing (5xx)
RETRIED_STATUSES = frozenset({401, 408, 425, 429})
RETRIED_CODES = frozenset({"terminal_signature_invalid", "rate_limited", "internal"})
#: 401s that are the platform's decision on this very request, the same again each time:
#: a wrong or spent staff code, a card session that ended
FINAL_CODES = frozenset({"staff_credential_invalid", "card_session_invalid"})


def is_final(refusal: PlatformRefusal) -> bool:
    """Whether the platform's answer is a business refusal (insufficient points, a
    conflict, a used voucher, a wrong staff code …): the entry is done. Anything else is
    tried again."""
    if refusal.code in FINAL_CODES:
        return True
    if refusal.status >= 500 or refusal.status in RETRIED_STATUSES:
        return False
    return refusal.code not in RETRIED_CODES


def send(outbox: Outbox, api: PointsApi, entry: OutboxEntry) -> Sent:
    """Write ``entry`` to the outbox, then send it (once); an entry already answered is not
    sent again: its stored answer is returned."""
    record = outbox.record(entry)
    if record.state is EntryState.DONE:
        return _stored(record)
    spec = SPECS[entry.operation]
    try:
        # the file's entry, with the staff code this one holds in memory (if any)
        request = replace(record.entry, staff_code=entry.staff_code).model()
        answer = spec.call(api, entry.target, request)
    except PlatformRefusal as e:
        if not is_final(e):
            outbox.note_failure(entry.id, e.detail)
            return Sent(entry.id, Outcome.UNREACHABLE, detail=e.detail)
        outbox.mark_done(entry.id, e.status, json.dumps({"error": e.code, "message": e.message}))
        return Sent(entry.id, Outcome.REFUSED, code=e.code, detail=e.message)
    except TapError as e:  # refused, reset, timeout, a gateway: no definite answer
        outbox.note_failure(entry.id, e.detail or e.kind.value)
        return Sent(entry.id, Outcome.UNREACHABLE, detail=e.detail or e.kind.value)
    outbox.mark_done(entry.id, 200, answer.model_dump_json())
    return Sent(entry.id, Outcome.ANSWERED, answer=answer)


def replay_pending(outbox: Outbox, api: PointsApi) -> list[Sent]:
    """Send every pending entry again (same id, same request), oldest first; stop at the
    first one still unreachable (the network is still away). What each came to."""
    results: list[Sent] = []
    for entry in outbox.pending():
        result = send(outbox, api, entry)
        results.append(result)
        log.info("outbox replay of %s %s: %s", entry.operation, entry.id, result.outcome)
        if result.outcome is Outcome.UNREACHABLE:
            break
    return results
