"""The audit log names a MyKey ID only by a keyed digest (HMAC-SHA256 with the
platform's audit key): the ID space is small enough that a plain SHA-256 is reversed by
trying every ID."""

from __future__ import annotations

import hashlib
import itertools
import json
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.audit.verify import verify
from server.cli import main
from server.db import Database
from server.migrate import head
from server.portal import mypage
from server.portal.forms import Refused
from tests.unit.server.audit_helpers import append_as_single_chain, events
from tests.unit.server.conftest import Library
from tests.unit.server.test_audit_migration import migrate

#: the attacker's guess at the shape of the ID: a known prefix, 3 unknown characters
#: (36^3 candidates here; the whole space of 36^8 ≈ 2.8e12 is within reach of a GPU)
PREFIX = "SECRE"


def _enumerate(digest: str) -> str | None:
    """Try every ID ``PREFIX + XYZ``: the ID whose SHA-256 is ``digest``, if any."""
    alphabet = string.ascii_uppercase + string.digits
    for tail in itertools.product(alphabet, repeat=3):
        candidate = PREFIX + "".join(tail)
        if hashlib.sha256(candidate.encode()).hexdigest() == digest:
            return candidate
    return None


def _logged_digests(library: Library) -> list[str]:
    event = [e for e in events(library.world.db) if e.action == "portal.login"][-1]
    fields = json.loads(event.fields)
    return [value for name, value in fields.items() if "mykey" in name and isinstance(value, str)]


def test_a_logged_mykey_id_is_not_reversed_by_enumerating_the_id_space(library: Library) -> None:
    secret_id = PREFIX + "7Q2"
    with pytest.raises(Refused):
        mypage.login(library.world.db, secret_id, "wrong-password", "192.0.2.7")
    digests = _logged_digests(library)
    assert digests, "the login event names the MyKey ID by some digest"
    assert all(_enumerate(digest) is None for digest in digests)


def test_an_operator_finds_a_holders_logins_by_the_keyed_digest(library: Library) -> None:
    with pytest.raises(Refused):
        mypage.login(library.world.db, library.patron_mykey_id, "wrong-password", "192.0.2.7")
    url = library.world.platform.database_url
    result = CliRunner().invoke(
        main, ["--database-url", url, "audit", "digest", library.patron_mykey_id.lower()]
    )
    assert result.exit_code == 0, result.output
    digest = result.output.split("mykey id hmac:")[1].split()[0]
    assert digest in _logged_digests(library)
    verified = CliRunner().invoke(main, ["--database-url", url, "audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output  # the chain still holds


def test_events_from_before_the_audit_key_stay_verifiable(tmp_path: Path) -> None:
    """A log with a plain-SHA-256 login event (written at 0006) is upgraded to 0008: the
    old event is kept as it was, new ones are keyed, and the chain verifies."""
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        migrate(db, "0006")
        old_digest = hashlib.sha256(b"OLDLOGIN").hexdigest()
        append_as_single_chain(db, "portal", "192.0.2.1", "portal.login", "login_failed",
                               {"mykey_id_sha256": old_digest})  # fmt: skip
        migrate(db, head())
        with pytest.raises(Refused):
            mypage.login(db, "NEWLOGIN", "wrong-password", "192.0.2.2")
        logged = [e for e in events(db) if e.action == "portal.login"]
        assert old_digest in logged[0].fields
        assert "mykey_id_hmac" in logged[1].fields and "sha256" not in logged[1].fields
        assert db.transaction(verify).ok
    finally:
        db.dispose()
