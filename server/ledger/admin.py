"""Operator set-up of the ledger: municipalities' rules, shops, usage rules, events, and
the points modes of terminals."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import TerminalMode
from server.errors import OperatorError, PlatformError
from server.ledger.models import Municipality, PointEvent, Shop, UsageRule
from server.ledger.municipalities import ensure_municipality
from server.ledger.rules import municipality_by_code, shop_by_code
from server.terminals.models import Terminal

RULES = (
    "points_valid_days",
    "assign_after_days",
    "grant_approval_over",
    "voucher_valid_days",
    "grant_cap_holder_day",
    "grant_cap_terminal_day",
)
#: rules where 0 means "no cap"
CAPS = ("grant_cap_holder_day", "grant_cap_terminal_day")


def _operator(error: PlatformError) -> OperatorError:
    return OperatorError(error.message)


def add_municipality(session: Session, code: str, name: str) -> Municipality:
    if not (code.isdigit() and len(code) in (5, 6)):
        raise OperatorError("a local government code has 5 or 6 digits, e.g. 14130")
    municipality, created = ensure_municipality(session, code, name)
    if not created:
        raise OperatorError(f"municipality {code} exists already ({municipality.name})")
    return municipality


def municipality(session: Session, code: str) -> Municipality:
    try:
        return municipality_by_code(session, code)
    except PlatformError as error:
        raise _operator(error) from error


def shop(session: Session, code: str) -> Shop:
    try:
        return shop_by_code(session, code)
    except PlatformError as error:
        raise _operator(error) from error


def set_rules(session: Session, code: str, **rules: int | None) -> Municipality:
    """Change some of a municipality's rules (``None`` leaves one as it is)."""
    found = municipality(session, code)
    for name, value in rules.items():
        if name not in RULES:
            raise OperatorError(f"no rule {name}")
        if value is None:
            continue
        if value < 0:
            raise OperatorError(f"{name} cannot be negative")
        setattr(found, name, None if name in CAPS and value == 0 else value)
    return found


def add_shop(session: Session, code: str, name: str, category: str) -> Shop:
    if session.scalar(select(Shop).where(Shop.code == code)) is not None:
        raise OperatorError(f"shop {code} exists already")
    added = Shop(code=code, name=name, category=category)
    session.add(added)
    session.flush()
    return added


def allow_usage(
    session: Session,
    municipality_code: str,
    *,
    shop_code: str | None = None,
    category: str | None = None,
) -> UsageRule:
    """Let the municipality's points be used at one shop, or at every shop of a category."""
    if (shop_code is None) == (category is None):
        raise OperatorError("give either a shop or a category")
    found = municipality(session, municipality_code)
    rule = UsageRule(
        municipality_pk=found.id,
        shop_pk=shop(session, shop_code).id if shop_code else None,
        category=category,
    )
    session.add(rule)
    session.flush()
    return rule


def add_event(session: Session, municipality_code: str, code: str, name: str) -> PointEvent:
    found = municipality(session, municipality_code)
    event = PointEvent(municipality_pk=found.id, code=code, name=name)
    session.add(event)
    session.flush()
    return event


def _terminal(session: Session, terminal_id: str) -> Terminal:
    try:
        terminal = session.get(Terminal, uuid.UUID(terminal_id))
    except ValueError:
        terminal = None
    if terminal is None:
        raise OperatorError(f"no terminal {terminal_id}")
    return terminal


def _set_modes(terminal: Terminal, modes: set[str]) -> None:
    terminal.modes = ",".join(m.value for m in TerminalMode if m.value in modes)


def allow_terminal(
    session: Session,
    terminal_id: str,
    mode: TerminalMode,
    *,
    shop_code: str | None = None,
    municipality_code: str | None = None,
) -> Terminal:
    """Allow an enrolled terminal a mode: ``lookup``, ``label``; ``shop`` (for one shop);
    ``grant`` / ``voucher`` / ``rebind`` (for one municipality: its staff's desk).  A
    terminal has one shop and one municipality."""
    terminal = _terminal(session, terminal_id)
    if mode is TerminalMode.SHOP:
        if shop_code is None:
            raise OperatorError("the shop mode needs --shop")
        terminal.shop_pk = shop(session, shop_code).id
    elif mode in (TerminalMode.GRANT, TerminalMode.VOUCHER, TerminalMode.REBIND):
        if municipality_code is None:
            raise OperatorError(f"the {mode.value} mode needs --municipality")
        terminal.municipality_pk = municipality(session, municipality_code).id
    _set_modes(terminal, {*terminal.modes.split(","), mode.value})
    return terminal


def deny_terminal(session: Session, terminal_id: str, mode: TerminalMode) -> Terminal:
    """Take a mode away from a terminal (its next request in that mode is refused)."""
    terminal = _terminal(session, terminal_id)
    _set_modes(terminal, set(terminal.modes.split(",")) - {mode.value})
    municipal = {TerminalMode.GRANT.value, TerminalMode.VOUCHER.value, TerminalMode.REBIND.value}
    if not municipal & set(terminal.modes.split(",")):
        terminal.municipality_pk = None
    if mode is TerminalMode.SHOP:
        terminal.shop_pk = None
    return terminal
