"""Enrollment: an operator issues a one-time code, a terminal trades it for an identity."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import EnrollRequest, ErrorCode
from server.audit import hooks
from server.audit.log import audited
from server.db import Database, claim_once, utcnow
from server.errors import OperatorError, PlatformError
from server.identity.services import get_service
from server.terminals.models import EnrollmentCode, Terminal

CODE_LIFETIME = dt.timedelta(days=7)
MAX_TERMINAL_NAME_LENGTH = 128


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: dt.datetime


def new_code() -> str:
    """A code of 4 groups of 4 base32 characters (80 random bits), e.g. ``ABCD-EFGH-…``."""
    text = base64.b32encode(secrets.token_bytes(10)).decode()
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def code_hash(code: str) -> str:
    """The stored form of a code; spaces, hyphens and case do not matter."""
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode()).hexdigest()


def issue_code(session: Session, service_name: str, terminal_name: str) -> IssuedCode:
    """Store a new code for a terminal of the service; only its hash is kept."""
    terminal_name = terminal_name.strip()
    if not terminal_name or len(terminal_name) > MAX_TERMINAL_NAME_LENGTH:
        raise OperatorError(f"a terminal name has 1 to {MAX_TERMINAL_NAME_LENGTH} characters")
    service = get_service(session, service_name)
    code = new_code()
    now = utcnow()
    session.add(
        EnrollmentCode(
            code_hash=code_hash(code),
            service_pk=service.id,
            terminal_name=terminal_name,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    return IssuedCode(code, now + CODE_LIFETIME)


def decode_public_key(text: str) -> bytes:
    """The raw Ed25519 public key in ``text`` (standard base64), or ``malformed``."""
    try:
        raw = base64.b64decode(text, validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as error:
        raise PlatformError(
            ErrorCode.MALFORMED, "public_key is not a base64 raw 32-byte Ed25519 public key"
        ) from error
    return raw


def enroll(db: Database, request: EnrollRequest) -> Terminal:
    """Use the code (once) and create the terminal with the given key."""
    public_key = decode_public_key(request.public_key)
    hashed = code_hash(request.code)

    def work(session: Session) -> Terminal:
        now = utcnow()
        fresh = (EnrollmentCode.code_hash == hashed, EnrollmentCode.expires_at > now)
        if not claim_once(session, EnrollmentCode, *fresh, now=now):
            raise PlatformError(
                ErrorCode.ENROLLMENT_CODE_INVALID,
                "the enrollment code is unknown, already used or expired",
            )
        code = session.scalars(
            select(EnrollmentCode).where(EnrollmentCode.code_hash == hashed)
        ).one()
        if code.terminal_pk is not None:
            return _rekey(session, code, public_key, now)
        terminal = Terminal(
            name=code.terminal_name,
            service_pk=code.service_pk,
            public_key=public_key,
            enrollment_code_pk=code.id,
            enrolled_at=now,
        )
        session.add(terminal)
        session.flush()
        session.refresh(terminal, ["service"])
        return terminal

    return audited(db, work, hooks.enrollment(hashed))


def _rekey(session: Session, code: EnrollmentCode, public_key: bytes, now: dt.datetime) -> Terminal:
    """A re-key code: the terminal keeps its id, service and modes; only its key changes,
    and the old key is refused from now on."""
    terminal = session.get_one(Terminal, code.terminal_pk)
    if terminal.revoked_at is not None:
        raise PlatformError(
            ErrorCode.ENROLLMENT_CODE_INVALID, "the terminal of this re-key code is revoked"
        )
    terminal.public_key = public_key
    terminal.key_rotated_at = now
    session.flush()
    session.refresh(terminal, ["service"])
    return terminal


def issue_rekey_code(session: Session, terminal_id: str) -> IssuedCode:
    """A one-time code with which the terminal (``enroll`` with it) replaces its key."""
    terminal = session.get(Terminal, _terminal_uuid(terminal_id))
    if terminal is None:
        raise OperatorError(f"no terminal {terminal_id}")
    if terminal.revoked_at is not None:
        raise OperatorError(f"terminal {terminal_id} is revoked: enroll a new one instead")
    code = new_code()
    now = utcnow()
    session.add(
        EnrollmentCode(
            code_hash=code_hash(code),
            service_pk=terminal.service_pk,
            terminal_name=terminal.name,
            terminal_pk=terminal.id,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    return IssuedCode(code, now + CODE_LIFETIME)


def list_terminals(session: Session) -> list[Terminal]:
    return list(session.scalars(select(Terminal).order_by(Terminal.enrolled_at)).all())


def revoke_terminal(session: Session, terminal_id: str) -> Terminal:
    """Refuse every further request of the terminal."""
    terminal = session.get(Terminal, _terminal_uuid(terminal_id))
    if terminal is None:
        raise OperatorError(f"no terminal {terminal_id}")
    if terminal.revoked_at is None:
        terminal.revoked_at = utcnow()
    return terminal


def _terminal_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise OperatorError(f"{text!r} is not a terminal id") from error
