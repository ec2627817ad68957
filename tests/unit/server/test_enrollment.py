"""Enrollment codes: single use, expiry, only a hash stored; terminal identity."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, update

from server.errors import OperatorError
from server.terminals.enrollment import code_hash, new_code
from server.terminals.models import EnrollmentCode, Terminal
from tests.unit.server.signing import public_key_b64
from tests.unit.server.world import World

CODE = re.compile(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")


@pytest.fixture
def library_world(world: World) -> World:
    world.add_service("library")
    return world


def _enroll(world: World, code: str, key: Ed25519PrivateKey | None = None) -> httpx.Response:
    key = key or Ed25519PrivateKey.generate()
    return world.client.post(
        "/v1/terminals/enroll", json={"code": code, "public_key": public_key_b64(key)}
    )


def _terminals(world: World) -> int:
    return world.db.transaction(lambda s: s.scalar(select(func.count()).select_from(Terminal)))


def test_codes_are_four_groups_of_base32_and_differ() -> None:
    codes = {new_code() for _ in range(100)}
    assert all(CODE.fullmatch(code) for code in codes)
    assert len(codes) == 100


def test_spelling_of_a_code_does_not_matter() -> None:
    assert code_hash("ABCD-EFGH-IJKL-MNOP") == code_hash("abcd efgh ijkl mnop")
    assert code_hash("ABCD-EFGH-IJKL-MNOP") != code_hash("ABCD-EFGH-IJKL-MNOQ")


def test_enrollment_gives_the_terminal_its_identity(library_world: World) -> None:
    key = Ed25519PrivateKey.generate()
    code = library_world.enrollment_code("library", "1F desk")
    response = _enroll(library_world, code, key)
    assert response.status_code == 200, response.text
    info = response.json()
    assert info["name"] == "1F desk"
    assert info["service"]["name"] == "library"
    assert info["service"]["barcode"]["symbology"] == "nw7"
    stored = library_world.db.transaction(lambda s: s.scalars(select(Terminal)).one())
    assert str(stored.id) == info["terminal_id"]
    assert stored.public_key == key.public_key().public_bytes_raw()


def test_a_code_works_once(library_world: World) -> None:
    code = library_world.enrollment_code("library")
    assert _enroll(library_world, code).status_code == 200
    second = _enroll(library_world, code)
    assert second.status_code == 403
    assert second.json()["error"] == "enrollment_code_invalid"
    assert _terminals(library_world) == 1


def test_an_unknown_code_is_refused(library_world: World) -> None:
    response = _enroll(library_world, "AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 403
    assert response.json()["error"] == "enrollment_code_invalid"
    assert _terminals(library_world) == 0


def test_an_expired_code_is_refused(library_world: World) -> None:
    code = library_world.enrollment_code("library")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    library_world.db.transaction(
        lambda s: s.execute(update(EnrollmentCode).values(expires_at=past))
    )
    response = _enroll(library_world, code)
    assert response.status_code == 403
    assert response.json()["error"] == "enrollment_code_invalid"
    assert _terminals(library_world) == 0


def test_only_the_hash_of_a_code_is_stored(library_world: World) -> None:
    code = library_world.enrollment_code("library")
    row = library_world.db.transaction(lambda s: s.scalars(select(EnrollmentCode)).one())
    assert row.code_hash == code_hash(code)
    assert code.replace("-", "") not in row.code_hash.upper()
    assert row.expires_at - row.created_at == dt.timedelta(days=7)


@pytest.mark.parametrize(
    "public_key",
    ["not base64!!" * 4, "QUFBQQ==" * 6, "A" * 40 + "=="],  # junk, 36 bytes, bad padding
)
def test_a_bad_public_key_is_malformed_and_keeps_the_code(
    library_world: World, public_key: str
) -> None:
    code = library_world.enrollment_code("library")
    response = library_world.client.post(
        "/v1/terminals/enroll", json={"code": code, "public_key": public_key}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "malformed"
    assert _enroll(library_world, code).status_code == 200


def test_a_code_for_an_unknown_service_is_not_issued(world: World) -> None:
    with pytest.raises(OperatorError, match="no service named nosuch"):
        world.enrollment_code("nosuch")
