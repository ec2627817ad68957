"""The points ledger at terminals: scope, card sessions, payments, grants, vouchers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from server.api.deps import DatabaseDep, RateLimitsDep, SignedTerminal, check_card_rate
from server.api.errors import SIGNED_ERRORS
from server.api.schemas import (
    ApprovalRequest,
    CardSession,
    CardSessionRequest,
    ErrorBody,
    Grant,
    GrantRequestBody,
    GrantStatus,
    Payment,
    PaymentRequest,
    PointsScope,
    RedeemRequest,
    Redemption,
    Refund,
    RefundRequest,
    ResolveRequest,
    TerminalMode,
    VoucherInfo,
    VoucherRequest,
)
from server.ledger import grant_desk, grants, payments, vouchers
from server.ledger.models import Municipality, Shop
from server.ledger.sessions import open_card_session, terminal_municipality
from server.terminals.models import Terminal

router = APIRouter(tags=["points"])

_ERRORS: dict[int | str, dict[str, object]] = {
    **SIGNED_ERRORS,
    403: {"model": ErrorBody, "description": "mode not allowed; not usable here; refused"},
    404: {"model": ErrorBody, "description": "unknown payment, grant, voucher, municipality"},
    409: {"model": ErrorBody, "description": "id reused for another request; not enough points"},
    410: {"model": ErrorBody, "description": "hold or voucher expired"},
    429: {"model": ErrorBody, "description": "terminal or card over its rate limit"},
}


def points_scope(session: Session, terminal: Terminal) -> PointsScope:
    modes = [m for m in TerminalMode if terminal.has_mode(m.value)]
    shop = session.get(Shop, terminal.shop_pk) if terminal.shop_pk else None
    municipality = (
        session.get(Municipality, terminal.municipality_pk) if terminal.municipality_pk else None
    )
    return PointsScope(
        modes=modes,
        shop_code=shop.code if shop else None,
        shop_name=shop.name if shop else None,
        municipality_code=municipality.code if municipality else None,
        municipality_name=municipality.name if municipality else None,
        grant_approval_over=municipality.grant_approval_over
        if municipality and terminal.has_mode(TerminalMode.GRANT.value)
        else None,
    )


@router.get("/terminal/points", responses=SIGNED_ERRORS)
def scope(terminal: SignedTerminal, db: DatabaseDep) -> PointsScope:
    """Which points modes the terminal may use, and for which shop or municipality."""
    return db.transaction(lambda session: points_scope(session, terminal))


@router.post("/card-sessions", responses=_ERRORS)
def card_session(
    request: CardSessionRequest, terminal: SignedTerminal, db: DatabaseDep, limits: RateLimitsDep
) -> CardSession:
    """Prove the card (as for a lookup) and open a 5-minute points session."""
    check_card_rate(limits, request.certificate)
    return open_card_session(db, terminal, request)


@router.post("/payments", responses=_ERRORS)
def hold_payment(request: PaymentRequest, terminal: SignedTerminal, db: DatabaseDep) -> Payment:
    """Hold an amount of the session holder's points for this shop (pending)."""
    return payments.hold(db, terminal, request)


@router.post("/payments/{payment_id}/post", responses=_ERRORS)
def post_payment(
    payment_id: str, request: ResolveRequest, terminal: SignedTerminal, db: DatabaseDep
) -> Payment:
    """Complete a held payment."""
    return payments.finish(db, terminal, payment_id, request, post=True)


@router.post("/payments/{payment_id}/void", responses=_ERRORS)
def void_payment(
    payment_id: str, request: ResolveRequest, terminal: SignedTerminal, db: DatabaseDep
) -> Payment:
    """Cancel a held payment: the points are released."""
    return payments.finish(db, terminal, payment_id, request, post=False)


@router.post("/payments/{payment_id}/refunds", responses=_ERRORS)
def refund_payment(
    payment_id: str, request: RefundRequest, terminal: SignedTerminal, db: DatabaseDep
) -> Refund:
    """Give back (part of) a completed payment, linked to it."""
    return payments.refund(db, terminal, payment_id, request)


@router.post("/grants", responses=_ERRORS)
def grant(request: GrantRequestBody, terminal: SignedTerminal, db: DatabaseDep) -> Grant:
    """Grant administrative points to the session holder (large ones await approval)."""
    return grant_desk.grant_at_terminal(db, terminal, request)


@router.get("/grants", responses=_ERRORS)
def list_grants(
    terminal: SignedTerminal,
    db: DatabaseDep,
    status: Annotated[GrantStatus, Query()] = GrantStatus.AWAITING_APPROVAL,
) -> list[Grant]:
    """Grants of the terminal's municipality awaiting a second staff member."""

    def work(session: Session) -> list[Grant]:
        municipality = terminal_municipality(session, terminal, TerminalMode.GRANT)
        return (
            grants.awaiting(session, municipality)
            if status is GrantStatus.AWAITING_APPROVAL
            else []
        )

    return db.transaction(work)


@router.post("/grants/{grant_id}/decision", responses=_ERRORS)
def decide_grant(
    grant_id: str, request: ApprovalRequest, terminal: SignedTerminal, db: DatabaseDep
) -> Grant:
    """Approve or reject a grant awaiting approval (another staff account, another terminal)."""
    return grant_desk.decide_at_terminal(db, terminal, grant_id, request)


@router.post("/vouchers", responses=_ERRORS)
def issue_voucher(
    request: VoucherRequest, terminal: SignedTerminal, db: DatabaseDep
) -> VoucherInfo:
    """Turn the session holder's points into a dated voucher."""
    return vouchers.issue(db, terminal, request)


@router.post("/vouchers/redeem", responses=_ERRORS)
def redeem_voucher(request: RedeemRequest, terminal: SignedTerminal, db: DatabaseDep) -> Redemption:
    """Use a voucher, once, at this terminal's shop."""
    return vouchers.redeem(db, terminal, request)
