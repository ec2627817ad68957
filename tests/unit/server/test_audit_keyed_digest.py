"""The audit log names a MyKey ID only by a keyed digest (HMAC-SHA256 with the
platform's audit key): the ID space is small enough that a plain SHA-256 is reversed by
trying every ID."""

from __future__ import annotations

import hashlib
import itertools
import json
import string

import pytest

from server.portal import mypage
from server.portal.forms import Refused
from tests.unit.server.audit_helpers import events
from tests.unit.server.conftest import Library

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
