"""POST /v1/link-confirmations: staff confirm a holder's service ID at the desk."""

from __future__ import annotations

from fastapi import APIRouter

from server.api.deps import DatabaseDep, RateLimitsDep, SignedTerminal, check_card_rate
from server.api.errors import SIGNED_ERRORS
from server.api.schemas import ErrorBody, LinkConfirmRequest, LinkConfirmResult
from server.identity.desk_links import confirm_at_desk

router = APIRouter(tags=["lookups"])

_ERRORS: dict[int | str, dict[str, object]] = {
    **SIGNED_ERRORS,
    403: {"model": ErrorBody, "description": "mode not allowed; certificate or card refused"},
    404: {"model": ErrorBody, "description": "challenge unknown, card not registered"},
    409: {
        "model": ErrorBody,
        "description": "challenge used; the ID is another holder's (service_id_taken) or the "
        "holder's link is another ID (link_mismatch)",
    },
    410: {"model": ErrorBody, "description": "challenge expired"},
}


@router.post("/link-confirmations", responses=_ERRORS)
def confirm_link(
    request: LinkConfirmRequest, terminal: SignedTerminal, db: DatabaseDep, limits: RateLimitsDep
) -> LinkConfirmResult:
    """The card's holder (PIN and card signature) holds the service ID staff read off the
    service's own card: link and confirm it (the terminal needs the ``link_confirm`` mode)."""
    check_card_rate(limits, request.certificate)
    return confirm_at_desk(db, terminal, request)
