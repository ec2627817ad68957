"""Tables of the terminals domain: enrollment codes, terminals, challenges, nonces."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, new_id, utcnow
from server.identity.models import Service


class EnrollmentCode(Base):
    """A one-time code an operator hands to whoever sets up a terminal."""

    __tablename__ = "enrollment_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: SHA-256 of the normalised code, lower-case hex; the code itself is never stored
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    service_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    terminal_name: Mapped[str] = mapped_column(String(128))
    #: set for a re-key code: the enrolled terminal that will replace its key with it
    terminal_pk: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("terminals.id", use_alter=True)
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class Terminal(Base):
    """An enrolled counter terminal: its Ed25519 key and the one service it serves."""

    __tablename__ = "terminals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(128))
    service_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    #: raw 32-byte Ed25519 public key
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    enrollment_code_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollment_codes.id"), unique=True
    )
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    #: the last time the terminal replaced its key with a re-key code
    key_rotated_at: Mapped[dt.datetime | None]
    #: what the terminal may do, comma-separated TerminalMode values: ``lookup`` and
    #: ``label`` from enrollment; ``shop``, ``grant``, ``voucher`` when an operator allows
    modes: Mapped[str] = mapped_column(String(64), default="lookup,label")
    #: the shop a ``shop`` terminal takes payments for
    shop_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shops.id"))
    #: the municipality a ``grant`` or ``voucher`` terminal works for
    municipality_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("municipalities.id"))

    service: Mapped[Service] = relationship(lazy="joined")

    def has_mode(self, mode: str) -> bool:
        return mode in self.modes.split(",")


class Challenge(Base):
    """A one-time challenge for the card to sign, bound to the terminal that asked."""

    __tablename__ = "challenges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    terminal_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminals.id"), index=True)
    value: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    #: set once, atomically, by the one lookup attempt the challenge allows
    used_at: Mapped[dt.datetime | None]
    #: the canonical operation (:mod:`server.api.operations`) ``value`` is derived from;
    #: ``None`` for a lookup's random challenge
    operation: Mapped[str | None] = mapped_column(String(512))


class RequestNonce(Base):
    """A signature nonce a terminal has used, kept while the signature could be replayed."""

    __tablename__ = "request_nonces"
    __table_args__ = (UniqueConstraint("terminal_pk", "nonce"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    terminal_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminals.id"))
    nonce: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime]
