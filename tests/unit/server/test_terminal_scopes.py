"""Terminal scopes: each operation needs its mode; operators allow and deny them."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from server.api.schemas import TerminalMode
from server.ledger.admin import allow_terminal, deny_terminal
from server.terminals.models import Challenge
from tests.unit.server.conftest import LIBRARY_NUMBER, Library
from tests.unit.server.world import challenge, lookup_body


def lookup(library: Library, *, label: bool = False):  # type: ignore[no-untyped-def]
    challenge_id, value = challenge(library.desk)
    body = {**lookup_body(challenge_id, library.patron, library.patron.sign(value)), "label": label}
    return challenge_id, library.desk.post("/v1/lookups", body)


def set_mode(library: Library, mode: TerminalMode, allowed: bool) -> None:
    terminal_id = library.desk.terminal_id

    def work(session: Session) -> None:
        if allowed:
            allow_terminal(session, terminal_id, mode)
        else:
            deny_terminal(session, terminal_id, mode)

    library.world.db.transaction(work)


def challenge_used(library: Library, challenge_id: str) -> bool:
    return library.world.db.transaction(
        lambda s: s.get_one(Challenge, uuid.UUID(challenge_id)).used_at is not None
    )


def test_a_new_terminal_may_look_up_and_print_labels(library: Library) -> None:
    assert lookup(library)[1].json()["service_id"] == LIBRARY_NUMBER
    assert lookup(library, label=True)[1].status_code == 200
    scope = library.desk.get("/v1/terminal/points").json()
    assert scope["modes"] == ["lookup", "label"]


def test_a_terminal_denied_labels_still_looks_up(library: Library) -> None:
    set_mode(library, TerminalMode.LABEL, allowed=False)
    challenge_id, refused = lookup(library, label=True)
    assert refused.status_code == 403 and refused.json()["error"] == "terminal_mode_not_allowed"
    assert not challenge_used(library, challenge_id)  # refused before the card was checked
    assert lookup(library)[1].status_code == 200


def test_a_terminal_denied_lookups_gets_no_service_id_until_allowed_again(library: Library) -> None:
    set_mode(library, TerminalMode.LOOKUP, allowed=False)
    _, refused = lookup(library)
    assert refused.status_code == 403 and LIBRARY_NUMBER not in refused.text
    set_mode(library, TerminalMode.LOOKUP, allowed=True)
    assert lookup(library)[1].json()["service_id"] == LIBRARY_NUMBER
