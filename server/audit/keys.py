"""The platform's audit key: MyKey IDs enter the audit log only as HMAC-SHA256 digests.

A MyKey ID has 36^8 ≈ 2.8e12 values: a plain SHA-256 of one is reversed by trying them
all (hours on one GPU), so whoever reads an audit export would learn the IDs.  The
audit log keys the digest with a secret of the platform instead:

- ``MYKEY_PLATFORM_AUDIT_KEY`` (hex, at least 32 bytes), when set — so the key can live
  outside the database (every process of the platform must then be given the same one);
- otherwise the random 32-byte key migration ``0008_card_rebinding`` stored in
  ``platform_secrets`` (readers of audit exports do not see it; readers of the
  database do).

Each digest is logged with ``audit_key``, a short id of the key that made it, so digests
made with different keys are never compared by mistake.  No key → no event: the append
fails (closed) rather than logging a reversible digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import Base, utcnow

AUDIT_KEY_ENV = "MYKEY_PLATFORM_AUDIT_KEY"
#: the row of ``platform_secrets`` that holds the audit key
AUDIT_KEY_NAME = "audit_hmac_key"
MIN_KEY_BYTES = 32


class PlatformSecret(Base):
    """A secret the platform made for itself (never shown, never exported)."""

    __tablename__ = "platform_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditKeyMissing(RuntimeError):
    """Neither the environment nor the database holds a usable audit key."""


def _from_env() -> bytes | None:
    text = os.environ.get(AUDIT_KEY_ENV, "").strip()
    if not text:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise AuditKeyMissing(f"{AUDIT_KEY_ENV} is not hexadecimal") from None
    if len(key) < MIN_KEY_BYTES:
        raise AuditKeyMissing(f"{AUDIT_KEY_ENV} must hold at least {MIN_KEY_BYTES} bytes")
    return key


def audit_key(session: Session) -> bytes:
    """The key of this platform's audit digests; :class:`AuditKeyMissing` if none."""
    key = _from_env()
    if key is not None:
        return key
    row = session.get(PlatformSecret, AUDIT_KEY_NAME)
    if row is None or len(row.value) < MIN_KEY_BYTES:
        raise AuditKeyMissing("no audit key: run the database migrations")
    return row.value


def key_id(key: bytes) -> str:
    """A short public id of ``key`` (16 hex digits), logged beside each digest."""
    return hmac.new(key, b"mykey-audit-key-id", hashlib.sha256).hexdigest()[:16]


def normalise_mykey_id(mykey_id: str) -> str:
    return mykey_id.strip().upper()


def keyed_digest(key: bytes, mykey_id: str) -> str:
    """HMAC-SHA256 of the (normalised) MyKey ID, lower-case hex."""
    return hmac.new(key, normalise_mykey_id(mykey_id).encode(), hashlib.sha256).hexdigest()


def mykey_fields(session: Session, mykey_id: str) -> dict[str, object]:
    """The audit fields that name a MyKey ID: its keyed digest and the key's id."""
    key = audit_key(session)
    return {"mykey_id_hmac": keyed_digest(key, mykey_id), "audit_key": key_id(key)}
