"""The provider's side of service links: each key acts on its own service only, every
refusal has its own code and changes nothing, every decision is audited."""

from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.identity.link_codes import LinkCode
from server.identity.models import ServiceLink
from server.identity.provider_keys import add_key
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.test_link_attacks import (
    LINK_CODES,
    NEIGHBOURS_NUMBER,
    PENDING_LINKS,
    claim,
    provider,
    resident,
)
from tests.unit.server.world import tap

MUSEUM = "museum"


def links_state(library: Library) -> list[tuple[str, bool]]:
    def work(session):  # type: ignore[no-untyped-def]
        rows = session.scalars(select(ServiceLink).order_by(ServiceLink.external_id))
        return [(row.external_id, row.confirmed) for row in rows]

    return library.world.db.transaction(work)  # type: ignore[no-any-return]


def pending_id(library: Library, headers: dict[str, str]) -> str:
    listing = library.world.client.get(PENDING_LINKS, headers=headers)
    assert listing.status_code == 200, listing.text
    (only,) = listing.json()["links"]
    return str(only["link_id"])


def test_a_lone_claim_is_listed_without_conflict_and_confirmed_links_are_not(
    library: Library,
) -> None:
    _, client, csrf = resident(library, "LONE0001", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    listing = library.world.client.get(PENDING_LINKS, headers=provider(library))
    body = listing.json()
    assert body["service"] == LIBRARY and body["conflicts"] == []
    (only,) = body["links"]  # the patron's confirmed link is not listed
    assert (only["service_id"], only["claims"], only["conflict"]) == (NEIGHBOURS_NUMBER, 1, False)


def test_another_services_key_neither_sees_nor_decides_the_claim(library: Library) -> None:
    library.world.add_service(MUSEUM)
    holder, client, csrf = resident(library, "OTHER001", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    link_id = pending_id(library, provider(library))
    museum = provider_of(library, MUSEUM)
    assert library.world.client.get(PENDING_LINKS, headers=museum).json()["links"] == []
    before = links_state(library)
    for decision in ("confirm", "reject"):
        refused = library.world.client.post(f"{PENDING_LINKS}/{link_id}/{decision}", headers=museum)
        assert_error(refused, 404, "link_unknown")
    assert links_state(library) == before
    assert_error(tap(library.desk, holder), 403, "link_unconfirmed")


def provider_of(library: Library, service: str) -> dict[str, str]:
    key = library.world.db.transaction(lambda s: add_key(s, service).key)
    return {"Authorization": f"Bearer {key}"}


def test_missing_or_unknown_keys_are_401_and_change_nothing(library: Library) -> None:
    _, client, csrf = resident(library, "KEYLESS1", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    link_id = pending_id(library, provider(library))
    before = links_state(library)
    for headers in ({}, {"Authorization": "Bearer mkp_nonsense"}, {"Authorization": "Basic x"}):
        http = library.world.client
        assert_error(http.get(PENDING_LINKS, headers=headers), 401, "provider_key_invalid")
        confirm = http.post(f"{PENDING_LINKS}/{link_id}/confirm", headers=headers)
        assert_error(confirm, 401, "provider_key_invalid")
        made = http.post(LINK_CODES, json={"service_id": NEIGHBOURS_NUMBER}, headers=headers)
        assert_error(made, 401, "provider_key_invalid")
    assert links_state(library) == before
    assert count(library.world.db, LinkCode) == 0


def test_confirming_twice_or_an_unknown_id_is_link_unknown(library: Library) -> None:
    holder, client, csrf = resident(library, "TWICE001", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    headers = provider(library)
    link_id = pending_id(library, headers)
    http = library.world.client
    assert http.post(f"{PENDING_LINKS}/{link_id}/confirm", headers=headers).status_code == 200
    assert tap(library.desk, holder).json()["service_id"] == NEIGHBOURS_NUMBER
    before = links_state(library)
    again = http.post(f"{PENDING_LINKS}/{link_id}/confirm", headers=headers)
    assert_error(again, 404, "link_unknown")
    for bad in ("not-a-uuid", "01890000-0000-7000-8000-000000000000"):
        assert_error(
            http.post(f"{PENDING_LINKS}/{bad}/confirm", headers=headers), 404, "link_unknown"
        )
    assert links_state(library) == before


def test_a_rejected_claim_is_gone_and_the_resident_may_claim_again(library: Library) -> None:
    holder, client, csrf = resident(library, "REJECT01", 2)
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    headers = provider(library)
    rejected = library.world.client.post(
        f"{PENDING_LINKS}/{pending_id(library, headers)}/reject", headers=headers
    )
    assert rejected.status_code == 200 and rejected.json()["decision"] == "rejected"
    assert_error(tap(library.desk, holder), 404, "service_not_linked")
    assert claim(client, csrf, "3333333333").status_code == 200


def test_a_claim_on_a_confirmed_number_is_refused_as_taken(library: Library) -> None:
    _, client, csrf = resident(library, "TAKEN001", 2)
    before = links_state(library)
    taken = claim(client, csrf, LIBRARY_NUMBER)  # the patron's, confirmed by the operator
    assert taken.status_code == 400 and "他のマイキーIDに連携" in taken.text
    assert links_state(library) == before


def test_a_code_for_a_malformed_number_is_refused(library: Library) -> None:
    headers = provider(library)
    made = library.world.client.post(LINK_CODES, json={"service_id": "12"}, headers=headers)
    assert_error(made, 400, "malformed")
    long = library.world.client.post(
        LINK_CODES, json={"service_id": NEIGHBOURS_NUMBER, "valid_days": 91}, headers=headers
    )
    assert_error(long, 400, "malformed")
    assert count(library.world.db, LinkCode) == 0


def test_codes_are_stored_hashed_and_decisions_audited_without_service_ids(
    library: Library,
) -> None:
    headers = provider(library)
    made = library.world.client.post(
        LINK_CODES, json={"service_id": NEIGHBOURS_NUMBER, "valid_days": 3}, headers=headers
    )
    assert made.status_code == 200, made.text
    code = made.json()["code"]

    def stored(session):  # type: ignore[no-untyped-def]
        return session.scalars(select(LinkCode.code_hash)).all()

    (code_hash,) = library.world.db.transaction(stored)
    assert code.replace("-", "") not in code_hash
    _, client, csrf = resident(library, "AUDIT001", 2)
    assert claim(client, csrf, "3333333333").status_code == 200
    link_id = pending_id(library, headers)
    library.world.client.post(f"{PENDING_LINKS}/{link_id}/confirm", headers=headers)

    def events(session):  # type: ignore[no-untyped-def]
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("provider.link%"))
        ).all()
        return [(row.action, row.fields) for row in rows]

    logged = library.world.db.transaction(events)
    assert [action for action, _ in logged] == ["provider.link_code", "provider.link_confirm"]
    for _, fields in logged:
        assert NEIGHBOURS_NUMBER not in fields and "3333333333" not in fields
        assert code not in fields


def test_pages_follow_the_cursor_and_a_bad_cursor_is_400(library: Library) -> None:
    for serial, (name, number) in enumerate(
        [("PAGE0001", "3333333333"), ("PAGE0002", "4444444444"), ("PAGE0003", "5555555555")],
        start=2,
    ):
        _, client, csrf = resident(library, name, serial)
        assert claim(client, csrf, number).status_code == 200
    headers = provider(library)
    http = library.world.client
    first = http.get(PENDING_LINKS, params={"limit": 2}, headers=headers).json()
    assert [c["service_id"] for c in first["links"]] == ["3333333333", "4444444444"]
    params = {"limit": 2, "cursor": first["next_cursor"]}
    rest = http.get(PENDING_LINKS, params=params, headers=headers).json()
    assert [c["service_id"] for c in rest["links"]] == ["5555555555"]
    assert rest["next_cursor"] is None
    bad = http.get(PENDING_LINKS, params={"cursor": "nonsense"}, headers=headers)
    assert_error(bad, 400, "malformed")
