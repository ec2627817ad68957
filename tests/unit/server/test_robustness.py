"""Arbitrary input never makes the platform fail with 5xx or an unexpected exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.api.schemas import ErrorCode
from server.errors import PlatformError
from server.identity.certificates import parse_certificate
from tests.unit.server.conftest import Library
from tests.unit.server.signing import sign_headers

_fixture_ok = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_parse_or_are_malformed(data: bytes) -> None:
    try:
        parse_certificate(data)
    except PlatformError as error:
        assert error.code == ErrorCode.CERTIFICATE_MALFORMED


@_fixture_ok
@given(signature_input=st.text(max_size=200), signature=st.text(max_size=200))
def test_any_signature_headers_are_refused_cleanly(
    library: Library, signature_input: str, signature: str
) -> None:
    headers = {"Signature-Input": signature_input, "Signature": signature}
    try:
        response = library.world.client.get("/v1/terminal", headers=headers)
    except UnicodeEncodeError:
        return  # httpx cannot send non-Latin-1 header values at all
    assert response.status_code == 401
    assert response.json()["error"] in {"terminal_signature_invalid", "terminal_unknown"}


@_fixture_ok
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(["challenge_id", "certificate", "signature", "x"]),
            st.one_of(st.text(max_size=80), st.integers(), st.none(), st.booleans()),
        ).map(lambda d: json.dumps(d).encode()),
    )
)
def test_any_signed_lookup_body_is_an_error_body(library: Library, body: bytes) -> None:
    desk = library.desk
    url = desk.base_url + "/v1/lookups"
    headers = sign_headers("POST", url, key_id=desk.terminal_id, key=desk.key, body=body)
    headers["Content-Type"] = "application/json"
    response = library.world.client.post("/v1/lookups", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"error", "message"}


@pytest.mark.parametrize("path", ["/v1/terminals/enroll", "/v1/lookups", "/v1/challenges"])
def test_non_json_content_types(library: Library, path: str) -> None:
    response = library.world.client.post(
        path, content=b"code=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error", "message"}
