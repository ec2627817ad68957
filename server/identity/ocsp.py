"""OCSP (RFC 6960): ask the anchor's responder about one certificate, trust only a
verified, current answer, and keep it until its ``nextUpdate``.

An answer is used only when it is signed by the anchor itself or by a responder
certificate the anchor issued with extended key usage id-kp-OCSPSigning (valid now),
names the certificate asked about (serial and issuer key hash), and is current
(``thisUpdate`` not in the future, a ``nextUpdate`` still ahead).  A nonce is sent;
an answer that carries one must carry ours (responders that cache their answers send
none).  Anything else — unreachable, unsuccessful, another signer, stale, ``unknown`` —
gives no answer, and the caller falls back to the CRL.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.identity.models import OcspResponse
from server.identity.trust import Anchor
from server.identity.x509util import serial_hex

log = logging.getLogger(__name__)

#: clock difference tolerated between the responder and the platform
CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_RESPONSE_BYTES = 64 * 1024
CONTENT_TYPE = "application/ocsp-request"


class OcspFailure(Exception):
    """No usable answer; the message says why (for the log and the health report)."""


@dataclass(frozen=True)
class OcspAnswer:
    """A verified, current answer: ``good``, ``revoked`` or ``unknown``."""

    status: str
    this_update: dt.datetime
    next_update: dt.datetime
    revoked_at: dt.datetime | None = None


def build_request(certificate: x509.Certificate, issuer: x509.Certificate) -> tuple[bytes, bytes]:
    """The DER request for ``certificate`` and the nonce it carries."""
    nonce = os.urandom(16)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer, hashes.SHA1())  # noqa: S303 (CertID, RFC 6960)
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
    )
    return request.public_bytes(serialization.Encoding.DER), nonce


def fetch(url: str, request: bytes, timeout_s: float) -> bytes:
    """POST the request to the responder; the body of its answer."""
    try:
        response = httpx.post(
            url, content=request, headers={"Content-Type": CONTENT_TYPE}, timeout=timeout_s
        )
    except httpx.HTTPError as error:
        raise OcspFailure(f"responder unreachable: {type(error).__name__}: {error}") from error
    if response.status_code != 200:
        raise OcspFailure(f"responder answered HTTP {response.status_code}")
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise OcspFailure("responder's answer is too large")
    return response.content


def verify_response(
    der: bytes,
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    now: dt.datetime,
    nonce: bytes | None = None,
) -> OcspAnswer:
    """The answer in ``der`` about ``certificate``, or :class:`OcspFailure`."""
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as error:
        raise OcspFailure(f"not an OCSP response: {error}") from error
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspFailure(f"responder refused: {response.response_status.name}")
    _check_signature(response, issuer, now)
    _check_nonce(response, nonce)
    single = _single_for(response, certificate, issuer)
    this_update, next_update = single.this_update_utc, single.next_update_utc
    if next_update is None:
        raise OcspFailure("the answer has no nextUpdate: it cannot be known current")
    if this_update > now + CLOCK_SKEW:
        raise OcspFailure(f"the answer is dated in the future ({this_update:%Y-%m-%d %H:%M})")
    if next_update <= now:
        raise OcspFailure(f"the answer is stale: its next update was {next_update:%Y-%m-%d %H:%M}")
    status = single.certificate_status
    if status is ocsp.OCSPCertStatus.REVOKED:
        return OcspAnswer("revoked", this_update, next_update, single.revocation_time_utc)
    if status is ocsp.OCSPCertStatus.GOOD:
        return OcspAnswer("good", this_update, next_update)
    return OcspAnswer("unknown", this_update, next_update)


def _key_hash(certificate: x509.Certificate) -> bytes:
    return x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest


def _responder_candidates(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, now: dt.datetime
) -> list[x509.Certificate]:
    """The anchor, and every delegated OCSP signer the anchor issued that is valid now."""
    candidates = [issuer]
    for delegate in response.certificates:
        try:
            delegate.verify_directly_issued_by(issuer)
            usage = delegate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
            continue
        except x509.ExtensionNotFound:
            continue
        valid = delegate.not_valid_before_utc <= now <= delegate.not_valid_after_utc
        if ExtendedKeyUsageOID.OCSP_SIGNING in usage and valid:
            candidates.append(delegate)
    return candidates


def _check_signature(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, now: dt.datetime
) -> None:
    for signer in _responder_candidates(response, issuer, now):
        named = (
            response.responder_name == signer.subject
            if response.responder_name is not None
            else response.responder_key_hash == _key_hash(signer)
        )
        if named and _signature_valid(response, signer):
            return
    raise OcspFailure("the answer is not signed by the anchor or a responder it delegated")


def _signature_valid(response: ocsp.OCSPResponse, signer: x509.Certificate) -> bool:
    key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    if algorithm is None:
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return True


def _check_nonce(response: ocsp.OCSPResponse, nonce: bytes | None) -> None:
    try:
        got = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return  # optional: a responder that caches its answers sends none
    if nonce is not None and got != nonce:
        raise OcspFailure("the answer's nonce is not the request's (a replayed answer)")


def _single_for(
    response: ocsp.OCSPResponse, certificate: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse:
    """The single answer about ``certificate`` (SHA-1 CertIDs only: what is asked)."""
    name_hash = hashes.Hash(hashes.SHA1())  # noqa: S303 (CertID, RFC 6960)
    name_hash.update(issuer.subject.public_bytes())
    wanted_name = name_hash.finalize()
    for single in response.responses:
        if (
            isinstance(single.hash_algorithm, hashes.SHA1)
            and single.serial_number == certificate.serial_number
            and single.issuer_key_hash == _key_hash(issuer)
            and single.issuer_name_hash == wanted_name
        ):
            return single
    raise OcspFailure("the answer is about another certificate")


def current_status(
    session: Session,
    anchor: Anchor,
    certificate: x509.Certificate,
    now: dt.datetime,
    timeout_s: float,
) -> OcspResponse | None:
    """A cached or newly fetched verified answer (``good`` or ``revoked``) about
    ``certificate``, or ``None`` when the responder gave none; records the exchange on
    the anchor (for ``/v1/health``).  Network I/O: the caller's transaction stays open."""
    url = anchor.row.ocsp_url
    if not url:
        return None
    serial = serial_hex(certificate.serial_number)
    cached = session.scalar(
        select(OcspResponse).where(
            OcspResponse.anchor_id == anchor.row.id, OcspResponse.serial == serial
        )
    )
    if cached is not None and now < cached.next_update:
        return cached  # verified when fetched, current until its next update
    request, nonce = build_request(certificate, anchor.certificate)
    try:
        body = fetch(url, request, timeout_s)
        answer = verify_response(body, certificate, anchor.certificate, now, nonce)
    except OcspFailure as error:
        _record(anchor, now, ok=False, error=str(error))
        log.warning("OCSP %s for %s: %s (falling back to the CRL)", url, serial, error)
        return None
    _record(anchor, now, ok=True, error=None)
    if answer.status == "unknown":
        log.warning("OCSP %s does not know %s (falling back to the CRL)", url, serial)
        return None
    if cached is None:
        cached = OcspResponse(anchor_id=anchor.row.id, serial=serial)
        session.add(cached)
    cached.status = answer.status
    cached.revoked_at = answer.revoked_at
    cached.this_update = answer.this_update
    cached.next_update = answer.next_update
    cached.fetched_at = now
    cached.der = body
    session.flush()
    return cached


def _record(anchor: Anchor, now: dt.datetime, *, ok: bool, error: str | None) -> None:
    anchor.row.ocsp_checked_at = now
    anchor.row.ocsp_ok = ok
    anchor.row.ocsp_error = None if error is None else error[:512]
