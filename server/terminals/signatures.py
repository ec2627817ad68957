"""RFC 9421 HTTP Message Signatures on terminal requests.

Profile (shared with the counter's client): label ``mykey``, algorithm ``ed25519``,
``keyid`` = terminal id, ``created`` and ``nonce`` parameters, covering ``@method``,
``@target-uri`` and, for a non-empty body, ``content-digest`` (checked against the body).

``created`` must lie within :data:`~server.api.schemas.SIGNATURE_MAX_AGE_S` of the
server's clock, in either direction (a terminal's clock may run a little fast).  Each
nonce is accepted once per terminal: it is recorded until the signature it came with
could no longer be accepted anyway.

Verification only reads (:meth:`~server.db.Database.read`): a badly signed request never
waits for, nor takes, the write lock.  Only a verified request writes — its nonce and its
terminal's rate-limit count, in one short transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from server.api.schemas import SIGNATURE_LABEL, SIGNATURE_MAX_AGE_S, ErrorCode
from server.db import Database, utcnow
from server.errors import PlatformError
from server.terminals.models import RequestNonce, Terminal
from server.terminals.ratelimit import RateLimits, check_refusals, count_refusal, hit_volume

MAX_AGE = dt.timedelta(seconds=SIGNATURE_MAX_AGE_S)
REQUIRED_COMPONENTS = ("@method", "@target-uri")
MAX_NONCE_LENGTH = 128


class Headers(Protocol):
    """What the verifier reads from headers: every field line, in order."""

    def items(self) -> Iterable[tuple[str, str]]: ...


@dataclass(frozen=True)
class SignedRequest:
    """A request as the signature library sees it (method, absolute URL, headers)."""

    method: str
    url: str
    headers: Headers


class _TerminalKeys(HTTPSignatureKeyResolver):
    """Resolves ``keyid`` to an active terminal's Ed25519 key, remembering what it found."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.terminal: Terminal | None = None
        self.unknown_key_id: str | None = None
        #: a database error met while looking the key up: the signature library would
        #: report it as an invalid signature, so it is raised again after the check
        self.database_error: DBAPIError | None = None

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        try:
            terminal = self.session.get(Terminal, uuid.UUID(key_id))
        except ValueError:
            terminal = None
        except DBAPIError as error:
            self.database_error = error
            raise
        if terminal is None or terminal.revoked_at is not None:
            self.unknown_key_id = key_id
            return None
        self.terminal = terminal
        return Ed25519PublicKey.from_public_bytes(terminal.public_key)

    def resolve_private_key(self, key_id: str) -> None:
        raise NotImplementedError("the platform verifies, it never signs as a terminal")


#: expired nonces are swept on one signed request in this many
NONCE_SWEEP_ONE_IN = 32


def _invalid(reason: str) -> PlatformError:
    return PlatformError(
        ErrorCode.TERMINAL_SIGNATURE_INVALID, f"the request signature is not valid: {reason}"
    )


@dataclass(frozen=True)
class Verified:
    """A request whose signature is good: its terminal, and the nonce still to spend."""

    terminal: Terminal
    nonce: str
    keep_until: dt.datetime


def verify_request(
    session: Session, request: SignedRequest, body: bytes, now: dt.datetime
) -> Verified:
    """Verify the signature and its freshness (reads only); the nonce is not spent yet."""
    if not _has_field(request.headers, "signature-input"):
        raise _invalid("the request carries no RFC 9421 signature (Signature-Input, Signature)")
    keys = _TerminalKeys(session)
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=keys)
    # created ∈ [now - MAX_AGE, now + MAX_AGE]: the skew is the window, the age limit 0.
    verifier.max_clock_skew = MAX_AGE
    try:
        results = verifier.verify(
            request, max_age=dt.timedelta(0), require_components=REQUIRED_COMPONENTS, body=body
        )
    except HTTPMessageSignaturesException as error:
        if keys.database_error is not None:
            raise keys.database_error from None  # not the terminal's fault: a 503
        if keys.unknown_key_id is not None:
            raise PlatformError(
                ErrorCode.TERMINAL_UNKNOWN, f"no enrolled terminal {keys.unknown_key_id!r}"
            ) from error
        raise _invalid(str(error) or type(error).__name__) from error
    result = results[0]
    if result.label != SIGNATURE_LABEL:
        raise _invalid(f"the signature label must be {SIGNATURE_LABEL!r}")
    nonce = result.nonce
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise _invalid(f"a nonce of 1 to {MAX_NONCE_LENGTH} characters is required")
    terminal = keys.terminal
    assert terminal is not None  # the key resolved, so the terminal was found
    created = dt.datetime.fromtimestamp(int(result.parameters["created"]), dt.UTC)
    return Verified(terminal, nonce, max(created, now) + 2 * MAX_AGE)


def _has_field(headers: Headers, name: str) -> bool:
    return any(field.lower() == name for field, _value in headers.items())


def spend_nonce(session: Session, verified: Verified, now: dt.datetime) -> None:
    """Spend the nonce: the unique (terminal, nonce) constraint refuses a replay.

    Expired nonces of the terminal are swept now and then (one request in
    :data:`NONCE_SWEEP_ONE_IN`), not on every request: the sweep is a write of its own.
    """
    if secrets.randbelow(NONCE_SWEEP_ONE_IN) == 0:
        session.execute(
            delete(RequestNonce)
            .where(RequestNonce.terminal_pk == verified.terminal.id, RequestNonce.expires_at < now)
            .execution_options(synchronize_session=False)
        )
    session.add(
        RequestNonce(
            terminal_pk=verified.terminal.id, nonce=verified.nonce, expires_at=verified.keep_until
        )
    )
    session.flush()  # IntegrityError on a replay; authenticate() turns it into 401


def authenticate(
    db: Database, limits: RateLimits, request: SignedRequest, body: bytes, address: str
) -> Terminal:
    """The terminal that signed ``request``, or a refusal.

    In order: the client address's refusal limit (a read), the signature (a read), then
    one short write — the terminal's rate-limit count and the nonce.  A refusal writes
    nothing but its count against the address.
    """
    now = utcnow()
    check_refusals(db, limits.address, address, now)
    try:
        verified = db.read(lambda session: verify_request(session, request, body, now))

        def spend(session: Session) -> None:
            hit_volume(session, limits.terminal, str(verified.terminal.id), now)
            spend_nonce(session, verified, now)

        try:
            db.transaction(spend)
        except IntegrityError as error:  # the same nonce, before or concurrently
            raise _invalid("this nonce was already used (a replayed request)") from error
    except PlatformError as error:
        if error.code is not ErrorCode.RATE_LIMITED:
            count_refusal(db, limits.address, address, now)
        raise
    return verified.terminal
