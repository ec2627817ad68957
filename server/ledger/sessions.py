"""Points sessions: a holder proved by the card at one terminal, for a few minutes.

The terminal never learns the MyKey ID: it gets an opaque session id, valid only for
requests signed by that same terminal, and the balances its mode allows it to see.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from server.api.schemas import (
    CardSession,
    CardSessionRequest,
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
from server.terminals.models import Terminal

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


def open_card_session(db: Database, terminal: Terminal, request: CardSessionRequest) -> CardSession:
    """Check the card's proof (spending the challenge) and open a points session."""
    if not any(terminal.has_mode(mode.value) for mode in POINTS_MODES):
        raise PlatformError(ErrorCode.TERMINAL_MODE_NOT_ALLOWED, "this terminal has no points mode")
    proof = decode_proof(request.challenge_id, request.certificate, request.signature)

    def work(session: Session) -> CardSession | PlatformError:
        now = utcnow()
        try:
            binding = prove_card(session, terminal, proof, now).registered()
        except PlatformError as error:
            return error  # committed: a spent challenge stays spent
        row = CardSessionRow(
            terminal_pk=terminal.id,
            mykey_pk=binding.mykey_pk,
            created_at=now,
            expires_at=now + CARD_SESSION_TTL,
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


def holder_of(session: Session, terminal: Terminal, session_id: str, now: dt.datetime) -> uuid.UUID:
    """The MyKey (primary key) of a live points session of this terminal."""
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
    return row.mykey_pk


def parse_id(text: str, what: str = "id") -> uuid.UUID:
    """A client-chosen transfer id, or ``malformed``."""
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise PlatformError(ErrorCode.MALFORMED, f"{what} is not a UUID") from error
