"""A counter in a public place: a virtual reader (vpcd listens on every interface, so a
host on the LAN could insert a "card" and receive the PIN) is refused unless
``allow_virtual_reader = true``; the PIN goes only to the reader whose card was probed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner

from app.cli import cli
from app.ports import EXIT_STATUS, ErrorKind, TapError
from app.settings import Settings
from app.tap import CardTapper, PlatformApi
from drivers.card import pcsc
from drivers.card.readers import is_virtual_reader
from drivers.card.transport import Transport
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import Holder, make_ca, make_holder
from tests.unit.app.test_cli import Fakes, enrolled_home
from tests.unit.app.test_tap import FakeClient, VcardTransport
from tests.unit.drivers.card.test_pcsc import FakeScard

VPCD = "Virtual PCD 00 00"
VERIFY = 0x20  # the INS of VERIFY: the APDU that carries the PIN


class NamedTransport(VcardTransport):
    """A transport that knows its reader's name, as the PC/SC transport does."""

    def __init__(self, card: VirtualJpkiCard, reader: str) -> None:
        super().__init__(card)
        self.reader = reader


class TwoReaders:
    """Two readers with a card each; ``open(None)`` takes the one named by ``any_reader``
    (as PC/SC's "any reader with a card" choice may change between two transactions)."""

    def __init__(self, cards: dict[str, VirtualJpkiCard], any_reader: str) -> None:
        self.cards = cards
        self.any_reader = any_reader
        self.sent: dict[str, list[bytes]] = {name: [] for name in cards}

    @contextmanager
    def open(self, reader: str | None = None) -> Iterator[Transport]:
        name = reader if reader is not None else self.any_reader
        card = self.cards[name]
        card.power_on()
        transport = NamedTransport(card, name)
        try:
            yield transport
        finally:
            self.sent[name].extend(transport.sent)
            card.power_off()


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ca(tmp_path_factory.mktemp("ca"))


def holder(ca_dir: Path, tmp_path: Path, name: str) -> Holder:
    return make_holder(tmp_path / name, ca_dir, pin="1234")


def card(h: Holder) -> VirtualJpkiCard:
    return VirtualJpkiCard(h, on_pin_change=lambda _: None)


def refusal(call: object) -> TapError:
    with pytest.raises(TapError) as info:
        call()  # type: ignore[operator]
    return info.value


def test_a_card_in_a_virtual_reader_is_refused_without_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeScard(monkeypatch)
    fake.readers = (0, [VPCD])
    present = pcsc.scard.SCARD_STATE_PRESENT
    fake.status_changes = [(0, [(VPCD, present, [])])]
    tapper = CardTapper(FakeClient(), None)  # any reader: PC/SC's choice

    error = refusal(tapper.probe)

    assert error.kind == ErrorKind.VIRTUAL_READER_REFUSED
    assert not any(c.startswith("connect") for c in fake.calls)  # no APDU went out


def test_a_named_virtual_reader_is_refused_without_the_setting(
    ca_dir: Path, tmp_path: Path
) -> None:
    readers = TwoReaders({VPCD: card(holder(ca_dir, tmp_path, "v"))}, VPCD)
    client = FakeClient()
    tapper = CardTapper(client, VPCD, open_card=readers.open)

    assert refusal(tapper.probe).kind == ErrorKind.VIRTUAL_READER_REFUSED
    assert refusal(lambda: tapper.authenticate("1234", allow_last_try=False)).kind == ErrorKind(
        "virtual_reader_refused")

    assert readers.sent[VPCD] == [] and client.lookups == []  # nothing reached the card


def test_the_pin_goes_only_to_the_reader_that_was_probed(ca_dir: Path, tmp_path: Path) -> None:
    readers = TwoReaders(
        {"Desk Reader 00": card(holder(ca_dir, tmp_path, "a")),
         "Other Reader 01": card(holder(ca_dir, tmp_path, "b"))},
        any_reader="Desk Reader 00",
    )
    tapper = CardTapper(FakeClient(), None, open_card=readers.open)
    tapper.probe()
    readers.any_reader = "Other Reader 01"  # a second card arrives between probe and PIN

    tapper.authenticate("1234", allow_last_try=False)

    assert readers.sent["Other Reader 01"] == []
    assert any(apdu[1] == VERIFY for apdu in readers.sent["Desk Reader 00"])


def test_a_virtual_reader_is_used_with_the_setting(ca_dir: Path, tmp_path: Path) -> None:
    readers = TwoReaders({VPCD: card(holder(ca_dir, tmp_path, "v"))}, VPCD)
    tapper = CardTapper(FakeClient(), VPCD, open_card=readers.open, allow_virtual_reader=True)

    assert tapper.probe().reader == VPCD
    assert tapper.authenticate("1234", allow_last_try=False).service_id == "0012345678"


def test_a_real_reader_is_taken_before_a_virtual_one(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeScard(monkeypatch)
    fake.readers = (0, [VPCD, "Desk Reader 00"])
    present = pcsc.scard.SCARD_STATE_PRESENT
    fake.status_changes = [(0, [(VPCD, present, []), ("Desk Reader 00", present, [])])]

    with pcsc.open_card(None) as transport:
        assert transport.reader == "Desk Reader 00"
    assert "connect Virtual PCD 00 00" not in fake.calls


@pytest.mark.parametrize("name", ["Virtual PCD 00 00", "ｖｉｒｔｕａｌ ＰＣＤ 00 01",
                                  "Virtual\u200b PCD 00 00", "vsmartcard vpcd",
                                  "Microsoft Virtual Smart Card 0"])
def test_virtual_names_are_found_after_normalisation(name: str) -> None:
    assert is_virtual_reader(name)


@pytest.mark.parametrize("name", ["SONY FeliCa Port/PaSoRi 4.0 00 00", "ACS ACR1252 1S CL Reader"])
def test_real_readers_are_not_virtual(name: str) -> None:
    assert not is_virtual_reader(name)


def test_the_lookup_command_ends_with_its_own_status(tmp_path: Path, ca_dir: Path) -> None:
    readers = TwoReaders({VPCD: card(holder(ca_dir, tmp_path, "v"))}, VPCD)
    fakes = Fakes()
    home = enrolled_home(tmp_path / "home", demo_mode=True)

    def make_tapper(settings: Settings, home: Path, reader: str | None) -> CardTapper:
        return CardTapper(FakeClient(), reader, open_card=readers.open,
                          allow_virtual_reader=settings.allow_virtual_reader)

    backends = fakes.backends()
    backends.make_tapper = make_tapper
    result = CliRunner().invoke(cli, ["--home", str(home), "lookup", "--reader", VPCD,
                                      "--pin-stdin"], input="1234\n", obj=backends)

    assert result.exit_code == EXIT_STATUS[ErrorKind.VIRTUAL_READER_REFUSED] == 14
    assert "仮想カードリーダー" in result.output and "allow_virtual_reader" in result.output
    assert readers.sent[VPCD] == []


def test_every_tapper_takes_its_card_rules_from_counter_toml() -> None:
    """Commands and the kiosk build their tapper through ``CardTapper.for_settings``: the
    card time budget and the virtual-reader rule come from counter.toml, none forgotten."""
    client = cast(PlatformApi, object())
    strict = CardTapper.for_settings(client, "Reader 0", Settings(card_timeout_s=2.5))
    assert (strict.card.timeout_s, strict.card.allow_virtual_reader) == (2.5, False)
    demo = CardTapper.for_settings(client, None, Settings(allow_virtual_reader=True))
    assert demo.card.allow_virtual_reader is True
