"""Integration fixtures: a served platform set up through its operator commands."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.fixtures.platform import PlatformServer
from tests.unit.server.certs import Holder, TestCA, make_ca
from tests.unit.server.signing import SignedClient, public_key_b64

LIBRARY = "library"
LIBRARY_NUMBER = "1234567890"


@dataclass
class ServedLibrary:
    """A served platform with a trusted CA, a library, an enrolled desk, a linked patron."""

    server: PlatformServer
    http: httpx.Client
    ca: TestCA
    desk: SignedClient
    patron: Holder
    patron_mykey_id: str
    files: Path

    def register(self, holder: Holder, name: str) -> str:
        path = holder.write(self.files / name)
        return self.server.run_cli("mykey", "register", "--cert", str(path)).splitlines()[-1]


def enroll(server: PlatformServer, http: httpx.Client, service: str, name: str) -> SignedClient:
    code = server.run_cli("terminal", "add", "--service", service, "--name", name).splitlines()[-1]
    key = Ed25519PrivateKey.generate()
    response = http.post(
        server.base_url + "/v1/terminals/enroll",
        json={"code": code, "public_key": public_key_b64(key)},
    )
    assert response.status_code == 200, response.text
    return SignedClient(http, server.base_url, response.json()["terminal_id"], key)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def served_library(platform_server: PlatformServer, tmp_path: Path) -> Iterator[ServedLibrary]:
    ca = make_ca(0)
    server = platform_server
    server.run_cli("ca", "add", str(ca.write(tmp_path / "ca.pem")))
    (tmp_path / "crl.pem").write_bytes(ca.crl())  # revocation fails closed: a fresh CRL
    server.run_cli("crl", "import", str(tmp_path / "crl.pem"))
    server.run_cli(
        "service", "add", LIBRARY, "--provider", "α市", "--barcode", "nw7",
        "--display-name", "α市立図書館", "--format", "[0-9]{10}",
    )  # fmt: skip
    http = httpx.Client(timeout=30)
    desk = enroll(server, http, LIBRARY, "desk 1")
    patron = ca.issue(1)
    library = ServedLibrary(server, http, ca, desk, patron, "", tmp_path)
    library.patron_mykey_id = library.register(patron, "patron")
    server.run_cli(
        "service", "link", "--mykey-id", library.patron_mykey_id,
        "--service", LIBRARY, "--service-id", LIBRARY_NUMBER,
    )  # fmt: skip
    yield library
    http.close()
