"""GET /v1/providers/address-changes: a service provider's address-change notices.

Authenticated by the provider's API key (``Authorization: Bearer KEY``, made with
``mykey-platform service credential add``), not by a terminal signature.  A key sees
only its own service's IDs, never another service's and never a MyKey ID.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query
from sqlalchemy.orm import Session

from server.api.deps import DatabaseDep
from server.api.schemas import AddressChangeNotice, AddressChangePage, ErrorBody, ErrorCode
from server.audit.log import OK, Actor, AuditSpec, record, record_refusal, sha256_hex
from server.db import Database
from server.errors import PlatformError
from server.identity.address_changes import changes_for, parse_changed_at
from server.identity.provider_keys import authenticate_key

router = APIRouter(tags=["providers"])

MAX_PAGE = 1000
ACTION = "provider.address_changes"


def provider_key(authorization: str | None) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise PlatformError(
            ErrorCode.PROVIDER_KEY_INVALID,
            "send the provider API key as 'Authorization: Bearer KEY'",
        )
    return key.strip()


def parse_since(text: str) -> dt.datetime:
    try:
        return parse_changed_at(text)
    except ValueError as error:
        raise PlatformError(
            ErrorCode.MALFORMED,
            "since must be a date (YYYY-MM-DD, Japan time) or an ISO 8601 time with offset",
        ) from error


def parse_cursor(text: str | None) -> uuid.UUID | None:
    if text is None:
        return None
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise PlatformError(ErrorCode.MALFORMED, "cursor is not one this endpoint gave") from error


def address_changes(
    db: Database, key: str, since: dt.datetime, after: uuid.UUID | None, limit: int
) -> AddressChangePage:
    """One page of the key's service's notices; the fetch is audited."""

    def work(session: Session) -> AddressChangePage:
        key_record = authenticate_key(session, key)
        rows = changes_for(session, key_record.service_pk, since, after=after, limit=limit + 1)
        page = rows[:limit]
        record(
            session,
            Actor("provider", str(key_record.id)),
            ACTION,
            OK,
            service=key_record.service.name,
            since=since.isoformat(),
            count=len(page),
        )
        return AddressChangePage(
            service=key_record.service.name,
            changes=[
                AddressChangeNotice(service_id=r.service_id, changed_at=r.changed_at) for r in page
            ],
            next_cursor=str(page[-1].cursor) if len(rows) > limit else None,
        )

    try:
        return db.transaction(work)
    except PlatformError as error:  # an unknown or revoked key
        spec = AuditSpec(Actor("provider", f"key:{sha256_hex(key)[:16]}"), ACTION)
        record_refusal(db, spec, error)
        raise


@router.get(
    "/providers/address-changes",
    responses={
        400: {"model": ErrorBody, "description": "malformed since, cursor or limit"},
        401: {"model": ErrorBody, "description": "API key missing, unknown or revoked"},
    },
)
def provider_address_changes(
    db: DatabaseDep,
    since: Annotated[str, Query(description="date (JST) or ISO 8601 time with offset")],
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    authorization: Annotated[str | None, Header()] = None,
) -> AddressChangePage:
    """The provider's service IDs whose holders' address changes were imported since
    ``since``, in import order; follow ``next_cursor`` for more."""
    key = provider_key(authorization)
    return address_changes(db, key, parse_since(since), parse_cursor(cursor), limit)
