"""The local outbox: every transfer request is on disk before it leaves the terminal.

A request that creates or resolves a transfer (a payment, its post or void, a refund, a
grant, a voucher, a redemption) carries an ``id`` the terminal chose. The outbox writes
``(id, endpoint, request JSON, created_at)`` to ``outbox.sqlite3`` in the counter home
(WAL, ``synchronous=FULL``: every commit is on disk) *before* the request is sent
(:func:`app.points.sending.send`), then:

- a definite answer (2xx, or a business refusal: a 4xx error body, :func:`is_final`)
  marks the entry done, with the answer;
- a transport failure (refused, reset, timeout, a gateway's 502/503/504), a 5xx, a 401
  or a 429 keeps it pending: the SAME request (same id) is sent again — by the screen's
  retry, at the next start-up, and on a back-off schedule while the counter runs
  (:mod:`app.points.retry`; after ``[points] outbox_max_tries`` tries the entry goes to
  the dead-letter list the staff see, :meth:`Outbox.dead`). The platform answers a repeated id with
  its first result, so a network cut followed by a retry yields exactly one transfer.

A voucher's secret code stays in its entry until the voucher is printed
(:meth:`Outbox.forget_secret`). A staff member's PIN or TOTP code (a grant, an approval)
never reaches the file: the entry holds it in memory (:attr:`OutboxEntry.staff_code`) and
the file a placeholder, so a grant replayed after a restart that the platform had not yet
done is refused (``staff_credential_invalid``) and asked for again. Pure Python (sqlite3),
thread-safe.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

from app.points.specs import SPECS, Operation, PointsApi
from server.api.schemas import API_PREFIX

__all__ = ["SPECS", "EntryState", "Operation", "Outbox", "OutboxEntry", "OutboxRecord",
           "PointsApi", "make_entry"]

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.sqlite3"
#: what replaces a voucher's code once the voucher is printed
REDACTED = "(printed)"
#: what the file holds instead of a staff member's code (a PIN the platform refuses)
UNSTORED_CODE = "000000"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id          TEXT PRIMARY KEY,
    operation   TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    target      TEXT,
    request     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',
    status      INTEGER,
    answer      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    updated_at  TEXT,
    next_try_at TEXT
)
"""
#: outbox files written before the retry schedule (``app.points.retry``) get its column
_COLUMNS_ADDED = {"next_try_at": "ALTER TABLE outbox ADD COLUMN next_try_at TEXT"}


class EntryState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    #: the tries ran out: kept for the staff (the settings screen), never sent on its own
    DEAD = "dead"


@dataclass(frozen=True)
class OutboxEntry:
    """One request as written before sending; ``request`` is its JSON."""

    id: str
    operation: Operation
    endpoint: str
    request: str
    created_at: dt.datetime
    target: str | None = None
    #: a staff member's PIN or TOTP code, in memory only (the file has ``UNSTORED_CODE``)
    staff_code: str | None = field(default=None, repr=False, compare=False)

    def model(self) -> BaseModel:
        """The request as its wire model (with the staff code, while in memory)."""
        request = SPECS[self.operation].request.model_validate_json(self.request)
        if self.staff_code is not None and hasattr(request, "staff_code"):
            request = request.model_copy(update={"staff_code": self.staff_code})
        return request


def make_entry(
    operation: Operation,
    request: BaseModel,
    *,
    target: str | None = None,
    now: dt.datetime | None = None,
) -> OutboxEntry:
    """The entry for ``request`` (its ``id`` is the entry's id)."""
    transfer_id = getattr(request, "id", None)
    if not isinstance(transfer_id, str) or not transfer_id:
        raise ValueError("an outbox request needs its transfer id")
    spec = SPECS[operation]
    if not isinstance(request, spec.request):
        raise TypeError(f"{operation} takes {spec.request.__name__}")
    path = API_PREFIX + spec.path.format(target=target)
    staff_code = getattr(request, "staff_code", None)
    if isinstance(staff_code, str):
        request = request.model_copy(update={"staff_code": UNSTORED_CODE})
    return OutboxEntry(
        id=transfer_id,
        operation=operation,
        endpoint=path,
        request=request.model_dump_json(),
        created_at=now or dt.datetime.now(dt.UTC),
        target=target,
        staff_code=staff_code if isinstance(staff_code, str) else None,
    )


@dataclass(frozen=True)
class OutboxRecord:
    """An entry and what became of it."""

    entry: OutboxEntry
    state: EntryState
    status: int | None
    answer: str | None
    attempts: int
    last_error: str | None
    #: when the last try was made (None: never tried)
    updated_at: dt.datetime | None = None
    #: when :func:`app.points.retry.retry_due` sends it again (None: by the back-off)
    next_try_at: dt.datetime | None = None


class OutboxConflict(Exception):
    """An id already in the outbox with another request: a bug, never sent."""


class Outbox:
    """``outbox.sqlite3``: the terminal's record of every transfer request."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        for column, alter in _COLUMNS_ADDED.items():
            if column not in columns:
                self._db.execute(alter)

    @classmethod
    def in_home(cls, home: Path) -> Outbox:
        return cls(Path(home) / OUTBOX_FILE)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # writing ----------------------------------------------------------------------------
    def record(self, entry: OutboxEntry) -> OutboxRecord:
        """Write ``entry`` (durably) unless its id is there already; the stored record.

        The same id with another request raises :class:`OutboxConflict`.
        """
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (id, operation, endpoint, target, request,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.id,
                    entry.operation.value,
                    entry.endpoint,
                    entry.target,
                    entry.request,
                    entry.created_at.isoformat(),
                ),
            )
            record = self._get(entry.id)
        assert record is not None
        same = (record.entry.operation, record.entry.endpoint) == (entry.operation, entry.endpoint)
        if not same or (
            record.entry.request != entry.request
            and record.entry.request != _redacted(entry.request)
        ):
            raise OutboxConflict(f"outbox id {entry.id} already holds another request")
        return record

    def mark_done(self, entry_id: str, status: int, answer: str) -> None:
        """A definite answer: the entry is never sent again."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state = 'done', status = ?, answer = ?, updated_at = ?"
                " WHERE id = ?",
                (status, answer, _now(), entry_id),
            )

    def note_failure(self, entry_id: str, error: str) -> None:
        """An attempt without a definite answer: the entry stays pending (or dead)."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, updated_at = ?,"
                " next_try_at = NULL WHERE id = ?",
                (error[:500], _now(), entry_id),
            )

    def schedule(self, entry_id: str, next_try_at: dt.datetime) -> None:
        """A pending entry's next try (kept on disk: a restart keeps the schedule)."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET next_try_at = ? WHERE id = ? AND state = 'pending'",
                (next_try_at.isoformat(), entry_id),
            )

    def bury(self, entry_id: str) -> None:
        """The tries ran out: the entry goes to the dead-letter list (kept, not sent)."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state = 'dead', next_try_at = NULL"
                " WHERE id = ? AND state = 'pending'",
                (entry_id,),
            )

    def revive(self, entry_id: str, now: dt.datetime | None = None) -> bool:
        """A dead entry is pending again (its tries counted afresh), due at ``now``;
        False if ``entry_id`` is not dead."""
        when = (now or dt.datetime.now(dt.UTC)).isoformat()
        with self._lock:
            changed = self._db.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_try_at = ?"
                " WHERE id = ? AND state = 'dead'",
                (when, entry_id),
            ).rowcount
        return changed == 1

    def forget_secret(self, entry_id: str) -> None:
        """The voucher is printed: its code leaves the outbox (request and answer)."""
        with self._lock:
            row = self._db.execute(
                "SELECT request FROM outbox WHERE id = ?", (entry_id,)
            ).fetchone()
            if row is None:
                return
            self._db.execute(
                "UPDATE outbox SET request = ?, updated_at = ? WHERE id = ?",
                (_redacted(row[0]), _now(), entry_id),
            )

    # reading ----------------------------------------------------------------------------
    def get(self, entry_id: str) -> OutboxRecord | None:
        with self._lock:
            return self._get(entry_id)

    def pending(self) -> list[OutboxEntry]:
        """Entries without a definite answer, oldest first."""
        return [record.entry for record in self.records(EntryState.PENDING)]

    def dead(self) -> list[OutboxRecord]:
        """The dead-letter list: entries whose tries ran out, oldest first."""
        return self.records(EntryState.DEAD)

    def records(self, state: EntryState) -> list[OutboxRecord]:
        """The records in ``state``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM outbox WHERE state = ? ORDER BY created_at, rowid",
                (state.value,),
            ).fetchall()
        return [_record(row) for row in rows]

    def _get(self, entry_id: str) -> OutboxRecord | None:
        row = self._db.execute("SELECT * FROM outbox WHERE id = ?", (entry_id,)).fetchone()
        return None if row is None else _record(row)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _redacted(request: str) -> str:
    data = json.loads(request)
    if isinstance(data, dict) and "code" in data:
        data["code"] = REDACTED
        return json.dumps(data, separators=(",", ":"))
    return request


def _record(row: tuple[object, ...]) -> OutboxRecord:
    (
        id_,
        operation,
        endpoint,
        target,
        request,
        created_at,
        state,
        status,
        answer,
        attempts,
        last_error,
        updated,
        next_try,
    ) = row
    entry = OutboxEntry(
        id=str(id_),
        operation=Operation(str(operation)),
        endpoint=str(endpoint),
        request=str(request),
        created_at=dt.datetime.fromisoformat(str(created_at)),
        target=None if target is None else str(target),
    )
    return OutboxRecord(
        entry=entry,
        state=EntryState(str(state)),
        status=None if status is None else int(str(status)),
        answer=None if answer is None else str(answer),
        attempts=int(str(attempts)),
        last_error=None if last_error is None else str(last_error),
        updated_at=None if updated is None else dt.datetime.fromisoformat(str(updated)),
        next_try_at=None if next_try is None else dt.datetime.fromisoformat(str(next_try)),
    )
