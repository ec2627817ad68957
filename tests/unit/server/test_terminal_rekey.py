"""Key rotation: an operator's one-time re-key code replaces a terminal's key."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.api.schemas import TerminalMode
from server.ledger.admin import deny_terminal
from server.terminals.enrollment import issue_rekey_code, revoke_terminal
from tests.unit.server.conftest import LIBRARY_NUMBER, Library
from tests.unit.server.signing import SignedClient, public_key_b64
from tests.unit.server.world import tap


def rekey(library: Library, code: str) -> tuple[int, dict[str, object], Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    response = library.world.client.post(
        "/v1/terminals/enroll", json={"code": code, "public_key": public_key_b64(key)}
    )
    return response.status_code, response.json(), key


def rekey_code(library: Library) -> str:
    terminal_id = library.desk.terminal_id
    return library.world.db.transaction(lambda s: issue_rekey_code(s, terminal_id)).code


def test_the_terminal_keeps_its_id_and_scope_and_the_old_key_stops_working(
    library: Library,
) -> None:
    terminal_id = library.desk.terminal_id
    library.world.db.transaction(lambda s: deny_terminal(s, terminal_id, TerminalMode.LABEL))
    status, body, key = rekey(library, rekey_code(library))
    assert status == 200 and body["terminal_id"] == terminal_id
    old = library.desk.post("/v1/challenges")
    assert old.status_code == 401 and old.json()["error"] == "terminal_signature_invalid"
    new = SignedClient(library.world.client, "http://testserver", terminal_id, key)
    assert tap(new, library.patron).json()["service_id"] == LIBRARY_NUMBER
    assert new.get("/v1/terminal/points").json()["modes"] == ["lookup"]


def test_a_rekey_code_works_once(library: Library) -> None:
    code = rekey_code(library)
    assert rekey(library, code)[0] == 200
    status, body, _ = rekey(library, code)
    assert status == 403 and body["error"] == "enrollment_code_invalid"


def test_a_revoked_terminal_cannot_be_rekeyed(library: Library) -> None:
    code = rekey_code(library)
    terminal_id = library.desk.terminal_id
    library.world.db.transaction(lambda s: revoke_terminal(s, terminal_id))
    status, body, _ = rekey(library, code)
    assert status == 403 and body["error"] == "enrollment_code_invalid"
    assert "revoked" in str(body["message"])
