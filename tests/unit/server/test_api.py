"""The HTTP surface: health, OpenAPI, and ErrorBody answers for everything that fails."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import APIRouter

from server.api.schemas import HealthResponse
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.helpers import assert_error


def test_health_is_unsigned(inprocess_platform: InProcessPlatform) -> None:
    response = inprocess_platform.client.get("/v1/health")
    assert response.status_code == 200
    health = HealthResponse.model_validate(response.json())
    assert health.status == "ok"
    assert abs(health.server_time - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    assert health.version


def test_openapi_lists_the_endpoints(inprocess_platform: InProcessPlatform) -> None:
    schema = inprocess_platform.client.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/v1/health",
        "/v1/health/revocation",
        "/v1/terminals/enroll",
        "/v1/terminal",
        "/v1/challenges",
        "/v1/lookups",
        "/v1/registration-tickets",
        "/v1/password-reset-tickets",
        "/v1/rebindings",
        "/v1/card-sessions",
        "/v1/terminal/points",
        "/v1/payments",
        "/v1/payments/{payment_id}/post",
        "/v1/payments/{payment_id}/void",
        "/v1/payments/{payment_id}/refunds",
        "/v1/grants",
        "/v1/grants/{grant_id}/decision",
        "/v1/vouchers",
        "/v1/vouchers/redeem",
        "/v1/conversions",
        "/v1/providers/address-changes",
        "/v1/link-confirmations",
        "/v1/providers/pending-links",
        "/v1/providers/pending-links/{link_id}/confirm",
        "/v1/providers/pending-links/{link_id}/reject",
        "/v1/providers/link-codes",
    }
    # the resident portal's HTML pages are not part of the API
    assert not any(path.startswith("/portal") for path in schema["paths"])
    assert {"LookupRequest", "LookupResult", "ErrorBody"} <= set(schema["components"]["schemas"])


def test_unknown_paths_and_methods_answer_an_error_body(
    inprocess_platform: InProcessPlatform,
) -> None:
    assert_error(inprocess_platform.client.get("/v1/nothing"), 404, "malformed")
    assert_error(inprocess_platform.client.delete("/v1/health"), 405, "malformed")


def test_enroll_with_malformed_json(inprocess_platform: InProcessPlatform) -> None:
    response = inprocess_platform.client.post(
        "/v1/terminals/enroll", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert "JSON" in assert_error(response, 400, "malformed")


@pytest.mark.parametrize(
    "body",
    [{"code": "abc", "public_key": "x" * 44}, {"code": "x" * 65, "public_key": "x" * 44}, {}],
)
def test_enroll_field_limits(inprocess_platform: InProcessPlatform, body: dict[str, str]) -> None:
    response = inprocess_platform.client.post("/v1/terminals/enroll", json=body)
    assert_error(response, 400, "malformed")


def test_an_unexpected_failure_is_an_internal_error_body(
    inprocess_platform: InProcessPlatform,
) -> None:
    from fastapi.testclient import TestClient

    router = APIRouter()

    @router.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    inprocess_platform.app.include_router(router)
    client = TestClient(inprocess_platform.app, raise_server_exceptions=False)
    response = client.get("/v1/boom")
    assert assert_error(response, 500, "internal") == "internal error"
    assert "secret" not in response.text
