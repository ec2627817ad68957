"""MyKey ID rules, registration and re-binding to a renewed card's certificate."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server.errors import OperatorError
from server.identity.models import CertificateBinding, MyKey
from server.identity.mykey import generate_mykey_id, is_valid_mykey_id
from server.identity.rebinding import staff_bind
from tests.unit.server.certs import TestCA, make_ca, now
from tests.unit.server.conftest import LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.world import World, tap


@pytest.mark.parametrize("candidate", ["A01B2C3D", "ZZZZZZZZ", "12345678", "ABCDEFGH"])
def test_valid_ids(candidate: str) -> None:
    assert is_valid_mykey_id(candidate)


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "A01B2C3",
        "A01B2C3D4",
        "a01b2c3d",
        "A01B-C3D",
        "A01B 2C3",
        "Ａ01B2C3D",
        "１2345678",
        "ÄBCDEFGH",
    ],
)
def test_invalid_ids(candidate: str) -> None:
    assert not is_valid_mykey_id(candidate)


def test_generated_ids_follow_the_rules_and_vary() -> None:
    generated = {generate_mykey_id() for _ in range(200)}
    assert all(is_valid_mykey_id(candidate) for candidate in generated)
    assert len(generated) == 200


def _count(world: World, model: type) -> int:
    return world.db.transaction(lambda s: s.scalar(select(func.count()).select_from(model)))


def test_register_with_a_chosen_id(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    assert world.register(test_ca.issue(1), "HANAKO01") == "HANAKO01"


def test_register_generates_an_id(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    assert is_valid_mykey_id(world.register(test_ca.issue(1)))


def test_a_taken_id_is_refused_and_nothing_is_stored(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    world.register(test_ca.issue(1), "TAKEN001")
    with pytest.raises(OperatorError, match="already taken"):
        world.register(test_ca.issue(2), "TAKEN001")
    assert _count(world, MyKey) == 1
    assert _count(world, CertificateBinding) == 1


def test_an_invalid_id_is_refused(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    with pytest.raises(OperatorError, match="not a MyKey ID"):
        world.register(test_ca.issue(1), "lower123")
    assert _count(world, MyKey) == 0


def test_a_certificate_binds_to_one_id_only(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    holder = test_ca.issue(1)
    world.register(holder, "FIRST001")
    with pytest.raises(OperatorError, match="already bound to MyKey ID FIRST001"):
        world.register(holder, "SECOND01")
    assert _count(world, MyKey) == 1


def test_an_untrusted_certificate_is_not_registered(world: World) -> None:
    with pytest.raises(OperatorError, match="certificate_untrusted"):
        world.register(make_ca(3).issue(1))
    assert _count(world, MyKey) == 0


def test_a_revoked_certificate_is_not_registered(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    holder = test_ca.issue(1)
    world.import_crl(test_ca.crl(holder))
    with pytest.raises(OperatorError, match="certificate_revoked"):
        world.register(holder)


def test_an_expired_certificate_is_not_registered(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    old = test_ca.issue(
        1, not_before=now() - dt.timedelta(days=900), not_after=now() - dt.timedelta(days=1)
    )
    with pytest.raises(OperatorError, match="certificate_expired"):
        world.register(old)


def _staff_bind(world: World, der: bytes, mykey_id: str) -> None:
    world.db.transaction(
        lambda s: staff_bind(s, der, mykey_id, staff="窓口 山田", documents="運転免許証")
    )


def test_a_renewed_card_is_bound_to_the_same_id_and_the_old_one_retired(library: Library) -> None:
    renewed = library.ca.issue(2)
    world = library.world
    _staff_bind(world, renewed.der, library.patron_mykey_id)

    response = tap(library.desk, renewed)
    assert response.status_code == 200, response.text
    assert response.json()["service_id"] == LIBRARY_NUMBER
    assert_error(tap(library.desk, library.patron), 403, "certificate_retired")
    assert _count(world, CertificateBinding) == 2


def test_bind_to_an_unknown_id_is_refused(library: Library) -> None:
    renewed = library.ca.issue(2)
    with pytest.raises(OperatorError, match="no MyKey ID NOSUCHID"):
        _staff_bind(library.world, renewed.der, "NOSUCHID")
