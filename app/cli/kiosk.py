"""``mykey-counter`` without a command: what the counter kiosk is made of, and when.

Its idle screen paints before anything slow starts: the cached service name is shown at
once (plain json); the cache is validated (pydantic) and refreshed afterwards, and the
tapper (keyring, client, card stack) is built after the first paint too. A failure before
the window opens ends the command as the headless ones do (an ``error:`` line, the exit
status); one after it ends the kiosk with the same line and status.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from app.cli.backends import KioskBackends, KioskFlags, TerminalClient
from app.cli.card import PIN_LENGTH, pin_ok
from app.cli.errors import error_line, fail, not_enrolled, usage
from app.cli.results import result_json
from app.cli.startup_check import idle_report
from app.cli.texts import Texts
from app.ports import CardStatus, ErrorKind, TapError, Tapper
from app.settings import (
    Settings,
    SettingsError,
    load_service_cache,
    load_service_name,
    save_service_cache,
)
from app.ui.kiosk_config import KioskConfig

if TYPE_CHECKING:
    from app.points.services import PointsClient, PointsServices
    from server.api.schemas import LookupResult, ServiceInfo


class DeferredTapper:
    """A Tapper built on first use, or by :meth:`prepare` once the kiosk is on screen.

    Building the real one loads the terminal key (keyring), the signed client (httpx,
    http-message-signatures) and the card stack: none of it is needed to paint the idle
    screen. A build that fails with a TapError is tried again at the next call.
    """

    def __init__(self, build: Callable[[], Tapper]) -> None:
        self._build = build
        self._lock = threading.Lock()  # the start-up thread and the card thread
        self._tapper: Tapper | None = None

    def prepare(self) -> Tapper:
        with self._lock:
            if self._tapper is None:
                self._tapper = self._build()
            return self._tapper

    def probe(self) -> CardStatus:
        return self.prepare().probe()

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        return self.prepare().authenticate(pin, allow_last_try=allow_last_try)


class RecordingTapper:
    """Wraps a Tapper and keeps the last result, for ``--once`` to print it."""

    def __init__(self, inner: Tapper) -> None:
        self.inner = inner
        self.last_result: LookupResult | None = None

    def probe(self) -> CardStatus:
        return self.inner.probe()

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        result = self.inner.authenticate(pin, allow_last_try=allow_last_try)
        self.last_result = result
        return result


def start_kiosk(settings: Settings, flags: KioskFlags, backends: KioskBackends) -> int:
    """Run the kiosk of ``settings`` (read without the service cache) with ``flags``; its
    exit status. Everything before the window opens happens here, on this thread."""
    home, language = flags.home, settings.language
    texts = Texts(language)
    enrolled = settings.terminal_id is not None
    if not enrolled and not flags.startup_check:
        fail(not_enrolled(texts), language)
    try:
        service_name = load_service_name(home)
    except SettingsError as e:
        usage(str(e))
    refresh_later = service_name is not None
    if enrolled and service_name is None:  # service.json lost: the window needs a name
        try:
            settings.service = _fetch_service(backends, home, settings)
        except TapError as e:
            fail(e, language)
        if settings.service is None:
            fail(TapError(ErrorKind.PLATFORM_UNREACHABLE, texts.tr("cli.kiosk.no_service_yet")),
                 language)
        service_name = settings.service.display_name
    demo_pin = None
    if flags.demo_pin_stdin:
        demo_pin = sys.stdin.readline().strip()
        if not pin_ok(demo_pin):
            usage(texts.tr("cli.kiosk.demo_pin_rule", digits=PIN_LENGTH))
    work: list[Callable[[], ServiceInfo | None]] | None = None
    if service_name is not None:  # enrolled
        deferred = DeferredTapper(partial(backends.make_tapper, settings, home, settings.reader))
        work = [partial(_start_up, home, settings, deferred)]
        if refresh_later:
            work.append(partial(_refresh_later, backends, home, settings))
    else:  # the startup check of a counter not enrolled yet
        deferred = DeferredTapper(partial(_not_enrolled, texts))
    tapper = RecordingTapper(deferred)
    points = None
    if service_name is not None and not flags.startup_check:
        points = _points_services(backends, home, settings)
    on_idle_painted = idle_report(backends.started_at, enrolled) if flags.startup_check else None
    status = backends.run_kiosk(KioskConfig(
        settings=settings,
        service=settings.service,
        service_name=service_name,
        tapper=tapper,
        monitor_factory=backends.monitor_factory(settings),
        demo_pin=demo_pin,
        screenshot_path=flags.screenshot,
        exit_after_result=flags.once,
        after_first_paint=work,
        home=home,
        points=points,
        on_idle_painted=on_idle_painted,
        exit_after_idle_painted=flags.startup_check,
        flow_after_first_paint=True,
    ))
    if flags.startup_check and status != 0:
        click.echo(f"error: {texts.tr('cli.kiosk.not_painted')}", err=True)
    if flags.once and status == 0 and tapper.last_result is not None:
        click.echo(result_json(tapper.last_result))  # the kiosk exits non-zero on errors
    return int(status)


def _refresh_service(
    settings: Settings, home: Path, client: TerminalClient
) -> ServiceInfo | None:
    """The platform's current service description, cached; the cache when offline."""
    try:
        service = client.terminal_info().service
    except TapError as e:
        warning = Texts(settings.language).tr("cli.kiosk.cached_service", kind=e.kind)
        click.echo(f"warning: {warning}", err=True)
        return settings.service
    if service != settings.service:
        save_service_cache(home, service)
    return service


def _fetch_service(
    backends: KioskBackends, home: Path, settings: Settings
) -> ServiceInfo | None:
    """The platform's current service description (cached), or the cache when offline.

    Raises TapError when there is no client (no terminal key: not enrolled).
    """
    client = backends.make_client(settings, home)
    try:
        return _refresh_service(settings, home, client)
    finally:
        client.close()


def _start_up(home: Path, settings: Settings, tapper: DeferredTapper) -> ServiceInfo | None:
    """The kiosk's start-up work once its idle screen is painted (off the GUI thread).

    The service cache, of which only the display name was read before the paint, is
    validated into ``settings.service``, and the tapper is built (terminal key, signed
    client, card stack). Returns the service for the kiosk's screens and deliveries. A
    TapError (no key: not enrolled; a broken cache) is reported here and ends the kiosk
    with its exit status, as a failure before the window opens would.
    """
    try:
        if settings.service is None:
            settings.service = _cached_service(home)
        tapper.prepare()
    except TapError as e:
        click.echo(error_line(e, settings.language), err=True)
        raise
    return settings.service


def _refresh_later(
    backends: KioskBackends, home: Path, settings: Settings
) -> ServiceInfo | None:
    """Then, the platform's current service description (the cache while it is away):
    a tap in the meantime already has the cached one. No terminal key ends the kiosk."""
    try:
        return _fetch_service(backends, home, settings)
    except TapError as e:
        click.echo(error_line(e, settings.language), err=True)
        raise


def _cached_service(home: Path) -> ServiceInfo | None:
    try:
        return load_service_cache(home)
    except SettingsError as e:  # its display name was readable: the rest is not
        raise TapError(ErrorKind.NOT_ENROLLED, str(e)) from None


def _not_enrolled(texts: Texts) -> Tapper:
    raise not_enrolled(texts)


def _points_services(
    backends: KioskBackends, home: Path, settings: Settings
) -> PointsServices | None:
    """The points modes' services (``[points]``), or None when switched off."""
    if not (settings.points.enabled or settings.points.register):
        return None
    from app.points.services import PointsServices

    def client() -> PointsClient:
        return cast("PointsClient", backends.make_client(settings, home))

    return PointsServices(
        make_client=client,
        home=home,
        reader=settings.reader,
        card_timeout_s=settings.card_timeout_s,
        allow_virtual_reader=settings.allow_virtual_reader,
        label=settings.label,
        enabled=settings.points.enabled,
        register=settings.points.register,
        outbox_max_tries=settings.points.outbox_max_tries,
        make_printer=backends.make_printer,
    )
