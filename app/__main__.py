"""The counter's composition root: real backends in, ``mykey-counter`` out. Nothing imports it.

The kiosk must paint its idle screen quickly, so this module and :mod:`app.cli` load only
click, the settings and the catalogue's code. Hardware (pyscard via ``drivers.card.pcsc``),
Qt, the keyring, the platform client (httpx, http-message-signatures) and the wire schema
(pydantic) are imported inside the factories below, when a command or the running kiosk
needs them: ``mykey-counter barcode`` and ``doctor`` start without Qt or pyscard, and the
kiosk loads the card stack and the client after its first paint.
"""

from __future__ import annotations

import time

#: ``time.perf_counter()`` when the counter's own code began to load (``--startup-check``
#: counts from here; the interpreter's start-up is before it)
STARTED_AT = time.perf_counter()

import gc  # noqa: E402 (after the clock starts)
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from app.cli import cli  # noqa: E402
from app.cli.backends import Backends, KioskBackends, KioskFlags  # noqa: E402
from app.cli.errors import not_enrolled  # noqa: E402
from app.cli.kiosk import start_kiosk  # noqa: E402
from app.cli.texts import Texts  # noqa: E402
from app.ports import ErrorKind, TapError, Tapper  # noqa: E402
from app.settings import Settings  # noqa: E402

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from app.client import PlatformClient
    from app.secrets import TerminalKeyStore
    from app.ui.kiosk_config import KioskConfig, MonitorFactory, MonitorLike
    from drivers.card.pcsc import CardMonitor
    from server.api.schemas import HealthResponse, TerminalInfo


def key_store(settings: Settings, home: Path) -> TerminalKeyStore:
    from app.secrets import TerminalKeyStore

    return TerminalKeyStore(settings.secrets_backend, home)


def make_client(settings: Settings, home: Path) -> PlatformClient:
    """A signed client for the enrolled terminal; TapError(NOT_ENROLLED) without a key."""
    from app.client import PlatformClient
    from app.secrets import SecretsError

    if settings.terminal_id is None:
        raise not_enrolled(Texts(settings.language))
    try:
        key = key_store(settings, home).load(settings.terminal_id)
    except SecretsError as e:
        raise TapError(ErrorKind.NOT_ENROLLED, str(e)) from None
    return PlatformClient(
        settings.server_url,
        settings.terminal_id,
        key,
        settings.platform_timeout_s,
        label="label" in settings.delivery,  # the platform counts the labels issued
    )


def make_tapper(settings: Settings, home: Path, reader: str | None) -> Tapper:
    from app.tap import CardTapper

    return CardTapper.for_settings(make_client(settings, home), reader, settings)


def wait_for_card(reader: str | None, timeout_s: float | None) -> str:
    from drivers.card.pcsc import wait_for_card as wait

    return wait(reader=reader, timeout_s=timeout_s)


def list_readers() -> list[str]:
    from drivers.card.pcsc import list_readers as readers

    return readers()


def enroll(
    server_url: str, code: str, timeout_s: float
) -> tuple[str, Ed25519PrivateKey, TerminalInfo]:
    from app.client import PlatformClient

    return PlatformClient.enroll(server_url, code, timeout_s=timeout_s)


def health(server_url: str, timeout_s: float) -> HealthResponse:
    from app.client import fetch_health

    return fetch_health(server_url, timeout_s=timeout_s)


class PcscMonitor:
    """The PC/SC card monitor, loaded (pyscard) when the kiosk starts it after its first paint.

    Without pcscd the monitor keeps retrying (once a second) and logs why; the kiosk stays
    on its idle screen meanwhile.
    """

    def __init__(
        self,
        on_insert: Callable[[str], None],
        on_remove: Callable[[str], None],
        reader: str | None,
    ) -> None:
        self._on_insert = on_insert
        self._on_remove = on_remove
        self._reader = reader
        self._monitor: CardMonitor | None = None

    def start(self) -> None:
        if self._monitor is None:
            from drivers.card.pcsc import CardMonitor

            self._monitor = CardMonitor(self._on_insert, self._on_remove, reader=self._reader)
        self._monitor.start()

    def stop(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()


def monitor_factory(settings: Settings) -> MonitorFactory:
    def make(on_insert: Callable[[str], None], on_remove: Callable[[str], None]) -> MonitorLike:
        return PcscMonitor(on_insert, on_remove, settings.reader)

    return make


def run_kiosk(config: KioskConfig) -> int:
    # The running kiosk collects garbage on its GUI thread only (app.ui.main_thread_gc);
    # its start-up (Qt's import, the widgets) makes only long-lived objects, so automatic
    # collection is off from here already: a few ms sooner to the first paint.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        from app.ui.kiosk import run_kiosk as run

        # What is loaded by now (the modules, their classes, Qt's wrappers, the settings)
        # lives as long as this process: moved to the collector's permanent generation,
        # no collection walks it again: not the kiosk's on its GUI thread, nor the full
        # one when it stops (≈ 15 ms of the startup check's exit, and the interpreter's
        # tear-down less).
        gc.freeze()
        return int(run(config))
    finally:
        if was_enabled:
            gc.enable()


def compose_kiosk(settings: Settings, flags: KioskFlags) -> int:
    """``mykey-counter`` without a command: the kiosk built of the real card reader,
    keyring, platform client and printer, run until it closes; its exit status."""
    backends = KioskBackends(
        make_tapper=make_tapper,
        make_client=make_client,
        monitor_factory=monitor_factory,
        run_kiosk=run_kiosk,
        started_at=STARTED_AT,
    )
    return start_kiosk(settings, flags, backends)


def real_backends() -> Backends:
    """The headless commands' real backends, and the way to the real kiosk."""
    return Backends(
        make_tapper=make_tapper,
        make_client=make_client,
        wait_for_card=wait_for_card,
        list_readers=list_readers,
        enroll=enroll,
        key_store=key_store,
        fetch_health=health,
        compose_kiosk=compose_kiosk,
    )


def main() -> None:
    """The ``mykey-counter`` console script.  A crash in native code (Qt, PC/SC) prints
    every thread's Python stack to stderr (the journal under systemd) before the process
    dies, so that the restarted kiosk's cause can be found."""
    import faulthandler

    faulthandler.enable()
    cli.main(prog_name="mykey-counter", obj=real_backends())


if __name__ == "__main__":
    main()
