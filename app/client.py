"""HTTP client of the MyKey Platform: every request signed with the terminal's Ed25519 key.

The signing profile (RFC 9421) is the one in :mod:`server.api.schemas`: label
``mykey``, ``alg="ed25519"``, ``keyid`` = terminal id, ``created`` and ``nonce``,
covering ``@method``, ``@target-uri`` and, when there is a body, ``content-digest``
(sha-256, added by ``http_message_signatures``).  No PIN ever reaches this module.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from types import TracebackType
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from pydantic import BaseModel, RootModel, ValidationError

from app.ports import ErrorKind, TapError
from server.api.schemas import (
    API_PREFIX,
    SIGNATURE_LABEL,
    ApprovalRequest,
    CardOperation,
    CardSession,
    CardSessionRequest,
    ChallengeRequest,
    ChallengeResponse,
    EnrollRequest,
    ErrorBody,
    ErrorCode,
    Grant,
    GrantRequestBody,
    HealthResponse,
    LinkConfirmRequest,
    LinkConfirmResult,
    LookupRequest,
    LookupResult,
    Payment,
    PaymentRequest,
    PointsScope,
    RedeemRequest,
    Redemption,
    Refund,
    RefundRequest,
    RegistrationTicket,
    RegistrationTicketRequest,
    ResolveRequest,
    RevocationHealth,
    TerminalInfo,
    VoucherInfo,
    VoucherRequest,
    derived_from,
)

PATH_HEALTH = f"{API_PREFIX}/health"
PATH_HEALTH_REVOCATION = f"{API_PREFIX}/health/revocation"
PATH_ENROLL = f"{API_PREFIX}/terminals/enroll"
PATH_TERMINAL = f"{API_PREFIX}/terminal"
PATH_CHALLENGE = f"{API_PREFIX}/challenges"
PATH_LOOKUP = f"{API_PREFIX}/lookups"
PATH_REGISTRATION_TICKET = f"{API_PREFIX}/registration-tickets"
PATH_PASSWORD_RESET_TICKET = f"{API_PREFIX}/password-reset-tickets"
PATH_LINK_CONFIRMATIONS = f"{API_PREFIX}/link-confirmations"
PATH_POINTS_SCOPE = f"{API_PREFIX}/terminal/points"
PATH_CARD_SESSIONS = f"{API_PREFIX}/card-sessions"
PATH_PAYMENTS = f"{API_PREFIX}/payments"
PATH_GRANTS = f"{API_PREFIX}/grants"
PATH_VOUCHERS = f"{API_PREFIX}/vouchers"
PATH_REDEEM = f"{API_PREFIX}/vouchers/redeem"
COVERED = ("@method", "@target-uri")
USER_AGENT = "mykey-counter/0.1"

#: error codes of the platform → the counter's error screens; the rest → PLATFORM_ERROR
ERROR_KINDS: dict[ErrorCode, ErrorKind] = {
    ErrorCode.TERMINAL_UNKNOWN: ErrorKind.NOT_ENROLLED,
    ErrorCode.TERMINAL_SIGNATURE_INVALID: ErrorKind.NOT_ENROLLED,
    ErrorCode.NOT_REGISTERED: ErrorKind.NOT_REGISTERED,
    ErrorCode.SERVICE_NOT_LINKED: ErrorKind.NOT_REGISTERED,
    ErrorCode.CERTIFICATE_REVOKED: ErrorKind.CERTIFICATE_REVOKED,
    ErrorCode.CERTIFICATE_EXPIRED: ErrorKind.CERTIFICATE_EXPIRED,
    ErrorCode.CERTIFICATE_NOT_YET_VALID: ErrorKind.CERTIFICATE_EXPIRED,
    ErrorCode.CERTIFICATE_UNTRUSTED: ErrorKind.CERTIFICATE_UNTRUSTED,
    ErrorCode.CERTIFICATE_MALFORMED: ErrorKind.CERTIFICATE_UNTRUSTED,
    ErrorCode.CARD_SIGNATURE_INVALID: ErrorKind.CERTIFICATE_UNTRUSTED,
    ErrorCode.CERTIFICATE_RETIRED: ErrorKind.CERTIFICATE_RETIRED,
    ErrorCode.LABEL_LIMIT_REACHED: ErrorKind.LABEL_LIMIT_REACHED,
    ErrorCode.RATE_LIMITED: ErrorKind.RATE_LIMITED,
    ErrorCode.LINK_UNCONFIRMED: ErrorKind.LINK_UNCONFIRMED,
    ErrorCode.SERVICE_ID_TAKEN: ErrorKind.SERVICE_ID_TAKEN,
    ErrorCode.LINK_MISMATCH: ErrorKind.LINK_MISMATCH,
    ErrorCode.REVOCATION_UNKNOWN: ErrorKind.REVOCATION_UNKNOWN,
    ErrorCode.DATABASE_UNAVAILABLE: ErrorKind.PLATFORM_UNREACHABLE,
}
#: the platform's ``ErrorCode.LABEL_LIMIT_REACHED``, by value: it is matched even where
#: the wire schema in use does not know it yet
LABEL_LIMIT_REACHED_CODE = "label_limit_reached"
#: error codes by value (the label limit included)
ERROR_KINDS_BY_VALUE: dict[str, ErrorKind] = {
    **{code.value: kind for code, kind in ERROR_KINDS.items()},
    LABEL_LIMIT_REACHED_CODE: ErrorKind.LABEL_LIMIT_REACHED,
}
#: HTTP statuses that mean "a proxy could not reach the platform" when no ErrorBody comes
_GATEWAY_STATUSES = frozenset({502, 503, 504})

M = TypeVar("M", bound=BaseModel)


class GrantList(RootModel[list[Grant]]):
    """The answer of ``GET /v1/grants``."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key, standard base64 (``EnrollRequest.public_key``)."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(raw)


class PlatformRefusal(TapError):
    """The platform answered with an error body: ``code`` (an ``ErrorCode`` value) and the
    HTTP ``status`` say which, ``message`` is the body's text (``detail`` shows both); a
    4xx is a definite answer (the points outbox relies on it)."""

    code: str

    def __init__(self, kind: ErrorKind, *, code: str, message: str, status: int) -> None:
        super().__init__(kind, f"{code}: {message}", code=code)
        self.message = message
        self.status = status


def error_from_response(response: httpx.Response) -> TapError:
    """Map a 4xx/5xx answer to the :class:`TapError` the counter shows."""
    status = response.status_code
    try:
        body = ErrorBody.model_validate_json(response.content)
    except ValidationError:
        code, message = _raw_error(response)
        if code == LABEL_LIMIT_REACHED_CODE:
            return PlatformRefusal(
                ErrorKind.LABEL_LIMIT_REACHED, code=code, message=message, status=status
            )
        if status in _GATEWAY_STATUSES:
            return TapError(ErrorKind.PLATFORM_UNREACHABLE, f"HTTP {status} from a gateway")
        if code is not None:
            return PlatformRefusal(
                ErrorKind.PLATFORM_ERROR, code=code, message=message, status=status
            )
        return TapError(ErrorKind.PLATFORM_ERROR, f"HTTP {status}")
    code = str(body.error.value)
    kind = ERROR_KINDS_BY_VALUE.get(code, ErrorKind.PLATFORM_ERROR)
    return PlatformRefusal(kind, code=code, message=body.message, status=status)


def _raw_error(response: httpx.Response) -> tuple[str | None, str]:
    """``(error, message)`` of a JSON error body the schema did not accept, if any."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return None, ""
    if not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return None, ""
    return data["error"], str(data.get("message", ""))


def _send(http: httpx.Client, request: httpx.Request) -> httpx.Response:
    try:
        return http.send(request)
    except httpx.UnsupportedProtocol as e:
        raise TapError(ErrorKind.PLATFORM_ERROR, f"bad server_url: {e}") from None
    except httpx.TransportError as e:  # refused, DNS, timeouts, resets, proxies
        reason = str(e) or type(e).__name__
        raise TapError(ErrorKind.PLATFORM_UNREACHABLE, f"{request.url.host}: {reason}") from None


def _parse(response: httpx.Response, model: type[M]) -> M:
    if response.status_code >= 400:
        raise error_from_response(response)
    try:
        return model.model_validate_json(response.content)
    except ValidationError as e:
        raise TapError(
            ErrorKind.PLATFORM_ERROR,
            f"unexpected answer from the platform ({e.error_count()} errors)",
        ) from None


def fetch_health(
    base_url: str, *, timeout_s: float = 10.0, transport: httpx.BaseTransport | None = None
) -> HealthResponse:
    """``GET /v1/health`` and ``GET /v1/health/revocation`` without a terminal key
    (unsigned, as the platform allows): reachability, clock, version, revocation."""
    with httpx.Client(
        timeout=httpx.Timeout(timeout_s),
        transport=transport,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    ) as http:
        request = http.build_request("GET", base_url.rstrip("/") + PATH_HEALTH)
        health = _parse(_send(http, request), HealthResponse)
        request = http.build_request("GET", base_url.rstrip("/") + PATH_HEALTH_REVOCATION)
        answer = _send(http, request)
        if answer.status_code == 404:  # a platform that does not report it
            return health
        revocation = _parse(answer, RevocationHealth).revocation
        return health.model_copy(update={"revocation": revocation})


class PlatformClient:
    """Synchronous, signed client of one platform for one enrolled terminal."""

    def __init__(
        self,
        base_url: str,
        terminal_id: str,
        private_key: Ed25519PrivateKey,
        timeout_s: float = 10.0,
        *,
        transport: httpx.BaseTransport | None = None,
        label: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: lookups ask for a same-day label (the terminal's delivery includes "label"):
        #: the platform records it and enforces the service's per-card daily limit
        self.label = label
        self.terminal_id = terminal_id
        self._signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(
                public_keys={terminal_id: private_key.public_key()},
                private_keys={terminal_id: private_key},
            ),
        )
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,  # a redirect would change @target-uri
        )

    # context manager --------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # requests ---------------------------------------------------------------------------
    def build_request(
        self,
        method: str,
        path: str,
        body: BaseModel | dict[str, Any] | None = None,
        *,
        signed: bool = True,
    ) -> httpx.Request:
        """A request for ``path`` with its ``Signature-Input`` / ``Signature`` headers."""
        content: bytes | None = None
        if isinstance(body, BaseModel):
            content = body.model_dump_json().encode("utf-8")
        elif body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"} if content is not None else {}
        request = self._http.build_request(
            method, self.base_url + path, content=content, headers=headers
        )
        if not signed:
            return request
        self._signer.sign(
            request,
            key_id=self.terminal_id,
            created=dt.datetime.now(dt.UTC),
            nonce=secrets.token_urlsafe(16),
            label=SIGNATURE_LABEL,
            covered_component_ids=COVERED,
            body=content,
        )
        return request

    def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        body: BaseModel | dict[str, Any] | None = None,
        *,
        signed: bool = True,
    ) -> M:
        request = self.build_request(method, path, body, signed=signed)
        return _parse(_send(self._http, request), model)

    def health(self) -> HealthResponse:
        """``GET /v1/health`` (unsigned): reachability, server clock and version."""
        return self._call("GET", PATH_HEALTH, HealthResponse, signed=False)

    def terminal_info(self) -> TerminalInfo:
        """``GET /v1/terminal``: who the platform thinks this terminal is."""
        return self._call("GET", PATH_TERMINAL, TerminalInfo)

    def challenge(self) -> ChallengeResponse:
        """``POST /v1/challenges``: a one-time challenge for the card to sign."""
        return self._call("POST", PATH_CHALLENGE, ChallengeResponse)

    def operation_challenge(self, operation: CardOperation) -> ChallengeResponse:
        """``POST /v1/challenges`` for a points ``operation``: a challenge derived from it,
        checked to be so before the card signs it (a platform error otherwise)."""
        answer = self._call(
            "POST", PATH_CHALLENGE, ChallengeResponse, ChallengeRequest(operation=operation)
        )
        try:
            raw = base64.b64decode(answer.challenge, validate=True)
            nonce = base64.b64decode(answer.nonce or "", validate=True)
        except ValueError:
            raw = nonce = b""
        if not derived_from(raw, nonce, answer.operation, operation):
            raise TapError(
                ErrorKind.PLATFORM_ERROR,
                "the platform's challenge is not derived from this operation: not signed",
            )
        return answer

    def lookup(self, challenge_id: str, certificate_der: bytes, signature: bytes) -> LookupResult:
        """``POST /v1/lookups``: certificate + card signature → the holder's service ID."""
        return self._call(
            "POST",
            PATH_LOOKUP,
            LookupResult,
            self.lookup_body(challenge_id, certificate_der, signature),
        )

    def confirm_link(
        self, challenge_id: str, certificate_der: bytes, signature: bytes, service_id: str
    ) -> LinkConfirmResult:
        """``POST /v1/link-confirmations``: the card's proof and the service ID staff read
        off the service's own card → the holder's link, confirmed."""
        body = LinkConfirmRequest(
            challenge_id=challenge_id,
            certificate=_b64(certificate_der),
            signature=_b64(signature),
            service_id=service_id,
        )
        return self._call("POST", PATH_LINK_CONFIRMATIONS, LinkConfirmResult, body)

    def registration_ticket(
        self,
        challenge_id: str,
        certificate_der: bytes,
        signature: bytes,
        old_card: tuple[bytes, bytes] | None = None,
    ) -> RegistrationTicket:
        """``POST /v1/registration-tickets``: the card's proof → a one-time portal link to
        register a MyKey ID (``already_registered`` → TapError PLATFORM_ERROR).
        ``old_card``: the old card's certificate and signature over the same challenge,
        the proof that binds a renewed card to the old one's MyKey ID."""
        body = RegistrationTicketRequest(
            challenge_id=challenge_id,
            certificate=_b64(certificate_der),
            signature=_b64(signature),
            old_certificate=_b64(old_card[0]) if old_card else None,
            old_signature=_b64(old_card[1]) if old_card else None,
        )
        return self._call("POST", PATH_REGISTRATION_TICKET, RegistrationTicket, body)

    def password_reset_ticket(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> RegistrationTicket:
        """``POST /v1/password-reset-tickets``: the card's proof → a one-time portal link
        to reset the My Page password of the card's MyKey ID (``not_registered`` →
        TapError PLATFORM_ERROR)."""
        body = RegistrationTicketRequest(
            challenge_id=challenge_id, certificate=_b64(certificate_der), signature=_b64(signature)
        )
        return self._call("POST", PATH_PASSWORD_RESET_TICKET, RegistrationTicket, body)

    def lookup_body(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> dict[str, Any]:
        """The lookup request as JSON; ``label: true`` only when the terminal prints labels
        (a terminal without labels sends what it always sent). Checked by the schema, which
        may or may not know ``label`` yet."""
        fields: dict[str, Any] = {
            "challenge_id": challenge_id,
            "certificate": _b64(certificate_der),
            "signature": _b64(signature),
        }
        if "label" in LookupRequest.model_fields:
            fields["label"] = self.label
        body = LookupRequest(**fields).model_dump(mode="json", exclude_defaults=True)
        if self.label:
            body["label"] = True
        return body

    # the points ledger ------------------------------------------------------------------
    # Requests that create or resolve a transfer carry the terminal's own ``id``; sending
    # one again returns the first result (see app.points.outbox).

    def points_scope(self) -> PointsScope:
        """``GET /v1/terminal/points``: this terminal's points modes, shop or municipality."""
        return self._call("GET", PATH_POINTS_SCOPE, PointsScope)

    def card_session(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> CardSession:
        """``POST /v1/card-sessions``: a card proof → a short session and the balances."""
        body = CardSessionRequest(
            challenge_id=challenge_id, certificate=_b64(certificate_der), signature=_b64(signature)
        )
        return self._call("POST", PATH_CARD_SESSIONS, CardSession, body)

    def create_payment(self, request: PaymentRequest) -> Payment:
        """``POST /v1/payments``: hold points at this shop (status "held")."""
        return self._call("POST", PATH_PAYMENTS, Payment, request)

    def post_payment(self, payment_id: str, request: ResolveRequest) -> Payment:
        """``POST /v1/payments/{id}/post``: take the held points."""
        return self._call("POST", f"{PATH_PAYMENTS}/{payment_id}/post", Payment, request)

    def void_payment(self, payment_id: str, request: ResolveRequest) -> Payment:
        """``POST /v1/payments/{id}/void``: release the held points."""
        return self._call("POST", f"{PATH_PAYMENTS}/{payment_id}/void", Payment, request)

    def refund_payment(self, payment_id: str, request: RefundRequest) -> Refund:
        """``POST /v1/payments/{id}/refunds``: give (part of) a posted payment back."""
        return self._call("POST", f"{PATH_PAYMENTS}/{payment_id}/refunds", Refund, request)

    def create_grant(self, request: GrantRequestBody) -> Grant:
        """``POST /v1/grants``: administrative points (granted, or awaiting approval)."""
        return self._call("POST", PATH_GRANTS, Grant, request)

    def awaiting_grants(self) -> list[Grant]:
        """``GET /v1/grants?status=awaiting_approval`` of this terminal's municipality."""
        grants = self._call("GET", f"{PATH_GRANTS}?status=awaiting_approval", GrantList)
        return list(grants.root)

    def decide_grant(self, grant_id: str, request: ApprovalRequest) -> Grant:
        """``POST /v1/grants/{id}/decision``: a second staff member approves or rejects."""
        return self._call("POST", f"{PATH_GRANTS}/{grant_id}/decision", Grant, request)

    def issue_voucher(self, request: VoucherRequest) -> VoucherInfo:
        """``POST /v1/vouchers``: a dated voucher from the holder's points."""
        return self._call("POST", PATH_VOUCHERS, VoucherInfo, request)

    def redeem_voucher(self, request: RedeemRequest) -> Redemption:
        """``POST /v1/vouchers/redeem``: use a voucher once at this shop."""
        return self._call("POST", PATH_REDEEM, Redemption, request)

    # enrollment (unsigned) --------------------------------------------------------------
    @staticmethod
    def enroll(
        base_url: str,
        code: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> tuple[str, Ed25519PrivateKey, TerminalInfo]:
        """Make a new key and enroll it with a one-time code; return id, key, terminal info."""
        key = Ed25519PrivateKey.generate()
        try:
            body = EnrollRequest(code=code, public_key=public_key_b64(key))
        except ValidationError:
            raise TapError(
                ErrorKind.PLATFORM_ERROR, "the enrollment code must be 4 to 64 characters"
            ) from None
        with httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        ) as http:
            request = http.build_request(
                "POST",
                base_url.rstrip("/") + PATH_ENROLL,
                content=body.model_dump_json().encode("utf-8"),
                headers={"Content-Type": "application/json"},
            )
            info = _parse(_send(http, request), TerminalInfo)
        return info.terminal_id, key, info
