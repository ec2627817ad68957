"""One-time linking codes: a provider hands one to a holder to confirm one service ID.

A code binds one service ID of one service, is used once, expires, and only its SHA-256
is kept (the code itself is shown once, to whoever made it).  A code that is unknown,
used, expired or bound to another number is refused with the same code
(``link_code_invalid``), so a guesser learns nothing from the answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.api.schemas import ErrorCode
from server.db import Base, new_id, utcnow
from server.errors import PlatformError
from server.identity.models import Service

#: letters and digits nobody misreads (no 0/O, 1/I/L, U)
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 12  # ~59 bits
DEFAULT_LIFETIME = dt.timedelta(days=14)
MAX_LIFETIME = dt.timedelta(days=90)


class LinkCode(Base):
    """A one-time code that confirms the link of one service ID (only its hash is kept)."""

    __tablename__ = "link_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    service_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    #: the service ID the code confirms, and no other
    external_id: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the normalised code, lower-case hex
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: who made it: ``provider:<key id>`` or ``operator``
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


@dataclass(frozen=True)
class IssuedCode:
    """A new code: the secret (shown once, grouped by four) and its record."""

    code: str
    record: LinkCode


def normalise(code: str) -> str:
    """Upper case, full-width folded (NFKC), without spaces and hyphens."""
    folded = unicodedata.normalize("NFKC", code).upper()
    return "".join(ch for ch in folded if ch not in " -\u3000\t")


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def issue_code(
    session: Session,
    service: Service,
    external_id: str,
    created_by: str,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
) -> IssuedCode:
    """A new code for ``external_id`` at ``service`` (the caller checked its format)."""
    if not dt.timedelta(0) < lifetime <= MAX_LIFETIME:
        raise PlatformError(ErrorCode.MALFORMED, "a linking code lives 1 to 90 days")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    record = LinkCode(
        service_pk=service.id,
        external_id=external_id,
        code_hash=code_hash(raw),
        created_by=created_by,
        expires_at=utcnow() + lifetime,
    )
    session.add(record)
    session.flush()
    return IssuedCode("-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4)), record)


def redeem_code(
    session: Session, service: Service, external_id: str, code: str, now: dt.datetime
) -> LinkCode:
    """Spend the code for ``external_id`` at ``service``, or ``link_code_invalid``."""
    record = session.scalar(
        select(LinkCode).where(LinkCode.code_hash == code_hash(code)).with_for_update()
    )
    if (
        record is None
        or record.service_pk != service.id
        or record.external_id != external_id
        or record.used_at is not None
        or record.expires_at <= now
    ):
        raise PlatformError(
            ErrorCode.LINK_CODE_INVALID,
            "the linking code is unknown, used, expired or for another service ID",
        )
    record.used_at = now
    return record
