"""The staff procedure at a municipal desk (``POST /v1/rebindings``, mode ``rebind``):
the new card proves itself, a named staff member confirms the identity documents."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import TerminalMode
from server.audit.keys import audit_key, keyed_digest
from server.identity.models import CertificateBinding
from server.ledger.admin import allow_terminal
from server.portal.models import OutboxMail
from server.terminals.models import Challenge
from tests.unit.server.audit_helpers import events, raw_log
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.portal_helpers import (
    add_municipalities,
    open_registration,
    verify_every_address,
)
from tests.unit.server.signing import SignedClient
from tests.unit.server.world import challenge, lookup_body, tap


def _state(library: Library) -> tuple[list[tuple[str, object]], int]:
    def work(session: Session) -> tuple[list[tuple[str, object]], int]:
        bindings = session.execute(
            select(CertificateBinding.fingerprint, CertificateBinding.retired_at)
        ).all()
        spent = session.scalars(select(Challenge).where(Challenge.used_at.is_not(None))).all()
        return sorted((row[0], row[1]) for row in bindings), len(spent)

    return library.world.db.transaction(work)


def _body(library: Library, desk: SignedClient, **overrides: object) -> dict[str, object]:
    new = overrides.pop("card", None) or library.ca.issue(7)
    challenge_id, value = challenge(desk)
    return {
        **lookup_body(challenge_id, new, new.sign(value)),  # type: ignore[arg-type]
        "mykey_id": library.patron_mykey_id,
        "staff": "市民課 山田",
        "documents": "運転免許証",
        "documents_checked": True,
        **overrides,
    }


def _municipal_desk(library: Library, *, allowed: bool) -> SignedClient:
    desk = library.world.enroll(LIBRARY, "市民課 窓口")
    if allowed:
        add_municipalities(library)
        library.world.db.transaction(
            lambda s: allow_terminal(
                s, desk.terminal_id, TerminalMode.REBIND, municipality_code="14130"
            )
        )
    return desk


def test_a_terminal_without_the_rebind_mode_is_refused_and_nothing_changes(
    library: Library,
) -> None:
    desk = _municipal_desk(library, allowed=False)
    before = _state(library)
    response = desk.post("/v1/rebindings", _body(library, desk))
    assert_error(response, 403, "terminal_mode_not_allowed")
    assert _state(library) == before  # not even the challenge is spent


def test_documents_not_confirmed_is_rebind_proof_required_and_nothing_changes(
    library: Library,
) -> None:
    desk = _municipal_desk(library, allowed=True)
    before = _state(library)
    response = desk.post("/v1/rebindings", _body(library, desk, documents_checked=False))
    assert_error(response, 403, "rebind_proof_required")
    assert _state(library) == before
    assert tap(library.desk, library.patron).json()["service_id"] == LIBRARY_NUMBER


def test_the_staff_procedure_binds_retires_the_old_card_and_mails(library: Library) -> None:
    desk = _municipal_desk(library, allowed=True)
    new = library.ca.issue(7)
    response = desk.post("/v1/rebindings", _body(library, desk, card=new))
    assert response.status_code == 200, response.text
    assert response.json()["mykey_id"] == library.patron_mykey_id
    assert response.json()["retired"] == 1
    assert tap(library.desk, new).json()["service_id"] == LIBRARY_NUMBER
    assert_error(tap(library.desk, library.patron), 403, "certificate_retired")
    again = desk.post("/v1/rebindings", _body(library, desk, card=new))
    assert_error(again, 409, "already_registered")
    event = [e for e in events(library.world.db) if e.action == "rebind.staff"][0]
    key = library.world.db.transaction(audit_key)
    assert keyed_digest(key, library.patron_mykey_id) in event.fields
    assert library.patron_mykey_id not in raw_log(library.world.db)
    kinds = library.world.db.transaction(lambda s: list(s.scalars(select(OutboxMail.kind))))
    assert kinds == []  # the fixture's patron has no portal account, so no address to mail


def test_the_holder_of_a_portal_account_is_mailed(library: Library) -> None:
    old = library.ca.issue(2)
    reg = open_registration(library, old)
    mail = "holder@example.jp"
    assert reg.submit(mykey_id="DESKMAIL", email=mail, email_confirm=mail).status_code == 200
    verify_every_address(library)
    desk = _municipal_desk(library, allowed=True)
    response = desk.post("/v1/rebindings", _body(library, desk, mykey_id="DESKMAIL"))
    assert response.status_code == 200, response.text
    mails = library.world.db.transaction(
        lambda s: [
            (m.kind, m.recipient, m.body)
            for m in s.scalars(select(OutboxMail).where(OutboxMail.kind != "verify_email"))
        ]
    )
    assert [(kind, to) for kind, to, _ in mails] == [("card_rebound", mail)]
    assert "窓口での本人確認書類" in mails[0][2]
    assert_error(tap(library.desk, old), 403, "certificate_retired")
