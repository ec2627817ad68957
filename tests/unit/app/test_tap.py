"""CardTapper over the in-process virtual card and a fake platform client."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import drivers.card.pcsc
from app.card_work import card_error_to_tap
from app.ports import CardStatus, ErrorKind, TapError, Tapper
from app.tap import CardTapper
from drivers.card.errors import (
    ApduError,
    CardDataError,
    CardError,
    CardRemoved,
    ForbiddenSelect,
    LastTryRefused,
    NoCard,
    NoReader,
    NotJpkiCard,
    PinBlocked,
    PinError,
)
from drivers.card.transport import Transport
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import Holder, make_ca, make_holder
from server.api.schemas import ChallengeResponse, LookupResult

CHALLENGE = bytes(range(32))
RESULT = LookupResult(service="lib", service_id="0012345678", valid=True,
                      address_changed=False, certificate_expires_soon=False)


class VcardTransport:
    """The virtual card's ``process`` as a Transport; counts APDUs."""

    def __init__(self, card: VirtualJpkiCard, *, remove_after: int | None = None) -> None:
        self.card = card
        self.sent: list[bytes] = []
        self.remove_after = remove_after

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self.remove_after is not None and len(self.sent) >= self.remove_after:
            raise CardRemoved("the card left the reader")
        self.sent.append(bytes(apdu))
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


class FakeReader:
    """open_card(): one power-up (fresh PIN state) per transaction, like pcscd."""

    def __init__(self, card: VirtualJpkiCard, *, remove_after: int | None = None) -> None:
        self.card = card
        self.remove_after = remove_after
        self.transports: list[VcardTransport] = []
        self.readers: list[str | None] = []

    @contextmanager
    def open(self, reader: str | None = None) -> Iterator[Transport]:
        self.readers.append(reader)
        self.card.power_on()
        transport = VcardTransport(self.card, remove_after=self.remove_after)
        self.transports.append(transport)
        try:
            yield transport
        finally:
            self.card.power_off()

    @property
    def apdus(self) -> list[bytes]:
        return [a for t in self.transports for a in t.sent]


class FakeClient:
    def __init__(self, *, challenge_error: TapError | None = None,
                 lookup_error: TapError | None = None) -> None:
        self.challenge_error = challenge_error
        self.lookup_error = lookup_error
        self.lookups: list[tuple[str, bytes, bytes]] = []

    def challenge(self) -> ChallengeResponse:
        if self.challenge_error:
            raise self.challenge_error
        return ChallengeResponse(
            challenge_id="ch-1",
            challenge=base64.b64encode(CHALLENGE).decode(),
            expires_at=dt.datetime.now(dt.UTC),
        )

    def lookup(self, challenge_id: str, certificate_der: bytes, signature: bytes) -> LookupResult:
        self.lookups.append((challenge_id, certificate_der, signature))
        if self.lookup_error:
            raise self.lookup_error
        return RESULT


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def holder(ca_dir: Path, tmp_path: Path) -> Holder:
    return make_holder(tmp_path / "holder", ca_dir, pin="1234")


def tapper_for(
    holder: Holder, client: FakeClient | None = None, *, remove_after: int | None = None
) -> tuple[CardTapper, FakeReader, FakeClient]:
    card = VirtualJpkiCard(holder, on_pin_change=lambda h: None)
    reader = FakeReader(card, remove_after=remove_after)
    client = client or FakeClient()
    return CardTapper(client, "Reader 0", open_card=reader.open), reader, client


def error_of(call: object) -> TapError:
    with pytest.raises(TapError) as info:
        call()  # type: ignore[operator]
    return info.value


def test_is_a_tapper(holder: Holder) -> None:
    tapper: Tapper = tapper_for(holder)[0]
    assert isinstance(tapper, CardTapper)


def test_probe_reads_the_counter_without_using_a_try(holder: Holder) -> None:
    tapper, reader, _ = tapper_for(holder)
    assert tapper.probe() == CardStatus(tries_left=3, reader="Reader 0")
    assert holder.tries_left == 3
    assert reader.readers == ["Reader 0"]
    assert all(not (a[1] == 0x20 and len(a) > 4) for a in reader.apdus)  # no PIN sent
    assert set(tapper.timings) == {"card_io_s"}


def test_authenticate_signs_the_challenge_in_one_transaction(holder: Holder) -> None:
    tapper, reader, client = tapper_for(holder)
    assert tapper.authenticate("1234", allow_last_try=False) == RESULT
    assert len(reader.transports) == 1
    ((challenge_id, certificate, signature),) = client.lookups
    assert challenge_id == "ch-1"
    assert certificate == holder.certificate_der
    public = x509.load_der_x509_certificate(certificate).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, CHALLENGE, padding.PKCS1v15(), hashes.SHA256())
    assert set(tapper.timings) == {"card_io_s", "network_challenge_s", "network_lookup_s",
                                   "network_s"}
    assert tapper.timings["network_s"] == pytest.approx(
        tapper.timings["network_challenge_s"] + tapper.timings["network_lookup_s"])


def test_wrong_pin_reports_tries_left(holder: Holder) -> None:
    tapper, _, client = tapper_for(holder)
    error = error_of(lambda: tapper.authenticate("9999", allow_last_try=False))
    assert error.kind is ErrorKind.WRONG_PIN and error.tries_left == 2
    assert client.lookups == []
    assert tapper.probe().tries_left == 2


def test_last_try_is_refused_unless_allowed(ca_dir: Path, tmp_path: Path) -> None:
    holder = make_holder(tmp_path / "h", ca_dir, tries_left=1)
    tapper, reader, _ = tapper_for(holder)
    error = error_of(lambda: tapper.authenticate("1234", allow_last_try=False))
    assert error.kind is ErrorKind.LAST_TRY_REFUSED
    assert holder.tries_left == 1
    assert all(not (a[1] == 0x20 and len(a) > 4) for a in reader.apdus)
    assert tapper.authenticate("1234", allow_last_try=True) == RESULT


def test_wrong_last_try_blocks(ca_dir: Path, tmp_path: Path) -> None:
    holder = make_holder(tmp_path / "h", ca_dir, tries_left=1)
    tapper, _, _ = tapper_for(holder)
    error = error_of(lambda: tapper.authenticate("0000", allow_last_try=True))
    assert error.kind in (ErrorKind.PIN_BLOCKED, ErrorKind.WRONG_PIN)
    assert error.tries_left == 0


def test_blocked_card(ca_dir: Path, tmp_path: Path) -> None:
    holder = make_holder(tmp_path / "h", ca_dir, tries_left=0)
    tapper, _, _ = tapper_for(holder)
    assert tapper.probe().tries_left == 0
    error = error_of(lambda: tapper.authenticate("1234", allow_last_try=True))
    assert error.kind is ErrorKind.PIN_BLOCKED


def test_not_a_jpki_card(ca_dir: Path, tmp_path: Path) -> None:
    holder = make_holder(tmp_path / "h", ca_dir, jpki=False)
    tapper, _, _ = tapper_for(holder)
    assert error_of(tapper.probe).kind is ErrorKind.NOT_JPKI_CARD


def test_network_failure_first_costs_no_pin_try(holder: Holder) -> None:
    down = TapError(ErrorKind.PLATFORM_UNREACHABLE, "refused")
    tapper, reader, _ = tapper_for(holder, FakeClient(challenge_error=down))
    assert error_of(lambda: tapper.authenticate("9999", allow_last_try=False)) is down
    assert reader.apdus == []
    assert holder.tries_left == 3


def test_lookup_errors_pass_through(holder: Holder) -> None:
    revoked = TapError(ErrorKind.CERTIFICATE_REVOKED, "certificate_revoked: CRL")
    tapper, _, _ = tapper_for(holder, FakeClient(lookup_error=revoked))
    assert error_of(lambda: tapper.authenticate("1234", allow_last_try=False)) is revoked


def test_card_pulled_out_at_every_step(holder: Holder) -> None:
    full, reader, _ = tapper_for(holder)
    full.authenticate("1234", allow_last_try=False)
    total = len(reader.apdus)  # select, certificate chunks, PIN counter, PIN, sign
    assert total >= 8
    for remove_after in range(total):
        card_removed_after(holder, remove_after)


def card_removed_after(holder: Holder, remove_after: int) -> None:
    tapper, _, client = tapper_for(holder, remove_after=remove_after)
    error = error_of(lambda: tapper.authenticate("1234", allow_last_try=False))
    assert error.kind is ErrorKind.CARD_REMOVED
    assert client.lookups == []


@pytest.mark.parametrize("pin", ["123", "12345", "abcd", "", "１２３４"])
def test_malformed_pin_never_reaches_the_card_or_network(holder: Holder, pin: str) -> None:
    tapper, reader, client = tapper_for(holder)
    error = error_of(lambda: tapper.authenticate(pin, allow_last_try=True))
    assert error.kind is ErrorKind.WRONG_PIN and error.tries_left is None
    assert reader.apdus == [] and client.lookups == []


def test_errors_opening_the_card(monkeypatch: pytest.MonkeyPatch, holder: Holder) -> None:
    @contextmanager
    def no_reader(reader: str | None = None, *, allow_virtual: bool = False
                  ) -> Iterator[Transport]:
        raise NoReader("pcscd is not running")
        yield  # pragma: no cover

    monkeypatch.setattr(drivers.card.pcsc, "open_card", no_reader)
    tapper = CardTapper(FakeClient(), None)  # PC/SC's open_card
    assert error_of(tapper.probe).kind is ErrorKind.NO_READER


def test_unexpected_exceptions_become_card_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def broken(reader: str | None = None) -> Iterator[Transport]:
        raise RuntimeError("pyscard exploded")
        yield  # pragma: no cover

    tapper = CardTapper(FakeClient(), None, open_card=broken)
    error = error_of(tapper.probe)
    assert error.kind is ErrorKind.CARD_ERROR and "pyscard exploded" in error.detail


@pytest.mark.parametrize(
    ("error", "kind", "tries"),
    [
        (PinError(2), ErrorKind.WRONG_PIN, 2),
        (PinBlocked(), ErrorKind.PIN_BLOCKED, 0),
        (LastTryRefused(), ErrorKind.LAST_TRY_REFUSED, 1),
        (NotJpkiCard(), ErrorKind.NOT_JPKI_CARD, None),
        (CardRemoved(), ErrorKind.CARD_REMOVED, None),
        (NoCard(), ErrorKind.CARD_REMOVED, None),
        (NoReader(), ErrorKind.NO_READER, None),
        (ApduError(0x6F00), ErrorKind.CARD_ERROR, None),
        (ForbiddenSelect("no"), ErrorKind.CARD_ERROR, None),
        (CardDataError("bad"), ErrorKind.CARD_ERROR, None),
        (CardError(), ErrorKind.CARD_ERROR, None),
    ],
)
def test_driver_error_mapping(error: CardError, kind: ErrorKind, tries: int | None) -> None:
    mapped = card_error_to_tap(error)
    assert mapped.kind is kind
    assert mapped.tries_left == tries
    assert mapped.detail


def test_malformed_challenge(holder: Holder) -> None:
    class BadClient(FakeClient):
        def challenge(self) -> ChallengeResponse:
            return ChallengeResponse(challenge_id="c", challenge="***",
                                     expires_at=dt.datetime.now(dt.UTC))

    tapper, reader, _ = tapper_for(holder, BadClient())
    assert error_of(lambda: tapper.authenticate("1234", allow_last_try=False)).kind is (
        ErrorKind.PLATFORM_ERROR)
    assert reader.apdus == []
