"""A provider's side of service links, authenticated by its API key (as
:mod:`server.api.providers`): list pending claims and conflicts, confirm or reject a
claim, make a one-time linking code.  A key acts only on its own service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Header, Path, Query
from sqlalchemy import delete
from sqlalchemy.orm import Session

from server.api.deps import DatabaseDep
from server.api.provider_schemas import (
    LinkCodeIssued,
    LinkCodeRequest,
    LinkDecision,
    PendingLink,
    PendingLinksPage,
)
from server.api.providers import parse_cursor, provider_key
from server.api.schemas import ErrorBody, ErrorCode
from server.audit.log import OK, Actor, AuditSpec, record, record_refusal, sha256_hex
from server.db import Database, utcnow
from server.errors import PlatformError
from server.identity import links
from server.identity.link_codes import issue_code
from server.identity.models import CONFIRMED_BY_PROVIDER, ServiceLink
from server.identity.provider_keys import ProviderKey, authenticate_key

router = APIRouter(tags=["providers"])
T = TypeVar("T")

MAX_PAGE = 1000
_KEY_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "API key missing, unknown or revoked"},
}
_CLAIM_ERRORS: dict[int | str, dict[str, object]] = {
    **_KEY_ERRORS,
    404: {"model": ErrorBody, "description": "no pending claim with this id at your service"},
    409: {"model": ErrorBody, "description": "the service ID is confirmed for another holder"},
}


def as_provider(
    db: Database,
    authorization: str | None,
    action: str,
    work: Callable[[Session, ProviderKey], tuple[T, dict[str, object]]],
) -> T:
    """Run ``work`` for the key's provider in one audited transaction; a refusal is
    audited on its own and changes nothing else."""
    key = provider_key(authorization)

    def run(session: Session) -> T:
        key_record = authenticate_key(session, key)
        result, fields = work(session, key_record)
        actor = Actor("provider", str(key_record.id))
        record(session, actor, action, OK, service=key_record.service.name, **fields)
        return result

    try:
        return db.transaction(run)
    except PlatformError as error:
        spec = AuditSpec(Actor("provider", f"key:{sha256_hex(key)[:16]}"), action)
        record_refusal(db, spec, error)
        raise


@router.get("/providers/pending-links", responses=_KEY_ERRORS)
def provider_pending_links(
    db: DatabaseDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    authorization: Annotated[str | None, Header()] = None,
) -> PendingLinksPage:
    """Holders' pending claims on your service IDs, oldest first; a service ID claimed by
    more than one holder is a conflict (listed in ``conflicts`` too); follow
    ``next_cursor`` for more."""
    after = parse_cursor(cursor)

    def work(session: Session, key: ProviderKey) -> tuple[PendingLinksPage, dict[str, object]]:
        rows = links.pending_claims(session, key.service_pk, limit + 1, after)
        claims = rows[:limit]
        page = PendingLinksPage(
            service=key.service.name,
            links=[
                PendingLink(
                    link_id=str(c.link_id),
                    service_id=c.service_id,
                    claimed_at=c.claimed_at,
                    claims=c.claims,
                    conflict=c.claims > 1,
                )
                for c in claims
            ],
            conflicts=sorted({c.service_id for c in claims if c.claims > 1}),
            next_cursor=str(claims[-1].link_id) if len(rows) > limit else None,
        )
        return page, {"count": len(claims)}

    return as_provider(db, authorization, "provider.pending_links", work)


@router.post("/providers/pending-links/{link_id}/confirm", responses=_CLAIM_ERRORS)
def provider_confirm_link(
    db: DatabaseDep,
    link_id: Annotated[str, Path(max_length=64)],
    authorization: Annotated[str | None, Header()] = None,
) -> LinkDecision:
    """Confirm a holder's claim after your own check; other claims on the same service ID
    are dropped, and the desk now hands the service ID to this holder only."""

    def work(session: Session, key: ProviderKey) -> tuple[LinkDecision, dict[str, object]]:
        link = links.pending_claim(session, key.service_pk, link_id)
        dropped = links.confirm(session, link, CONFIRMED_BY_PROVIDER, utcnow())
        decision = LinkDecision(
            service=key.service.name,
            service_id=link.external_id,
            decision="confirmed",
            dropped_claims=dropped,
        )
        return decision, {"link_id": link_id, "dropped_claims": dropped}

    return as_provider(db, authorization, "provider.link_confirm", work)


@router.post("/providers/pending-links/{link_id}/reject", responses=_CLAIM_ERRORS)
def provider_reject_link(
    db: DatabaseDep,
    link_id: Annotated[str, Path(max_length=64)],
    authorization: Annotated[str | None, Header()] = None,
) -> LinkDecision:
    """Reject a holder's claim: it is removed (the holder may claim again)."""

    def work(session: Session, key: ProviderKey) -> tuple[LinkDecision, dict[str, object]]:
        link = links.pending_claim(session, key.service_pk, link_id)
        decision = LinkDecision(
            service=key.service.name, service_id=link.external_id, decision="rejected"
        )
        session.execute(delete(ServiceLink).where(ServiceLink.id == link.id))
        return decision, {"link_id": link_id}

    return as_provider(db, authorization, "provider.link_reject", work)


@router.post(
    "/providers/link-codes",
    responses={
        **_KEY_ERRORS,
        400: {"model": ErrorBody, "description": "the service ID has not the service's format"},
    },
)
def provider_link_code(
    db: DatabaseDep,
    request: LinkCodeRequest,
    authorization: Annotated[str | None, Header()] = None,
) -> LinkCodeIssued:
    """A one-time code that confirms ``service_id`` when its holder types it on My Page
    with that service ID; shown only in this answer (the platform keeps its hash)."""

    def work(session: Session, key: ProviderKey) -> tuple[LinkCodeIssued, dict[str, object]]:
        if not links.well_formed(key.service, request.service_id):
            raise PlatformError(
                ErrorCode.MALFORMED, f"service_id does not match the format of {key.service.name}"
            )
        lifetime = dt.timedelta(days=request.valid_days)
        issued = issue_code(
            session, key.service, request.service_id, f"provider:{key.id}", lifetime
        )
        answer = LinkCodeIssued(
            service=key.service.name,
            service_id=request.service_id,
            code=issued.code,
            expires_at=issued.record.expires_at,
        )
        return answer, {"code_id": str(issued.record.id), "valid_days": request.valid_days}

    return as_provider(db, authorization, "provider.link_code", work)
