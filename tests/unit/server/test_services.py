"""Services and links: formats, one ID per holder and service, validity."""

from __future__ import annotations

import pytest

from server.api.schemas import BarcodeSpec, CheckDigit, Symbology
from server.errors import OperatorError
from server.identity.models import ServiceLink
from server.identity.services import add_service, link, service_info, set_link_valid
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.helpers import count


def test_service_info_carries_the_barcode_spec(library: Library) -> None:
    barcode = BarcodeSpec(
        symbology=Symbology.NW7,
        pattern="[0-9]{8}",
        nw7_start="B",
        nw7_stop="C",
        check_digit=CheckDigit.MOD11,
    )
    service = library.world.db.transaction(
        lambda s: add_service(s, "lib-b", display_name="β図書館", provider="β市", barcode=barcode)
    )
    info = service_info(service)
    assert info.barcode == barcode
    assert (info.display_name, info.provider) == ("β図書館", "β市")


@pytest.mark.parametrize("name", ["Library", "has space", "", "x" * 65, "ü"])
def test_bad_service_names(library: Library, name: str) -> None:
    barcode = BarcodeSpec(symbology=Symbology.QR)
    with pytest.raises(OperatorError, match="not a service name"):
        library.world.db.transaction(
            lambda s: add_service(s, name, display_name=name, provider="p", barcode=barcode)
        )


def test_a_bad_format_is_refused(library: Library) -> None:
    barcode = BarcodeSpec(symbology=Symbology.QR, pattern="[0-9")
    with pytest.raises(OperatorError, match="not a regular expression"):
        library.world.db.transaction(
            lambda s: add_service(s, "svc", display_name="svc", provider="p", barcode=barcode)
        )


def test_a_duplicate_service_is_refused(library: Library) -> None:
    with pytest.raises(OperatorError, match="already exists"):
        library.world.add_service(LIBRARY)


@pytest.mark.parametrize("value", ["123456789", "12345678901", "12345ABCDE", " 1234567890"])
def test_a_service_id_must_match_the_format(library: Library, value: str) -> None:
    taro = library.world.register(library.ca.issue(2))
    with pytest.raises(OperatorError, match="does not match"):
        library.world.link(taro, LIBRARY, value)
    assert count(library.world.db, ServiceLink) == 1


def test_a_service_id_belongs_to_one_holder(library: Library) -> None:
    taro = library.world.register(library.ca.issue(2))
    with pytest.raises(OperatorError, match="linked to another MyKey ID"):
        library.world.link(taro, LIBRARY, LIBRARY_NUMBER)


def test_linking_again_is_idempotent_but_not_a_change(library: Library) -> None:
    db = library.world.db
    again = db.transaction(lambda s: link(s, library.patron_mykey_id, LIBRARY, LIBRARY_NUMBER))
    assert again[1] == "already linked"
    with pytest.raises(OperatorError, match="already linked to"):
        library.world.link(library.patron_mykey_id, LIBRARY, "9999999999")
    assert count(db, ServiceLink) == 1


def test_link_needs_known_id_and_service(library: Library) -> None:
    with pytest.raises(OperatorError, match="no MyKey ID"):
        library.world.link("NOSUCH00", LIBRARY, "1111111111")
    with pytest.raises(OperatorError, match="no service named"):
        library.world.link(library.patron_mykey_id, "nosuch", "1111111111")


def test_validity_toggles(library: Library) -> None:
    db = library.world.db
    changed = db.transaction(lambda s: set_link_valid(s, library.patron_mykey_id, LIBRARY, False))
    assert changed.valid is False
    changed = db.transaction(lambda s: set_link_valid(s, library.patron_mykey_id, LIBRARY, True))
    assert changed.valid is True
