"""RFC 9421 request signatures: what passes, and each way to fail."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.api.schemas import SIGNATURE_MAX_AGE_S
from server.terminals.enrollment import revoke_terminal
from server.terminals.models import Challenge, RequestNonce
from tests.unit.server.conftest import Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.signing import SignedClient, sign_headers
from tests.unit.server.world import challenge, lookup_body


def _challenges(library: Library) -> int:
    return count(library.world.db, Challenge)


def test_a_good_signature_identifies_the_terminal(library: Library) -> None:
    response = library.desk.get("/v1/terminal")
    assert response.status_code == 200, response.text
    assert response.json()["terminal_id"] == library.desk.terminal_id


def test_a_signed_body_passes(library: Library) -> None:
    challenge_id, value = challenge(library.desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    assert library.desk.post("/v1/lookups", body).status_code == 200


def test_a_missing_signature_is_refused(library: Library) -> None:
    assert_error(library.world.client.get("/v1/terminal"), 401, "terminal_signature_invalid")
    assert_error(library.world.client.post("/v1/challenges"), 401, "terminal_signature_invalid")
    assert _challenges(library) == 0


def test_a_tampered_body_is_refused(library: Library) -> None:
    desk = library.desk
    challenge_id, value = challenge(desk)
    signed_body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    sent_body = dict(signed_body, certificate=signed_body["certificate"][:-4] + "AAA=")
    raw_signed = json.dumps(signed_body).encode()
    headers = sign_headers(
        "POST",
        desk.base_url + "/v1/lookups",
        key_id=desk.terminal_id,
        key=desk.key,
        body=raw_signed,
    )
    headers["Content-Type"] = "application/json"
    response = library.world.client.post(
        "/v1/lookups", content=json.dumps(sent_body).encode(), headers=headers
    )
    assert_error(response, 401, "terminal_signature_invalid")
    assert "Content-Digest" in response.json()["message"]
    # the challenge was not touched: the genuine request still works
    genuine = desk.post("/v1/lookups", signed_body)
    assert genuine.status_code == 200, genuine.text


def test_a_body_without_a_digest_is_refused(library: Library) -> None:
    challenge_id, value = challenge(library.desk)
    body = lookup_body(challenge_id, library.patron, library.patron.sign(value))
    response = library.desk.post("/v1/lookups", body, sign_body=False)
    assert_error(response, 401, "terminal_signature_invalid")


def test_a_signature_by_another_key_is_refused(library: Library) -> None:
    impostor = SignedClient(
        library.world.client, "http://testserver", library.desk.terminal_id,
        Ed25519PrivateKey.generate(),
    )  # fmt: skip
    assert_error(impostor.get("/v1/terminal"), 401, "terminal_signature_invalid")
    assert_error(impostor.post("/v1/challenges"), 401, "terminal_signature_invalid")
    assert _challenges(library) == 0


@pytest.mark.parametrize("age_s", [SIGNATURE_MAX_AGE_S + 30, -(SIGNATURE_MAX_AGE_S + 30)])
def test_a_stale_or_future_signature_is_refused(library: Library, age_s: int) -> None:
    created = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s)
    assert_error(
        library.desk.get("/v1/terminal", created=created), 401, "terminal_signature_invalid"
    )


@pytest.mark.parametrize("age_s", [SIGNATURE_MAX_AGE_S - 30, -60])
def test_a_little_clock_skew_is_accepted(library: Library, age_s: int) -> None:
    created = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s)
    assert library.desk.get("/v1/terminal", created=created).status_code == 200


@pytest.mark.parametrize("key_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_an_unknown_terminal_is_refused(library: Library, key_id: str) -> None:
    stranger = SignedClient(
        library.world.client, "http://testserver", key_id, Ed25519PrivateKey.generate()
    )
    assert_error(stranger.get("/v1/terminal"), 401, "terminal_unknown")


def test_a_revoked_terminal_is_unknown(library: Library) -> None:
    library.world.db.transaction(lambda s: revoke_terminal(s, library.desk.terminal_id))
    assert_error(library.desk.get("/v1/terminal"), 401, "terminal_unknown")


def test_a_nonce_is_required(library: Library) -> None:
    assert_error(library.desk.get("/v1/terminal", nonce=None), 401, "terminal_signature_invalid")


def test_a_replayed_request_is_refused(library: Library) -> None:
    desk = library.desk
    headers = sign_headers(
        "POST", desk.base_url + "/v1/challenges", key_id=desk.terminal_id, key=desk.key
    )
    assert library.world.client.post("/v1/challenges", headers=headers).status_code == 200
    replay = library.world.client.post("/v1/challenges", headers=headers)
    assert_error(replay, 401, "terminal_signature_invalid")
    assert "nonce" in replay.json()["message"]
    assert _challenges(library) == 1


def test_expired_nonces_are_swept_now_and_then(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import update

    from server.terminals import signatures

    assert library.desk.get("/v1/terminal").status_code == 200
    assert library.desk.get("/v1/terminal").status_code == 200
    assert count(library.world.db, RequestNonce) == 2
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    library.world.db.transaction(
        lambda s: s.execute(update(RequestNonce).values(expires_at=past)))
    monkeypatch.setattr(signatures, "NONCE_SWEEP_ONE_IN", 1)  # sweep on this request
    assert library.desk.get("/v1/terminal").status_code == 200
    assert count(library.world.db, RequestNonce) == 1  # only this request's own nonce


def test_the_label_must_be_mykey(library: Library) -> None:
    assert_error(library.desk.get("/v1/terminal", label="other"), 401, "terminal_signature_invalid")


@pytest.mark.parametrize("covered", [("@method",), ("@target-uri",), ("@method", "@path")])
def test_method_and_target_uri_must_be_covered(library: Library, covered: tuple[str, ...]) -> None:
    assert_error(
        library.desk.get("/v1/terminal", covered=covered), 401, "terminal_signature_invalid"
    )


def test_a_signature_for_another_url_is_refused(library: Library) -> None:
    desk = library.desk
    headers = sign_headers(
        "GET", desk.base_url + "/v1/health", key_id=desk.terminal_id, key=desk.key
    )
    assert_error(
        library.world.client.get("/v1/terminal", headers=headers), 401, "terminal_signature_invalid"
    )


def test_a_signature_for_another_method_is_refused(library: Library) -> None:
    desk = library.desk
    headers = sign_headers(
        "GET", desk.base_url + "/v1/challenges", key_id=desk.terminal_id, key=desk.key
    )
    assert_error(
        library.world.client.post("/v1/challenges", headers=headers),
        401,
        "terminal_signature_invalid",
    )
    assert _challenges(library) == 0


def test_garbage_signature_headers_are_refused(library: Library) -> None:
    response = library.world.client.get(
        "/v1/terminal", headers={"Signature-Input": "mykey=???", "Signature": "mykey=:x:"}
    )
    assert_error(response, 401, "terminal_signature_invalid")
