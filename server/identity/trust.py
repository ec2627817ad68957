"""Trust anchors: the pinned JPKI user-authentication CA certificates.

A card's certificate is trusted only when its signature verifies with the public key of
an anchor in this table whose subject is the certificate's issuer.  The CA certificate a
card carries (EF 000B) is never consulted.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import OperatorError
from server.identity.models import TrustAnchor
from server.identity.x509util import der, fingerprint, is_ca, normalise_fingerprint


@dataclass(frozen=True)
class Anchor:
    """An active anchor with its certificate parsed."""

    row: TrustAnchor
    certificate: x509.Certificate


def active_anchors(session: Session) -> list[Anchor]:
    rows = session.scalars(select(TrustAnchor).where(TrustAnchor.retired_at.is_(None))).all()
    return [Anchor(row, x509.load_der_x509_certificate(row.der)) for row in rows]


def find_issuer(session: Session, certificate: x509.Certificate) -> Anchor | None:
    """The active anchor that issued ``certificate`` (name and signature), if any."""
    for anchor in active_anchors(session):
        if anchor.certificate.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(anchor.certificate)
        except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
            continue  # same name, other key: e.g. a forged CA, or the other J-LIS generation
        return anchor
    return None


def find_crl_issuer(session: Session, crl: x509.CertificateRevocationList) -> Anchor | None:
    """The active anchor whose name is the CRL's issuer and whose key signed it."""
    for anchor in active_anchors(session):
        if anchor.certificate.subject != crl.issuer:
            continue
        try:
            if crl.is_signature_valid(anchor.certificate.public_key()):  # type: ignore[arg-type]
                return anchor
        except (UnsupportedAlgorithm, ValueError, TypeError):
            continue
    return None


def add_anchor(
    session: Session, certificate: x509.Certificate, *, demo: bool = False
) -> tuple[TrustAnchor, str]:
    """Trust ``certificate``; return the row and what happened (added / re-trusted / kept).
    ``demo`` marks the demo's test CA (``mykey-platform doctor`` reports it)."""
    if not is_ca(certificate):
        raise OperatorError(
            "not a CA certificate (basicConstraints cA is not set): refusing to trust it"
        )
    body = der(certificate)
    existing = session.scalar(
        select(TrustAnchor).where(TrustAnchor.fingerprint == fingerprint(body))
    )
    if existing is not None:
        if existing.retired_at is None:
            return existing, "already trusted"
        existing.retired_at = None
        return existing, "trusted again"
    row = TrustAnchor(
        fingerprint=fingerprint(body),
        subject=certificate.subject.rfc4514_string(),
        der=body,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        builtin=False,
        demo=demo,
    )
    session.add(row)
    session.flush()
    return row, "trusted"


def demo_anchors(session: Session) -> list[TrustAnchor]:
    """The trusted anchors that are the demo's test CA."""
    query = select(TrustAnchor).where(TrustAnchor.demo, TrustAnchor.retired_at.is_(None))
    return list(session.scalars(query).all())


def list_anchors(session: Session) -> list[TrustAnchor]:
    return list(session.scalars(select(TrustAnchor).order_by(TrustAnchor.added_at)).all())


def retire_anchor(session: Session, fingerprint_text: str) -> TrustAnchor:
    """Stop trusting the anchor; certificates it issued are refused from now on."""
    wanted = normalise_fingerprint(fingerprint_text)
    row = session.scalar(select(TrustAnchor).where(TrustAnchor.fingerprint == wanted))
    if row is None:
        raise OperatorError(f"no trust anchor with fingerprint {wanted}")
    if row.retired_at is None:
        row.retired_at = utcnow()
    return row


def set_revocation_urls(
    session: Session, fingerprint_text: str, *, crl_url: str | None, ocsp_url: str | None
) -> TrustAnchor:
    """Where the anchor publishes its CRL and answers OCSP (``None``: not published)."""
    wanted = normalise_fingerprint(fingerprint_text)
    row = session.scalar(select(TrustAnchor).where(TrustAnchor.fingerprint == wanted))
    if row is None:
        raise OperatorError(f"no trust anchor with fingerprint {wanted}")
    for url in (crl_url, ocsp_url):
        if url is not None and not url.startswith(("http://", "https://")):
            raise OperatorError(f"{url!r} is not an http(s) URL")
    row.crl_url, row.ocsp_url = crl_url, ocsp_url
    return row
