"""MyKey IDs and the certificates bound to them.

A MyKey ID is 8 characters, upper-case ASCII letters and digits (seed p.8).  A holder's
certificate is renewed every few years: a MyKey ID may therefore be bound to several
certificates over time, while each certificate belongs to at most one MyKey ID.  A
renewed card is bound only with proof (:mod:`server.identity.rebinding`).
"""

from __future__ import annotations

import re
import secrets
import string

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import OperatorError, PlatformError
from server.identity.certificates import VerifiedCertificate, verify_certificate
from server.identity.models import CertificateBinding, MyKey

MYKEY_ID_LENGTH = 8
MYKEY_ID_ALPHABET = string.ascii_uppercase + string.digits
_MYKEY_ID = re.compile(r"[A-Z0-9]{8}")


def is_valid_mykey_id(candidate: str) -> bool:
    """Whether ``candidate`` follows the MyKey ID rules (8 × ``A-Z0-9``)."""
    return _MYKEY_ID.fullmatch(candidate) is not None


def generate_mykey_id() -> str:
    """A random MyKey ID candidate (not checked against the database)."""
    return "".join(secrets.choice(MYKEY_ID_ALPHABET) for _ in range(MYKEY_ID_LENGTH))


def find_mykey(session: Session, mykey_id: str) -> MyKey | None:
    return session.scalar(select(MyKey).where(MyKey.mykey_id == mykey_id))


def get_mykey(session: Session, mykey_id: str) -> MyKey:
    mykey = find_mykey(session, mykey_id)
    if mykey is None:
        raise OperatorError(f"no MyKey ID {mykey_id}")
    return mykey


def binding_of(session: Session, certificate_fingerprint: str) -> CertificateBinding | None:
    return session.scalar(
        select(CertificateBinding).where(CertificateBinding.fingerprint == certificate_fingerprint)
    )


def _verified(session: Session, der: bytes) -> VerifiedCertificate:
    try:
        return verify_certificate(session, der, utcnow())
    except PlatformError as error:
        raise OperatorError(f"refused ({error.code.value}): {error.message}") from error


def _bind(session: Session, mykey: MyKey, verified: VerifiedCertificate) -> CertificateBinding:
    existing = binding_of(session, verified.fingerprint)
    if existing is not None:
        raise OperatorError(
            f"this certificate is already bound to MyKey ID {existing.mykey.mykey_id}"
        )
    binding = CertificateBinding(
        mykey_pk=mykey.id,
        mykey=mykey,
        fingerprint=verified.fingerprint,
        issuer=verified.certificate.issuer.rfc4514_string(),
        serial=verified.serial,
        not_after=verified.not_after,
    )
    session.add(binding)
    session.flush()
    return binding


def register(session: Session, der: bytes, mykey_id: str | None = None) -> CertificateBinding:
    """Create a MyKey ID (given or generated) and bind the verified certificate to it."""
    verified = _verified(session, der)
    if mykey_id is None:
        mykey_id = _free_mykey_id(session)
    elif not is_valid_mykey_id(mykey_id):
        raise OperatorError(
            f"{mykey_id!r} is not a MyKey ID: 8 characters, upper-case letters A-Z and digits"
        )
    elif find_mykey(session, mykey_id) is not None:
        raise OperatorError(f"MyKey ID {mykey_id} is already taken")
    mykey = MyKey(mykey_id=mykey_id)
    session.add(mykey)
    session.flush()
    return _bind(session, mykey, verified)


def mark_address_changed(session: Session, mykey_id: str) -> MyKey:
    """Record that the holder's address changed now: lookups report it, and providers
    fetch it as an address-change notice like an imported J-LIS event."""
    # not at the top: address_changes → labels → services → this module
    from server.identity.address_changes import AddressChange

    mykey = get_mykey(session, mykey_id)
    now = utcnow()
    mykey.address_changed_at = now
    session.add(AddressChange(mykey_pk=mykey.id, changed_at=now, recorded_at=now))
    session.flush()
    return mykey


def _free_mykey_id(session: Session) -> str:
    for _ in range(20):
        candidate = generate_mykey_id()
        if find_mykey(session, candidate) is None:
            return candidate
    raise OperatorError("could not generate a free MyKey ID")  # 36^8 ≈ 2.8e12: never
