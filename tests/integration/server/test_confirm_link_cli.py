"""``mykey-counter confirm-link`` against a served platform: the counter's own client, the
card stack over a virtual card (no pcscd), the platform's desk confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import drivers.card.pcsc
from app.cli import cli
from app.cli.backends import Backends
from app.client import PlatformClient
from app.ports import EXIT_STATUS, ErrorKind
from app.secrets import TerminalKeyStore
from app.settings import Settings, save_settings
from app.tap import CardTapper
from drivers.card.transport import Transport
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import make_ca, make_holder
from tests.integration.server.conftest import LIBRARY, LIBRARY_NUMBER, ServedLibrary

pytestmark = pytest.mark.integration
PIN = "1234"
NUMBER = "2222222222"
READER = "Virtual Reader 00 00"


class Reader:
    """``open_card``: the virtual card, in this process."""

    def __init__(self, card: VirtualJpkiCard) -> None:
        self.card = card

    @contextmanager
    def open(self, reader: str | None = None, *, allow_virtual: bool = False
             ) -> Iterator[Transport]:
        self.card.power_on()
        try:
            yield self
        finally:
            self.card.power_off()

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


def unused(*args: object, **kwargs: object) -> Any:
    raise AssertionError("not used here")


@dataclass
class Desk:
    library: ServedLibrary
    home: Path
    terminal_id: str
    mykey_id: str

    def run(self, *args: str) -> Result:
        base_url = self.library.server.base_url
        store = TerminalKeyStore("file", self.home)
        backends = Backends(
            make_tapper=unused,
            make_client=lambda settings, home: PlatformClient(  # type: ignore[arg-type,return-value]
                base_url, self.terminal_id, store.load(self.terminal_id)
            ),
            wait_for_card=lambda reader, timeout_s: READER,
            list_readers=lambda: [READER],
            enroll=unused,
            key_store=lambda settings, home: store,
            fetch_health=unused,
            compose_kiosk=unused,
        )
        return CliRunner().invoke(
            cli,
            ["--home", str(self.home), "confirm-link", "--pin-stdin", *args],
            input=f"{PIN}\n",
            obj=backends,
        )

    def lookup(self) -> str:
        """The holder's service ID, looked up at this desk with the same card."""
        store = TerminalKeyStore("file", self.home)
        base_url = self.library.server.base_url
        with PlatformClient(base_url, self.terminal_id, store.load(self.terminal_id)) as client:
            tapper = CardTapper(client, READER, allow_virtual_reader=True)
            return tapper.authenticate(PIN, allow_last_try=False).service_id


@pytest.fixture
def desk(served_library: ServedLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    library = served_library
    ca = make_ca(tmp_path / "vca")
    holder = make_holder(tmp_path / "holder", ca, pin=PIN)
    library.server.run_cli("ca", "add", str(ca / "ca.pem"))
    library.server.run_cli("crl", "import", str(ca / "crl.pem"))  # revocation fails closed
    mykey_id = library.server.run_cli(
        "mykey", "register", "--cert", str(holder.directory / "cert.pem")
    ).splitlines()[-1]
    reader = Reader(VirtualJpkiCard(holder, on_pin_change=lambda h: None))
    monkeypatch.setattr(drivers.card.pcsc, "open_card", reader.open)
    code = library.server.run_cli(
        "terminal", "add", "--service", LIBRARY, "--name", "desk"
    ).splitlines()[-1]
    terminal_id, key, info = PlatformClient.enroll(library.server.base_url, code)
    home = tmp_path / "counter"
    settings = Settings(
        server_url=library.server.base_url,
        terminal_id=terminal_id,
        secrets_backend="file",
        demo_mode=True,
        allow_virtual_reader=True,
        service=info.service,
    )
    save_settings(home, settings)
    TerminalKeyStore("file", home).store(terminal_id, key)
    return Desk(library, home, terminal_id, mykey_id)


@pytest.mark.parametrize("platform_database_url", ["sqlite"], indirect=True)
def test_staff_confirm_the_number_of_the_card_in_hand(desk: Desk) -> None:
    refused = desk.run("--service-id", NUMBER)  # the terminal lacks the mode
    assert refused.exit_code == EXIT_STATUS[ErrorKind.PLATFORM_ERROR], refused.output
    assert "terminal_mode_not_allowed" in refused.stderr
    desk.library.server.run_cli("terminal", "allow", desk.terminal_id, "--mode", "link_confirm")
    done = desk.run("--service-id", NUMBER)
    assert done.exit_code == 0, done.output
    assert f"確認しました: {LIBRARY} {NUMBER}" in done.stdout
    assert desk.lookup() == NUMBER  # the desk now hands it out
    again = desk.run("--service-id", NUMBER)
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("platform_database_url", ["sqlite"], indirect=True)
def test_another_holders_number_and_a_second_number_are_refused(desk: Desk) -> None:
    desk.library.server.run_cli("terminal", "allow", desk.terminal_id, "--mode", "link_confirm")
    taken = desk.run("--service-id", LIBRARY_NUMBER)  # the patron's, confirmed
    assert taken.exit_code == EXIT_STATUS[ErrorKind.SERVICE_ID_TAKEN] == 37
    assert "別の方の番号として確認されています" in taken.stderr
    assert desk.run("--service-id", NUMBER).exit_code == 0
    second = desk.run("--service-id", "3333333333")
    assert second.exit_code == EXIT_STATUS[ErrorKind.LINK_MISMATCH] == 38
    assert "別の番号が連携されています" in second.stderr
