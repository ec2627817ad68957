"""What the command line is given: the outside world as factories, and the kiosk's way in.

:mod:`app.__main__`, the composition root, passes the real ones
(``cli.main(obj=real_backends())``); tests pass fakes
(``CliRunner().invoke(cli, args, obj=fakes)``). Nothing here imports what it describes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.outputs import make_printer
from app.ports import Tapper
from app.settings import LabelSettings, Settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from app.ui.kiosk_config import KioskConfig, MonitorFactory
    from drivers.printers import LabelPrinter
    from server.api.schemas import HealthResponse, TerminalInfo


class KeyStoreWriter(Protocol):
    """The terminal key store (``app.secrets.TerminalKeyStore``); the doctor's KeyStore."""

    def load(self, terminal_id: str) -> Ed25519PrivateKey: ...

    def check(self) -> None: ...

    def store(self, terminal_id: str, key: Ed25519PrivateKey) -> None: ...

    def delete(self, terminal_id: str) -> bool: ...


class TerminalClient(Protocol):
    """The signed platform client (``app.client.PlatformClient``); the doctor's TerminalApi."""

    def terminal_info(self) -> TerminalInfo: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class KioskFlags:
    """The group's kiosk options (``mykey-counter`` without a command), already checked."""

    #: the counter's home: counter.toml and the caches
    home: Path
    #: read a PIN from stdin and type it on the pad at every card
    demo_pin_stdin: bool = False
    #: save a screenshot of the result screen to this PNG
    screenshot: Path | None = None
    #: exit after the first result screen, printing the result
    once: bool = False
    #: exit once the idle screen is painted, printing how long it took
    startup_check: bool = False


@dataclass
class Backends:
    """Factories of everything outside this process; see :func:`app.__main__.real_backends`."""

    #: (settings, home, reader) → a Tapper; raises TapError (e.g. NOT_ENROLLED)
    make_tapper: Callable[[Settings, Path, str | None], Tapper]
    #: (settings, home) → a signed platform client; raises TapError(NOT_ENROLLED)
    make_client: Callable[[Settings, Path], TerminalClient]
    #: (reader, timeout_s) → the reader holding a card; TimeoutError, drivers' NoReader
    wait_for_card: Callable[[str | None, float | None], str]
    list_readers: Callable[[], list[str]]
    #: (server_url, code, timeout_s) → (terminal id, key, TerminalInfo)
    enroll: Callable[[str, str, float], tuple[str, Ed25519PrivateKey, TerminalInfo]]
    key_store: Callable[[Settings, Path], KeyStoreWriter]
    fetch_health: Callable[[str, float], HealthResponse]
    #: (settings, flags) → the kiosk's exit status: :func:`app.__main__.compose_kiosk`
    compose_kiosk: Callable[[Settings, KioskFlags], int]
    #: the ``[label]`` settings → the label printer (``print-test-label``)
    make_printer: Callable[[LabelSettings], LabelPrinter] = make_printer


@dataclass(frozen=True)
class KioskBackends:
    """What :func:`app.cli.kiosk.start_kiosk` builds a kiosk of, beyond settings and flags."""

    #: (settings, home, reader) → a Tapper; built after the first paint
    make_tapper: Callable[[Settings, Path, str | None], Tapper]
    #: (settings, home) → a signed platform client; raises TapError(NOT_ENROLLED)
    make_client: Callable[[Settings, Path], TerminalClient]
    #: the settings → the card monitor's factory
    monitor_factory: Callable[[Settings], MonitorFactory]
    #: the Qt kiosk (``app.ui.kiosk.run_kiosk``) → its exit status
    run_kiosk: Callable[[KioskConfig], int]
    #: ``time.perf_counter()`` when the process began to load the counter (app.__main__);
    #: ``--startup-check`` counts from it
    started_at: float = field(default_factory=time.perf_counter)
    #: the ``[label]`` settings → the label printer (the points modes' receipts)
    make_printer: Callable[[LabelSettings], LabelPrinter] = make_printer
