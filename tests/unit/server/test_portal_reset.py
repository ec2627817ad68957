"""A forgotten password reset with the card: a counter proves the card, the resident
opens the one-time link, presses its button and sets a new password; every other
session of the account ends."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from server.portal.models import LoginFailure, RegistrationTicket
from tests.unit.server.certs import Holder
from tests.unit.server.conftest import Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.portal_helpers import (
    browser,
    csrf_of,
    open_registration,
    open_ticket,
    ticket_of,
    token_of,
)
from tests.unit.server.world import challenge, lookup_body

PASSWORD = "Secret99"
NEW = "Kawa3Semi"


def _reset_ticket(library: Library, holder: Holder) -> httpx.Response:
    challenge_id, value = challenge(library.desk)
    return library.desk.post(
        "/v1/password-reset-tickets", lookup_body(challenge_id, holder, holder.sign(value))
    )


def _login(library: Library, mykey_id: str, password: str):  # type: ignore[no-untyped-def]
    client = browser(library)
    page = client.get("/portal/login")
    response = client.post(
        "/portal/login",
        data={"csrf": csrf_of(page.text), "mykey_id": mykey_id, "password": password},
        follow_redirects=False,
    )
    return client, response


def _tickets(library: Library) -> int:
    return library.world.db.transaction(
        lambda s: s.scalar(select(func.count()).select_from(RegistrationTicket)) or 0
    )


def test_the_card_resets_the_password_and_ends_other_sessions(library: Library) -> None:
    holder = library.ca.issue(2)
    reg = open_registration(library, holder)
    assert reg.submit(mykey_id="FORGOT01", password=PASSWORD, password_confirm=PASSWORD)
    logged_in, response = _login(library, "FORGOT01", PASSWORD)
    assert response.status_code == 303

    response = _reset_ticket(library, holder)
    assert response.status_code == 200, response.text
    assert response.json()["purpose"] == "reset"
    assert response.json()["url"].startswith("http://testserver/portal/reset?ticket=")
    token = token_of(response)
    preview = browser(library).get("/portal/reset", params={"ticket": token})
    assert preview.status_code == 200 and "開始する" in preview.text  # nothing spent
    client = browser(library)
    form = open_ticket(client, "/portal/reset", token)
    assert form.status_code == 200 and "FORGOT01" in form.text
    csrf = csrf_of(form.text)
    assert browser(library).get("/portal/reset", params={"ticket": token}).status_code == 410

    common = client.post(
        "/portal/reset",
        data={"csrf": csrf, "password": "password1", "password_confirm": "password1"},
    )
    assert common.status_code == 400 and "よく使われていて" in common.text
    same_as_id = client.post(
        "/portal/reset", data={"csrf": csrf, "password": "forgot01", "password_confirm": "forgot01"}
    )
    assert same_as_id.status_code == 400
    forged = client.post(
        "/portal/reset", data={"csrf": "x", "password": NEW, "password_confirm": NEW}
    )
    assert forged.status_code == 403
    assert _login(library, "FORGOT01", PASSWORD)[1].status_code == 303  # nothing moved yet
    for _ in range(3):  # someone guessing from this address: slowed until the reset
        assert _login(library, "FORGOT01", "wrong000")[1].status_code == 401

    done = client.post(
        "/portal/reset", data={"csrf": csrf, "password": NEW, "password_confirm": NEW}
    )
    assert done.status_code == 200 and "再設定しました" in done.text
    failures = library.world.db.transaction(
        lambda s: s.scalar(select(func.count()).select_from(LoginFailure))
    )
    assert failures == 0  # the reset cleared every address's delay
    assert logged_in.get("/portal/mypage", follow_redirects=False).status_code == 303  # ended
    assert _login(library, "FORGOT01", PASSWORD)[1].status_code == 401
    assert _login(library, "FORGOT01", NEW)[1].status_code == 303
    again = client.post(
        "/portal/reset", data={"csrf": csrf, "password": NEW, "password_confirm": NEW}
    )
    assert again.status_code == 401  # the reset session ended with the reset


def test_an_unregistered_card_gets_no_reset_ticket(library: Library) -> None:
    before = _tickets(library)
    assert_error(_reset_ticket(library, library.ca.issue(2)), 404, "not_registered")
    # the fixture's patron is registered but has no My Page account
    assert_error(_reset_ticket(library, library.patron), 404, "not_registered")
    assert _tickets(library) == before


def test_tickets_open_only_their_own_page(library: Library) -> None:
    holder = library.ca.issue(2)
    registration = ticket_of(library, library.ca.issue(3))
    assert browser(library).get("/portal/reset", params={"ticket": registration}).status_code == 410
    reg = open_registration(library, holder)
    assert reg.submit(mykey_id="FORGOT02").status_code == 200
    reset = token_of(_reset_ticket(library, holder))
    assert open_ticket(browser(library), "/portal/register", reset).status_code == 410
