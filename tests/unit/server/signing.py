"""A tiny RFC 9421 signer for tests, with the counter's profile and knobs to break it.

Profile: label ``mykey``, ``alg="ed25519"``, ``keyid`` = terminal id, ``created``,
``nonce`` = random, covering ``@method``, ``@target-uri`` and, for a body,
``content-digest``.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from server.api.schemas import SIGNATURE_LABEL

COVERED = ("@method", "@target-uri")


@dataclass
class _Message:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign_headers(
    method: str,
    url: str,
    *,
    key_id: str,
    key: Ed25519PrivateKey,
    body: bytes = b"",
    created: dt.datetime | None = None,
    nonce: str | None = "random",
    label: str = SIGNATURE_LABEL,
    covered: Sequence[str] = COVERED,
    sign_body: bool | None = None,
) -> dict[str, str]:
    """The ``Signature-Input``, ``Signature`` (and ``Content-Digest``) headers."""
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}),
    )
    message = _Message(method, url)
    digest_body = body if (sign_body if sign_body is not None else bool(body)) else None
    signer.sign(
        message,
        key_id=key_id,
        created=created or dt.datetime.now(dt.UTC),
        nonce=secrets.token_urlsafe(16) if nonce == "random" else nonce,
        label=label,
        covered_component_ids=covered,
        body=digest_body,
    )
    return message.headers


class _Client(Protocol):
    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response: ...


@dataclass
class SignedClient:
    """Sends requests signed as one terminal through an httpx-style client."""

    client: _Client
    base_url: str
    terminal_id: str
    key: Ed25519PrivateKey

    def request(
        self, method: str, path: str, *, json_body: object = None, **signing: Any
    ) -> httpx.Response:
        body = b"" if json_body is None else httpx.Request("POST", "/", json=json_body).content
        headers = sign_headers(
            method,
            self.base_url + path,
            key_id=self.terminal_id,
            key=self.key,
            body=body,
            **signing,
        )
        if body:
            headers["Content-Type"] = "application/json"
        return self.client.request(method, self.base_url + path, content=body, headers=headers)

    def get(self, path: str, **signing: Any) -> httpx.Response:
        return self.request("GET", path, **signing)

    def post(self, path: str, json_body: object = None, **signing: Any) -> httpx.Response:
        return self.request("POST", path, json_body=json_body, **signing)
