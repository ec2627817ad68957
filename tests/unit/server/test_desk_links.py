"""Confirming a service link at the desk: the holder's card and PIN, the service's own
card in the librarian's hand (``POST /v1/link-confirmations``)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from server.api.schemas import TerminalMode
from server.identity.models import ServiceLink
from server.ledger.admin import allow_terminal
from tests.unit.server.certs import Holder
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.signing import SignedClient
from tests.unit.server.test_link_attacks import NEIGHBOURS_NUMBER, claim, resident
from tests.unit.server.world import challenge, lookup_body, tap

CONFIRMATIONS = "/v1/link-confirmations"


def links_state(library: Library) -> list[tuple[str, bool]]:
    def work(session):  # type: ignore[no-untyped-def]
        rows = session.scalars(select(ServiceLink).order_by(ServiceLink.external_id))
        return [(row.external_id, row.confirmed) for row in rows]

    return library.world.db.transaction(work)  # type: ignore[no-any-return]


def confirm_desk(library: Library) -> SignedClient:
    """The library's desk, allowed to confirm links."""
    desk = library.desk
    library.world.db.transaction(
        lambda s: allow_terminal(s, desk.terminal_id, TerminalMode.LINK_CONFIRM)
    )
    return desk


def confirm(desk: SignedClient, holder: Holder, service_id: str) -> httpx.Response:
    challenge_id, value = challenge(desk)
    body = {**lookup_body(challenge_id, holder, holder.sign(value)), "service_id": service_id}
    return desk.post(CONFIRMATIONS, body)


def test_the_desk_confirms_the_holders_claim_and_drops_the_neighbours(library: Library) -> None:
    attacker, attacker_client, attacker_csrf = resident(library, "DESKATT1", 2)
    owner, client, csrf = resident(library, "DESKOWN1", 3)
    assert claim(attacker_client, attacker_csrf, NEIGHBOURS_NUMBER).status_code == 200
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    desk = confirm_desk(library)
    done = confirm(desk, owner, NEIGHBOURS_NUMBER)
    assert done.status_code == 200, done.text
    assert done.json() == {
        "service": LIBRARY,
        "service_id": NEIGHBOURS_NUMBER,
        "outcome": "confirmed",
        "dropped_claims": 1,
    }
    assert tap(desk, owner).json()["service_id"] == NEIGHBOURS_NUMBER
    assert_error(tap(desk, attacker), 404, "service_not_linked")


def test_a_holder_without_a_claim_is_linked_at_the_desk(library: Library) -> None:
    holder, _, _ = resident(library, "DESKNEW1", 2)
    done = confirm(confirm_desk(library), holder, NEIGHBOURS_NUMBER)
    assert done.status_code == 200 and done.json()["outcome"] == "linked"
    assert tap(library.desk, holder).json()["service_id"] == NEIGHBOURS_NUMBER


def test_a_desk_without_the_mode_is_refused_and_nothing_changes(library: Library) -> None:
    holder, client, csrf = resident(library, "DESKNOM1", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    before = links_state(library)
    refused = confirm(library.desk, holder, NEIGHBOURS_NUMBER)
    assert_error(refused, 403, "terminal_mode_not_allowed")
    assert links_state(library) == before
    assert_error(tap(library.desk, holder), 403, "link_unconfirmed")


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        (LIBRARY_NUMBER, 409, "service_id_taken"),  # the patron's, confirmed
        ("3333333333", 409, "link_mismatch"),  # the holder claimed another number
        ("12", 400, "malformed"),  # not the library's format
    ],
)
def test_refusals_change_no_link(library: Library, number: str, status: int, code: str) -> None:
    holder, client, csrf = resident(library, "DESKREF1", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    desk = confirm_desk(library)
    before = links_state(library)
    assert_error(confirm(desk, holder, number), status, code)
    assert links_state(library) == before
    assert_error(tap(desk, holder), 403, "link_unconfirmed")
    assert tap(desk, library.patron).json()["service_id"] == LIBRARY_NUMBER


def test_an_unregistered_card_is_refused(library: Library) -> None:
    stranger = library.ca.issue(2)
    before = links_state(library)
    assert_error(confirm(confirm_desk(library), stranger, NEIGHBOURS_NUMBER), 404, "not_registered")
    assert links_state(library) == before


def test_a_desk_of_another_service_does_not_confirm_the_library_claim(library: Library) -> None:
    library.world.add_service("museum")
    museum_desk = library.world.enroll("museum", "museum desk")
    library.world.db.transaction(
        lambda s: allow_terminal(s, museum_desk.terminal_id, TerminalMode.LINK_CONFIRM)
    )
    holder, client, csrf = resident(library, "DESKMUS1", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    done = confirm(museum_desk, holder, NEIGHBOURS_NUMBER)
    assert done.status_code == 200 and done.json()["service"] == "museum"
    assert_error(tap(library.desk, holder), 403, "link_unconfirmed")  # the library's: pending
