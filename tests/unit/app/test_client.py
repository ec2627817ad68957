from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Callable

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, InvalidSignature, VerifyResult, algorithms
from http_message_signatures.resolvers import HTTPSignatureKeyResolver

from app.client import (
    ERROR_KINDS,
    PATH_CHALLENGE,
    PATH_ENROLL,
    PATH_HEALTH,
    PATH_LOOKUP,
    PATH_TERMINAL,
    PlatformClient,
    PlatformRefusal,
    fetch_health,
)
from app.ports import EXIT_STATUS, ErrorKind, TapError
from server.api.operations import challenge_value
from server.api.schemas import (
    SIGNATURE_LABEL,
    SIGNATURE_MAX_AGE_S,
    BarcodeSpec,
    CardOperation,
    ErrorCode,
    OperationKind,
    ServiceInfo,
    Symbology,
    TerminalInfo,
)

BASE = "http://platform.test:8421"
NOW = dt.datetime.now(dt.UTC)
SERVICE = ServiceInfo(name="lib", display_name="図書館", provider="市",
                      barcode=BarcodeSpec(symbology=Symbology.NW7))
LOOKUP = {"service": "lib", "service_id": "123", "valid": True, "address_changed": False,
          "certificate_expires_soon": True}


class Keys(HTTPSignatureKeyResolver):
    def __init__(self, keys: dict[str, Ed25519PublicKey]) -> None:
        self.keys = keys

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        return self.keys[key_id]


def verifier(key: Ed25519PrivateKey, terminal_id: str = "term-1") -> HTTPMessageVerifier:
    return HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=Keys({terminal_id: key.public_key()})
    )


Handler = Callable[[httpx.Request], httpx.Response]


def client_with(handler: Handler, key: Ed25519PrivateKey | None = None) -> PlatformClient:
    return PlatformClient(BASE, "term-1", key or Ed25519PrivateKey.generate(), 5.0,
                          transport=httpx.MockTransport(handler))


def error(status: int, code: str, message: str = "msg") -> httpx.Response:
    return httpx.Response(status, json={"error": code, "message": message})


# --- signatures --------------------------------------------------------------------------


def verify(request: httpx.Request, key: Ed25519PrivateKey) -> list[VerifyResult]:
    return verifier(key).verify(
        request,
        max_age=dt.timedelta(seconds=SIGNATURE_MAX_AGE_S),
        require_components=("@method", "@target-uri"),
        body=request.content or None,
    )


def test_a_signed_post_verifies_with_the_terminal_key() -> None:
    key = Ed25519PrivateKey.generate()
    client = client_with(lambda r: httpx.Response(200), key)
    request = client.build_request("POST", PATH_LOOKUP, _lookup_body())
    (result,) = verify(request, key)
    assert result.label == SIGNATURE_LABEL
    params = result.parameters
    assert params["keyid"] == "term-1"
    assert params["alg"] == "ed25519"
    assert abs(int(params["created"]) - time.time()) < 60  # signed now, not at import
    assert len(str(params["nonce"])) >= 16
    covered = [c for c in result.covered_components if c != "\"@signature-params\""]
    assert covered == ['"@method"', '"@target-uri"', '"content-digest"']
    assert request.headers["content-digest"].startswith("sha-256=:")
    assert result.covered_components['"@target-uri"'] == f"{BASE}{PATH_LOOKUP}"


def test_a_signed_get_covers_method_and_target_without_digest() -> None:
    key = Ed25519PrivateKey.generate()
    request = client_with(lambda r: httpx.Response(200), key).build_request("GET", PATH_TERMINAL)
    (result,) = verify(request, key)
    assert list(result.covered_components)[:-1] == ['"@method"', '"@target-uri"']
    assert "content-digest" not in request.headers


def test_every_request_gets_a_fresh_nonce() -> None:
    client = client_with(lambda r: httpx.Response(200))
    a = client.build_request("GET", PATH_TERMINAL).headers["signature-input"]
    b = client.build_request("GET", PATH_TERMINAL).headers["signature-input"]
    assert a != b


def _lookup_body():  # type: ignore[no-untyped-def]
    from server.api.schemas import LookupRequest

    return LookupRequest(challenge_id="c1", certificate="AAAA", signature="BBBB")


def _copy(request: httpx.Request, **changes: object) -> httpx.Request:
    args: dict[str, object] = {"method": request.method, "url": request.url,
                               "headers": request.headers, "content": request.content}
    args.update(changes)
    return httpx.Request(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"method": "PUT"},
        {"url": f"{BASE}/v1/lookup?x=1"},
        {"url": f"http://other.test:8421{PATH_LOOKUP}"},
    ],
)
def test_tampered_requests_fail(change: dict[str, object]) -> None:
    key = Ed25519PrivateKey.generate()
    request = client_with(lambda r: httpx.Response(200), key).build_request(
        "POST", PATH_LOOKUP, _lookup_body())
    with pytest.raises(InvalidSignature):
        verify(_copy(request, **change), key)


def test_tampered_body_fails_the_digest() -> None:
    key = Ed25519PrivateKey.generate()
    request = client_with(lambda r: httpx.Response(200), key).build_request(
        "POST", PATH_LOOKUP, _lookup_body())
    forged = request.content.replace(b"c1", b"c2")
    with pytest.raises(InvalidSignature):
        verify(_copy(request, content=forged), key)


def test_another_key_fails() -> None:
    request = client_with(lambda r: httpx.Response(200)).build_request("GET", PATH_TERMINAL)
    with pytest.raises(InvalidSignature):
        verify(request, Ed25519PrivateKey.generate())


def test_requests_on_the_wire_are_signed() -> None:
    key = Ed25519PrivateKey.generate()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if request.url.path == PATH_CHALLENGE:
            return httpx.Response(200, json={
                "challenge_id": "c1", "challenge": base64.b64encode(b"x" * 32).decode(),
                "expires_at": NOW.isoformat()})
        return httpx.Response(200, json=LOOKUP)

    client = client_with(handler, key)
    challenge = client.challenge()
    result = client.lookup(challenge.challenge_id, b"\x30\x82cert", b"sig")
    assert result.service_id == "123" and result.certificate_expires_soon
    assert [r.url.path for r in seen] == [PATH_CHALLENGE, PATH_LOOKUP]
    for request in seen:
        verify(request, key)
    body = json.loads(seen[1].content)
    assert body == {"challenge_id": "c1",
                    "certificate": base64.b64encode(b"\x30\x82cert").decode(),
                    "signature": base64.b64encode(b"sig").decode()}


def test_health_is_unsigned_and_parsed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path in (PATH_HEALTH, PATH_HEALTH + "/revocation")
        assert "signature" not in request.headers
        if request.url.path == PATH_HEALTH:
            return httpx.Response(200, json={"status": "ok", "server_time": NOW.isoformat(),
                                             "version": "1.2"})
        return httpx.Response(404, json={"error": "malformed", "message": "Not Found"})

    assert client_with(handler).health().version == "1.2"
    health = fetch_health(BASE + "/", transport=httpx.MockTransport(handler))
    assert health.server_time == NOW and health.revocation == []  # not reported: no entries


def test_terminal_info() -> None:
    info = TerminalInfo(terminal_id="term-1", name="desk", service=SERVICE, server_time=NOW)
    client = client_with(lambda r: httpx.Response(200, content=info.model_dump_json()))
    assert client.terminal_info() == info


# --- enrollment --------------------------------------------------------------------------


def test_enroll_sends_the_new_public_key() -> None:
    sent: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == PATH_ENROLL
        assert "signature" not in request.headers
        sent.update(json.loads(request.read()))
        info = TerminalInfo(terminal_id="new-id", name="desk", service=SERVICE, server_time=NOW)
        return httpx.Response(201, content=info.model_dump_json())

    terminal_id, key, info = PlatformClient.enroll(
        BASE, "ABCD-1234", transport=httpx.MockTransport(handler))
    assert terminal_id == "new-id" and info.service == SERVICE
    assert sent["code"] == "ABCD-1234"
    from cryptography.hazmat.primitives import serialization

    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    assert base64.b64decode(str(sent["public_key"])) == public


def test_enroll_with_a_bad_code() -> None:
    transport = httpx.MockTransport(lambda r: error(403, "enrollment_code_invalid", "used"))
    with pytest.raises(TapError) as info:
        PlatformClient.enroll(BASE, "ABCD-1234", transport=transport)
    assert info.value.kind is ErrorKind.PLATFORM_ERROR
    assert "used" in info.value.detail
    with pytest.raises(TapError):
        PlatformClient.enroll(BASE, "x", transport=transport)  # too short: not even sent


# --- error mapping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("terminal_unknown", ErrorKind.NOT_ENROLLED),
        ("terminal_signature_invalid", ErrorKind.NOT_ENROLLED),
        ("not_registered", ErrorKind.NOT_REGISTERED),
        ("service_not_linked", ErrorKind.NOT_REGISTERED),
        ("certificate_revoked", ErrorKind.CERTIFICATE_REVOKED),
        ("certificate_expired", ErrorKind.CERTIFICATE_EXPIRED),
        ("certificate_not_yet_valid", ErrorKind.CERTIFICATE_EXPIRED),
        ("certificate_untrusted", ErrorKind.CERTIFICATE_UNTRUSTED),
        ("certificate_malformed", ErrorKind.CERTIFICATE_UNTRUSTED),
        ("card_signature_invalid", ErrorKind.CERTIFICATE_UNTRUSTED),
        ("certificate_retired", ErrorKind.CERTIFICATE_RETIRED),
        ("challenge_expired", ErrorKind.PLATFORM_ERROR),
        ("challenge_used", ErrorKind.PLATFORM_ERROR),
        ("malformed", ErrorKind.PLATFORM_ERROR),
        ("internal", ErrorKind.PLATFORM_ERROR),
        ("label_limit_reached", ErrorKind.LABEL_LIMIT_REACHED),
        ("link_unconfirmed", ErrorKind.LINK_UNCONFIRMED),
        ("service_id_taken", ErrorKind.SERVICE_ID_TAKEN),
        ("link_mismatch", ErrorKind.LINK_MISMATCH),
        ("revocation_unknown", ErrorKind.REVOCATION_UNKNOWN),
    ],
)
def test_error_bodies_map_to_screens(code: str, kind: ErrorKind) -> None:
    client = client_with(lambda r: error(400 if kind is ErrorKind.PLATFORM_ERROR else 403,
                                         code, "server says why"))
    with pytest.raises(TapError) as info:
        client.lookup("c", b"cert", b"sig")
    assert info.value.kind is kind
    assert "server says why" in info.value.detail
    assert info.value.code == code  # the code itself, as data: nobody parses the detail
    assert isinstance(info.value, PlatformRefusal) and info.value.message == "server says why"


def test_the_platforms_message_is_kept_as_it_came() -> None:
    client = client_with(lambda r: error(409, "already_registered", "id: MK-1: bound"))
    with pytest.raises(PlatformRefusal) as info:
        client.registration_ticket("c", b"cert", b"sig")
    assert (info.value.code, info.value.message, info.value.status) == (
        "already_registered", "id: MK-1: bound", 409)


def test_a_renewal_ticket_carries_the_old_cards_proof() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(200, json={"url": "https://p/r", "purpose": "rebind",
                                         "expires_at": "2026-04-01T10:00:00Z"})

    client = client_with(handler)
    assert client.registration_ticket("c", b"new", b"s1", old_card=(b"old", b"s2")).purpose \
        == "rebind"
    body = json.loads(seen[0].content)
    assert (body["old_certificate"], body["old_signature"]) == ("b2xk", "czI=")


def test_errors_without_a_body_carry_no_code() -> None:
    client = client_with(lambda r: httpx.Response(500, content=b"oops"))
    with pytest.raises(TapError) as info:
        client.lookup("c", b"cert", b"sig")
    assert info.value.kind is ErrorKind.PLATFORM_ERROR and info.value.code is None


def test_label_limit_is_recognised_by_its_value_alone() -> None:
    # a body the wire schema does not accept (a schema without the code, or no message)
    client = client_with(lambda r: httpx.Response(429, json={"error": "label_limit_reached"}))
    with pytest.raises(TapError) as info:
        client.lookup("c", b"cert", b"sig")
    assert info.value.kind is ErrorKind.LABEL_LIMIT_REACHED
    assert EXIT_STATUS[ErrorKind.LABEL_LIMIT_REACHED] == 34


@pytest.mark.parametrize("label", [False, True])
def test_lookup_asks_for_a_label_only_when_the_terminal_prints_them(label: bool) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(200, json=LOOKUP)

    key = Ed25519PrivateKey.generate()
    client = PlatformClient(BASE, "term-1", key,
                            transport=httpx.MockTransport(handler), label=label)
    client.lookup("c1", b"cert", b"sig")
    body = json.loads(seen[0].content)
    assert ("label" in body) is label
    if label:
        assert body["label"] is True
    verify(seen[0], key)


def test_every_error_code_has_a_screen() -> None:
    from app.points.errors import ERROR_CODES as POINTS_ERROR_CODES

    # the points ledger's codes have their messages in app.points.errors
    mapped = set(ERROR_KINDS) | {ErrorCode(code) for code in POINTS_ERROR_CODES}
    rest = {ErrorCode.MALFORMED, ErrorCode.ENROLLMENT_CODE_INVALID, ErrorCode.CHALLENGE_UNKNOWN,
            ErrorCode.CHALLENGE_USED, ErrorCode.CHALLENGE_EXPIRED,
            ErrorCode.CHALLENGE_WRONG_TERMINAL, ErrorCode.INTERNAL,
            ErrorCode.SUPPORTER_KEY_INVALID,  # supporter companies' API, not terminals
            ErrorCode.PROVIDER_KEY_INVALID,  # service providers' API, not terminals
            ErrorCode.LINK_UNKNOWN, ErrorCode.LINK_CODE_INVALID}  # providers' API, My Page
    assert mapped | rest == set(ErrorCode)


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (httpx.Response(500, text="<html>oops</html>"), ErrorKind.PLATFORM_ERROR),
        (httpx.Response(404), ErrorKind.PLATFORM_ERROR),
        (httpx.Response(502, text="bad gateway"), ErrorKind.PLATFORM_UNREACHABLE),
        (httpx.Response(503), ErrorKind.PLATFORM_UNREACHABLE),
        (httpx.Response(200, json={"unexpected": True}), ErrorKind.PLATFORM_ERROR),
        (httpx.Response(200, text="not json"), ErrorKind.PLATFORM_ERROR),
    ],
)
def test_odd_answers(response: httpx.Response, kind: ErrorKind) -> None:
    with pytest.raises(TapError) as info:
        client_with(lambda r: response).challenge()
    assert info.value.kind is kind


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("[Errno -2] Name or service not known"),
        httpx.RemoteProtocolError("Server disconnected"),
    ],
)
def test_network_failures_are_unreachable(exc: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(TapError) as info:
        client_with(handler).challenge()
    assert info.value.kind is ErrorKind.PLATFORM_UNREACHABLE
    assert "platform.test" in info.value.detail


def test_a_closed_port_is_unreachable() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connection refused
        client = PlatformClient(f"http://127.0.0.1:{port}", "t", Ed25519PrivateKey.generate(), 2)
        with pytest.raises(TapError) as info:
            client.challenge()
    assert info.value.kind is ErrorKind.PLATFORM_UNREACHABLE


def test_a_bad_scheme_is_a_platform_error() -> None:
    client = PlatformClient("ftp://x", "t", Ed25519PrivateKey.generate())
    with pytest.raises(TapError) as info:
        client.health()
    assert info.value.kind is ErrorKind.PLATFORM_ERROR


def test_redirects_are_not_followed() -> None:
    client = client_with(lambda r: httpx.Response(302, headers={"Location": "http://evil/"}))
    with pytest.raises(TapError) as info:
        client.terminal_info()
    assert info.value.kind is ErrorKind.PLATFORM_ERROR


# --- one tap, one operation ------------------------------------------------------------------

PAY_500 = CardOperation(kind=OperationKind.PAYMENT, points=500)


def operation_answer(
    operation: CardOperation, *, signs: CardOperation | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    """A platform that answers ``operation`` at a shop, its challenge derived from ``signs``
    (by default the same operation)."""
    nonce = b"n" * 32
    placed = operation.at("shop:S1")
    value = challenge_value(nonce, (signs or operation).at("shop:S1"))

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        assert json.loads(request.content) == {"operation": {"kind": "payment", "points": 500,
                                                             "reason": None, "event_code": None,
                                                             "place": None}}
        return httpx.Response(200, json={
            "challenge_id": "ch-1", "challenge": base64.b64encode(value).decode(),
            "expires_at": NOW.isoformat(), "nonce": base64.b64encode(nonce).decode(),
            "operation": placed.model_dump(mode="json")})

    return handler


def test_an_operation_challenge_derived_from_the_operation_is_taken() -> None:
    answer = client_with(operation_answer(PAY_500)).operation_challenge(PAY_500)
    assert answer.challenge_id == "ch-1" and answer.operation == PAY_500.at("shop:S1")


@pytest.mark.parametrize("answered", [
    CardOperation(kind=OperationKind.PAYMENT, points=50_000),  # it answers another amount
    None,  # it says it is for 500, but derived the challenge from 50,000
])
def test_a_challenge_not_derived_from_the_operation_is_never_signed(
    answered: CardOperation | None,
) -> None:
    fifty_thousand = CardOperation(kind=OperationKind.PAYMENT, points=50_000)
    handler = (operation_answer(answered) if answered is not None
               else operation_answer(PAY_500, signs=fifty_thousand))
    with pytest.raises(TapError) as refused:
        client_with(handler).operation_challenge(PAY_500)
    assert refused.value.kind is ErrorKind.PLATFORM_ERROR
    assert "not derived" in refused.value.detail
