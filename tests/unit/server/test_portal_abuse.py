"""Abuse of the resident portal: locking an owner out, telling which MyKey IDs exist,
a link-preview bot spending a ticket, a cross-site logout, a notice to an address
nobody verified, a password reset without the card."""

from __future__ import annotations

import warnings

import httpx
from sqlalchemy import func, select

from server.portal.models import OutboxMail, RegistrationTicket
from tests.unit.server.conftest import Library
from tests.unit.server.portal_helpers import browser, csrf_of, open_registration, ticket_of
from tests.unit.server.world import challenge, lookup_body

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "Secret99"
MAIL = "resident@example.jp"


def _from(library: Library, address: str) -> TestClient:
    """A browser at client ``address``."""
    return TestClient(
        library.world.platform.app, base_url="https://testserver", client=(address, 50000)
    )


def _register(library: Library, mykey_id: str, **extra: str) -> None:
    reg = open_registration(library, library.ca.issue(2))
    fields = {"password": PASSWORD, "password_confirm": PASSWORD, **extra}
    response = reg.submit(mykey_id=mykey_id, **fields)
    assert response.status_code == 200, response.text


def _login(client: TestClient, mykey_id: str, password: str) -> httpx.Response:
    page = client.get("/portal/login")
    return client.post(
        "/portal/login",
        data={"csrf": csrf_of(page.text), "mykey_id": mykey_id, "password": password},
        follow_redirects=False,
    )


def test_a_stranger_cannot_lock_the_owner_out(library: Library) -> None:
    _register(library, "OWNER001")
    stranger = _from(library, "203.0.113.9")
    for _ in range(8):
        assert _login(stranger, "OWNER001", "wrong000").status_code == 401
    owner = _from(library, "198.51.100.7")
    assert _login(owner, "OWNER001", PASSWORD).status_code == 303


def test_failures_do_not_tell_whether_an_id_exists(library: Library) -> None:
    _register(library, "EXISTS01")
    known, unknown = _from(library, "203.0.113.10"), _from(library, "203.0.113.11")
    answers = []
    for _ in range(7):
        a = _login(known, "EXISTS01", "wrong000")
        b = _login(unknown, "NOTHERE1", "wrong000")
        answers.append((a.status_code, b.status_code))
        assert a.status_code == b.status_code == 401
        assert a.text.replace(csrf_of(a.text), "") == b.text.replace(csrf_of(b.text), "")


def test_a_link_preview_get_does_not_spend_the_ticket(library: Library) -> None:
    token = ticket_of(library, library.ca.issue(2))
    bot = browser(library)
    preview = bot.get("/portal/register", params={"ticket": token})
    assert preview.status_code == 200
    person = browser(library)
    page = person.get("/portal/register", params={"ticket": token})
    assert page.status_code == 200
    opened = person.post(
        "/portal/register/open", data={"ticket": token, "csrf": csrf_of(page.text)}
    )
    assert opened.status_code == 200 and 'name="mykey_id"' in opened.text
    spent = browser(library).get("/portal/register", params={"ticket": token})
    assert spent.status_code == 410  # the button's POST spent it, once


def test_logout_needs_the_csrf_token(library: Library) -> None:
    _register(library, "LOGOUT01")
    client = browser(library)
    assert _login(client, "LOGOUT01", PASSWORD).status_code == 303
    assert client.get("/portal/logout").status_code in (404, 405)
    assert client.post("/portal/logout", follow_redirects=False).status_code == 403
    assert (
        client.post("/portal/logout", data={"csrf": "x"}, follow_redirects=False).status_code == 403
    )
    assert client.get("/portal/mypage", follow_redirects=False).status_code == 200
    csrf = csrf_of(client.get("/portal/mypage").text)
    assert (
        client.post("/portal/logout", data={"csrf": csrf}, follow_redirects=False).status_code
        == 303
    )
    assert client.get("/portal/mypage", follow_redirects=False).status_code == 303


def test_session_cookies_use_the_host_prefix(library: Library) -> None:
    _register(library, "HOSTPFX1")
    client = browser(library)
    page = client.get("/portal/login")
    assert "__Host-" in page.headers["set-cookie"]
    response = client.post(
        "/portal/login",
        data={"csrf": csrf_of(page.text), "mykey_id": "HOSTPFX1", "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-") and "Path=/;" in cookie and "Domain" not in cookie
    assert "Secure" in cookie


def test_no_notice_goes_to_an_unverified_address(library: Library) -> None:
    _register(library, "UNVERIF1", email=MAIL, email_confirm=MAIL, notify_mykey="on")
    sent = library.world.db.transaction(
        lambda s: s.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.kind != "verify_email")
        )
    )
    assert sent == 0


def test_a_password_reset_needs_the_card(library: Library) -> None:
    holder = library.ca.issue(2)
    _register(library, "RESETME1")  # another card: ``holder`` is registered below
    reg = open_registration(library, holder)
    assert reg.submit(mykey_id="RESETME2").status_code == 200
    challenge_id, value = challenge(library.desk)
    forged = lookup_body(challenge_id, holder, holder.sign(b"not the challenge"))
    response = library.desk.post("/v1/password-reset-tickets", forged)
    assert response.status_code == 403
    assert response.json()["error"] == "card_signature_invalid"
    challenge_id, value = challenge(library.desk)
    signed = lookup_body(challenge_id, holder, holder.sign(value))
    unsigned = library.world.client.post("/v1/password-reset-tickets", json=signed)
    assert unsigned.status_code == 401  # only an enrolled terminal asks
    assert browser(library).get("/portal/reset").status_code == 410  # no ticket, no form
    assert browser(library).post("/portal/reset", data={"csrf": "x"}).status_code == 401
    tickets = library.world.db.transaction(
        lambda s: s.scalar(select(func.count()).select_from(RegistrationTicket))
    )
    assert tickets == 2  # the two registrations' only
