"""The outbox's retry schedule while the counter runs, and its dead-letter list.

An entry without a definite answer (a network cut, a 5xx, a 401, a 429) stays pending in
the outbox. :func:`retry_due` — run by the kiosk on a timer, on the card lane — sends
each entry whose next try has come (the same id: the platform answers a repeated id with
its first result). After a failed try the next one is ``first_s · 2^(tries-1)`` seconds
later, at most ``max_s``; the time is written to the entry (``next_try_at``), so a
restart keeps the schedule. After ``max_attempts`` tries the entry goes to the
dead-letter list (:meth:`~app.points.outbox.Outbox.dead`): kept, never deleted, shown to
the staff on the settings screen, who may send it again (:meth:`Outbox.revive`).

An entry that failed outside :func:`retry_due` (the screen's own tries) has no
``next_try_at``: it is due ``delay_s(tries)`` after its last try.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from app.points.outbox import EntryState, Outbox, OutboxRecord, PointsApi
from app.points.sending import Outcome, Sent, send

log = logging.getLogger(__name__)

#: the defaults of ``[points] outbox_max_tries`` and the back-off
DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_FIRST_S = 30.0
DEFAULT_MAX_S = 1800.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with a cap, and the tries before the dead-letter list."""

    first_s: float = DEFAULT_FIRST_S
    max_s: float = DEFAULT_MAX_S
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def __post_init__(self) -> None:
        if self.first_s <= 0 or self.max_s < self.first_s or self.max_attempts < 1:
            raise ValueError(f"not a retry policy: {self}")

    def delay_s(self, attempts: int) -> float:
        """Seconds from the ``attempts``-th failed try to the next one (0: never tried)."""
        if attempts <= 0:
            return 0.0
        return min(self.max_s, self.first_s * 2.0 ** min(attempts - 1, 62))


def next_try(record: OutboxRecord, policy: RetryPolicy) -> dt.datetime:
    """When ``record`` is due: its stored ``next_try_at``, else by the back-off."""
    if record.next_try_at is not None:
        return record.next_try_at
    last = record.updated_at or record.entry.created_at
    return last + dt.timedelta(seconds=policy.delay_s(record.attempts))


def due(outbox: Outbox, policy: RetryPolicy, now: dt.datetime) -> list[OutboxRecord]:
    """The pending entries whose next try has come, oldest first."""
    return [r for r in outbox.records(EntryState.PENDING) if next_try(r, policy) <= now]


def retry_due(
    outbox: Outbox, api: PointsApi, policy: RetryPolicy, *, now: dt.datetime | None = None
) -> list[Sent]:
    """Send every due entry once, oldest first; stop at the first one still unreachable
    (the platform is away: the rest wait for their next try). What each came to."""
    when = now or dt.datetime.now(dt.UTC)
    results: list[Sent] = []
    for record in due(outbox, policy, when):
        result = send(outbox, api, record.entry)
        results.append(result)
        log.info("outbox retry of %s %s: %s", record.entry.operation, record.entry.id,
                 result.outcome)
        if result.outcome is Outcome.UNREACHABLE:
            after_failure(outbox, record.entry.id, policy, when)
            break
    return results


def after_failure(outbox: Outbox, entry_id: str, policy: RetryPolicy, now: dt.datetime) -> None:
    """Schedule the next try of a failed entry, or bury it when its tries ran out."""
    record = outbox.get(entry_id)
    if record is None or record.state is not EntryState.PENDING:
        return
    if record.attempts >= policy.max_attempts:
        outbox.bury(entry_id)
        log.error("outbox entry %s %s: %d tries without an answer, now in the dead-letter "
                  "list (%s)", record.entry.operation, entry_id, record.attempts,
                  record.last_error)
        return
    tried = record.updated_at or now  # the back-off runs from the failed try itself
    outbox.schedule(entry_id, tried + dt.timedelta(seconds=policy.delay_s(record.attempts)))
