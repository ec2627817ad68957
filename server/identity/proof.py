"""The card's proof: a one-time challenge of this terminal, signed by a trusted card.

Every operation that starts with a card tap (a lookup, a points session at a shop, a
grant, a voucher, a portal registration ticket) sends a :class:`CardProof` and calls
:func:`prove_card` inside its own transaction.  A challenge allows exactly one attempt:
once the request is known to come from the challenge's own terminal within its
lifetime, the challenge is spent — by a success or by any failure — in the transaction
that decides the answer, so the caller must *commit* even when this raises (see
:func:`server.identity.lookup.lookup` for the pattern).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.api.schemas import ErrorCode
from server.errors import PlatformError
from server.identity.certificates import (
    VerifiedCertificate,
    verify_card_signature,
    verify_certificate,
)
from server.identity.models import CertificateBinding
from server.identity.mykey import binding_of
from server.terminals.challenges import consume
from server.terminals.models import Challenge, Terminal


@dataclass(frozen=True)
class CardProof:
    """What the terminal sends: the challenge it asked for, the card's certificate and
    signature (both decoded from base64 by :func:`decode_proof`)."""

    challenge_id: uuid.UUID | None
    certificate_der: bytes
    signature: bytes


@dataclass(frozen=True)
class ProvenCard:
    """A card that proved itself: its verified certificate, and its MyKey ID binding
    (``None`` when the certificate is not registered)."""

    verified: VerifiedCertificate
    binding: CertificateBinding | None

    def registered(self) -> CertificateBinding:
        """The binding, or ``not_registered``."""
        if self.binding is None:
            raise PlatformError(
                ErrorCode.NOT_REGISTERED, "this card's certificate is not registered to a MyKey ID"
            )
        return self.binding


def decode_b64(field: str, text: str) -> bytes:
    """``text`` decoded from base64, or ``malformed`` naming ``field``."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise PlatformError(ErrorCode.MALFORMED, f"{field} is not valid base64") from error


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def decode_proof(challenge_id: str, certificate: str, signature: str) -> CardProof:
    """The proof from its wire form, or ``malformed`` (an unparsable challenge id is
    kept as ``None``: it is reported as an unknown challenge)."""
    der = decode_b64("certificate", certificate)
    return CardProof(_uuid(challenge_id), der, decode_b64("signature", signature))


def prove_card(
    session: Session, terminal: Terminal, proof: CardProof, now: dt.datetime
) -> ProvenCard:
    """Check the proof, spending the challenge; raise the first failed check.

    Order: challenge exists → belongs to this terminal → not expired → certificate
    parses → chains to a pinned anchor → valid now → not revoked → card signature →
    challenge not used before (spent now) → the binding, if any, is not retired (a
    renewed card replaced it: ``certificate_retired``).
    """
    challenge = session.get(Challenge, proof.challenge_id) if proof.challenge_id else None
    if challenge is None:
        raise PlatformError(ErrorCode.CHALLENGE_UNKNOWN, "no such challenge")
    if challenge.terminal_pk != terminal.id:
        raise PlatformError(
            ErrorCode.CHALLENGE_WRONG_TERMINAL, "the challenge was issued to another terminal"
        )
    if now >= challenge.expires_at:
        raise PlatformError(ErrorCode.CHALLENGE_EXPIRED, "the challenge expired: ask for a new one")
    try:
        verified = verify_certificate(session, proof.certificate_der, now)
        verify_card_signature(verified.certificate, challenge.value, proof.signature)
    except PlatformError:
        consume(session, challenge.id, now)  # one attempt per challenge, failed or not
        raise
    if not consume(session, challenge.id, now):
        raise PlatformError(
            ErrorCode.CHALLENGE_USED, "the challenge was already used: ask for a new one"
        )
    binding = binding_of(session, verified.fingerprint)
    if binding is not None and not binding.live:
        raise PlatformError(
            ErrorCode.CERTIFICATE_RETIRED,
            "this card was replaced by a renewed card bound to the same MyKey ID: "
            "use the new card",
        )
    return ProvenCard(verified, binding)
