"""Binding a renewed card's certificate to an existing MyKey ID — only with proof.

A password (or any other thing a thief or a phisher can learn) never binds a card: the
holder of a MyKey ID would lose it to whoever knows the password, and the stranger's
card would then look up the holder's service IDs.  A new certificate is bound to an
existing MyKey ID by one of three proofs (:class:`RebindProof`):

- ``old_card``: the old, still registered card signs the same challenge as the new one,
  in one session at a counter (:func:`prove_old_card`);
- ``jlis_link``: J-LIS's linkage data, imported by an operator, names the old
  certificate as replaced by the new one (:mod:`server.identity.renewals`);
- ``staff``: a staff member at a municipal desk checked the holder's identity
  documents (a terminal in mode ``rebind``, or ``mykey-platform mykey bind``).

:func:`bind_renewed_card` then binds the new certificate, retires every older binding of
the MyKey ID (the old card looks nothing up any more) and mails the holder.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.db import utcnow
from server.errors import OperatorError, PlatformError
from server.identity.certificates import (
    parse_certificate,
    verify_card_signature,
    verify_certificate,
)
from server.identity.models import CertificateBinding, MyKey, RevokedCertificate
from server.identity.mykey import binding_of, get_mykey
from server.identity.trust import find_issuer
from server.identity.x509util import fingerprint, serial_hex
from server.notices import NoticeKind, enqueue_notice


class RebindProof(enum.StrEnum):
    """How a renewed card proved that it belongs to the MyKey ID's holder."""

    OLD_CARD = "old_card"
    JLIS_LINK = "jlis_link"
    STAFF = "staff"


#: how the holder's e-mail names each proof (Japanese / English)
PROOF_TEXT: dict[RebindProof, str] = {
    RebindProof.OLD_CARD: "以前のカードと新しいカードの両方 / both the old and the new card",
    RebindProof.JLIS_LINK: "J-LISの証明書更新情報 / J-LIS's certificate renewal data",
    RebindProof.STAFF: "窓口での本人確認書類 / identity documents at a municipal desk",
}


@dataclass(frozen=True)
class NewCertificate:
    """The facts of the new certificate a binding keeps."""

    fingerprint: str
    issuer: str
    serial: str
    not_after: dt.datetime


def proof_required() -> PlatformError:
    return PlatformError(
        ErrorCode.REBIND_PROOF_REQUIRED,
        "a renewed card binds to an existing MyKey ID only with the old card, J-LIS's "
        "renewal data or a staff check of identity documents: a password is not enough",
    )


def _old_card_invalid(reason: str) -> PlatformError:
    return PlatformError(ErrorCode.REBIND_OLD_CARD_INVALID, f"the old card was refused: {reason}")


def prove_old_card(
    session: Session, challenge: bytes, old_der: bytes, old_signature: bytes
) -> CertificateBinding:
    """The live binding of the old card that signed ``challenge``, or
    ``rebind_old_card_invalid``.

    The old certificate must be the very certificate of a live binding, still chain to an
    active anchor and not be revoked (a card reported lost must not vouch for another);
    an *expired* old certificate is accepted, since renewal often follows expiry.
    """
    try:
        certificate = parse_certificate(old_der)
    except PlatformError as error:
        raise _old_card_invalid("its certificate cannot be parsed") from error
    binding = binding_of(session, fingerprint(old_der))
    if binding is None or not binding.live:
        raise _old_card_invalid("it is not the registered card of a MyKey ID")
    anchor = find_issuer(session, certificate)
    if anchor is None:
        raise _old_card_invalid("its certificate no longer chains to a trusted CA")
    revoked = session.scalar(
        select(RevokedCertificate.id).where(
            RevokedCertificate.anchor_id == anchor.row.id,
            RevokedCertificate.serial == serial_hex(certificate.serial_number),
        )
    )
    if revoked is not None:
        raise _old_card_invalid("its certificate is revoked")
    try:
        verify_card_signature(certificate, challenge, old_signature)
    except PlatformError as error:
        raise _old_card_invalid("its signature does not match the challenge") from error
    return binding


def retire_bindings(
    session: Session, mykey_pk: object, proof: RebindProof, now: dt.datetime
) -> int:
    """Retire every live binding of the MyKey ID; how many."""
    rows = session.scalars(
        select(CertificateBinding).where(
            CertificateBinding.mykey_pk == mykey_pk, CertificateBinding.retired_at.is_(None)
        )
    ).all()
    for row in rows:
        row.retired_at = now
        row.retired_reason = proof.value
    return len(rows)


def bind_renewed_card(
    session: Session, mykey: MyKey, new: NewCertificate, proof: RebindProof, now: dt.datetime
) -> tuple[CertificateBinding, int]:
    """Bind ``new`` to ``mykey`` (the caller checked ``proof``), retire the older
    bindings and queue the holder's e-mail; the binding and how many were retired."""
    existing = binding_of(session, new.fingerprint)
    if existing is not None:
        raise PlatformError(
            ErrorCode.ALREADY_REGISTERED,
            "this card's certificate is already registered to a MyKey ID",
        )
    retired = retire_bindings(session, mykey.id, proof, now)
    binding = CertificateBinding(
        mykey_pk=mykey.id,
        mykey=mykey,
        fingerprint=new.fingerprint,
        issuer=new.issuer,
        serial=new.serial,
        not_after=new.not_after,
        bound_at=now,
    )
    session.add(binding)
    session.flush()
    enqueue_notice(
        session,
        mykey.id,
        NoticeKind.CARD_REBOUND,
        {"mykey_id": mykey.mykey_id, "proof": PROOF_TEXT[proof]},
    )
    return binding, retired


def staff_bind(
    session: Session, der: bytes, mykey_id: str, *, staff: str, documents: str
) -> CertificateBinding:
    """The staff procedure by an operator command: bind the certificate ``der`` to
    ``mykey_id`` after ``staff`` checked the holder's ``documents`` (both required)."""
    if not staff.strip() or not documents.strip():
        raise OperatorError(
            "rebind_proof_required: name the staff member and the identity documents checked"
        )
    try:
        verified = verify_certificate(session, der, utcnow())
    except PlatformError as error:
        raise OperatorError(f"refused ({error.code.value}): {error.message}") from error
    mykey = get_mykey(session, mykey_id)
    existing = binding_of(session, verified.fingerprint)
    if existing is not None:
        raise OperatorError(
            f"this certificate is already bound to MyKey ID {existing.mykey.mykey_id}"
        )
    new = NewCertificate(
        verified.fingerprint,
        verified.certificate.issuer.rfc4514_string(),
        verified.serial,
        verified.not_after,
    )
    binding, _ = bind_renewed_card(session, mykey, new, RebindProof.STAFF, utcnow())
    return binding
