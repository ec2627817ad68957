"""Hostile input of issue 6 not covered elsewhere: each case ends in its exact error code
and leaves the platform's state as it was.

"State" is every table but the ones a refusal is meant to write: ``audit_*`` (the refusal
is logged), ``challenges`` (a failed card proof spends its challenge, by design) and
``request_nonces`` (a signed request's nonce is remembered even when refused) and
``rate_counters`` (a refusal counts against the client's address).

Covered elsewhere (test_lookups, test_signatures, test_enrollment, test_api, test_robustness):
the certificate and challenge cases on ``/v1/lookups``, signature headers, nonces and
replayed requests on ``GET /v1/terminal``, the oversized lookup.  Here: the same card
proofs on ``/v1/card-sessions`` and ``/v1/registration-tickets`` plus a certificate with
the wrong key usage and a truncated signature everywhere; unsigned, tampered, stale,
unknown-terminal, revoked-terminal and oversized requests on every signed operation; a
library desk asking for the points services; SQL and script injection strings in every
text field of every operation.
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from sqlalchemy import text, update

from server.db import Database
from server.identity.provider_keys import add_key
from server.models import Base
from server.staff.service import add_staff
from server.terminals.enrollment import revoke_terminal
from server.terminals.models import Challenge
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.certs import Holder, make_ca, now, rsa_key
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.points_world import (
    ALPHA,
    PointsWorld,
    grant_op,
    make_points_world,
    pay_op,
    voucher_op,
)
from tests.unit.server.signing import SignedClient, public_key_b64, sign_headers
from tests.unit.server.staff_world import PIN_SUZUKI, PIN_YAMADA
from tests.unit.server.world import World, b64, challenge

#: tables a refusal may write to (see the module docstring)
NOT_STATE = {"audit_events", "audit_head", "challenges", "request_nonces", "rate_counters"}
SQL_INJECTION = "' OR '1'='1'; DROP TABLE mykeys; --"
SCRIPT_INJECTION = '<script>alert("x")</script>'
OVERSIZED = 100_000  # bytes; the platform's limit is 64 KiB


def snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every state table, as sorted text."""
    state: dict[str, list[str]] = {}
    with db.engine.connect() as connection:
        for name in sorted(Base.metadata.tables):
            if name not in NOT_STATE:
                rows = connection.execute(text(f"SELECT * FROM {name}")).all()  # noqa: S608
                state[name] = sorted(repr(tuple(row)) for row in rows)
    return state


@dataclass
class Town:
    """A library desk and its patron, plus the points terminals and a live card session."""

    library: Library
    points: PointsWorld
    sessions: dict[str, str] = field(default_factory=dict)
    payment_id: str = ""
    grant_id: str = ""

    @property
    def db(self) -> Database:
        return self.library.world.db

    @property
    def client(self) -> httpx.Client:
        return self.library.world.client


def _build_town(library: Library) -> Town:
    points = make_points_world(library.world, library.ca, LIBRARY)
    points.grant(library.patron_mykey_id, 5_000)
    points.db.transaction(lambda s: add_staff(s, "yamada", "山田", ALPHA, pin=PIN_YAMADA))
    points.db.transaction(lambda s: add_staff(s, "suzuki", "鈴木", ALPHA, pin=PIN_SUZUKI))
    found = Town(library, points)
    patron = library.patron
    # the payment held and the grant awaiting approval, each on a tap of its own
    found.payment_id = str(uuid.uuid4())
    found.sessions[points.shop.terminal_id] = points.session_id(points.shop, patron, pay_op(10))
    held = points.shop.post("/v1/payments", payment_body(found, found.payment_id))
    assert held.status_code == 200, held.text
    found.grant_id = str(uuid.uuid4())
    found.sessions[points.granter.terminal_id] = points.session_id(
        points.granter, patron, grant_op(20_000)
    )
    body = {**grant_body(found), "id": found.grant_id, "points": 20_000}
    assert points.granter.post("/v1/grants", body).json()["status"] == "awaiting_approval"
    # one unspent tap per terminal, for the operation each test's body would do
    for terminal, operation in (
        (points.shop, pay_op(10)),
        (points.granter, grant_op(10)),
        (points.voucher_desk, voucher_op(10)),
    ):
        found.sessions[terminal.terminal_id] = points.session_id(terminal, patron, operation)
    return found


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Town]]:
    """The town, built once per module in an SQLite file that each test then copies."""
    directory = tmp_path_factory.mktemp("hostile")
    with _platform(directory / "platform.db") as platform:
        world = World(platform)
        ca = make_ca(0)
        world.trust(ca)
        world.add_service(LIBRARY)
        desk = world.enroll(LIBRARY)
        patron = ca.issue(1)
        mykey_id = world.register(patron)
        world.link(mykey_id, LIBRARY, LIBRARY_NUMBER)
        built = _build_town(Library(world, ca, desk, patron, mykey_id))
    yield directory / "platform.db", built


@contextmanager
def _platform(path: Path) -> Iterator[InProcessPlatform]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette 1.x: "install httpx2 instead"
        from fastapi.testclient import TestClient

    from server.app import create_app

    url = f"sqlite:///{path}"
    app = create_app(url)
    with TestClient(app) as client:
        yield InProcessPlatform(app=app, client=client, database_url=url)
    app.state.db.dispose()


def _rebound(terminal: SignedClient, client: httpx.Client) -> SignedClient:
    return SignedClient(cast(Any, client), terminal.base_url, terminal.terminal_id, terminal.key)


@pytest.fixture
def town(template: tuple[Path, Town], tmp_path: Path) -> Iterator[Town]:
    """A fresh copy of the module's town, on a platform of its own."""
    source, built = template
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", tmp_path / f"platform.db{suffix}")
    with _platform(tmp_path / "platform.db") as platform:
        world = World(platform)
        old, points = built.library, built.points
        library = Library(
            world, old.ca, _rebound(old.desk, platform.client), old.patron, old.patron_mykey_id
        )
        rebound = PointsWorld(
            world,
            points.ca,
            _rebound(points.shop, platform.client),
            _rebound(points.granter, platform.client),
            _rebound(points.voucher_desk, platform.client),
            points.supporter_key,
        )
        yield Town(library, rebound, dict(built.sessions), built.payment_id, built.grant_id)


def payment_body(town: Town, payment_id: str | None = None) -> dict[str, object]:
    return {
        "id": payment_id or str(uuid.uuid4()),
        "session_id": town.sessions[town.points.shop.terminal_id],
        "municipality_code": ALPHA,
        "amount": 10,
    }


def grant_body(town: Town) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "session_id": town.sessions[town.points.granter.terminal_id],
        "points": 10,
        "reason": "volunteering",
        "staff_login": "yamada",
        "staff_code": PIN_YAMADA,
    }


# --- the operations: which terminal, method, path and a body that would succeed -----


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    terminal: Callable[[Town], SignedClient]
    body: Callable[[Town], dict[str, object] | None]
    #: where the request's own text fields are (for the injection cases)
    path_of: Callable[[Town], str] | None = None

    def url_path(self, town: Town) -> str:
        return self.path_of(town) if self.path_of else self.path


def _desk(town: Town) -> SignedClient:
    return town.library.desk


def _shop(town: Town) -> SignedClient:
    return town.points.shop


def _granter(town: Town) -> SignedClient:
    return town.points.granter


def _voucher_desk(town: Town) -> SignedClient:
    return town.points.voucher_desk


def _proof(terminal: Callable[[Town], SignedClient]) -> Callable[[Town], dict[str, object]]:
    def body(town: Town) -> dict[str, object]:
        challenge_id, value = challenge(terminal(town))
        patron = town.library.patron
        return {
            "challenge_id": challenge_id,
            "certificate": b64(patron.der),
            "signature": b64(patron.sign(value)),
        }

    return body


SIGNED: dict[str, Operation] = {
    "GET terminal": Operation("GET", "/v1/terminal", _desk, lambda t: None),
    "POST challenges": Operation("POST", "/v1/challenges", _desk, lambda t: None),
    "POST lookups": Operation("POST", "/v1/lookups", _desk, _proof(_desk)),
    "POST registration-tickets": Operation(
        "POST", "/v1/registration-tickets", _desk, _proof(_desk)
    ),
    "GET terminal/points": Operation("GET", "/v1/terminal/points", _shop, lambda t: None),
    "POST card-sessions": Operation("POST", "/v1/card-sessions", _shop, _proof(_shop)),
    "POST payments": Operation("POST", "/v1/payments", _shop, payment_body),
    "POST payments/post": Operation(
        "POST",
        "/v1/payments/{payment_id}/post",
        _shop,
        lambda t: {"id": str(uuid.uuid4())},
        lambda t: f"/v1/payments/{t.payment_id}/post",
    ),
    "POST payments/void": Operation(
        "POST",
        "/v1/payments/{payment_id}/void",
        _shop,
        lambda t: {"id": str(uuid.uuid4())},
        lambda t: f"/v1/payments/{t.payment_id}/void",
    ),
    "POST payments/refunds": Operation(
        "POST",
        "/v1/payments/{payment_id}/refunds",
        _shop,
        lambda t: {"id": str(uuid.uuid4()), "amount": 1},
        lambda t: f"/v1/payments/{t.payment_id}/refunds",
    ),
    "POST grants": Operation("POST", "/v1/grants", _granter, grant_body),
    "GET grants": Operation("GET", "/v1/grants", _granter, lambda t: None),
    "POST grants/decision": Operation(
        "POST",
        "/v1/grants/{grant_id}/decision",
        _granter,
        lambda t: {
            "id": str(uuid.uuid4()),
            "staff_login": "suzuki",
            "staff_code": PIN_SUZUKI,
            "approve": True,
        },
        lambda t: f"/v1/grants/{t.grant_id}/decision",
    ),
    "POST vouchers": Operation(
        "POST",
        "/v1/vouchers",
        _voucher_desk,
        lambda t: {
            "id": str(uuid.uuid4()),
            "session_id": t.sessions[t.points.voucher_desk.terminal_id],
            "points": 10,
            "code": "C" * 30,
        },
    ),
    "POST vouchers/redeem": Operation(
        "POST", "/v1/vouchers/redeem", _shop, lambda t: {"id": str(uuid.uuid4()), "code": "R" * 30}
    ),
}


def send(
    town: Town,
    terminal: SignedClient,
    method: str,
    path: str,
    body: object,
    *,
    sent_body: bytes | None = None,
    headers: dict[str, str] | None = None,
    **signing: object,
) -> httpx.Response:
    """``body`` signed as ``terminal`` (unless ``headers`` replace the signature); the
    bytes actually sent may differ (``sent_body``)."""
    content = b"" if body is None else httpx.Request("POST", "/", json=body).content
    if headers is None:
        headers = sign_headers(
            method,
            terminal.base_url + path,
            key_id=terminal.terminal_id,
            key=terminal.key,
            body=content,
            **signing,  # type: ignore[arg-type]
        )
    if content or sent_body:
        headers["Content-Type"] = "application/json"
    return town.client.request(
        method, path, content=sent_body if sent_body is not None else content, headers=headers
    )


def assert_refused_without_change(
    town: Town, attempt: Callable[[], httpx.Response], status: int, code: str
) -> None:
    before = snapshot(town.db)
    assert_error(attempt(), status, code)
    assert snapshot(town.db) == before


# --- requests: unsigned, tampered, stale, unknown or revoked terminal, oversized ---------


def _unsigned(town: Town, op: Operation) -> httpx.Response:
    return send(town, op.terminal(town), op.method, op.url_path(town), op.body(town), headers={})


def _tampered(town: Town, op: Operation) -> httpx.Response:
    body = op.body(town)
    content = b"" if body is None else httpx.Request("POST", "/", json=body).content
    tampered = content.replace(b'"', b' "', 1) if content else b'{"extra": 1}'
    return send(town, op.terminal(town), op.method, op.url_path(town), body, sent_body=tampered)


def _stale(town: Town, op: Operation) -> httpx.Response:
    created = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    terminal = op.terminal(town)
    return send(town, terminal, op.method, op.url_path(town), op.body(town), created=created)


def _unknown_terminal(town: Town, op: Operation) -> httpx.Response:
    body = op.body(town)
    stranger = SignedClient(
        cast(Any, town.client), "http://testserver", str(uuid.uuid4()), Ed25519PrivateKey.generate()
    )
    return send(town, stranger, op.method, op.url_path(town), body)


def _revoked_terminal(town: Town, op: Operation) -> httpx.Response:
    body = op.body(town)
    terminal = op.terminal(town)
    town.db.transaction(lambda s: revoke_terminal(s, terminal.terminal_id))
    return send(town, terminal, op.method, op.url_path(town), body)


def _oversized(town: Town, op: Operation) -> httpx.Response:
    body = {"padding": "x" * OVERSIZED}
    return send(town, op.terminal(town), op.method, op.url_path(town), body)


REQUEST_ATTACKS: dict[str, tuple[Callable[[Town, Operation], httpx.Response], int, str]] = {
    "unsigned": (_unsigned, 401, "terminal_signature_invalid"),
    "tampered body": (_tampered, 401, "terminal_signature_invalid"),
    "stale": (_stale, 401, "terminal_signature_invalid"),
    "unknown terminal": (_unknown_terminal, 401, "terminal_unknown"),
    "revoked terminal": (_revoked_terminal, 401, "terminal_unknown"),
    "oversized body": (_oversized, 413, "malformed"),
}


@pytest.mark.parametrize("operation", SIGNED)
@pytest.mark.parametrize("attack", REQUEST_ATTACKS)
def test_a_hostile_request_is_refused_and_changes_nothing(
    town: Town, operation: str, attack: str
) -> None:
    op = SIGNED[operation]
    if attack == "tampered body" and op.method == "GET":
        pytest.skip("a GET has no body to tamper with")
    run, status, code = REQUEST_ATTACKS[attack]
    before = snapshot(town.db)
    if attack == "revoked terminal":
        response = run(town, op)  # revoking is the operator's change, not the request's
        before = _with_revocation(before, town)
    else:
        response = run(town, op)
    assert_error(response, status, code)
    assert snapshot(town.db) == before


def _with_revocation(before: dict[str, list[str]], town: Town) -> dict[str, list[str]]:
    """The snapshot as the revocation (done by the attack's setup) left it."""
    return {**before, "terminals": snapshot(town.db)["terminals"]}


# --- card proofs on every operation that takes one ---------------------------------


def _issue_with_usage(town: Town, usage: x509.KeyUsage) -> Holder:
    """A certificate of the trusted CA whose key usage forbids signing (e.g. encryption)."""
    ca, key = town.library.ca, rsa_key(2)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - dt.timedelta(days=1))
        .not_valid_after(now() + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    return Holder(certificate, key)


def _usage(*, digital_signature: bool, key_encipherment: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _proof_by(holder: Holder, town: Town, terminal: SignedClient) -> dict[str, str]:
    challenge_id, value = challenge(terminal)
    return {
        "challenge_id": challenge_id,
        "certificate": b64(holder.der),
        "signature": b64(holder.sign(value)),
    }


def _set_challenge(town: Town, challenge_id: str, **values: object) -> None:
    town.db.transaction(
        lambda s: s.execute(
            update(Challenge).where(Challenge.id == uuid.UUID(challenge_id)).values(**values)
        )
    )


def _another_ca(town: Town, terminal: SignedClient) -> dict[str, str]:
    return _proof_by(make_ca(5, "Some Other CA").issue(3), town, terminal)


def _revoked(town: Town, terminal: SignedClient) -> dict[str, str]:
    town.library.world.import_crl(town.library.ca.crl(town.library.patron))
    return _proof_by(town.library.patron, town, terminal)


def _expired(town: Town, terminal: SignedClient) -> dict[str, str]:
    old = town.library.ca.issue(
        2, not_before=now() - dt.timedelta(days=900), not_after=now() - dt.timedelta(seconds=5)
    )
    return _proof_by(old, town, terminal)


def _not_yet_valid(town: Town, terminal: SignedClient) -> dict[str, str]:
    return _proof_by(
        town.library.ca.issue(2, not_before=now() + dt.timedelta(days=2)), town, terminal
    )


def _wrong_key_usage(town: Town, terminal: SignedClient) -> dict[str, str]:
    usage = _usage(digital_signature=False, key_encipherment=True)
    return _proof_by(_issue_with_usage(town, usage), town, terminal)


def _garbage_der(town: Town, terminal: SignedClient) -> dict[str, str]:
    body = _proof_by(town.library.patron, town, terminal)
    return {**body, "certificate": b64(b"\x30\x82\x01\x00" + b"\xde\xad" * 40)}


def _another_card(town: Town, terminal: SignedClient) -> dict[str, str]:
    challenge_id, value = challenge(terminal)
    patron, other = town.library.patron, town.library.ca.issue(4)
    return {
        "challenge_id": challenge_id,
        "certificate": b64(patron.der),
        "signature": b64(other.sign(value)),
    }


def _another_challenge(town: Town, terminal: SignedClient) -> dict[str, str]:
    _, other_value = challenge(terminal)
    challenge_id, _ = challenge(terminal)
    patron = town.library.patron
    return {
        "challenge_id": challenge_id,
        "certificate": b64(patron.der),
        "signature": b64(patron.sign(other_value)),
    }


def _truncated(town: Town, terminal: SignedClient) -> dict[str, str]:
    body = _proof_by(town.library.patron, town, terminal)
    signature = base64.b64decode(body["signature"])
    return {**body, "signature": b64(signature[: len(signature) // 2])}


def _replayed(town: Town, terminal: SignedClient) -> dict[str, str]:
    body = _proof_by(town.library.patron, town, terminal)
    _set_challenge(town, body["challenge_id"], used_at=dt.datetime.now(dt.UTC))
    return body


def _expired_challenge(town: Town, terminal: SignedClient) -> dict[str, str]:
    body = _proof_by(town.library.patron, town, terminal)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    _set_challenge(town, body["challenge_id"], expires_at=past)
    return body


def _other_terminals_challenge(town: Town, terminal: SignedClient) -> dict[str, str]:
    other = town.library.world.enroll(LIBRARY, "another desk")
    return _proof_by(town.library.patron, town, other)


PROOF_ATTACKS: dict[str, tuple[Callable[[Town, SignedClient], dict[str, str]], int, str]] = {
    "certificate of another CA": (_another_ca, 403, "certificate_untrusted"),
    "revoked certificate": (_revoked, 403, "certificate_revoked"),
    "expired certificate": (_expired, 403, "certificate_expired"),
    "certificate not yet valid": (_not_yet_valid, 403, "certificate_not_yet_valid"),
    "wrong key usage": (_wrong_key_usage, 403, "certificate_untrusted"),
    "garbage DER": (_garbage_der, 400, "certificate_malformed"),
    "signature of another card": (_another_card, 403, "card_signature_invalid"),
    "signature over another challenge": (_another_challenge, 403, "card_signature_invalid"),
    "truncated signature": (_truncated, 403, "card_signature_invalid"),
    "replayed challenge": (_replayed, 409, "challenge_used"),
    "expired challenge": (_expired_challenge, 410, "challenge_expired"),
    "challenge of another terminal": (_other_terminals_challenge, 403, "challenge_wrong_terminal"),
}
PROOF_OPERATIONS = {
    "/v1/lookups": _desk,
    "/v1/card-sessions": _shop,
    "/v1/registration-tickets": _desk,
}


@pytest.mark.parametrize("path", PROOF_OPERATIONS)
@pytest.mark.parametrize("attack", PROOF_ATTACKS)
def test_a_hostile_card_proof_is_refused_and_changes_nothing(
    town: Town, path: str, attack: str
) -> None:
    terminal = PROOF_OPERATIONS[path](town)
    make_body, status, code = PROOF_ATTACKS[attack]
    body = make_body(town, terminal)  # setting the trap (a CRL, an old challenge) comes first
    assert_refused_without_change(town, lambda: terminal.post(path, body), status, code)


def test_a_certificate_whose_usage_allows_signing_is_accepted(town: Town) -> None:
    """The key-usage check refuses only certificates that may not sign: a JPKI one passes."""
    holder = _issue_with_usage(town, _usage(digital_signature=True, key_encipherment=False))
    town.library.world.link(town.library.world.register(holder), LIBRARY, "7777777777")
    response = town.library.desk.post("/v1/lookups", _proof_by(holder, town, town.library.desk))
    assert response.status_code == 200, response.text


# --- a library desk asking for another service -------------------------------------


@pytest.mark.parametrize(
    "operation",
    ["POST card-sessions", "POST payments", "POST payments/post", "POST grants", "GET grants",
     "POST grants/decision", "POST vouchers", "POST vouchers/redeem"],
)  # fmt: skip
def test_a_library_desk_asking_for_the_points_services_is_refused(
    town: Town, operation: str
) -> None:
    op = SIGNED[operation]
    body, desk = op.body(town), town.library.desk
    assert_refused_without_change(
        town,
        lambda: send(town, desk, op.method, op.url_path(town), body),
        403,
        "terminal_mode_not_allowed",
    )


def test_a_library_desk_is_told_it_has_no_points_modes(town: Town) -> None:
    response = town.library.desk.get("/v1/terminal/points")
    assert response.status_code == 200, response.text
    assert set(response.json()["modes"]) <= {"lookup", "label"}


def test_a_library_desk_cannot_fetch_address_changes_with_its_signature(town: Town) -> None:
    desk = town.library.desk
    path = "/v1/providers/address-changes?since=2026-01-01"
    assert_refused_without_change(
        town, lambda: send(town, desk, "GET", path, None), 401, "provider_key_invalid"
    )


def test_a_provider_key_of_another_service_sees_nothing_of_the_library(town: Town) -> None:
    town.library.world.add_service("museum")
    key = town.db.transaction(lambda s: add_key(s, "museum")).key
    response = town.client.get(
        "/v1/providers/address-changes",
        params={"since": "2000-01-01"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.json() == {"service": "museum", "changes": [], "next_cursor": None}


# --- SQL and script injection strings in every text field ---------------------------

#: (operation, field) → (status, code) of the answer, for every text field of every signed
#: operation; ``path:`` and ``query:`` name a path or query parameter.  Two answers depend
#: on the string: see :func:`expected`.
INJECTION_FIELDS: dict[tuple[str, str], tuple[int, str] | str] = {
    ("POST lookups", "challenge_id"): (404, "challenge_unknown"),
    ("POST lookups", "certificate"): (400, "malformed"),
    ("POST lookups", "signature"): (400, "malformed"),
    ("POST registration-tickets", "challenge_id"): (404, "challenge_unknown"),
    ("POST registration-tickets", "certificate"): (400, "malformed"),
    ("POST registration-tickets", "signature"): (400, "malformed"),
    ("POST card-sessions", "challenge_id"): (404, "challenge_unknown"),
    ("POST card-sessions", "certificate"): (400, "malformed"),
    ("POST card-sessions", "signature"): (400, "malformed"),
    ("POST payments", "id"): (400, "malformed"),
    ("POST payments", "session_id"): (401, "card_session_invalid"),
    ("POST payments", "municipality_code"): (400, "malformed"),
    ("POST payments", "event_code"): "EVENT",
    ("POST payments/post", "id"): (400, "malformed"),
    ("POST payments/post", "path:payment_id"): "PATH",
    ("POST payments/void", "id"): (400, "malformed"),
    ("POST payments/void", "path:payment_id"): "PATH",
    ("POST payments/refunds", "id"): (400, "malformed"),
    ("POST payments/refunds", "path:payment_id"): "PATH",
    ("POST grants", "id"): (400, "malformed"),
    ("POST grants", "session_id"): (401, "card_session_invalid"),
    ("POST grants", "reason"): (400, "malformed"),
    ("POST grants", "event_code"): "SIGNED_EVENT",
    ("POST grants", "staff_login"): (400, "malformed"),
    ("POST grants", "staff_code"): (400, "malformed"),
    ("GET grants", "query:status"): (400, "malformed"),
    ("POST grants/decision", "id"): (400, "malformed"),
    ("POST grants/decision", "path:grant_id"): "PATH",
    ("POST grants/decision", "staff_login"): (400, "malformed"),
    ("POST grants/decision", "staff_code"): (400, "malformed"),
    ("POST vouchers", "id"): (400, "malformed"),
    ("POST vouchers", "session_id"): (401, "card_session_invalid"),
    ("POST vouchers", "code"): (400, "malformed"),
    ("POST vouchers/redeem", "id"): (400, "malformed"),
    ("POST vouchers/redeem", "code"): (400, "malformed"),
}


def expected(answer: tuple[int, str] | str, value: str) -> tuple[int, str]:
    """``EVENT``: an event code is looked up (no such event) unless too long for one;
    ``SIGNED_EVENT``: a grant's event is part of what the card signed, so another one is not
    the tap's operation; ``PATH``: an id in the path is not a UUID, unless its ``/`` leaves
    no route at all."""
    if answer == "EVENT":
        return (400, "malformed") if len(value) > 32 else (404, "ledger_not_found")
    if answer == "SIGNED_EVENT":
        return (400, "malformed") if len(value) > 32 else (403, "operation_mismatch")
    if answer == "PATH":
        return (404, "malformed") if "/" in value else (400, "malformed")
    assert isinstance(answer, tuple)
    return answer


def _inject(town: Town, operation: str, name: str, value: str) -> httpx.Response:
    op = SIGNED[operation]
    body = op.body(town)
    path = op.url_path(town)
    if name.startswith("path:"):
        placeholder = getattr(town, name.removeprefix("path:"))
        path = path.replace(placeholder, quote(value, safe=""))
    elif name.startswith("query:"):
        path = f"{path}?{urlencode({name.removeprefix('query:'): value})}"
    else:
        assert body is not None
        body = {**body, name: value}
    return send(town, op.terminal(town), op.method, path, body)


@pytest.mark.parametrize("value", [SQL_INJECTION, SCRIPT_INJECTION], ids=["sql", "script"])
@pytest.mark.parametrize("target", INJECTION_FIELDS, ids=" ".join)
def test_injection_strings_are_refused_and_change_nothing(
    town: Town, target: tuple[str, str], value: str
) -> None:
    status, code = expected(INJECTION_FIELDS[target], value)
    before = snapshot(town.db)
    response = _inject(town, *target, value)
    assert_error(response, status, code)
    assert snapshot(town.db) == before


Attempt = Callable[[], httpx.Response]


def _enroll(town: Town, name: str, value: str) -> Attempt:
    code = town.library.world.enrollment_code(LIBRARY, "desk 3")
    body = {"code": code, "public_key": public_key_b64(Ed25519PrivateKey.generate()), name: value}
    return lambda: town.client.post("/v1/terminals/enroll", json=body)


def _convert(town: Town, name: str, value: str) -> Attempt:
    body = {
        "id": str(uuid.uuid4()),
        "mykey_id": town.library.patron_mykey_id,
        "points": 10,
        "reference": "order-1",
    }
    key = town.points.supporter_key
    if name == "header:authorization":
        key = value
    else:
        body[name] = value
    headers = {"Authorization": f"Bearer {key}"}
    return lambda: town.client.post("/v1/conversions", json=body, headers=headers)


def _fetch_changes(town: Town, name: str, value: str) -> Attempt:
    key = town.db.transaction(lambda s: add_key(s, LIBRARY)).key
    params = {"since": "2026-01-01"}
    if name == "header:authorization":
        key = value
    else:
        params[name] = value
    headers = {"Authorization": f"Bearer {key}"}
    path = "/v1/providers/address-changes"
    return lambda: town.client.get(path, params=params, headers=headers)


UNSIGNED_INJECTIONS: dict[str, tuple[Callable[[Town, str, str], Attempt], str, int, str]] = {
    "enroll code": (_enroll, "code", 403, "enrollment_code_invalid"),
    "enroll public_key": (_enroll, "public_key", 400, "malformed"),
    "conversion id": (_convert, "id", 400, "malformed"),
    "conversion mykey_id": (_convert, "mykey_id", 404, "not_registered"),
    "conversion key": (_convert, "header:authorization", 401, "supporter_key_invalid"),
    "address changes since": (_fetch_changes, "since", 400, "malformed"),
    "address changes cursor": (_fetch_changes, "cursor", 400, "malformed"),
    "address changes key": (_fetch_changes, "header:authorization", 401, "provider_key_invalid"),
}


@pytest.mark.parametrize("value", [SQL_INJECTION, SCRIPT_INJECTION], ids=["sql", "script"])
@pytest.mark.parametrize("target", UNSIGNED_INJECTIONS)
def test_injection_strings_in_unsigned_operations_are_refused(
    town: Town, target: str, value: str
) -> None:
    prepare, name, status, code = UNSIGNED_INJECTIONS[target]
    attempt = prepare(town, name, value)  # an enrollment code or a provider key, first
    assert_refused_without_change(town, attempt, status, code)
