"""``mykey-counter``: the kiosk (no subcommand) and the headless commands.

Everything that touches hardware, the keyring or the network is built through a
:class:`Backends` object: :mod:`app.__main__` passes the real one (``cli.main(obj=…)``),
tests pass fakes (``CliRunner().invoke(cli, args, obj=fakes)``).  Headless commands never
import Qt.

This module is on the kiosk's path to its first paint: at import it loads click and the
settings only. The barcode libraries, the doctor, the keyring and the wire schema
(pydantic) are imported by the commands that use them.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, cast

import click

from app.outputs import make_printer
from app.ports import EXIT_STATUS, CardStatus, ErrorKind, TapError, Tapper
from app.settings import (
    HOME_ENV,
    LABEL_SIZES,
    LabelSettings,
    Settings,
    SettingsError,
    home_dir,
    load_service_cache,
    load_service_name,
    load_settings,
    save_service_cache,
    save_settings,
)
from drivers.card.pin import PinGate, pin_gate, valid_pin

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from app.points.services import PointsClient, PointsServices
    from drivers.printers import LabelPrinter
    from server.api.schemas import (
        BarcodeSpec,
        HealthResponse,
        LookupResult,
        ServiceInfo,
        TerminalInfo,
    )

#: exit status for usage and configuration errors (EXIT_STATUS keeps 1 free for it)
USAGE_STATUS = 1
#: exit status of ``print-test-label`` when the configured printer cannot print
PRINTER_STATUS = 50
NOT_ENROLLED_HINT = "run `mykey-counter enroll --server URL --code CODE` first"
#: the wire schema's ``Symbology`` and ``CheckDigit`` values, spelt out so that building
#: the CLI does not import pydantic (a unit test checks that they agree)
SYMBOLOGIES = ("nw7", "code39", "code128", "qr")
CHECK_DIGITS = ("none", "mod10", "mod11", "mod16", "7dr", "7dsr")


class MonitorLike(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


MonitorFactory = Callable[[Callable[[str], None], Callable[[str], None]], MonitorLike]


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
    monitor_factory: Callable[[Settings], MonitorFactory]
    #: app.ui.kiosk.run_kiosk (imported lazily: it pulls in Qt)
    run_kiosk: Callable[..., int]
    #: ``time.perf_counter()`` when the process began to load the counter (app.__main__);
    #: ``--startup-check`` counts from it
    started_at: float = field(default_factory=time.perf_counter)
    #: the ``[label]`` settings → the label printer (``print-test-label``)
    make_printer: Callable[[LabelSettings], LabelPrinter] = make_printer


# --- messages ----------------------------------------------------------------------------

#: one short line per error: (English, Japanese)
MESSAGES: dict[ErrorKind, tuple[str, str]] = {
    ErrorKind.NOT_JPKI_CARD: ("not a My Number Card", "マイナンバーカードではありません"),
    ErrorKind.CARD_REMOVED: ("the card was removed", "カードが離れました"),
    ErrorKind.NO_READER: ("no card reader (pcscd not running?)", "カードリーダーがありません"),
    ErrorKind.WRONG_PIN: ("wrong PIN", "暗証番号が違います"),
    ErrorKind.PIN_BLOCKED: (
        "the PIN is locked: ask the municipal office",
        "暗証番号がロックされています。市区町村の窓口で解除してください",
    ),
    ErrorKind.LAST_TRY_REFUSED: (
        "only one PIN try left: not used (pass --allow-last-try)",
        "暗証番号の残り回数が1回です。使用しませんでした",
    ),
    ErrorKind.NOT_REGISTERED: (
        "this card is not registered for the service",
        "このカードはサービスに登録されていません",
    ),
    ErrorKind.CERTIFICATE_REVOKED: (
        "the card's certificate is revoked",
        "電子証明書が失効しています",
    ),
    ErrorKind.CERTIFICATE_EXPIRED: (
        "the card's certificate is expired or not yet valid",
        "電子証明書の有効期限外です",
    ),
    ErrorKind.CERTIFICATE_UNTRUSTED: (
        "the card's certificate is not trusted",
        "電子証明書を確認できません",
    ),
    ErrorKind.PLATFORM_UNREACHABLE: (
        "the MyKey Platform is unreachable",
        "MyKeyプラットフォームに接続できません",
    ),
    ErrorKind.NOT_ENROLLED: (
        "this terminal is not enrolled (mykey-counter enroll)",
        "この端末は登録されていません",
    ),
    ErrorKind.CARD_ERROR: ("the card could not be read", "カードを読み取れませんでした"),
    ErrorKind.PLATFORM_ERROR: (
        "the MyKey Platform refused",
        "MyKeyプラットフォームでエラーが発生しました",
    ),
    ErrorKind.LABEL_LIMIT_REACHED: (
        "today's label limit for this card is reached: ask at the counter",
        "本日のラベル発行数の上限に達しました。カウンターでお尋ねください",
    ),
    ErrorKind.RATE_LIMITED: (
        "too many tries in a short time: wait a moment and try again",
        "短い時間に操作が多すぎます。しばらく待ってからもう一度お試しください",
    ),
}


def error_line(error: TapError, language: str = "ja") -> str:
    """One line for stderr: both languages (the configured one first) and the detail."""
    en, ja = MESSAGES[error.kind]
    if error.kind is ErrorKind.WRONG_PIN and error.tries_left is not None:
        en, ja = f"{en}, {error.tries_left} tries left", f"{ja}(残り{error.tries_left}回)"
    text = f"{ja} / {en}" if language == "ja" else f"{en} / {ja}"
    detail = f" ({error.detail})" if error.detail else ""
    return f"error: {text}{detail}"


def _fail(error: TapError, language: str) -> NoReturn:
    click.echo(error_line(error, language), err=True)
    raise SystemExit(EXIT_STATUS[error.kind])


def _usage(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(USAGE_STATUS)


# --- context -----------------------------------------------------------------------------


@dataclass
class CliState:
    home: Path
    backends: Backends

    def settings(self, *, service_cache: bool = True) -> Settings:
        """``counter.toml`` and the validated service cache (see :func:`load_settings`)."""
        try:
            return load_settings(self.home, service_cache=service_cache)
        except SettingsError as e:
            _usage(str(e))


def _backends(obj: object) -> Backends:
    if isinstance(obj, Backends):
        return obj
    from app.__main__ import real_backends  # the composition root

    return real_backends()


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


def result_json(result: LookupResult) -> str:
    return json.dumps(result.model_dump(mode="json"), ensure_ascii=False)


def result_line(result: LookupResult) -> str:
    notes = ["valid" if result.valid else "NOT VALID"]
    if result.address_changed:
        notes.append("address changed / 住所変更あり")
    if result.certificate_expires_soon:
        notes.append("certificate expires soon / 電子証明書の期限が近づいています")
    return f"{result.service}: {result.service_id} ({'; '.join(notes)})"


# --- the group and the kiosk -------------------------------------------------------------


@click.group(invoke_without_command=True)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=HOME_ENV,
    help="Directory of counter.toml and the caches (default: the user config dir).",
)
@click.option("--demo-pin-stdin", is_flag=True, help="Kiosk: read a PIN from stdin and type it.")
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Kiosk: save a screenshot of the result screen to this PNG.",
)
@click.option("--once", is_flag=True, help="Kiosk: exit after the first result screen.")
@click.option(
    "--startup-check",
    is_flag=True,
    help="Kiosk: open as usual, wait until the idle screen is painted, print "
    '{"idle_painted_s": …} as JSON and exit 0. Checks the display, fonts and Qt plugins; '
    "works before enrollment too.",
)
@click.version_option("0.1.0", prog_name="mykey-counter")
@click.pass_context
def cli(
    ctx: click.Context,
    home: Path | None,
    demo_pin_stdin: bool,
    screenshot: Path | None,
    once: bool,
    startup_check: bool,
) -> None:
    """MyKey Counter: tap a My Number Card, get the patron's service ID.

    Without a command, opens the counter kiosk.
    """
    state = CliState(home=home or home_dir(), backends=_backends(ctx.obj))
    ctx.obj = state
    if ctx.invoked_subcommand is None:
        if startup_check:
            if demo_pin_stdin or screenshot or once:
                _usage("--startup-check goes alone (not with --demo-pin-stdin, --screenshot, "
                       "--once)")
            ctx.exit(_kiosk(state, startup_check=True))
        ctx.exit(_kiosk(state, demo_pin_stdin=demo_pin_stdin, screenshot=screenshot, once=once))


def _refresh_service(
    settings: Settings, home: Path, client: TerminalClient
) -> ServiceInfo | None:
    """The platform's current service description, cached; the cache when offline."""
    try:
        service = client.terminal_info().service
    except TapError as e:
        click.echo(f"warning: using the cached service description ({e.kind})", err=True)
        return settings.service
    if service != settings.service:
        save_service_cache(home, service)
    return service


def _fetch_service(state: CliState, settings: Settings) -> ServiceInfo | None:
    """The platform's current service description (cached), or the cache when offline.

    Raises TapError when there is no client (no terminal key: not enrolled).
    """
    client = state.backends.make_client(settings, state.home)
    try:
        return _refresh_service(settings, state.home, client)
    finally:
        client.close()


def _start_up(state: CliState, settings: Settings, tapper: DeferredTapper) -> ServiceInfo | None:
    """The kiosk's start-up work once its idle screen is painted (off the GUI thread).

    The service cache, of which only the display name was read before the paint, is
    validated into ``settings.service``, and the tapper is built (terminal key, signed
    client, card stack). Returns the service for the kiosk's screens and deliveries. A
    TapError (no key: not enrolled; a broken cache) is reported here and ends the kiosk
    with its exit status, as it did before the window opened.
    """
    try:
        if settings.service is None:
            settings.service = _cached_service(state.home)
        tapper.prepare()
    except TapError as e:
        click.echo(error_line(e, settings.language), err=True)
        raise
    return settings.service


def _refresh_later(state: CliState, settings: Settings) -> ServiceInfo | None:
    """Then, the platform's current service description (the cache while it is away):
    a tap in the meantime already has the cached one. No terminal key ends the kiosk."""
    try:
        return _fetch_service(state, settings)
    except TapError as e:
        click.echo(error_line(e, settings.language), err=True)
        raise


def _cached_service(home: Path) -> ServiceInfo | None:
    try:
        return load_service_cache(home)
    except SettingsError as e:  # its display name was readable: the rest is not
        raise TapError(ErrorKind.NOT_ENROLLED, str(e)) from None


def _not_enrolled() -> Tapper:
    raise TapError(ErrorKind.NOT_ENROLLED, NOT_ENROLLED_HINT)


def _kiosk(
    state: CliState,
    *,
    demo_pin_stdin: bool = False,
    screenshot: Path | None = None,
    once: bool = False,
    startup_check: bool = False,
) -> int:
    """Run the kiosk. Its idle screen paints before anything slow starts: the cached service
    name is shown at once (plain json); the cache is validated (pydantic) and refreshed
    afterwards, and the tapper (keyring, client, card stack) is built after the first paint
    too (see :func:`_start_up`)."""
    settings = state.settings(service_cache=False)
    language = settings.language
    enrolled = settings.terminal_id is not None
    if not enrolled and not startup_check:
        _fail(TapError(ErrorKind.NOT_ENROLLED, NOT_ENROLLED_HINT), language)
    backends = state.backends
    try:
        service_name = load_service_name(state.home)
    except SettingsError as e:
        _usage(str(e))
    refresh_later = service_name is not None
    if enrolled and service_name is None:  # service.json lost: the window needs a name
        try:
            settings.service = _fetch_service(state, settings)
        except TapError as e:
            _fail(e, language)
        if settings.service is None:
            _fail(TapError(ErrorKind.PLATFORM_UNREACHABLE, "no service description yet"),
                  language)
        service_name = settings.service.display_name
    demo_pin = None
    if demo_pin_stdin:
        demo_pin = sys.stdin.readline().strip()
        if not _pin_ok(demo_pin):
            _usage("--demo-pin-stdin: stdin must hold a 4-digit PIN")
    work: list[Callable[[], ServiceInfo | None]] | None = None
    if service_name is not None:  # enrolled
        deferred = DeferredTapper(
            partial(backends.make_tapper, settings, state.home, settings.reader))
        work = [partial(_start_up, state, settings, deferred)]
        if refresh_later:
            work.append(partial(_refresh_later, state, settings))
    else:  # the startup check of a counter not enrolled yet
        deferred = DeferredTapper(_not_enrolled)
    tapper = RecordingTapper(deferred)
    points = None
    if service_name is not None and not startup_check:
        points = _points_services(state, settings)
    check: dict[str, Any] = {}
    if startup_check:
        check = {"on_idle_painted": _idle_report(backends.started_at, enrolled),
                 "exit_after_idle_painted": True}
    status = backends.run_kiosk(
        settings=settings,
        service=settings.service,
        service_name=service_name,
        tapper=tapper,
        monitor_factory=backends.monitor_factory(settings),
        demo_pin=demo_pin,
        screenshot_path=screenshot,
        exit_after_result=once,
        after_first_paint=work,
        home=state.home,
        points=points,
        **check,
    )
    if startup_check and status != 0:
        click.echo("error: the kiosk did not paint its idle screen (is there a display?)",
                   err=True)
    if once and status == 0 and tapper.last_result is not None:
        click.echo(result_json(tapper.last_result))  # the kiosk exits non-zero on errors
    return int(status)


def _points_services(state: CliState, settings: Settings) -> PointsServices | None:
    """The points modes' services (``[points]``), or None when switched off."""
    if not (settings.points.enabled or settings.points.register):
        return None
    from app.points.services import PointsServices

    def client() -> PointsClient:
        return cast("PointsClient", state.backends.make_client(settings, state.home))

    return PointsServices(
        make_client=client,
        home=state.home,
        reader=settings.reader,
        card_timeout_s=settings.card_timeout_s,
        label=settings.label,
        enabled=settings.points.enabled,
        register=settings.points.register,
        make_printer=state.backends.make_printer,
    )


# --- the startup check -------------------------------------------------------------------


def process_age_s() -> float | None:
    """Seconds since the OS started this process (interpreter start included), or None.

    Linux: the start time in /proc/self/stat against the boot-time clock (to 1/CLK_TCK,
    10 ms). Elsewhere psutil, when installed (a dev dependency), whose wall-clock start
    time is coarser still.
    """
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii")
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    return float(time.time() - psutil.Process().create_time())


def peak_rss_kib() -> int | None:
    """This process's peak resident memory since it started its program, in KiB.

    Linux: VmHWM from /proc/self/status, which (unlike getrusage's ru_maxrss) does not
    carry over the memory of the process that forked us. None elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _idle_report(started_at: float, enrolled: bool) -> Callable[[float], None]:
    def report(painted_at: float) -> None:
        age = process_age_s()
        if age is not None:
            age -= time.perf_counter() - painted_at  # the age at the paint, not now
        click.echo(json.dumps({
            "idle_painted_s": round(painted_at - started_at, 4),
            "process_age_s": None if age is None else round(age, 3),
            "peak_rss_kib": peak_rss_kib(),
            "enrolled": enrolled,
        }))

    return report


# --- enroll ------------------------------------------------------------------------------


@cli.command()
@click.option("--server", "server_url", required=True, help="The platform, e.g. https://mykey.example.jp")
@click.option("--code", required=True, help="The one-time enrollment code from the provider.")
@click.pass_obj
def enroll(state: CliState, server_url: str, code: str) -> None:
    """Enroll this terminal: make its key, register it, remember the service."""
    from app.secrets import SecretsError

    settings = state.settings()
    server_url = server_url.rstrip("/")
    if not server_url.startswith(("http://", "https://")):
        _usage("--server must be an http:// or https:// URL")
    backends = state.backends
    store = backends.key_store(settings, state.home)
    try:
        store.check()  # before the one-time code is spent
    except SecretsError as e:
        _usage(str(e))
    try:
        terminal_id, key, info = backends.enroll(server_url, code, settings.platform_timeout_s)
    except TapError as e:
        _fail(e, settings.language)
    try:
        store.store(terminal_id, key)
    except SecretsError as e:
        _usage(f"enrolled as {terminal_id}, but the key could not be stored: {e} "
               "(ask for a new enrollment code)")
    old_id = settings.terminal_id
    settings.terminal_id, settings.server_url, settings.service = (
        terminal_id, server_url, info.service)
    save_settings(state.home, settings)
    if old_id and old_id != terminal_id:
        try:
            store.delete(old_id)
        except SecretsError:
            pass  # the old key is unreachable anyway: counter.toml names the new terminal
    service = info.service
    click.echo(f"terminal id: {terminal_id}")
    click.echo(f"terminal:    {info.name}")
    click.echo(f"service:     {service.display_name} ({service.name})")
    click.echo(f"provider:    {service.provider}")
    click.echo(f"settings:    {state.home}")


# --- lookup ------------------------------------------------------------------------------


def _pin_ok(pin: str) -> bool:
    return valid_pin(pin)


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    else:
        pin = click.prompt("PIN (暗証番号)", hide_input=True, err=True, default="",
                           show_default=False)
    if not _pin_ok(pin):
        _usage("the PIN must be 4 digits / 暗証番号は数字4桁です (nothing was sent to the card)")
    return pin


@cli.command()
@click.option("--reader", default=None, help="PC/SC reader name (default: settings, else any).")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from the first line of stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--allow-last-try", is_flag=True, help="Use the PIN even if only one try is left.")
@click.option("--wait-s", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds to wait for a card.")
@click.pass_obj
def lookup(
    state: CliState,
    reader: str | None,
    pin_stdin: bool,
    as_json: bool,
    allow_last_try: bool,
    wait_s: float,
) -> None:
    """One tap, headless: wait for a card, ask the PIN, print the service ID."""
    settings = state.settings()
    language = settings.language
    if settings.terminal_id is None:
        _fail(TapError(ErrorKind.NOT_ENROLLED, NOT_ENROLLED_HINT), language)
    backends = state.backends
    try:
        card_reader = _wait(backends, reader or settings.reader, wait_s)
        # no label is printed here: the platform must not count one against the patron
        headless = replace(settings, delivery=[d for d in settings.delivery if d != "label"])
        tapper = backends.make_tapper(headless, state.home, card_reader)
        status = tapper.probe()
        click.echo(f"PIN tries left / 暗証番号の残り回数: {status.tries_left}", err=True)
        gate = pin_gate(status.tries_left, last_try_allowed=allow_last_try)
        if gate is PinGate.LOCKED:
            raise TapError(ErrorKind.PIN_BLOCKED, tries_left=0)
        if gate is PinGate.CONFIRM:
            raise TapError(ErrorKind.LAST_TRY_REFUSED, tries_left=1)
        pin = _read_pin(pin_stdin)
        result = tapper.authenticate(pin, allow_last_try=allow_last_try)
    except TapError as e:
        _fail(e, language)
    click.echo(result_json(result) if as_json else result_line(result))


def _wait(backends: Backends, reader: str | None, wait_s: float) -> str:
    from drivers.card.errors import CardError, NoReader

    click.echo("waiting for a card / カードを置いてください", err=True)
    try:
        return backends.wait_for_card(reader, wait_s)
    except TimeoutError:
        raise TapError(ErrorKind.CARD_REMOVED, f"no card within {wait_s:g} s") from None
    except NoReader as e:
        raise TapError(ErrorKind.NO_READER, str(e)) from None
    except CardError as e:
        raise TapError(ErrorKind.CARD_ERROR, str(e)) from None


# --- barcode -----------------------------------------------------------------------------


def _spec(
    state: CliState,
    symbology: str | None,
    overrides: dict[str, Any],
) -> BarcodeSpec:
    from server.api.schemas import BarcodeSpec

    base: dict[str, Any] = {}
    if symbology is None:
        service = state.settings().service
        if service is None:
            _usage("--symbology is required (no enrolled service to take it from)")
        base = service.barcode.model_dump()
    else:
        base = {"symbology": symbology}
    base.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return BarcodeSpec.model_validate(base)
    except ValueError as e:
        _usage(f"bad barcode options: {e}")


@cli.command()
@click.argument("value")
@click.option("--symbology", type=click.Choice(SYMBOLOGIES), default=None,
              help="Default: the enrolled service's.")
@click.option("--nw7-start", type=click.Choice(list("ABCD")), default=None)
@click.option("--nw7-stop", type=click.Choice(list("ABCD")), default=None)
@click.option("--check-digit", type=click.Choice(CHECK_DIGITS), default=None,
              help="NW-7 check character scheme.")
@click.option("--pattern", default=None, help="Regular expression the value must fullmatch.")
@click.option("--module-px", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--height-px", type=click.IntRange(min=1), default=160, show_default=True)
@click.option("--text/--no-text", "human_readable", default=False, show_default=True,
              help="Print the value under 1D codes.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_obj
def barcode(
    state: CliState,
    value: str,
    symbology: str | None,
    nw7_start: str | None,
    nw7_stop: str | None,
    check_digit: str | None,
    pattern: str | None,
    module_px: int,
    height_px: int,
    human_readable: bool,
    out: Path,
) -> None:
    """Render VALUE exactly as the counter's screen shows it, into a PNG."""
    from app.barcodes import barcode_text, render_barcode, validate_service_id

    spec = _spec(state, symbology, {"nw7_start": nw7_start, "nw7_stop": nw7_stop,
                                    "check_digit": check_digit, "pattern": pattern})
    try:
        validate_service_id(value, spec)
        image = render_barcode(value, spec, module_px=module_px, height_px=height_px,
                               human_readable=human_readable)
    except ValueError as e:
        _usage(str(e))
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, format="PNG")
    click.echo(f"{out}: {spec.symbology.value} {barcode_text(value, spec)}")


# --- labels ------------------------------------------------------------------------------


def _label_service(
    state: CliState, service_name: str | None, provider: str | None, spec: BarcodeSpec
) -> ServiceInfo:
    """The enrolled service (names overridable), or one made of the options."""
    from server.api.schemas import ServiceInfo

    enrolled = state.settings().service
    return ServiceInfo(
        name=enrolled.name if enrolled else "preview",
        display_name=service_name or (enrolled.display_name if enrolled else "MyKey"),
        provider=provider if provider is not None else (enrolled.provider if enrolled else ""),
        barcode=spec,
    )


@cli.command()
@click.option("--service-id", required=True, help="The number to print on the label.")
@click.option("--service", "service_name", default=None,
              help="The service name on the label (default: the enrolled service's).")
@click.option("--provider", default=None, help="The provider on the label.")
@click.option("--size", type=click.Choice(LABEL_SIZES), default=None,
              help="Label stock (default: [label] size in counter.toml).")
@click.option("--symbology", type=click.Choice(SYMBOLOGIES), default=None,
              help="Default: the enrolled service's.")
@click.option("--nw7-start", type=click.Choice(list("ABCD")), default=None)
@click.option("--nw7-stop", type=click.Choice(list("ABCD")), default=None)
@click.option("--check-digit", type=click.Choice(CHECK_DIGITS), default=None,
              help="NW-7 check character scheme.")
@click.option("--pattern", default=None, help="Regular expression the ID must fullmatch.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FILE.png or FILE.pdf (by extension).")
@click.pass_obj
def label(
    state: CliState,
    service_id: str,
    service_name: str | None,
    provider: str | None,
    size: str | None,
    symbology: str | None,
    nw7_start: str | None,
    nw7_stop: str | None,
    check_digit: str | None,
    pattern: str | None,
    out: Path,
) -> None:
    """Preview the same-day label for SERVICE_ID as a PNG or PDF."""
    from dataclasses import replace

    from app.barcodes import validate_service_id
    from app.labels import FontNotFound, render_label, render_label_pdf
    from app.outputs import label_content, label_size

    suffix = out.suffix.lower()
    if suffix not in (".png", ".pdf"):
        _usage("--out must end in .png or .pdf")
    settings = state.settings()
    label_settings = settings.label if size is None else replace(settings.label, size=size)
    spec = _spec(state, symbology, {"nw7_start": nw7_start, "nw7_stop": nw7_stop,
                                    "check_digit": check_digit, "pattern": pattern})
    service = _label_service(state, service_name, provider, spec)
    content = label_content(service, service_id, label_settings,
                            terminal_id=settings.terminal_id)
    stock = label_size(label_settings)
    try:
        validate_service_id(service_id, spec)
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".pdf":
            render_label_pdf(content, stock, out)
        else:
            render_label(content, stock).save(out, format="PNG", dpi=(stock.dpi, stock.dpi))
    except (ValueError, FontNotFound) as e:
        _usage(str(e))
    click.echo(f"{out}: {stock.description}, {spec.symbology.value}")


@cli.command("print-test-label")
@click.option("--size", type=click.Choice(LABEL_SIZES), default=None,
              help="Label stock (default: [label] size in counter.toml).")
@click.pass_obj
def print_test_label(state: CliState, size: str | None) -> None:
    """Print a label with a test number (TEST / テスト) on the configured printer."""
    from dataclasses import replace

    from app.labels import FontNotFound, render_label
    from app.outputs import NoPrinterConfigured, label_content, label_size, sample_number
    from drivers.printers import PrinterError
    from server.api.schemas import BarcodeSpec, ServiceInfo, Symbology

    settings = state.settings()
    label_settings = settings.label if size is None else replace(settings.label, size=size)
    service = settings.service or ServiceInfo(
        name="test", display_name="MyKey", provider="",
        barcode=BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}"))
    try:
        number = sample_number(service.barcode)
        image = render_label(
            label_content(service, number, label_settings, terminal_id=settings.terminal_id,
                          test=True),
            label_size(label_settings),
        )
        printer = state.backends.make_printer(label_settings)
        printer.print_image(image, copies=1, job_name="MyKey test label")
    except NoPrinterConfigured as e:
        _usage(str(e))
    except PrinterError as e:
        click.echo(f"error: the label printer is not available / ラベルプリンターを使えません: "
                   f"{e.reason}", err=True)
        raise SystemExit(PRINTER_STATUS) from None
    except (ValueError, FontNotFound) as e:
        _usage(str(e))
    click.echo(f"printed a test label ({number}) on {label_settings.printer} "
               f"/ テストラベルを印刷しました")


# --- staff PIN ---------------------------------------------------------------------------


@cli.command("staff-pin")
@click.option("--pin-stdin", is_flag=True,
              help="Read the new staff PIN from the first line of stdin (no prompt).")
@click.pass_obj
def staff_pin(state: CliState, pin_stdin: bool) -> None:
    """Set the staff PIN (6-12 digits) that opens the kiosk's settings screen.

    Only its salted hash is kept, in the keyring (secrets_backend), never in counter.toml.
    """
    from app.secrets import SecretsError
    from app.staff import MAX_LENGTH, MIN_LENGTH, KeyStore, set_staff_pin, valid_staff_pin

    rule = (f"the staff PIN must be {MIN_LENGTH} to {MAX_LENGTH} digits / "
            f"スタッフ用暗証番号は数字{MIN_LENGTH}〜{MAX_LENGTH}桁です")
    if pin_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    else:
        pin = click.prompt("staff PIN (スタッフ用暗証番号)", hide_input=True, err=True,
                           default="", show_default=False)
        if valid_staff_pin(pin):
            again = click.prompt("again (もう一度)", hide_input=True, err=True, default="",
                                 show_default=False)
            if again != pin:
                _usage("the two entries differ / 2回の入力が一致しません (nothing was stored)")
    if not valid_staff_pin(pin):
        _usage(f"{rule} (nothing was stored)")
    settings = state.settings(service_cache=False)
    try:
        store = cast("KeyStore", state.backends.key_store(settings, state.home))
        set_staff_pin(store, pin)
    except SecretsError as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(1) from None
    click.echo("staff PIN set / スタッフ用暗証番号を設定しました")


# --- doctor ------------------------------------------------------------------------------


@cli.command()
@click.pass_obj
def doctor(state: CliState) -> None:
    """Check readers, pcscd, enrollment, the platform and the clock."""
    from app.doctor import DoctorDeps, failed, format_table, run_checks

    b = state.backends
    deps = DoctorDeps(
        list_readers=b.list_readers,
        key_store=b.key_store,
        make_client=b.make_client,
        fetch_health=b.fetch_health,
    )
    checks = run_checks(state.home, deps)
    click.echo(format_table(checks))
    if failed(checks):
        raise SystemExit(1)


# --- register (app/register.py) -----------------------------------------------------------
from app.register import register as _register  # noqa: E402 (it imports this module lazily)

cli.add_command(_register)
