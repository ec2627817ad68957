"""Points sessions: a holder proved by the card at one terminal, for one operation.

The terminal never learns the MyKey ID: it gets an opaque session id, valid only for
requests signed by that same terminal, and the balances its mode allows it to see.

One tap, one operation: the card signs a challenge derived from the operation
(:mod:`server.api.operations`) — a payment of so many points at this shop, a grant of so
many points for a reason, a voucher of so many points, or only a look at the balances.
The session allows that operation once (:func:`spend`): a second one, or another one, is
refused; an idempotent retry of the first still answers its first result, because the
callers look for the transfer before they spend the session.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from server.api.operations import CardOperation, OperationKind
from server.api.schemas import (
    CardSession,
    CardSessionRequest,
    ChallengeResponse,
    ErrorCode,
    PointBalance,
    TerminalMode,
)
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, utcnow
from server.errors import PlatformError
from server.identity.proof import decode_proof, prove_card
from server.ledger.holders import balances
from server.ledger.models import CardSession as CardSessionRow
from server.ledger.models import Municipality, Shop
from server.ledger.rules import usable_at
from server.terminals.challenges import create_challenge
from server.terminals.models import Challenge, Terminal

CARD_SESSION_TTL = dt.timedelta(minutes=5)
POINTS_MODES = (TerminalMode.SHOP, TerminalMode.GRANT, TerminalMode.VOUCHER)


def require_mode(terminal: Terminal, mode: TerminalMode) -> None:
    """``terminal_mode_not_allowed`` unless an operator allowed the terminal ``mode``."""
    if not terminal.has_mode(mode.value):
        raise PlatformError(
            ErrorCode.TERMINAL_MODE_NOT_ALLOWED,
            f"this terminal is not allowed the {mode.value} mode",
        )


def terminal_shop(session: Session, terminal: Terminal) -> Shop:
    require_mode(terminal, TerminalMode.SHOP)
    return session.get_one(Shop, terminal.shop_pk)


def terminal_municipality(session: Session, terminal: Terminal, mode: TerminalMode) -> Municipality:
    require_mode(terminal, mode)
    return session.get_one(Municipality, terminal.municipality_pk)


def visible_balances(
    session: Session, terminal: Terminal, mykey_pk: uuid.UUID
) -> list[PointBalance]:
    """The holder's balances this terminal may see: at a shop those usable there, at a
    grant or voucher terminal those of its municipality."""
    if terminal.has_mode(TerminalMode.SHOP.value) and terminal.shop_pk is not None:
        codes = {m.code for m in usable_at(session, session.get_one(Shop, terminal.shop_pk))}
    elif terminal.municipality_pk is not None:
        codes = {session.get_one(Municipality, terminal.municipality_pk).code}
    else:
        codes = set()
    return [
        PointBalance(
            municipality_code=b.municipality_code,
            municipality_name=b.municipality_name,
            event_code=b.event_code,
            event_name=b.event_name,
            available=b.balance - b.held,
            next_expiry=b.next_expiry,
            expiring_points=b.expiring_points,
        )
        for b in balances(session, mykey_pk)
        if b.kind != "reserved" and b.municipality_code in codes
    ]


def place_of(session: Session, terminal: Terminal, kind: OperationKind) -> str:
    """Where ``kind`` happens at this terminal (``shop:CODE`` / ``municipality:CODE``), or
    ``terminal_mode_not_allowed``."""
    match kind:
        case OperationKind.PAYMENT:
            return f"shop:{terminal_shop(session, terminal).code}"
        case OperationKind.GRANT | OperationKind.VOUCHER:
            mode = TerminalMode(kind.value)
            return f"municipality:{terminal_municipality(session, terminal, mode).code}"
        case OperationKind.BALANCE:
            if not any(terminal.has_mode(mode.value) for mode in POINTS_MODES):
                raise PlatformError(
                    ErrorCode.TERMINAL_MODE_NOT_ALLOWED, "this terminal has no points mode"
                )
            if terminal.has_mode(TerminalMode.SHOP.value) and terminal.shop_pk is not None:
                return f"shop:{session.get_one(Shop, terminal.shop_pk).code}"
            municipality = session.get_one(Municipality, terminal.municipality_pk)
            return f"municipality:{municipality.code}"


def operation_challenge(
    db: Database, terminal: Terminal, operation: CardOperation
) -> ChallengeResponse:
    """A challenge for the card to sign for ``operation`` at this terminal's place."""
    place = db.transaction(lambda session: place_of(session, terminal, operation.kind))
    return create_challenge(db, terminal, operation.at(place))


def _signed_operation(text: str | None) -> CardOperation | None:
    try:
        return CardOperation.model_validate_json(text) if text else None
    except ValidationError:
        return None


def _mismatch(message: str) -> PlatformError:
    return PlatformError(ErrorCode.OPERATION_MISMATCH, message)


def open_card_session(db: Database, terminal: Terminal, request: CardSessionRequest) -> CardSession:
    """Check the card's proof (spending the challenge) and open a points session for the
    one operation the challenge was derived from."""
    if not any(terminal.has_mode(mode.value) for mode in POINTS_MODES):
        raise PlatformError(ErrorCode.TERMINAL_MODE_NOT_ALLOWED, "this terminal has no points mode")
    proof = decode_proof(request.challenge_id, request.certificate, request.signature)

    def work(session: Session) -> CardSession | PlatformError:
        now = utcnow()
        try:
            binding = prove_card(session, terminal, proof, now).registered()
            challenge = session.get_one(Challenge, proof.challenge_id)
            operation = _signed_operation(challenge.operation)
            if operation is None:
                raise _mismatch(
                    "a points session needs a challenge for its operation "
                    "(the counter asks for it with the amount): tap the card again"
                )
            if operation.place != place_of(session, terminal, operation.kind):
                raise _mismatch("the card signed for another shop or municipality")
        except PlatformError as error:
            return error  # committed: a spent challenge stays spent
        row = CardSessionRow(
            terminal_pk=terminal.id,
            mykey_pk=binding.mykey_pk,
            created_at=now,
            expires_at=now + CARD_SESSION_TTL,
            operation=challenge.operation,
        )
        session.add(row)
        session.flush()
        return CardSession(
            session_id=str(row.id),
            expires_at=row.expires_at,
            balances=visible_balances(session, terminal, binding.mykey_pk),
        )

    outcome = audited(db, work, hooks.card_session(terminal, proof.certificate_der))
    if isinstance(outcome, PlatformError):
        raise outcome
    return outcome


def spend(
    session: Session,
    terminal: Terminal,
    session_id: str,
    now: dt.datetime,
    requested: CardOperation,
    transfer_id: uuid.UUID,
) -> uuid.UUID:
    """The MyKey (primary key) of a live points session of this terminal opened for
    ``requested`` (its place aside), marked spent by ``transfer_id`` — atomically, so of
    two concurrent operations on one session only one gets it.  ``card_session_spent``
    when its operation was done already, ``operation_mismatch`` when the card signed for
    another operation; neither changes anything."""
    row = _live_session(session, terminal, session_id, now)
    if row.transfer_pk is not None:
        raise PlatformError(
            ErrorCode.CARD_SESSION_SPENT,
            "this card tap was for one operation, and it is done: tap the card again",
        )
    signed = _signed_operation(row.operation)
    if signed is None or signed.without_place() != requested:
        raise _mismatch(
            "this is not the operation the card was tapped for "
            f"({_describe(signed)}): tap the card again for this one"
        )
    claimed = session.execute(
        update(CardSessionRow)
        .where(CardSessionRow.id == row.id, CardSessionRow.transfer_pk.is_(None))
        .values(transfer_pk=transfer_id, spent_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise PlatformError(
            ErrorCode.CARD_SESSION_SPENT,
            "this card tap was for one operation, and it is done: tap the card again",
        )
    return row.mykey_pk


def _describe(operation: CardOperation | None) -> str:
    if operation is None:
        return "nothing"
    if operation.kind is OperationKind.BALANCE:
        return "the balances only"
    return f"{operation.kind.value} of {operation.points} pt"


def _live_session(
    session: Session, terminal: Terminal, session_id: str, now: dt.datetime
) -> CardSessionRow:
    try:
        key = uuid.UUID(session_id)
    except ValueError:
        key = None
    row = session.get(CardSessionRow, key) if key is not None else None
    if row is None or row.terminal_pk != terminal.id or now >= row.expires_at:
        raise PlatformError(
            ErrorCode.CARD_SESSION_INVALID,
            "the card session is unknown, of another terminal, or expired: tap the card again",
        )
    return row


def parse_id(text: str, what: str = "id") -> uuid.UUID:
    """A client-chosen transfer id, or ``malformed``."""
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise PlatformError(ErrorCode.MALFORMED, f"{what} is not a UUID") from error
