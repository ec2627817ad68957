"""POST /v1/lookups: each check in its order, its error, and what it leaves behind."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

import pytest
from sqlalchemy import update

from server.identity.models import ServiceLink
from server.identity.mykey import mark_address_changed
from server.identity.services import set_link_valid
from server.identity.trust import retire_anchor
from server.terminals.models import Challenge
from tests.unit.server.certs import Holder, make_ca, now
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.signing import sign_headers
from tests.unit.server.world import b64, challenge, lookup_body, tap


def _challenge_row(library: Library, challenge_id: str) -> Challenge:
    row = library.world.db.transaction(lambda s: s.get(Challenge, uuid.UUID(challenge_id)))
    assert row is not None
    return row


def _spent(library: Library, challenge_id: str) -> bool:
    return _challenge_row(library, challenge_id).used_at is not None


def _challenge_value(library: Library, challenge_id: str) -> bytes:
    return _challenge_row(library, challenge_id).value


# --- success and what it tells ----------------------------------------------------


def test_a_linked_patron_gets_exactly_the_library_number(library: Library) -> None:
    response = tap(library.desk, library.patron)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "service": LIBRARY,
        "service_id": LIBRARY_NUMBER,
        "valid": True,
        "address_changed": False,
        "certificate_expires_soon": False,
    }
    assert library.patron_mykey_id not in response.text


def test_the_challenge_is_spent_by_a_success(library: Library) -> None:
    challenge_id, value = challenge(library.desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    assert library.desk.post("/v1/lookups", body).status_code == 200
    assert _spent(library, challenge_id)
    replay = library.desk.post("/v1/lookups", body)  # newly signed: only the challenge repeats
    assert_error(replay, 409, "challenge_used")


def test_an_address_change_after_the_link_is_reported(library: Library) -> None:
    library.world.db.transaction(lambda s: mark_address_changed(s, library.patron_mykey_id))
    assert tap(library.desk, library.patron).json()["address_changed"] is True


def test_an_address_change_before_the_link_is_not_reported(library: Library) -> None:
    library.world.db.transaction(lambda s: mark_address_changed(s, library.patron_mykey_id))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    library.world.db.transaction(lambda s: s.execute(update(ServiceLink).values(linked_at=later)))
    assert tap(library.desk, library.patron).json()["address_changed"] is False


def test_an_invalid_library_card_is_reported(library: Library) -> None:
    library.world.db.transaction(
        lambda s: set_link_valid(s, library.patron_mykey_id, LIBRARY, False)
    )
    result = tap(library.desk, library.patron).json()
    assert result["valid"] is False
    assert result["service_id"] == LIBRARY_NUMBER


def test_a_certificate_expiring_within_90_days_is_flagged(library: Library) -> None:
    soon = library.ca.issue(2, not_after=now() + dt.timedelta(days=89))
    library.world.link(library.world.register(soon), LIBRARY, "5555555555")
    assert tap(library.desk, soon).json()["certificate_expires_soon"] is True


def test_a_terminal_only_ever_gets_its_own_service(library: Library) -> None:
    world = library.world
    world.add_service("shop", pattern=r"S[0-9]{6}")
    world.link(library.patron_mykey_id, "shop", "S123456")
    shop_till = world.enroll("shop", "till 1")
    assert tap(shop_till, library.patron).json()["service_id"] == "S123456"
    assert tap(library.desk, library.patron).json()["service_id"] == LIBRARY_NUMBER


# --- the challenge -------------------------------------------------------------------


def test_an_unknown_challenge(library: Library) -> None:
    for challenge_id in (str(uuid.uuid4()), "not-a-uuid"):
        body = lookup_body(challenge_id, library.patron, library.patron.sign(b"x" * 32))
        assert_error(library.desk.post("/v1/lookups", body), 404, "challenge_unknown")


def test_another_terminals_challenge_is_refused_and_left_alone(library: Library) -> None:
    other_desk = library.world.enroll(LIBRARY, "desk 2")
    challenge_id, value = challenge(other_desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    assert_error(library.desk.post("/v1/lookups", body), 403, "challenge_wrong_terminal")
    assert not _spent(library, challenge_id)
    assert other_desk.post("/v1/lookups", body).status_code == 200


def test_an_expired_challenge_is_refused(library: Library) -> None:
    challenge_id, value = challenge(library.desk)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    library.world.db.transaction(lambda s: s.execute(update(Challenge).values(expires_at=past)))
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    assert_error(library.desk.post("/v1/lookups", body), 410, "challenge_expired")


def test_a_challenge_lives_60_seconds_and_is_32_random_bytes(library: Library) -> None:
    response = library.desk.post("/v1/challenges")
    body = response.json()
    assert len(base64.b64decode(body["challenge"])) == 32
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(seconds=55) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=60)
    assert challenge(library.desk)[1] != base64.b64decode(body["challenge"])


# --- the certificate, then the card's signature: each failure spends the challenge ----


def _attempt(library: Library, holder: Holder, signer: Holder | None = None) -> dict[str, str]:
    """A lookup body for a new challenge: ``holder``'s certificate, ``signer``'s signature."""
    challenge_id, value = challenge(library.desk)
    return lookup_body(challenge_id, holder, (signer or holder).sign(value))


def _refused(
    library: Library,
    body: dict[str, str],
    status: int,
    code: str,
    good_card: Holder | None = None,
) -> str:
    """The attempt fails with ``code``, and spends its challenge: a good card can't reuse it."""
    message = assert_error(library.desk.post("/v1/lookups", body), status, code)
    assert _spent(library, body["challenge_id"]), "one attempt per challenge"
    value = _challenge_value(library, body["challenge_id"])
    good_card = good_card or library.ca.issue(6)
    retry = lookup_body(body["challenge_id"], good_card, good_card.sign(value))
    assert_error(library.desk.post("/v1/lookups", retry), 409, "challenge_used")
    return message


def test_a_certificate_from_a_forged_ca_with_the_same_name(library: Library) -> None:
    forger = make_ca(5)  # same subject name as the trusted test CA, another key
    assert forger.certificate.subject == library.ca.certificate.subject
    forged = forger.issue(1)  # even the patron's own key
    message = _refused(library, _attempt(library, forged), 403, "certificate_untrusted")
    assert "trusted" in message


def test_a_certificate_from_an_unknown_ca(library: Library) -> None:
    stranger = make_ca(5, "Some Other CA").issue(3)
    _refused(library, _attempt(library, stranger), 403, "certificate_untrusted")


def test_the_ca_certificate_itself_is_not_a_card(library: Library) -> None:
    _refused(library, _attempt(library, library.ca.as_holder()), 403, "certificate_untrusted")


def test_a_certificate_of_a_retired_anchor(library: Library) -> None:
    library.world.db.transaction(lambda s: retire_anchor(s, library.ca.fingerprint))
    other_ca = make_ca(7, "Another Trusted CA")
    library.world.trust(other_ca)
    body = _attempt(library, library.patron)
    _refused(library, body, 403, "certificate_untrusted", good_card=other_ca.issue(6))


def test_a_revoked_certificate(library: Library) -> None:
    library.world.import_crl(library.ca.crl(library.patron))
    _refused(library, _attempt(library, library.patron), 403, "certificate_revoked")


def test_a_crl_revokes_only_what_it_lists(library: Library) -> None:
    library.world.import_crl(library.ca.crl(library.ca.issue(2)))
    assert tap(library.desk, library.patron).status_code == 200


def test_an_expired_certificate(library: Library) -> None:
    old = library.ca.issue(
        2, not_before=now() - dt.timedelta(days=1000), not_after=now() - dt.timedelta(seconds=5)
    )
    _refused(library, _attempt(library, old), 403, "certificate_expired")


def test_a_not_yet_valid_certificate(library: Library) -> None:
    future = library.ca.issue(2, not_before=now() + dt.timedelta(days=3))
    _refused(library, _attempt(library, future), 403, "certificate_not_yet_valid")


def test_a_signature_by_another_cards_key(library: Library) -> None:
    other_card = library.ca.issue(2)
    body = _attempt(library, library.patron, signer=other_card)
    _refused(library, body, 403, "card_signature_invalid")


def test_a_signature_over_another_challenge(library: Library) -> None:
    _, other_value = challenge(library.desk)
    challenge_id, _ = challenge(library.desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(other_value))
    _refused(library, body, 403, "card_signature_invalid")


def test_a_certificate_that_does_not_parse(library: Library) -> None:
    challenge_id, value = challenge(library.desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    body["certificate"] = b64(b"\x30\x82\x01\x00" + b"\x00" * 64)
    _refused(library, body, 400, "certificate_malformed")


def test_a_certificate_with_a_broken_extension(library: Library) -> None:
    der = bytearray(library.patron.der)
    basic_constraints = der.find(bytes.fromhex("551d13"))  # OID 2.5.29.19
    value = der.find(bytes.fromhex("04023000"), basic_constraints)  # OCTET STRING { SEQ {} }
    der[value + 2] = 0x31  # SEQUENCE → SET: the DER still parses, the extension does not
    challenge_id, value_bytes = challenge(library.desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value_bytes))
    body["certificate"] = b64(bytes(der))
    _refused(library, body, 400, "certificate_malformed")


def test_a_certificate_with_an_unknown_signature_algorithm(library: Library) -> None:
    sha256_with_rsa = bytes.fromhex("2a864886f70d01010b")  # 1.2.840.113549.1.1.11
    odd = library.patron.der.replace(sha256_with_rsa, bytes.fromhex("2a864886f70d01017f"))
    challenge_id, value = challenge(library.desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    body["certificate"] = b64(odd)
    _refused(library, body, 403, "certificate_untrusted")


def test_a_failed_attempt_spends_the_challenge(library: Library) -> None:
    challenge_id, value = challenge(library.desk)
    wrong = lookup_body(challenge_id, library.patron, library.ca.issue(2).sign(value))
    assert_error(library.desk.post("/v1/lookups", wrong), 403, "card_signature_invalid")
    right = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    assert_error(library.desk.post("/v1/lookups", right), 409, "challenge_used")


# --- after the card is proven: registration and link -------------------------------


def test_a_card_not_registered(library: Library) -> None:
    unregistered = library.ca.issue(2)
    body = _attempt(library, unregistered)
    message = assert_error(library.desk.post("/v1/lookups", body), 404, "not_registered")
    assert "MyKey" in message
    assert _spent(library, body["challenge_id"])


def test_a_holder_without_a_library_link(library: Library) -> None:
    taro = library.ca.issue(2)
    library.world.register(taro, "TARO0001")
    links = count(library.world.db, ServiceLink)
    body = _attempt(library, taro)
    assert_error(library.desk.post("/v1/lookups", body), 404, "service_not_linked")
    assert count(library.world.db, ServiceLink) == links
    assert _spent(library, body["challenge_id"])


# --- malformed requests: 400 with an ErrorBody, nothing spent ------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"certificate": "%%% not base64 %%%"},
        {"signature": "abc"},
        {"certificate": "A" * 16385},
        {"signature": "A" * 2049},
        {"challenge_id": "x" * 65},
        {"certificate": 12},
        {"certificate": None},
    ],
)
def test_malformed_fields(library: Library, change: dict[str, object]) -> None:
    challenge_id, value = challenge(library.desk)
    body: dict[str, object] = {
        **lookup_body(challenge_id, library.patron, library.patron.sign(value)),
        **change,
    }
    assert_error(library.desk.post("/v1/lookups", body), 400, "malformed")
    assert not _spent(library, challenge_id)


def test_missing_fields(library: Library) -> None:
    message = assert_error(
        library.desk.post("/v1/lookups", {"challenge_id": "x"}), 400, "malformed"
    )
    assert "certificate" in message


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"text"', b"\xff\xfe", b""])
def test_a_body_that_is_not_a_json_object(library: Library, raw: bytes) -> None:
    desk = library.desk
    headers = sign_headers(
        "POST", desk.base_url + "/v1/lookups", key_id=desk.terminal_id, key=desk.key, body=raw
    )
    headers["Content-Type"] = "application/json"
    response = library.world.client.post("/v1/lookups", content=raw, headers=headers)
    assert_error(response, 400, "malformed")


def test_an_oversized_body(library: Library) -> None:
    response = library.world.client.post(
        "/v1/lookups",
        content=b"{" + b" " * 100_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 413, "malformed")


def test_no_challenge_is_spent_by_an_unsigned_lookup(library: Library) -> None:
    challenge_id, value = challenge(library.desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    assert_error(
        library.world.client.post("/v1/lookups", json=body), 401, "terminal_signature_invalid"
    )
    assert not _spent(library, challenge_id)
    assert library.desk.post("/v1/lookups", body).status_code == 200


def test_used_challenges_are_not_reported_before_the_card_checks(library: Library) -> None:
    """The documented order: a forged card on a spent challenge is 'untrusted'."""
    challenge_id, value = challenge(library.desk)
    good = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    assert library.desk.post("/v1/lookups", good).status_code == 200
    forged = make_ca(5).issue(1)
    body = lookup_body(challenge_id, forged, forged.sign(value))
    assert_error(library.desk.post("/v1/lookups", body), 403, "certificate_untrusted")
