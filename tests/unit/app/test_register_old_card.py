"""``mykey-counter register --old-card``: a renewed card, then the old one, each after its
own PIN, both signing the same platform challenge — the proof the platform needs to bind
the new card to the old one's MyKey ID."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509 import load_der_x509_certificate

import drivers.card.pcsc
from app.cli import cli
from app.cli.backends import Backends
from app.ports import EXIT_STATUS, ErrorKind, TapError
from app.secrets import TerminalKeyStore
from app.settings import Settings, save_settings
from drivers.card.transport import Transport
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import make_ca, make_holder
from server.api.schemas import (
    BarcodeSpec,
    ChallengeResponse,
    RegistrationTicket,
    ServiceInfo,
    Symbology,
)

NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
SERVICE = ServiceInfo(name="demo-library", display_name="デモ市立図書館", provider="デモ市",
                      barcode=BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}"))
NEW_PIN, OLD_PIN = "1234", "5678"
VALUE = b"renewal challenge, 32 bytes long"


class SwappingReader:
    """The new card for its tries and proof (two transactions), then the old card."""

    def __init__(self, new: VirtualJpkiCard, old: VirtualJpkiCard) -> None:
        self.cards = [new, new, old]
        self.card = new

    @contextmanager
    def open(self, reader: str | None = None, *, allow_virtual: bool = False
             ) -> Iterator[Transport]:
        self.card = self.cards.pop(0) if self.cards else self.card
        self.card.power_on()
        try:
            yield self
        finally:
            self.card.power_off()

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


class RecordingPlatform:
    """One challenge; the ticket request as sent, or a refusal."""

    def __init__(self, refusal: TapError | None = None) -> None:
        self.refusal = refusal
        self.challenges = 0
        self.ticket: tuple[Any, ...] | None = None

    def challenge(self) -> ChallengeResponse:
        self.challenges += 1
        return ChallengeResponse(challenge_id="ch-1", challenge=base64.b64encode(VALUE).decode(),
                                 expires_at=NOW)

    def registration_ticket(self, challenge_id: str, certificate_der: bytes, signature: bytes,
                            old_card: tuple[bytes, bytes] | None = None) -> RegistrationTicket:
        self.ticket = (challenge_id, certificate_der, signature, old_card)
        if self.refusal is not None:
            raise self.refusal
        return RegistrationTicket(url="https://portal.example/r/abc", expires_at=NOW,
                                  purpose="rebind")

    def close(self) -> None:
        pass


def signed_challenge(certificate_der: bytes, signature: bytes) -> bool:
    key = load_der_x509_certificate(certificate_der).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(signature, VALUE, padding.PKCS1v15(), hashes.SHA256())
    except Exception:  # noqa: BLE001 (any failure: not signed)
        return False
    return True


@pytest.fixture
def cards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    ca = make_ca(tmp_path / "ca")
    new = make_holder(tmp_path / "new", ca, pin=NEW_PIN)
    old = make_holder(tmp_path / "old", ca, pin=OLD_PIN)
    reader = SwappingReader(VirtualJpkiCard(new, on_pin_change=lambda h: None),
                            VirtualJpkiCard(old, on_pin_change=lambda h: None))
    monkeypatch.setattr(drivers.card.pcsc, "open_card", reader.open)
    return new.certificate_der, old.certificate_der


def register(tmp_path: Path, platform: RecordingPlatform) -> Result:
    home = tmp_path / "counter"
    save_settings(home, Settings(terminal_id="term-1", secrets_backend="file", demo_mode=True,
                                         service=SERVICE))
    TerminalKeyStore("file", home).store("term-1", Ed25519PrivateKey.generate())

    def unused(*args: object, **kwargs: object) -> Any:
        raise AssertionError("not used here")

    backends = Backends(
        make_tapper=unused,
        make_client=lambda settings, home: platform,  # type: ignore[arg-type,return-value]
        wait_for_card=lambda reader, timeout_s: reader or "Virtual 00 00",
        list_readers=lambda: ["Virtual 00 00"],
        enroll=unused,
        key_store=lambda settings, home: TerminalKeyStore("file", home),
        fetch_health=unused,
        compose_kiosk=unused,
    )
    return CliRunner().invoke(
        cli, ["--home", str(home), "register", "--pin-stdin", "--no-browser", "--old-card"],
        input=f"{NEW_PIN}\n{OLD_PIN}\n", obj=backends)


def test_both_cards_sign_the_one_challenge(tmp_path: Path, cards: tuple[bytes, bytes]) -> None:
    new_der, old_der = cards
    platform = RecordingPlatform()
    result = register(tmp_path, platform)
    assert result.exit_code == 0, result.output
    assert "https://portal.example/r/abc" in result.output
    assert "更新前のカードに置き換えて" in result.output
    assert platform.challenges == 1  # one challenge for both cards
    assert platform.ticket is not None
    challenge_id, certificate, signature, old_card = platform.ticket
    assert (challenge_id, certificate) == ("ch-1", new_der)
    assert old_card is not None and old_card[0] == old_der
    assert signed_challenge(certificate, signature)
    assert signed_challenge(*old_card)


def test_a_refused_old_card_is_a_platform_error(tmp_path: Path, cards: tuple[bytes, bytes]) -> None:
    refusal = TapError(ErrorKind.PLATFORM_ERROR, "rebind_old_card_invalid: the old card was "
                       "refused: its certificate is revoked", code="rebind_old_card_invalid")
    result = register(tmp_path, RecordingPlatform(refusal))
    assert result.exit_code == EXIT_STATUS[ErrorKind.PLATFORM_ERROR], result.output
    assert "rebind_old_card_invalid" in result.output


class ResetPlatform(RecordingPlatform):
    def password_reset_ticket(self, challenge_id: str, certificate_der: bytes,
                              signature: bytes) -> RegistrationTicket:
        self.ticket = (challenge_id, certificate_der, signature, "reset")
        return RegistrationTicket(url="https://portal.example/portal/reset?ticket=xyz",
                                  expires_at=NOW, purpose="reset")


def test_reset_password_asks_for_a_reset_link_with_the_card(
    tmp_path: Path, cards: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    new_der, _ = cards
    platform = ResetPlatform()
    home = tmp_path / "counter"
    save_settings(home, Settings(terminal_id="term-1", secrets_backend="file", demo_mode=True,
                                 service=SERVICE))
    TerminalKeyStore("file", home).store("term-1", Ed25519PrivateKey.generate())
    backends = Backends(
        make_tapper=lambda *a, **k: None,  # type: ignore[arg-type,return-value]
        make_client=lambda settings, home: platform,  # type: ignore[arg-type,return-value]
        wait_for_card=lambda reader, timeout_s: reader or "Virtual 00 00",
        list_readers=lambda: ["Virtual 00 00"],
        enroll=lambda *a, **k: None,  # type: ignore[arg-type,return-value]
        key_store=lambda settings, home: TerminalKeyStore("file", home),
        fetch_health=lambda *a, **k: None,  # type: ignore[arg-type,return-value]
        compose_kiosk=lambda *a, **k: None,  # type: ignore[arg-type,return-value]
    )
    result = CliRunner().invoke(
        cli, ["--home", str(home), "register", "--pin-stdin", "--no-browser", "--reset-password"],
        input=f"{NEW_PIN}\n", obj=backends)
    assert result.exit_code == 0, result.output
    assert "https://portal.example/portal/reset?ticket=xyz" in result.output
    assert platform.ticket is not None and platform.ticket[3] == "reset"
    assert platform.ticket[1] == new_der and signed_challenge(*platform.ticket[1:3])
    both = CliRunner().invoke(
        cli, ["--home", str(home), "register", "--no-browser", "--reset-password", "--old-card"],
        obj=backends)
    assert both.exit_code == 2 and "go separately" in both.output
