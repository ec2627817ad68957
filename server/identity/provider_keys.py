"""Service providers' API keys: made by an operator, shown once, stored as SHA-256.

A key belongs to one service; with it the provider fetches that service's address-change
notices (``GET /v1/providers/address-changes``) and nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from server.api.schemas import ErrorCode
from server.db import Base, new_id, utcnow
from server.errors import OperatorError, PlatformError
from server.identity.models import Service
from server.identity.services import get_service

KEY_PREFIX = "mkp_"


class ProviderKey(Base):
    """An API key of a service's provider (only its SHA-256 is kept)."""

    __tablename__ = "provider_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    service_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    #: SHA-256 of the key, lower-case hex
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]

    service: Mapped[Service] = relationship(lazy="joined")


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the secret (shown once) and its record."""

    key: str
    record: ProviderKey


def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


def add_key(session: Session, service_name: str) -> IssuedKey:
    """A new API key for the provider of the service."""
    service = get_service(session, service_name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ProviderKey(service_pk=service.id, service=service, key_hash=key_hash(key))
    session.add(record)
    session.flush()
    return IssuedKey(key, record)


def list_keys(session: Session, service_name: str | None = None) -> list[ProviderKey]:
    query = select(ProviderKey).order_by(ProviderKey.created_at)
    if service_name is not None:
        query = query.where(ProviderKey.service_pk == get_service(session, service_name).id)
    return list(session.scalars(query))


def revoke_key(session: Session, key_id: str) -> ProviderKey:
    """Refuse every further request with the key."""
    try:
        record = session.get(ProviderKey, uuid.UUID(key_id))
    except ValueError as error:
        raise OperatorError(f"{key_id!r} is not a key id") from error
    if record is None:
        raise OperatorError(f"no provider key {key_id}")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
    return record


def authenticate_key(session: Session, key: str) -> ProviderKey:
    """The live key ``key`` is, or ``provider_key_invalid``."""
    record = session.scalar(select(ProviderKey).where(ProviderKey.key_hash == key_hash(key)))
    if record is None or record.revoked_at is not None:
        raise PlatformError(ErrorCode.PROVIDER_KEY_INVALID, "the API key is unknown or revoked")
    return record
