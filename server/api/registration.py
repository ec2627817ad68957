"""POST /v1/registration-tickets and /v1/password-reset-tickets: a card's proof in, a
one-time portal link out (to register a MyKey ID, or to reset its My Page password)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from server.api.deps import DatabaseDep, RateLimitsDep, SignedTerminal, check_card_rate
from server.api.errors import SIGNED_ERRORS
from server.api.schemas import ErrorBody, RegistrationTicket, RegistrationTicketRequest
from server.portal.reset import issue_reset_ticket
from server.portal.tickets import issue_ticket

router = APIRouter(tags=["registration"])

_ERRORS: dict[int | str, dict[str, object]] = {
    **SIGNED_ERRORS,
    403: {"model": ErrorBody, "description": "certificate or card refused"},
    404: {"model": ErrorBody, "description": "challenge unknown; (reset) card not registered"},
    409: {"model": ErrorBody, "description": "challenge already used; already registered"},
    410: {"model": ErrorBody, "description": "challenge expired"},
    429: {"model": ErrorBody, "description": "terminal or card over its rate limit"},
}


@router.post("/registration-tickets", responses=_ERRORS)
def registration_ticket(
    body: RegistrationTicketRequest,
    request: Request,
    terminal: SignedTerminal,
    db: DatabaseDep,
    limits: RateLimitsDep,
) -> RegistrationTicket:
    """Verify the card; for an unregistered certificate, a link to the portal's
    registration page, valid for 10 minutes and once."""
    check_card_rate(limits, body.certificate)
    base = f"{request.url.scheme}://{request.url.netloc}"
    return issue_ticket(db, terminal, body, base)


@router.post("/password-reset-tickets", responses=_ERRORS)
def password_reset_ticket(
    body: RegistrationTicketRequest,
    request: Request,
    terminal: SignedTerminal,
    db: DatabaseDep,
    limits: RateLimitsDep,
) -> RegistrationTicket:
    """Verify the card; for a card bound to a MyKey ID with a My Page account, a link to
    the portal's password reset page, valid for 10 minutes and once (``purpose``:
    ``reset``).  A password is never reset by e-mail alone."""
    check_card_rate(limits, body.certificate)
    base = f"{request.url.scheme}://{request.url.netloc}"
    return issue_reset_ticket(db, terminal, body, base)
