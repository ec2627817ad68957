"""Schemathesis against the platform's own ``/openapi.json``, in process (ASGI, no network).

Every operation, with valid and invalid inputs generated from the schema: no answer may be
a 5xx, and every answer the schema documents must match it.  Requests are signed as real
enrolled terminals (and carry real supporter / provider keys), so that generated bodies
get past the signature check into the routes' own validation.
"""

from __future__ import annotations

import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.terminals.ratelimit import RateLimits
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.certs import make_ca
from tests.unit.server.conftest import LIBRARY
from tests.unit.server.points_world import (
    ALPHA,
    PointsWorld,
    grant_op,
    make_points_world,
    pay_op,
)
from tests.unit.server.signing import SignedClient, sign_headers
from tests.unit.server.world import World

#: examples per operation (valid and invalid): 19 operations × 60 take about 20 s
MAX_EXAMPLES = 60
CHECKS = [not_a_server_error, response_schema_conformance]


def terminal_for(points: PointsWorld, path: str) -> SignedClient:
    """The terminal whose mode ``path`` needs (grant, voucher or shop)."""
    if path.startswith("/v1/grants"):
        return points.granter
    if path == "/v1/vouchers":
        return points.voucher_desk
    return points.shop


class Keys(requests.auth.AuthBase):
    """Signs each request as the terminal whose mode the path needs; bearer keys too."""

    def __init__(self, points: PointsWorld, provider_key: str) -> None:
        self.points = points
        self.provider_key = provider_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        url = str(request.url)
        path = requests.utils.urlparse(url).path
        if path.startswith("/v1/conversions"):
            request.headers["Authorization"] = f"Bearer {self.points.supporter_key}"
        elif path.startswith("/v1/providers"):
            request.headers["Authorization"] = f"Bearer {self.provider_key}"
        else:
            body = request.body if isinstance(request.body, bytes | str) else b""
            terminal = terminal_for(self.points, path)
            request.headers.update(
                sign_headers(
                    str(request.method),
                    url,
                    key_id=terminal.terminal_id,
                    key=terminal.key,
                    body=body.encode() if isinstance(body, str) else body,
                )
            )
        return request


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessPlatform]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette 1.x: "install httpx2 instead"
        from fastapi.testclient import TestClient

    from server.app import create_app

    url = f"sqlite:///{Path(tmp_path_factory.mktemp('schemathesis')) / 'platform.db'}"
    app = create_app(url)
    app.state.rate_limits = RateLimits.from_text("off")
    with TestClient(app) as client:
        yield InProcessPlatform(app=app, client=client, database_url=url)


@dataclass
class Setup:
    """What generated cases may borrow: a signing session, real ids of this platform."""

    http: requests.Session
    points: PointsWorld
    mykey_id: str
    #: a holder's card session at each terminal, by terminal id
    card_sessions: dict[str, str]
    payment_id: str
    #: a grant awaiting a second staff member's approval
    grant_id: str


@pytest.fixture(scope="module")
def setup(platform: InProcessPlatform) -> Setup:
    from server.identity.provider_keys import add_key
    from server.staff.service import add_staff
    from tests.unit.server.staff_world import PIN_YAMADA

    world = World(platform)
    ca = make_ca(0)
    world.trust(ca)
    world.add_service(LIBRARY)
    points = make_points_world(world, ca, LIBRARY)
    provider_key = world.db.transaction(lambda s: add_key(s, LIBRARY)).key
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 10_000)
    world.db.transaction(lambda s: add_staff(s, "yamada", "山田", ALPHA, pin=PIN_YAMADA))
    card_sessions = {
        points.shop.terminal_id: points.session_id(points.shop, holder, pay_op(1)),
        points.granter.terminal_id: points.session_id(points.granter, holder, grant_op(20_000)),
        points.voucher_desk.terminal_id: points.session_id(points.voucher_desk, holder),
    }
    payment_id = str(uuid.uuid4())
    held = points.shop.post(
        "/v1/payments",
        {
            "id": payment_id,
            "session_id": card_sessions[points.shop.terminal_id],
            "municipality_code": ALPHA,
            "amount": 1,
        },
    )
    assert held.status_code == 200, held.text
    grant_id = str(uuid.uuid4())
    awaiting = points.granter.post(
        "/v1/grants",
        {
            "id": grant_id,
            "session_id": card_sessions[points.granter.terminal_id],
            "points": 20_000,
            "reason": "volunteering",
            "staff_login": "yamada",
            "staff_code": PIN_YAMADA,
        },
    )
    assert awaiting.json()["status"] == "awaiting_approval", awaiting.text
    http = requests.Session()
    http.auth = Keys(points, provider_key)
    return Setup(http, points, mykey_id, card_sessions, payment_id, grant_id)


def borrow_real_ids(case: Case, setup: Setup) -> None:
    """Put ids the platform knows into a generated case, so it gets past the id checks."""
    terminal = terminal_for(setup.points, case.path)
    if isinstance(case.body, dict):
        real = {
            "id": str(uuid.uuid4()),
            "session_id": setup.card_sessions[terminal.terminal_id],
            "municipality_code": ALPHA,
            "mykey_id": setup.mykey_id,
        }
        for name, value in real.items():
            if isinstance(case.body.get(name), str):
                case.body[name] = value
    if case.path_parameters and "payment_id" in case.path_parameters:
        case.path_parameters["payment_id"] = setup.payment_id
    if case.path_parameters and "grant_id" in case.path_parameters:
        case.path_parameters["grant_id"] = setup.grant_id
    if case.query and "since" in case.query:
        case.query["since"] = "2026-01-01"


def operation_labels() -> list[str]:
    """``METHOD /path`` of every operation in the schema (read without a database)."""
    from server.app import create_app

    app = create_app(f"sqlite:///{tempfile.gettempdir()}/never-opened.db", migrate=False)
    document = app.openapi()
    app.state.db.dispose()
    return [f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops]


@pytest.fixture(scope="module")
def api_schema(platform: InProcessPlatform) -> BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", platform.app)


@pytest.mark.parametrize("label", operation_labels())
def test_the_api_never_fails_and_keeps_to_its_schema(
    label: str, api_schema: BaseSchema, setup: Setup
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases, borrow=st.booleans())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Case, borrow: bool) -> None:
        if borrow:
            borrow_real_ids(case, setup)
        case.call_and_validate(session=setup.http, checks=CHECKS)

    call()
