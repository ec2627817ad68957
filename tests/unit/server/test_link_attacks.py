"""Attacks on service links: a resident claims a neighbour's library number on My Page.

A claim made by a resident proves nothing (anyone can read a number off a library card
or a receipt); only the provider confirms it.  These tests play the attacker.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from server.identity.link_codes import LinkCode
from server.identity.models import IssuedLabel
from server.identity.provider_keys import add_key
from tests.unit.server.conftest import LIBRARY, Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.portal_helpers import browser, csrf_of, open_registration
from tests.unit.server.world import challenge, lookup_body, tap

PASSWORD = "Secret99"
NEIGHBOURS_NUMBER = "2222222222"
PENDING_LINKS = "/v1/providers/pending-links"
LINK_CODES = "/v1/providers/link-codes"


def resident(library: Library, mykey_id: str, serial: int):  # type: ignore[no-untyped-def]
    """A registered resident logged in to My Page: (card, client, csrf)."""
    holder = library.ca.issue(serial)
    reg = open_registration(library, holder)
    done = reg.submit(mykey_id=mykey_id, password=PASSWORD, password_confirm=PASSWORD)
    assert done.status_code == 200, done.text
    client = browser(library)
    page = client.get("/portal/login")
    client.post(
        "/portal/login",
        data={"csrf": csrf_of(page.text), "mykey_id": mykey_id, "password": PASSWORD},
    )
    page = client.get("/portal/mypage")
    assert page.status_code == 200
    return holder, client, csrf_of(page.text)


def provider(library: Library) -> dict[str, str]:
    """The library's provider API key, as a request header."""
    key = library.world.db.transaction(lambda s: add_key(s, LIBRARY).key)
    return {"Authorization": f"Bearer {key}"}


def linking_code(library: Library, number: str) -> str:
    response = library.world.client.post(
        LINK_CODES, json={"service_id": number}, headers=provider(library)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["code"])


def claim(client, csrf: str, number: str, code: str = ""):  # type: ignore[no-untyped-def]
    form = {"csrf": csrf, "service": LIBRARY, "service_id": number, "code": code}
    return client.post("/portal/mypage/link", data=form)


def test_a_neighbours_number_claimed_on_my_page_is_not_handed_out(library: Library) -> None:
    attacker, client, csrf = resident(library, "ATTACK01", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    response = tap(library.desk, attacker)
    assert NEIGHBOURS_NUMBER not in response.text
    assert_error(response, 403, "link_unconfirmed")


def test_the_neighbour_is_not_locked_out_and_the_provider_sees_the_conflict(
    library: Library,
) -> None:
    attacker, attacker_client, attacker_csrf = resident(library, "ATTACK02", 2)
    neighbour, client, csrf = resident(library, "NEIGHB01", 3)
    assert claim(attacker_client, attacker_csrf, NEIGHBOURS_NUMBER).status_code == 200
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200  # not "taken"
    assert_error(tap(library.desk, neighbour), 403, "link_unconfirmed")
    listing = library.world.client.get(PENDING_LINKS, headers=provider(library))
    assert listing.status_code == 200, listing.text
    claims = [c for c in listing.json()["links"] if c["service_id"] == NEIGHBOURS_NUMBER]
    assert len(claims) == 2 and all(c["conflict"] for c in claims)
    assert listing.json()["conflicts"] == [NEIGHBOURS_NUMBER]
    assert "mykey" not in listing.text.lower()  # the provider never sees a MyKey ID
    # the library checks the physical card and confirms the neighbour's claim (the later one)
    neighbours_claim = claims[-1]["link_id"]  # oldest first
    confirmed = library.world.client.post(
        f"{PENDING_LINKS}/{neighbours_claim}/confirm", headers=provider(library)
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["dropped_claims"] == 1
    assert tap(library.desk, neighbour).json()["service_id"] == NEIGHBOURS_NUMBER
    assert_error(tap(library.desk, attacker), 404, "service_not_linked")


def test_a_linking_code_confirms_one_number_once(library: Library) -> None:
    holder, client, csrf = resident(library, "CODED001", 2)
    code = linking_code(library, NEIGHBOURS_NUMBER)
    wrong_number = claim(client, csrf, "3333333333", code)
    assert wrong_number.status_code == 400 and "確認コード" in wrong_number.text
    assert_error(tap(library.desk, holder), 404, "service_not_linked")  # nothing was linked
    assert claim(client, csrf, NEIGHBOURS_NUMBER, code).status_code == 200
    assert tap(library.desk, holder).json()["service_id"] == NEIGHBOURS_NUMBER
    other, other_client, other_csrf = resident(library, "CODED002", 3)
    reused = claim(other_client, other_csrf, NEIGHBOURS_NUMBER, code)
    assert reused.status_code == 400 and "確認コード" in reused.text
    assert_error(tap(library.desk, other), 404, "service_not_linked")


def test_an_expired_linking_code_is_refused(library: Library) -> None:
    holder, client, csrf = resident(library, "CODED003", 2)
    code = linking_code(library, NEIGHBOURS_NUMBER)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    library.world.db.transaction(lambda s: s.execute(update(LinkCode).values(expires_at=past)))
    expired = claim(client, csrf, NEIGHBOURS_NUMBER, code)
    assert expired.status_code == 400 and "確認コード" in expired.text
    assert_error(tap(library.desk, holder), 404, "service_not_linked")


def test_a_claimed_number_gets_no_same_day_label_either(library: Library) -> None:
    attacker, client, csrf = resident(library, "ATTACK03", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    challenge_id, value = challenge(library.desk)
    body = {**lookup_body(challenge_id, attacker, attacker.sign(value)), "label": True}
    response = library.desk.post("/v1/lookups", body)
    assert NEIGHBOURS_NUMBER not in response.text
    assert_error(response, 403, "link_unconfirmed")
    assert count(library.world.db, IssuedLabel) == 0
