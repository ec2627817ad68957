"""``card_timeout_s`` (counter.toml) is the budget of every card transaction: the lookup's,
a points session's, a registration ticket's and ``mykey-counter register``'s.

A virtual card whose every answer takes one second (on a fake clock) needs about 13 s for
a proof: under the default budget (20 s) it is merely slow; with ``card_timeout_s = 5``
it must be refused as too slow, whichever command or mode taps it.
"""

from __future__ import annotations

import base64
import datetime as dt
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import drivers.card.deadline
import drivers.card.pcsc
from app import card_work
from app.card_step import TapFailed
from app.cli import cli
from app.cli.backends import Backends, KioskBackends
from app.cli.kiosk import _points_services
from app.points.flows import SessionOpened
from app.ports import EXIT_STATUS, ErrorKind
from app.secrets import TerminalKeyStore
from app.settings import Settings, load_settings, save_settings
from drivers.card.transport import Transport
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import Holder, make_ca, make_holder
from server.api.operations import challenge_value
from server.api.schemas import (
    BarcodeSpec,
    CardOperation,
    CardSession,
    ChallengeResponse,
    OperationKind,
    RegistrationTicket,
    ServiceInfo,
    Symbology,
)

PIN = "1234"
NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
SERVICE = ServiceInfo(name="demo-library", display_name="デモ市立図書館", provider="デモ市",
                      barcode=BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}"))
#: fake seconds each APDU takes
APDU_S = 1.0
TOO_SLOW = "the card answers too slowly"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class SlowReader:
    """``open_card``: the virtual card, each APDU one fake second."""

    def __init__(self, card: VirtualJpkiCard, clock: Clock) -> None:
        self.card = card
        self.clock = clock
        self.apdus = 0

    @contextmanager
    def open(self, reader: str | None = None, *, allow_virtual: bool = False
             ) -> Iterator[Transport]:
        self.card.power_on()
        try:
            yield self
        finally:
            self.card.power_off()

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.apdus += 1
        self.clock.now += APDU_S
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


class FakePlatform:
    """The platform calls of a card proof, each answered at once."""

    def challenge(self) -> ChallengeResponse:
        challenge = base64.b64encode(b"c" * 32).decode()
        return ChallengeResponse(challenge_id="ch-1", challenge=challenge, expires_at=NOW)

    def operation_challenge(self, operation: CardOperation) -> ChallengeResponse:
        placed, nonce = operation.at("shop:shop-01"), b"n" * 32
        return ChallengeResponse(
            challenge_id="ch-1",
            challenge=base64.b64encode(challenge_value(nonce, placed)).decode(),
            expires_at=NOW,
            nonce=base64.b64encode(nonce).decode(),
            operation=placed,
        )

    def card_session(self, challenge_id: str, certificate_der: bytes,
                     signature: bytes) -> CardSession:
        return CardSession(session_id="sess-1", expires_at=NOW, balances=[])

    def registration_ticket(self, challenge_id: str, certificate_der: bytes,
                            signature: bytes) -> RegistrationTicket:
        return RegistrationTicket(url="https://portal.example/r/abc", expires_at=NOW,
                                  purpose="register")

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def holder(ca_dir: Path, tmp_path: Path) -> Holder:
    return make_holder(tmp_path / "holder", ca_dir, pin=PIN)


@pytest.fixture
def slow_reader(monkeypatch: pytest.MonkeyPatch, holder: Holder) -> SlowReader:
    """The slow card behind every default card opener; the deadline on the fake clock."""
    clock = Clock()
    reader = SlowReader(VirtualJpkiCard(holder, on_pin_change=lambda h: None), clock)
    monkeypatch.setattr(drivers.card.deadline, "time", types.SimpleNamespace(
        monotonic=clock.monotonic))
    monkeypatch.setattr(drivers.card.pcsc, "open_card", reader.open)
    return reader


def home_with(tmp_path: Path, card_timeout_s: float) -> Path:
    home = tmp_path / "counter"
    settings = Settings(terminal_id="term-1", secrets_backend="file", demo_mode=True,
                        service=SERVICE,
                        card_timeout_s=card_timeout_s)
    save_settings(home, settings)
    TerminalKeyStore("file", home).store("term-1", Ed25519PrivateKey.generate())
    return home


def unused(*args: object, **kwargs: object) -> Any:
    raise AssertionError("not used here")


def backends() -> Backends:
    platform = FakePlatform()
    return Backends(
        make_tapper=unused,
        make_client=lambda settings, home: platform,  # type: ignore[arg-type,return-value]
        wait_for_card=lambda reader, timeout_s: reader or "Slow Reader 00 00",
        list_readers=lambda: ["Slow Reader 00 00"],
        enroll=unused,
        key_store=lambda settings, home: TerminalKeyStore("file", home),
        fetch_health=unused,
        compose_kiosk=unused,
    )


def register(home: Path) -> Result:
    return CliRunner().invoke(
        cli, ["--home", str(home), "register", "--pin-stdin", "--no-browser"],
        input=f"{PIN}\n", obj=backends())


def points_card_proof(home: Path, reader: SlowReader) -> Callable[[], object]:
    """The points services as the kiosk (``mykey-counter``) builds them, and the card proof
    of a points session on them (what the points modes run on the card lane)."""
    platform = FakePlatform()
    kiosk = KioskBackends(
        make_tapper=unused,
        make_client=lambda settings, home: platform,  # type: ignore[arg-type,return-value]
        monitor_factory=unused,
        run_kiosk=unused,
    )
    services = _points_services(kiosk, home, load_settings(home))
    assert services is not None
    services.open_card = reader.open
    payment = CardOperation(kind=OperationKind.PAYMENT, points=500)
    return lambda: card_work.open_session(services, PIN, payment, allow_last_try=False)


def test_the_slow_card_is_fine_within_the_default_budget(
    tmp_path: Path, slow_reader: SlowReader
) -> None:
    result = register(home_with(tmp_path, card_timeout_s=20.0))
    assert result.exit_code == 0, result.output
    assert "https://portal.example/r/abc" in result.stdout
    assert slow_reader.apdus * APDU_S > 5.0  # the proof alone took longer than the budget below


def test_register_honours_card_timeout_s(tmp_path: Path, slow_reader: SlowReader) -> None:
    result = register(home_with(tmp_path, card_timeout_s=5.0))
    assert result.exit_code == EXIT_STATUS[ErrorKind.CARD_ERROR], result.output
    assert TOO_SLOW in result.stderr
    assert "https://portal.example" not in result.stdout


def test_points_card_proofs_honour_card_timeout_s(
    tmp_path: Path, slow_reader: SlowReader
) -> None:
    prove = points_card_proof(home_with(tmp_path, card_timeout_s=5.0), slow_reader)
    refused = prove()
    assert isinstance(refused, TapFailed) and refused.kind is ErrorKind.CARD_ERROR
    assert TOO_SLOW in refused.detail


def test_points_card_proofs_within_the_budget_open_the_session(
    tmp_path: Path, slow_reader: SlowReader
) -> None:
    opened = points_card_proof(home_with(tmp_path, card_timeout_s=20.0), slow_reader)()
    assert isinstance(opened, SessionOpened) and opened.session.session_id == "sess-1"
