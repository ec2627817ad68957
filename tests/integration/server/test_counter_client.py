"""The counter's own HTTP client (app/client.py) against a served platform: the signature
profile of both sides must agree."""

from __future__ import annotations

import base64

import httpx
import pytest

from app.client import PlatformClient, PlatformRefusal, fetch_health
from server.api.schemas import LookupRequest, LookupResult
from tests.integration.server.conftest import LIBRARY, LIBRARY_NUMBER, ServedLibrary

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("platform_database_url", ["sqlite"], indirect=True)
def test_the_counter_client_enrolls_and_looks_up(served_library: ServedLibrary) -> None:
    library = served_library
    base_url = library.server.base_url
    assert fetch_health(base_url).status == "ok"
    code = library.server.run_cli(
        "terminal", "add", "--service", LIBRARY, "--name", "counter"
    ).splitlines()[-1]
    terminal_id, key, info = PlatformClient.enroll(base_url, code)
    assert info.service.name == LIBRARY
    with PlatformClient(base_url, terminal_id, key) as client:
        assert client.terminal_info().terminal_id == terminal_id
        challenge = client.challenge()
        value = base64.b64decode(challenge.challenge)
        body = LookupRequest(
            challenge_id=challenge.challenge_id,
            certificate=base64.b64encode(library.patron.der).decode(),
            signature=base64.b64encode(library.patron.sign(value)).decode(),
        )
        request = client.build_request("POST", "/v1/lookups", body)
        with httpx.Client(timeout=30) as http:
            response = http.send(request)
        assert response.status_code == 200, response.text
        assert LookupResult.model_validate_json(response.content).service_id == LIBRARY_NUMBER


@pytest.mark.parametrize("platform_database_url", ["sqlite"], indirect=True)
def test_the_counter_client_sends_the_old_cards_proof(served_library: ServedLibrary) -> None:
    library = served_library
    base_url = library.server.base_url
    code = library.server.run_cli(
        "terminal", "add", "--service", LIBRARY, "--name", "counter"
    ).splitlines()[-1]
    terminal_id, key, _ = PlatformClient.enroll(base_url, code)
    new, old = library.ca.issue(2), library.patron
    with PlatformClient(base_url, terminal_id, key) as client:
        challenge = client.challenge()
        value = base64.b64decode(challenge.challenge)
        ticket = client.registration_ticket(
            challenge.challenge_id, new.der, new.sign(value), old_card=(old.der, old.sign(value))
        )
        assert ticket.purpose == "rebind"
        other = library.ca.issue(3)
        challenge = client.challenge()
        value = base64.b64decode(challenge.challenge)
        with pytest.raises(PlatformRefusal) as refused:
            client.registration_ticket(
                challenge.challenge_id, other.der, other.sign(value),
                old_card=(old.der, old.sign(b"not the challenge")),
            )  # fmt: skip
        assert refused.value.code == "rebind_old_card_invalid"
