"""Helpers of the portal tests: a card's ticket, a browser-like client (HTTPS, cookies)."""

from __future__ import annotations

import re
import urllib.parse
import warnings
from dataclasses import dataclass

import httpx

from server.ledger.municipalities import ensure_municipality
from tests.unit.server.certs import Holder
from tests.unit.server.conftest import Library
from tests.unit.server.world import b64, challenge, lookup_body

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

MUNICIPALITIES = (("14130", "α市"), ("13116", "β市"))


def add_municipalities(library: Library) -> None:
    for code, name in MUNICIPALITIES:
        library.world.db.transaction(lambda s, c=code, n=name: ensure_municipality(s, c, n))


def ticket_response(library: Library, holder: Holder) -> httpx.Response:
    challenge_id, value = challenge(library.desk)
    body = lookup_body(challenge_id, holder, holder.sign(value))
    return library.desk.post("/v1/registration-tickets", body)


def renewal_ticket_response(library: Library, new: Holder, old: Holder) -> httpx.Response:
    """A ticket asked for with both cards: the new and the old one sign one challenge."""
    challenge_id, value = challenge(library.desk)
    body = {
        **lookup_body(challenge_id, new, new.sign(value)),
        "old_certificate": b64(old.der),
        "old_signature": b64(old.sign(value)),
    }
    return library.desk.post("/v1/registration-tickets", body)


def token_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    query = urllib.parse.urlparse(response.json()["url"]).query
    return urllib.parse.parse_qs(query)["ticket"][0]


def ticket_of(library: Library, holder: Holder) -> str:
    return token_of(ticket_response(library, holder))


def browser(library: Library) -> TestClient:
    """A second client of the same app over HTTPS, so that Secure cookies come back."""
    return TestClient(library.world.platform.app, base_url="https://testserver")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Registration:
    """A browser inside a registration session."""

    client: TestClient
    csrf: str

    def generate(self) -> httpx.Response:
        return self.client.post("/portal/register/generate", headers={"X-CSRF-Token": self.csrf})

    def check(self, candidate: str) -> httpx.Response:
        return self.client.post(
            "/portal/register/check",
            json={"candidate": candidate},
            headers={"X-CSRF-Token": self.csrf},
        )

    def submit(self, **fields: str) -> httpx.Response:
        form = {
            "csrf": self.csrf,
            "password": "Tsuki7Nami",
            "password_confirm": "Tsuki7Nami",
            **fields,
        }
        return self.client.post("/portal/register", data=form)


def open_registration(
    library: Library, holder: Holder, *, old: Holder | None = None
) -> Registration:
    """A registration session for ``holder``'s card (tapped with the ``old`` card, if
    given: the proof that binds a renewed card)."""
    client = browser(library)
    token = (
        ticket_of(library, holder)
        if old is None
        else token_of(renewal_ticket_response(library, holder, old))
    )
    page = open_ticket(client, "/portal/register", token)
    assert page.status_code == 200, page.text
    return Registration(client, csrf_of(page.text))


def open_ticket(client: TestClient, path: str, token: str, param: str = "ticket") -> httpx.Response:
    """What a person does with a ticket's link: open it (a page with a button, nothing
    spent), then press the button (the POST spends the ticket)."""
    page = client.get(path, params={param: token})
    if page.status_code != 200:
        return page
    return client.post(f"{path}/open", data={"ticket": token, "csrf": csrf_of(page.text)})


def follow_verification(library: Library, body: str) -> httpx.Response:
    """Open the verification link of a delivered mail and press its button."""
    found = re.search(r"https?://\S+/portal/verify\?token=(\S+)", body)
    assert found, body
    return open_ticket(browser(library), "/portal/verify", found.group(1), "token")


def verify_every_address(library: Library) -> None:
    """Follow every verification link in the outbox, as each resident would."""
    from sqlalchemy import select

    from server.portal.models import OutboxMail

    bodies = library.world.db.transaction(
        lambda s: list(s.scalars(select(OutboxMail.body).where(OutboxMail.kind == "verify_email")))
    )
    for body in bodies:
        follow_verification(library, body)
