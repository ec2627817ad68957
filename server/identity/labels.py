"""Same-day labels: the record of every label a terminal prints, and the daily limit.

A label carries the holder's service ID and is valid on the day it is printed.  The
platform records each one (terminal, service, service ID, time — nothing else about the
holder is shown to anyone) and a service may limit how many labels one card gets per day.
"One card" is the MyKey ID, so a renewed card counts as the same card.

"Per day" is the calendar day in Japan time: UTC+9 all year (Japan has no daylight saving
time), so a day runs from 15:00 UTC to 15:00 UTC.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.clock import JST as JST  # Japan time: days are counted in it
from server.errors import OperatorError, PlatformError
from server.identity.models import IssuedLabel, Service, ServiceLink
from server.identity.services import get_service
from server.terminals.models import Terminal

#: Japan Standard Time, the time zone of "today" for labels (fixed offset, no DST)
MAX_LABELS_PER_DAY = 1000


def jst_day(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The Japan-time calendar day of ``moment`` as a half-open UTC interval [start, end)."""
    start = moment.astimezone(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def jst_date_range(date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A Japan-time calendar date as a half-open UTC interval [start, end)."""
    start = dt.datetime.combine(date, dt.time(), tzinfo=JST)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def labels_today(
    session: Session, mykey_pk: uuid.UUID, service_pk: uuid.UUID, now: dt.datetime
) -> int:
    """How many labels the holder got at the service on the Japan-time day of ``now``."""
    start, end = jst_day(now)
    return int(
        session.scalar(
            select(func.count())
            .select_from(IssuedLabel)
            .where(
                IssuedLabel.mykey_pk == mykey_pk,
                IssuedLabel.service_pk == service_pk,
                IssuedLabel.issued_at >= start,
                IssuedLabel.issued_at < end,
            )
        )
        or 0
    )


def issue_label(session: Session, terminal: Terminal, link: ServiceLink, now: dt.datetime) -> None:
    """Record a label for the holder's service ID, or refuse at the service's daily limit.

    Call it inside the lookup's transaction with ``link`` locked (``FOR UPDATE`` on
    PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serializes writers), so two simultaneous
    labels for one holder cannot both pass the limit.
    """
    service = session.get(Service, terminal.service_pk)  # this transaction's view of the limit
    assert service is not None  # a terminal's service is never deleted
    limit = service.labels_per_day
    if limit is not None and labels_today(session, link.mykey_pk, service.id, now) >= limit:
        raise PlatformError(
            ErrorCode.LABEL_LIMIT_REACHED,
            f"this card already got {limit} {service.display_name} "
            f"label{'s' if limit != 1 else ''} today",
        )
    session.add(
        IssuedLabel(
            terminal_pk=terminal.id,
            service_pk=service.id,
            service_id=link.external_id,
            mykey_pk=link.mykey_pk,
            issued_at=now,
        )
    )


def set_label_limit(session: Session, service_name: str, per_day: int | None) -> Service:
    """Set the service's labels per card per day (``None``: no limit)."""
    if per_day is not None and not 0 <= per_day <= MAX_LABELS_PER_DAY:
        raise OperatorError(f"labels per day must be 0 to {MAX_LABELS_PER_DAY}")
    service = get_service(session, service_name)
    service.labels_per_day = per_day
    return service


@dataclass(frozen=True)
class LabelRecord:
    """One issued label as an operator sees it: no MyKey ID, no certificate."""

    issued_at: dt.datetime
    terminal_id: uuid.UUID
    terminal_name: str
    service: str
    service_id: str


def list_labels(
    session: Session, service_name: str | None = None, date: dt.date | None = None
) -> list[LabelRecord]:
    """Labels issued, oldest first; optionally of one service and one Japan-time date."""
    query = (
        select(IssuedLabel, Terminal.name, Service.name)
        .join(Terminal, Terminal.id == IssuedLabel.terminal_pk)
        .join(Service, Service.id == IssuedLabel.service_pk)
        .order_by(IssuedLabel.issued_at, IssuedLabel.id)
    )
    if service_name is not None:
        query = query.where(IssuedLabel.service_pk == get_service(session, service_name).id)
    if date is not None:
        start, end = jst_date_range(date)
        query = query.where(IssuedLabel.issued_at >= start, IssuedLabel.issued_at < end)
    return [
        LabelRecord(label.issued_at, label.terminal_pk, terminal, service, label.service_id)
        for label, terminal, service in session.execute(query).all()
    ]
