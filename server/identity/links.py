"""Claims and confirmations of service links.

A resident's link (My Page) is a *claim*: anyone can read a number off a library card,
so the claim stays pending and a lookup refuses it (``link_unconfirmed``) until the
party who can know confirms it: the provider through its API, a one-time linking code
the provider handed out (:mod:`server.identity.link_codes`), a member of staff at the
desk with the physical card in hand, or the operator.

Several holders may claim the same service ID; none is refused, all stay pending, and
the provider sees the conflict in its listing.  Confirming one link drops the other
claims on the same service ID; a service ID has at most one confirmed link.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.errors import PlatformError
from server.identity.models import MyKey, Service, ServiceLink

MAX_EXTERNAL_ID_LENGTH = 64


def well_formed(service: Service, external_id: str) -> bool:
    """The service ID has the service's format (and fits the column)."""
    return (
        0 < len(external_id) <= MAX_EXTERNAL_ID_LENGTH
        and re.fullmatch(service.pattern, external_id) is not None
    )


def confirmed_holder(session: Session, service: Service, external_id: str) -> uuid.UUID | None:
    """The MyKey (primary key) whose confirmed link holds the service ID, if any."""
    return session.scalar(
        select(ServiceLink.mykey_pk).where(
            ServiceLink.service_pk == service.id,
            ServiceLink.external_id == external_id,
            ServiceLink.confirmed_at.is_not(None),
        )
    )


def holders_link(session: Session, mykey_pk: uuid.UUID, service: Service) -> ServiceLink | None:
    return session.scalar(
        select(ServiceLink).where(
            ServiceLink.mykey_pk == mykey_pk, ServiceLink.service_pk == service.id
        )
    )


def confirm(session: Session, link: ServiceLink, by: str, now: dt.datetime) -> int:
    """Confirm ``link``; drop the other claims on its service ID; return how many.

    Every link of the service ID is locked first, in id order (PostgreSQL; SQLite lets
    one writer in at a time), so two confirmations of rival claims run one after the
    other: the second finds its claim dropped (``link_unknown``) or the ID confirmed
    for another holder (``service_id_taken``).
    """
    rows = session.scalars(
        select(ServiceLink)
        .where(
            ServiceLink.service_pk == link.service_pk,
            ServiceLink.external_id == link.external_id,
        )
        .order_by(ServiceLink.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if all(row.id != link.id for row in rows):
        raise PlatformError(ErrorCode.LINK_UNKNOWN, "the claim was decided meanwhile")
    if any(row.confirmed and row.id != link.id for row in rows):
        raise PlatformError(
            ErrorCode.SERVICE_ID_TAKEN, "the service ID is confirmed for another holder"
        )
    others = [row for row in rows if row.id != link.id]
    for row in others:
        session.delete(row)
    if link.confirmed_at is None:
        link.confirmed_at = now
        link.confirmed_by = by
    session.flush()
    return len(others)


def link_confirmed(
    session: Session,
    mykey: MyKey,
    service: Service,
    external_id: str,
    by: str,
    now: dt.datetime,
) -> tuple[ServiceLink, str]:
    """Link and confirm ``external_id`` for the holder (operator, desk, linking code).

    Returns the link and what happened: ``linked``, ``confirmed`` (the holder's own
    pending claim) or ``already linked``.  ``link_mismatch`` if the holder's link of the
    service is another service ID; ``service_id_taken`` as :func:`confirm`.
    """
    existing = holders_link(session, mykey.id, service)
    holder = confirmed_holder(session, service, external_id)
    if holder is not None and holder != mykey.id:  # checked before anything is written
        raise PlatformError(
            ErrorCode.SERVICE_ID_TAKEN, "the service ID is confirmed for another holder"
        )
    if existing is not None and existing.external_id != external_id:
        raise PlatformError(
            ErrorCode.LINK_MISMATCH,
            f"the holder's {service.name} link is another service ID: unlink it first",
        )
    if existing is not None and existing.confirmed:
        return existing, "already linked"
    link = existing or ServiceLink(
        mykey_pk=mykey.id, service_pk=service.id, external_id=external_id, linked_at=now
    )
    if existing is None:
        session.add(link)
        session.flush()
    confirm(session, link, by, now)
    return link, "confirmed" if existing is not None else "linked"


@dataclass(frozen=True)
class PendingClaim:
    """A pending claim as the provider sees it: never the MyKey ID."""

    link_id: uuid.UUID
    service_id: str
    claimed_at: dt.datetime
    #: how many holders claim this service ID (more than one: a conflict)
    claims: int


def pending_claims(
    session: Session, service_pk: uuid.UUID, limit: int, after: uuid.UUID | None = None
) -> list[PendingClaim]:
    """The service's pending claims in id order (UUIDv7: oldest first) after ``after``,
    each with its number of claimants."""
    grouped = session.execute(
        select(ServiceLink.external_id, func.count())
        .where(ServiceLink.service_pk == service_pk, ServiceLink.confirmed_at.is_(None))
        .group_by(ServiceLink.external_id)
    )
    counts: dict[str, int] = {external_id: int(n) for external_id, n in grouped}
    query = select(ServiceLink).where(
        ServiceLink.service_pk == service_pk, ServiceLink.confirmed_at.is_(None)
    )
    if after is not None:
        query = query.where(ServiceLink.id > after)
    rows = session.scalars(query.order_by(ServiceLink.id).limit(limit))
    return [
        PendingClaim(row.id, row.external_id, row.linked_at, counts.get(row.external_id, 1))
        for row in rows
    ]


def pending_claim(session: Session, service_pk: uuid.UUID, link_id: str) -> ServiceLink:
    """The service's pending claim ``link_id``, or ``link_unknown``."""
    try:
        pk = uuid.UUID(link_id)
    except ValueError:
        pk = None
    link = session.get(ServiceLink, pk) if pk is not None else None
    if link is None or link.service_pk != service_pk or link.confirmed:
        raise PlatformError(ErrorCode.LINK_UNKNOWN, "no pending claim with this id")
    return link
