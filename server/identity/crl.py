"""Import of certificate revocation lists published by the CA (J-LIS)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import OperatorError
from server.identity.models import Crl, RevokedCertificate
from server.identity.trust import find_crl_issuer
from server.identity.x509util import fingerprint, load_crl, serial_hex


@dataclass(frozen=True)
class CrlImport:
    """What an import did, for the operator."""

    crl: Crl
    anchor_fingerprint: str
    new_serials: int
    already_imported: bool


def import_crl(session: Session, data: bytes) -> CrlImport:
    """Verify the CRL's signature against a trusted anchor and record its revoked serials."""
    try:
        crl = load_crl(data)
    except ValueError as error:
        raise OperatorError(f"not a CRL in DER or PEM form: {error}") from error
    anchor = find_crl_issuer(session, crl)
    if anchor is None:
        raise OperatorError(
            f"refused: the CRL's signature does not verify against any trusted anchor "
            f"(issuer {crl.issuer.rfc4514_string()}); add the CA with `ca add` first"
        )
    body = crl.public_bytes(Encoding.DER)
    existing = session.scalar(select(Crl).where(Crl.fingerprint == fingerprint(body)))
    if existing is not None:
        return CrlImport(existing, anchor.row.fingerprint, 0, already_imported=True)
    row = Crl(
        anchor_id=anchor.row.id,
        fingerprint=fingerprint(body),
        issuer=crl.issuer.rfc4514_string(),
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
        crl_number=_crl_number(crl),
        revoked_count=len(crl),
    )
    session.add(row)
    session.flush()
    known = set(
        session.scalars(
            select(RevokedCertificate.serial).where(RevokedCertificate.anchor_id == anchor.row.id)
        )
    )
    new: dict[str, RevokedCertificate] = {}
    for entry in crl:
        serial = serial_hex(entry.serial_number)
        if serial not in known and serial not in new:
            new[serial] = RevokedCertificate(
                anchor_id=anchor.row.id,
                serial=serial,
                revoked_at=entry.revocation_date_utc,
                crl_id=row.id,
            )
    session.add_all(new.values())
    return CrlImport(row, anchor.row.fingerprint, len(new), already_imported=False)


def _crl_number(crl: x509.CertificateRevocationList) -> str | None:
    try:
        return str(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
    except x509.ExtensionNotFound:
        return None
