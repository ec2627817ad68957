"""The counter's composition root: real backends in, ``mykey-counter`` out.

Hardware (pyscard via ``drivers.card.pcsc``) and Qt are imported only inside the
factories, so ``mykey-counter barcode`` and ``doctor`` start without either.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.cli import Backends, MonitorFactory, MonitorLike, cli
from app.client import PlatformClient, fetch_health
from app.ports import ErrorKind, TapError, Tapper
from app.secrets import SecretsError, TerminalKeyStore
from app.settings import Settings
from server.api.schemas import HealthResponse, TerminalInfo


def key_store(settings: Settings, home: Path) -> TerminalKeyStore:
    return TerminalKeyStore(settings.secrets_backend, home)


def make_client(settings: Settings, home: Path) -> PlatformClient:
    """A signed client for the enrolled terminal; TapError(NOT_ENROLLED) without a key."""
    if settings.terminal_id is None:
        raise TapError(ErrorKind.NOT_ENROLLED, "run `mykey-counter enroll` first")
    try:
        key = key_store(settings, home).load(settings.terminal_id)
    except SecretsError as e:
        raise TapError(ErrorKind.NOT_ENROLLED, str(e)) from None
    return PlatformClient(
        settings.server_url, settings.terminal_id, key, settings.platform_timeout_s
    )


def make_tapper(settings: Settings, home: Path, reader: str | None) -> Tapper:
    from app.tap import CardTapper

    return CardTapper(make_client(settings, home), reader)


def wait_for_card(reader: str | None, timeout_s: float | None) -> str:
    from drivers.card.pcsc import wait_for_card as wait

    return wait(reader=reader, timeout_s=timeout_s)


def list_readers() -> list[str]:
    from drivers.card.pcsc import list_readers as readers

    return readers()


def enroll(
    server_url: str, code: str, timeout_s: float
) -> tuple[str, Ed25519PrivateKey, TerminalInfo]:
    return PlatformClient.enroll(server_url, code, timeout_s=timeout_s)


def health(server_url: str, timeout_s: float) -> HealthResponse:
    return fetch_health(server_url, timeout_s=timeout_s)


def monitor_factory(settings: Settings) -> MonitorFactory:
    def make(on_insert: Callable[[str], None], on_remove: Callable[[str], None]) -> MonitorLike:
        from drivers.card.pcsc import CardMonitor

        return CardMonitor(on_insert, on_remove, reader=settings.reader)

    return make


def run_kiosk(**kwargs: Any) -> int:
    from app.ui.kiosk import run_kiosk as run

    return int(run(**kwargs))


def real_backends() -> Backends:
    return Backends(
        make_tapper=make_tapper,
        make_client=make_client,
        wait_for_card=wait_for_card,
        list_readers=list_readers,
        enroll=enroll,
        key_store=key_store,
        fetch_health=health,
        monitor_factory=monitor_factory,
        run_kiosk=run_kiosk,
    )


def main() -> None:
    """The ``mykey-counter`` console script."""
    cli.main(prog_name="mykey-counter", obj=real_backends())


if __name__ == "__main__":
    main()
