"""The staff account table."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, new_id, utcnow


class StaffRole(StrEnum):
    """What an account may do; a back office may add roles (e.g. supervisor) later."""

    GRANT = "grant"  # grants points and approves another account's grants


class CredentialKind(StrEnum):
    PIN = "pin"
    TOTP = "totp"


class StaffAccount(Base):
    """A staff member of one municipality, with a credential of their own."""

    __tablename__ = "staff_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: what the staff member types at the counter: ASCII, lower case, unique
    login: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    municipality_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    role: Mapped[str] = mapped_column(String(32), default=StaffRole.GRANT.value)
    credential_kind: Mapped[str] = mapped_column(String(8))
    #: argon2id hash (PHC string) of the staff PIN; NULL for a TOTP account
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    #: base32 TOTP secret; NULL for a PIN account
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: the last TOTP time step accepted: a code is never accepted twice
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: bumped by each credential reset, so a check made against the old one cannot land
    credential_version: Mapped[int] = mapped_column(Integer, default=1)
    disabled: Mapped[bool] = mapped_column(default=False)
    #: consecutive failed credential checks, and the time before which every check fails
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
