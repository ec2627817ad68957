"""The counter's whole exchange over real HTTP against ``mykey-platform serve``,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.integration.server.conftest import LIBRARY, LIBRARY_NUMBER, ServedLibrary, b64
from tests.unit.server.certs import make_ca
from tests.unit.server.signing import sign_headers

pytestmark = pytest.mark.integration


def _challenge(library: ServedLibrary) -> tuple[str, bytes]:
    response = library.desk.post("/v1/challenges")
    assert response.status_code == 200, response.text
    return response.json()["challenge_id"], base64.b64decode(response.json()["challenge"])


def _body(challenge_id: str, certificate: bytes, signature: bytes) -> dict[str, str]:
    return {
        "challenge_id": challenge_id,
        "certificate": b64(certificate),
        "signature": b64(signature),
    }


def test_health_over_http(served_library: ServedLibrary) -> None:
    response = httpx.get(served_library.server.base_url + "/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_desk_knows_its_service(served_library: ServedLibrary) -> None:
    info = served_library.desk.get("/v1/terminal").json()
    assert info["service"]["name"] == LIBRARY
    assert info["service"]["display_name"] == "α市立図書館"
    assert info["service"]["barcode"]["pattern"] == "[0-9]{10}"


def test_a_lookup_then_its_replay(served_library: ServedLibrary) -> None:
    library = served_library
    challenge_id, value = _challenge(library)
    body = _body(challenge_id, library.patron.der, library.patron.sign(value))
    response = library.desk.post("/v1/lookups", body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "service": LIBRARY,
        "service_id": LIBRARY_NUMBER,
        "valid": True,
        "address_changed": False,
        "certificate_expires_soon": False,
    }
    replay = library.desk.post("/v1/lookups", body)
    assert replay.status_code == 409
    assert replay.json()["error"] == "challenge_used"


def test_address_change_reaches_the_desk(served_library: ServedLibrary) -> None:
    library = served_library
    library.server.run_cli("mykey", "address-changed", "--mykey-id", library.patron_mykey_id)
    challenge_id, value = _challenge(library)
    body = _body(challenge_id, library.patron.der, library.patron.sign(value))
    assert library.desk.post("/v1/lookups", body).json()["address_changed"] is True


def test_a_revoked_card_after_a_crl_import(served_library: ServedLibrary) -> None:
    library = served_library
    crl = library.files / "crl.pem"
    crl.write_bytes(library.ca.crl(library.patron))
    out = library.server.run_cli("crl", "import", str(crl))
    assert "revoked serials: 1" in out
    challenge_id, value = _challenge(library)
    body = _body(challenge_id, library.patron.der, library.patron.sign(value))
    response = library.desk.post("/v1/lookups", body)
    assert response.status_code == 403
    assert response.json()["error"] == "certificate_revoked"


def test_a_forged_card_is_untrusted(served_library: ServedLibrary) -> None:
    library = served_library
    forged = make_ca(5).issue(1)
    challenge_id, value = _challenge(library)
    response = library.desk.post("/v1/lookups", _body(challenge_id, forged.der, forged.sign(value)))
    assert response.status_code == 403
    assert response.json()["error"] == "certificate_untrusted"


def test_malformed_json_is_400_not_500(served_library: ServedLibrary) -> None:
    library = served_library
    raw = b'{"challenge_id": "x", "certificate": '
    url = library.server.base_url + "/v1/lookups"
    headers = sign_headers(
        "POST", url, key_id=library.desk.terminal_id, key=library.desk.key, body=raw
    )
    headers["Content-Type"] = "application/json"
    response = library.http.post(url, content=raw, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "malformed"
