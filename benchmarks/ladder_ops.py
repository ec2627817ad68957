"""The operations of the ladder (:mod:`benchmarks.ladder`), built in each client process
from picklable arguments (:class:`benchmarks.loadgen.Scenario`)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from itertools import cycle

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.client import PATH_HEALTH, PlatformClient

#: (terminal id, Ed25519 private key as PKCS#8 PEM)
TerminalKey = tuple[str, bytes]
#: (certificate DER, RSA private key PEM, the service ID the platform must answer)
PatronKey = tuple[bytes, bytes, str]


class WrongAnswer(Exception):
    """A 200 that is not what this operation must answer."""


def _signed_client(base_url: str, terminal: TerminalKey) -> PlatformClient:
    key = serialization.load_pem_private_key(terminal[1], password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return PlatformClient(base_url, terminal[0], key, 30.0)


def health(*, index: int, base_url: str) -> Callable[[], None]:
    """``GET /v1/health``, unsigned, on one keep-alive connection."""
    http = httpx.Client(base_url=base_url, timeout=30.0)

    def operation() -> None:
        response = http.get(PATH_HEALTH)
        if response.status_code != 200:
            raise WrongAnswer(str(response.status_code))

    return operation


def signed_terminal_info(
    *, index: int, base_url: str, terminals: Sequence[TerminalKey]
) -> Callable[[], None]:
    """``GET /v1/terminal``: a signed request whose only write is its nonce."""
    client = _signed_client(base_url, terminals[index % len(terminals)])
    return lambda: None if client.terminal_info() else None


def signed_noop(
    *, index: int, base_url: str, terminals: Sequence[TerminalKey]
) -> Callable[[], None]:
    """``GET /v1/bench/signed``: a signed request that writes nothing (the platform runs
    with ``MYKEY_PLATFORM_BENCHMARK=1``)."""
    client = _signed_client(base_url, terminals[index % len(terminals)])
    http = httpx.Client(timeout=30.0)

    def operation() -> None:
        response = http.send(client.build_request("GET", "/v1/bench/signed"))
        if response.status_code != 204:
            raise WrongAnswer(f"{response.status_code} {response.text[:80]}")

    return operation


def lookup_flow(
    *, index: int, base_url: str, terminals: Sequence[TerminalKey], patrons: Sequence[PatronKey]
) -> Callable[[], None]:
    """The desk's whole lookup: a challenge, the card's RSA signature (in process, as the
    card would sign), the lookup; the answer checked against the holder's number."""
    client = _signed_client(base_url, terminals[index % len(terminals)])
    keys = []
    for certificate, pem, service_id in patrons:
        key = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        keys.append((certificate, key, service_id))
    order = cycle(keys[index:] + keys[:index])

    def operation() -> None:
        certificate, key, service_id = next(order)
        challenge = client.challenge()
        raw = base64.b64decode(challenge.challenge)
        signature = key.sign(raw, padding.PKCS1v15(), hashes.SHA256())
        result = client.lookup(challenge.challenge_id, certificate, signature)
        if result.service_id != service_id:
            raise WrongAnswer(f"{result.service_id} for {service_id}")

    return operation
