"""A library desk on a platform, for the benchmarks: test CA, card holders, service, terminals.

The CA and the service are added with the operator commands (``mykey-platform ca add`` /
``service add``), exactly as ``tests/integration/test_counter_e2e.py`` does; the many
holders and enrollment codes are written with the same service functions those commands
call, in one transaction (a hundred CLI processes would take minutes); terminals enroll
over HTTP with :meth:`PlatformClient.enroll`, as ``mykey-counter enroll`` does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from app.client import PlatformClient
from drivers.vcard.holder import Holder, make_ca, make_holder
from server.db import Database
from server.identity.mykey import register
from server.identity.services import link
from server.terminals.enrollment import issue_code
from tests.fixtures.platform import PlatformServer

SERVICE = "demo-library"
FIRST_NUMBER = 1_000_000_001
_DURATION = re.compile(r"dur=([0-9.]+)")


@dataclass(frozen=True)
class Patron:
    """A registered card holder and the library number the platform must answer."""

    certificate_der: bytes
    private_key: rsa.RSAPrivateKey
    service_id: str

    def sign(self, challenge: bytes) -> bytes:
        """What the card does: PKCS#1 v1.5 over DigestInfo(SHA-256(challenge)), RSA-2048."""
        return self.private_key.sign(challenge, padding.PKCS1v15(), hashes.SHA256())


@dataclass(frozen=True)
class Terminal:
    terminal_id: str
    key: Ed25519PrivateKey


def make_holders(directory: Path, count: int) -> tuple[Path, list[Holder]]:
    """A test JPKI CA and ``count`` holders issued by it (PIN 1234)."""
    ca_dir = make_ca(directory / "ca")
    return ca_dir, [make_holder(directory / f"holder-{i:03d}", ca_dir) for i in range(count)]


def set_up_service(server: PlatformServer, ca_dir: Path) -> None:
    """Trust the test CA, import its CRL (revocation fails closed without one) and add the
    library service (operator commands)."""
    server.run_cli("ca", "add", str(ca_dir / "ca.pem"))
    server.run_cli("crl", "import", str(ca_dir / "crl.pem"))
    server.run_cli("service", "add", SERVICE, "--provider", "α市",
                   "--display-name", "α市立図書館", "--barcode", "nw7",
                   "--format", "[0-9]{10}", "--check-digit", "mod16")  # fmt: skip


def register_patrons(database_url: str, holders: Sequence[Holder]) -> list[Patron]:
    """Register every holder's certificate to a new MyKey ID and link a library number."""

    def work(session: Session) -> list[Patron]:
        patrons = []
        for i, holder in enumerate(holders):
            mykey_id = register(session, holder.certificate_der).mykey.mykey_id
            number = str(FIRST_NUMBER + i)
            link(session, mykey_id, SERVICE, number)
            patrons.append(Patron(holder.certificate_der, holder.private_key, number))
        return patrons

    db = Database(database_url)
    try:
        return db.transaction(work)
    finally:
        db.dispose()


def enroll_terminals(server: PlatformServer, count: int, name: str = "desk") -> list[Terminal]:
    """Issue ``count`` enrollment codes and enroll a new terminal key with each, over HTTP."""

    def work(session: Session) -> list[str]:
        return [issue_code(session, SERVICE, f"{name} {i}").code for i in range(count)]

    db = Database(server.database_url)
    try:
        codes = db.transaction(work)
    finally:
        db.dispose()
    terminals = []
    for code in codes:
        terminal_id, key, _info = PlatformClient.enroll(server.base_url, code)
        terminals.append(Terminal(terminal_id, key))
    return terminals


def app_duration_ms(response: httpx.Response) -> float | None:
    """The ``app;dur=`` of the platform's ``Server-Timing`` header, in ms."""
    for value in response.headers.get_list("server-timing"):
        for metric in value.split(","):
            name, _, params = metric.strip().partition(";")
            match = _DURATION.search(params)
            if name == "app" and match:
                return float(match.group(1))
    return None


class ServerTimingTransport(httpx.BaseTransport):
    """An httpx transport that records, per request path, the platform's own time.

    One per client (not thread-safe): ``take()`` returns and forgets what was recorded.
    """

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner if inner is not None else httpx.HTTPTransport()
        self._seen: list[tuple[str, float | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self._seen.append((request.url.path, app_duration_ms(response)))
        return response

    def take(self) -> list[tuple[str, float | None]]:
        seen, self._seen = self._seen, []
        return seen

    def close(self) -> None:
        self.inner.close()
