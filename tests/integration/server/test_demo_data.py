"""``mykey-platform demo-data``: virtual cards by ``mykey-vcard``, records in the platform,
and a served lookup with the demo card of hanako."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.fixtures.platform import PlatformServer
from tests.unit.server.signing import SignedClient, public_key_b64

pytestmark = pytest.mark.integration


def _card(directory: Path) -> tuple[bytes, rsa.RSAPrivateKey]:
    """The certificate (DER) and private key of a virtual card made by mykey-vcard."""
    certificate = x509.load_pem_x509_certificate((directory / "cert.pem").read_bytes())
    key = serialization.load_pem_private_key((directory / "key.pem").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return certificate.public_bytes(serialization.Encoding.DER), key


def _tap(desk: SignedClient, directory: Path) -> httpx.Response:
    cert_der, key = _card(directory)
    challenge = desk.post("/v1/challenges").json()
    value = base64.b64decode(challenge["challenge"])
    signature = key.sign(value, padding.PKCS1v15(), hashes.SHA256())
    return desk.post(
        "/v1/lookups",
        {
            "challenge_id": challenge["challenge_id"],
            "certificate": base64.b64encode(cert_der).decode(),
            "signature": base64.b64encode(signature).decode(),
        },
    )


def test_demo_data_twice_then_the_counter_flow(
    platform_server: PlatformServer, tmp_path: Path
) -> None:
    demo = tmp_path / "demo"
    first = platform_server.run_cli("demo-data", "--dir", str(demo))
    second = platform_server.run_cli("demo-data", "--dir", str(demo))
    assert "made: MyKey ID HANAKO01 for hanako" in first
    assert "made: MyKey ID" not in second  # reused
    for out in (first, second):
        assert "hanako" in out and "1234567890" in out and str(demo / "ca" / "ca.pem") in out

    summary = json.loads((demo / "demo.json").read_text(encoding="utf-8"))
    holders = summary["holders"]
    assert holders["hanako"]["links"] == {
        "demo-library": "1234567890",
        "demo-shop": "2000000000015",
    }
    assert (
        holders["taro"]["mykey_id"] == "TARO0001" and "demo-library" not in holders["taro"]["links"]
    )
    assert holders["revoked"]["certificate"] == "revoked"
    assert (demo / "holders" / "hanako" / "cert.pem").exists()

    code = second.splitlines()[-1]
    assert code == summary["enrollment_code"]
    key = Ed25519PrivateKey.generate()
    with httpx.Client(timeout=30) as http:
        enrolled = http.post(
            platform_server.base_url + "/v1/terminals/enroll",
            json={"code": code, "public_key": public_key_b64(key)},
        )
        assert enrolled.status_code == 200, enrolled.text
        assert enrolled.json()["service"]["display_name"] == "α市立図書館"
        desk = SignedClient(http, platform_server.base_url, enrolled.json()["terminal_id"], key)

        hanako = _tap(desk, demo / "holders" / "hanako")
        assert hanako.status_code == 200, hanako.text
        assert hanako.json()["service_id"] == "1234567890"
        taro = _tap(desk, demo / "holders" / "taro")
        assert taro.json()["error"] == "service_not_linked"
        revoked = _tap(desk, demo / "holders" / "revoked")
        assert revoked.json()["error"] == "certificate_revoked"
        expired = _tap(desk, demo / "holders" / "expired")
        assert expired.json()["error"] == "certificate_expired"
