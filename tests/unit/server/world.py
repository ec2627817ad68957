"""Setting up platform data for in-process tests with the service functions themselves."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from server.api.schemas import BarcodeSpec, Symbology
from server.db import Database
from server.identity.crl import import_crl
from server.identity.mykey import register
from server.identity.services import add_service, link
from server.identity.trust import add_anchor
from server.terminals.enrollment import issue_code
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.certs import Holder, TestCA
from tests.unit.server.signing import SignedClient, public_key_b64


@dataclass
class World:
    """The in-process platform with helpers to add what a test needs."""

    platform: InProcessPlatform

    @property
    def db(self) -> Database:
        return self.platform.db

    @property
    def client(self) -> httpx.Client:
        return self.platform.client

    def trust(self, ca: TestCA) -> None:
        """Trust the CA and import a fresh (empty) CRL of it, as an operator would."""
        self.db.transaction(lambda s: add_anchor(s, ca.certificate))
        self.import_crl(ca.crl())

    def import_crl(self, crl: bytes) -> None:
        self.db.transaction(lambda s: import_crl(s, crl))

    def add_service(
        self, name: str, pattern: str = r"[0-9]{10}", symbology: Symbology = Symbology.NW7
    ) -> None:
        barcode = BarcodeSpec(symbology=symbology, pattern=pattern)
        self.db.transaction(
            lambda s: add_service(
                s, name, display_name=f"{name} (display)", provider="α市", barcode=barcode
            )
        )

    def enrollment_code(self, service: str, name: str = "desk 1") -> str:
        return self.db.transaction(lambda s: issue_code(s, service, name)).code

    def enroll(self, service: str, name: str = "desk 1") -> SignedClient:
        key = Ed25519PrivateKey.generate()
        response = self.client.post(
            "/v1/terminals/enroll",
            json={"code": self.enrollment_code(service, name), "public_key": public_key_b64(key)},
        )
        assert response.status_code == 200, response.text
        return SignedClient(self.client, "http://testserver", response.json()["terminal_id"], key)

    def register(self, holder: Holder, mykey_id: str | None = None) -> str:
        def work(session: Session) -> str:
            return register(session, holder.der, mykey_id).mykey.mykey_id

        return self.db.transaction(work)

    def link(self, mykey_id: str, service: str, service_id: str) -> None:
        self.db.transaction(lambda s: link(s, mykey_id, service, service_id))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def challenge(terminal: SignedClient, operation: object = None) -> tuple[str, bytes]:
    """A fresh challenge for the terminal: (id, raw bytes) — for a points ``operation``
    (``{"kind": "payment", "points": 500}`` …) when given."""
    response = terminal.post("/v1/challenges", {"operation": operation} if operation else None)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["challenge_id"], base64.b64decode(body["challenge"])


def lookup_body(challenge_id: str, holder: Holder, signed: bytes) -> dict[str, str]:
    return {"challenge_id": challenge_id, "certificate": b64(holder.der), "signature": b64(signed)}


def tap(terminal: SignedClient, holder: Holder) -> httpx.Response:
    """The whole counter flow for one card: challenge, card signature, lookup."""
    challenge_id, value = challenge(terminal)
    return terminal.post("/v1/lookups", lookup_body(challenge_id, holder, holder.sign(value)))
