"""Is this certificate revoked?  Answered from the anchor's OCSP responder when it has
one, else (or when the responder gives no usable answer) from the anchor's newest CRL.

A revocation known from any source wins: a serial listed by any imported CRL of the
anchor is refused before OCSP is asked (a kept ``good`` answer may be older than the CRL).

Fails closed: with neither a verified current OCSP answer nor a CRL whose next update
(plus the grace setting) is still ahead, the answer is ``revocation_unknown`` and the
certificate is refused.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.errors import PlatformError
from server.identity.models import Crl, RevokedCertificate
from server.identity.ocsp import current_status
from server.identity.policy import TrustPolicy
from server.identity.trust import Anchor
from server.identity.x509util import serial_hex


def newest_crl(session: Session, anchor_id: object) -> Crl | None:
    """The anchor's CRL with the latest ``this_update`` (``None``: none imported)."""
    return session.scalar(
        select(Crl)
        .where(Crl.anchor_id == anchor_id)
        .order_by(Crl.this_update.desc(), Crl.imported_at.desc())
        .limit(1)
    )


def crl_is_fresh(crl: Crl | None, now: dt.datetime, policy: TrustPolicy) -> bool:
    """Whether ``crl`` still counts now: its next update plus the grace is ahead."""
    if crl is None or crl.next_update is None:
        return False
    return now < crl.next_update + policy.crl_grace


def check_not_revoked(
    session: Session,
    anchor: Anchor,
    certificate: x509.Certificate,
    now: dt.datetime,
    policy: TrustPolicy,
) -> None:
    """Raise ``certificate_revoked`` or ``revocation_unknown``; return when known good."""
    revoked = session.scalar(
        select(RevokedCertificate).where(
            RevokedCertificate.anchor_id == anchor.row.id,
            RevokedCertificate.serial == serial_hex(certificate.serial_number),
        )
    )
    if revoked is not None:
        raise PlatformError(
            ErrorCode.CERTIFICATE_REVOKED,
            f"the certificate was revoked on {revoked.revoked_at:%Y-%m-%d}",
        )
    answer = current_status(session, anchor, certificate, now, policy.ocsp_timeout_s)
    if answer is not None:
        if answer.status == "revoked":
            when = answer.revoked_at or answer.this_update
            raise PlatformError(
                ErrorCode.CERTIFICATE_REVOKED,
                f"the certificate was revoked on {when:%Y-%m-%d} (OCSP)",
            )
        return
    crl = newest_crl(session, anchor.row.id)
    if crl is None:
        raise PlatformError(
            ErrorCode.REVOCATION_UNKNOWN,
            "revocation status unknown: no CRL of the certificate's CA is held"
            + (" and its OCSP responder gave no usable answer" if anchor.row.ocsp_url else ""),
        )
    if not crl_is_fresh(crl, now, policy):
        due = "-" if crl.next_update is None else f"{crl.next_update:%Y-%m-%d %H:%M} UTC"
        raise PlatformError(
            ErrorCode.REVOCATION_UNKNOWN,
            f"revocation status unknown: the CA's newest CRL is past its next update ({due})",
        )
