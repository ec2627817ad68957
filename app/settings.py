"""The counter's settings: one TOML file (``counter.toml``) in the counter's home directory.

Every key is documented in ``resources/counter.example.toml``.  Secrets never go here
(see :mod:`app.secrets`); the service description learnt at enrollment is cached beside
it in ``service.json``.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.flow import Timeouts
    from server.api.schemas import ServiceInfo

# Reading the settings is on the kiosk's path to its first paint: pydantic (the service
# cache), platformdirs, tomli_w and tempfile are imported only where they are used. The
# kiosk reads only the service's display name before that paint (load_service_name, plain
# json) and validates the whole cache after it.

SETTINGS_FILE = "counter.toml"
SERVICE_CACHE_FILE = "service.json"
HOME_ENV = "MYKEY_COUNTER_HOME"
#: the platform on this machine: ``server.api.schemas.DEFAULT_PORT``, spelt out so that
#: importing the settings does not import the wire schema (a unit test checks they agree)
DEFAULT_SERVER_URL = "http://127.0.0.1:8421"
LANGUAGES = ("ja", "en")
DELIVERY_METHODS = ("show", "barcode", "keyboard", "label")
DEFAULT_DELIVERY = ("show", "barcode")
SECRETS_BACKENDS = ("system", "file")
#: ``drivers.keyboard.BACKENDS`` plus the recording backend (tests, demo mode)
KEYBOARD_BACKENDS = ("auto", "x11", "uinput", "windows", "macos", "recording")
PRINTERS = ("spooler", "brother", "escpos", "recording")
#: ``app.labels.LABEL_SIZES``, spelt out so that reading the settings does not import Pillow
LABEL_SIZES = ("62mm", "29x90", "58mm", "80mm")
#: label sizes that the Brother QL backend can print
BROTHER_SIZES = ("62mm", "29x90")


class SettingsError(Exception):
    """``counter.toml`` (or the service cache) is unreadable or holds a bad value."""


class RefusedSetting(SettingsError):
    """A value a counter in a public place refuses (:mod:`app.public_place`); every
    command ends with ``exit_status``."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


@dataclass
class KeyboardSettings:
    """``[keyboard]``: how the keyboard wedge types the service ID."""

    backend: str = "auto"
    #: keys before / after the number, as ``drivers.keyboard.parse_affix`` reads them
    prefix: str = "none"
    suffix: str = "enter"
    per_key_delay_s: float = 0.0
    #: regex searched in the focused window's title and class; None: a library system's
    #: window (``drivers.keyboard.base.DEFAULT_TARGET_WINDOW``)
    target_window: str | None = None
    #: type into any focused window (``target_window`` is then not consulted)
    target_any_window: bool = False


@dataclass
class LabelSettings:
    """``[label]``: the printer and stock of same-day labels."""

    #: None: no printer configured
    printer: str | None = None
    #: spooler queue name; None: the system's default printer
    queue: str | None = None
    #: brother / escpos device: a file path, tcp://host:port, usb://…
    target: str | None = None
    model: str = "QL-820NWB"
    size: str = "62mm"
    #: printed on the label; None: the terminal id
    terminal_name: str | None = None


@dataclass
class PointsSettings:
    """``[points]``: the points modes (shop, grant, voucher) and MyKey ID registration."""

    #: ask the platform at start-up which points modes this terminal has (its buttons)
    enabled: bool = True
    #: a "register a MyKey ID" button on the idle screen
    register: bool = False
    #: tries of an outbox entry without an answer before its dead-letter list
    outbox_max_tries: int = 10


@dataclass
class Settings:
    """Everything the counter reads from ``counter.toml``, plus the cached service."""

    server_url: str = DEFAULT_SERVER_URL
    #: PC/SC reader name; ``None`` = any reader
    reader: str | None = None
    language: str = "ja"
    result_timeout_s: float = 30.0
    error_timeout_s: float = 20.0
    pin_entry_timeout_s: float = 60.0
    #: seconds for one HTTP call to the platform
    platform_timeout_s: float = 10.0
    #: seconds one card transaction (a tap) may take; a slower card is refused as broken
    card_timeout_s: float = 20.0
    delivery: list[str] = field(default_factory=lambda: list(DEFAULT_DELIVERY))
    fullscreen: bool = True
    secrets_backend: str = "system"
    #: demo mode (``make demo``, training, tests): allows ``secrets_backend = "file"``
    demo_mode: bool = False
    #: a virtual reader (vsmartcard's vpcd) may hold the card: demo and tests only
    allow_virtual_reader: bool = False
    #: written by ``mykey-counter enroll``
    terminal_id: str | None = None
    #: the ``[keyboard]`` table: delivery "keyboard" (C)
    keyboard: KeyboardSettings = field(default_factory=lambda: KeyboardSettings())
    #: the ``[label]`` table: delivery "label" (D)
    label: LabelSettings = field(default_factory=lambda: LabelSettings())
    #: the ``[points]`` table: points modes and registration (receipts use ``[label]``)
    points: PointsSettings = field(default_factory=lambda: PointsSettings())
    #: the service this terminal serves, from ``service.json`` (never in the TOML)
    service: ServiceInfo | None = field(default=None, compare=False)

    def timeouts(self) -> Timeouts:
        """The screen timeouts of :class:`app.flow.CounterFlow`."""
        from app.flow import Timeouts  # the flow's events are not the settings' business

        return Timeouts(
            result_s=self.result_timeout_s,
            error_s=self.error_timeout_s,
            pin_entry_s=self.pin_entry_timeout_s,
        )


def home_dir() -> Path:
    """``$MYKEY_COUNTER_HOME`` if set, else the platform's per-user config directory."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("mykey-counter"))


# --- validation ---------------------------------------------------------------------------


def _server_url(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


def _optional_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string (leave the key out for 'none')")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(map(repr, options))}")
        return str(value)

    return check


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number of seconds")
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a positive number of seconds")
    return float(value)


def _delivery(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"must be a non-empty list of {', '.join(map(repr, DELIVERY_METHODS))}")
    for item in value:
        if item not in DELIVERY_METHODS:
            raise ValueError(
                f"unknown method {item!r}: use {', '.join(map(repr, DELIVERY_METHODS))}"
            )
    if len(set(value)) != len(value):
        raise ValueError("lists a method twice")
    return list(value)


def _affix(value: Any) -> str:
    from drivers.keyboard import format_affix, parse_affix

    if not isinstance(value, str):
        raise ValueError('must be a string such as "none", "enter", "tab" or "tab,enter"')
    return format_affix(parse_affix(value))


def _key_delay(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number of seconds")
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError("must be between 0 and 1 second")
    return float(value)


def _regex(value: Any) -> str:
    text = _optional_text(value)
    try:
        re.compile(text)
    except re.error as e:
        raise ValueError(f"is not a valid regular expression: {e}") from None
    return text


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValueError("must be a whole number from 1 to 1000")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "server_url": _server_url,
    "reader": _optional_text,
    "language": _choice(LANGUAGES),
    "result_timeout_s": _seconds,
    "error_timeout_s": _seconds,
    "pin_entry_timeout_s": _seconds,
    "platform_timeout_s": _seconds,
    "card_timeout_s": _seconds,
    "delivery": _delivery,
    "fullscreen": _boolean,
    "secrets_backend": _choice(SECRETS_BACKENDS),
    "demo_mode": _boolean,
    "allow_virtual_reader": _boolean,
    "terminal_id": _optional_text,
}
_KEYBOARD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "backend": _choice(KEYBOARD_BACKENDS),
    "prefix": _affix,
    "suffix": _affix,
    "per_key_delay_s": _key_delay,
    "target_window": _regex,
    "target_any_window": _boolean,
}
_LABEL_CHECKS: dict[str, Callable[[Any], Any]] = {
    "printer": _choice(PRINTERS),
    "queue": _optional_text,
    "target": _optional_text,
    "model": _optional_text,
    "size": _choice(LABEL_SIZES),
    "terminal_name": _optional_text,
}
_POINTS_CHECKS: dict[str, Callable[[Any], Any]] = {
    "enabled": _boolean,
    "register": _boolean,
    "outbox_max_tries": _count,
}
#: the tables of counter.toml: name → (key checks, dataclass)
_TABLES: dict[str, tuple[dict[str, Callable[[Any], Any]], type[Any]]] = {
    "keyboard": (_KEYBOARD_CHECKS, KeyboardSettings),
    "label": (_LABEL_CHECKS, LabelSettings),
    "points": (_POINTS_CHECKS, PointsSettings),
}
#: keys of counter.toml, in the order they are written (tables last, as TOML wants)
TOML_KEYS = tuple(_CHECKS)
#: keys of the tables, as ``table.key``
TABLE_KEYS = tuple(f"{table}.{key}" for table, (checks, _) in _TABLES.items() for key in checks)


def settings_from_mapping(data: dict[str, Any], *, source: str = SETTINGS_FILE) -> Settings:
    """Check every key and value; raise :class:`SettingsError` naming the first bad key."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _TABLES:
            values[key] = _table(key, value, source)
            continue
        check = _CHECKS.get(key)
        if check is None:
            known = ", ".join([*TOML_KEYS, *(f"[{t}]" for t in _TABLES)])
            raise SettingsError(f"{source}: unknown key {key!r} (known keys: {known})")
        try:
            values[key] = check(value)
        except ValueError as e:
            raise SettingsError(f"{source}: {key} {e} (got {value!r})") from None
    settings = Settings(**values)
    _check_together(settings, source)
    return settings


def _table(name: str, data: Any, source: str) -> Any:
    checks, cls = _TABLES[name]
    if not isinstance(data, dict):
        raise SettingsError(f"{source}: {name} must be a table ([{name}]), got {data!r}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        check = checks.get(key)
        if check is None:
            raise SettingsError(
                f"{source}: unknown key {name}.{key} (known keys of [{name}]: "
                f"{', '.join(checks)})"
            )
        try:
            values[key] = check(value)
        except ValueError as e:
            raise SettingsError(f"{source}: {name}.{key} {e} (got {value!r})") from None
    return cls(**values)


def _check_together(settings: Settings, source: str) -> None:
    """Values that are fine alone but not together; what a public place refuses."""
    from app.public_place import refusal

    refused = refusal(settings.server_url, settings.secrets_backend, settings.demo_mode)
    if refused is not None:
        raise RefusedSetting(f"{source}: {refused.key}: {refused.message}", refused.exit_status)
    label = settings.label
    if "label" in settings.delivery and label.printer is None:
        raise SettingsError(
            f"{source}: label.printer must be set when delivery includes 'label'"
        )
    if label.printer in ("brother", "escpos") and label.target is None:
        raise SettingsError(
            f"{source}: label.target must name the {label.printer} printer "
            "(a file path, tcp://host:port or usb://…)"
        )
    if label.printer == "brother" and label.size not in BROTHER_SIZES:
        raise SettingsError(
            f"{source}: label.size must be one of {', '.join(map(repr, BROTHER_SIZES))} "
            f"for a Brother QL printer (got {label.size!r})"
        )


# --- files -------------------------------------------------------------------------------


def load_settings(home: Path, *, service_cache: bool = True) -> Settings:
    """Read ``home/counter.toml`` (missing → defaults) and ``home/service.json``.

    With ``service_cache=False`` the service cache is not read (``service`` stays None):
    the kiosk paints with :func:`load_service_name` and calls :func:`load_service_cache`
    after its first paint, as validating it imports pydantic.
    """
    path = Path(home) / SETTINGS_FILE
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise SettingsError(f"{path}: not valid TOML: {e}") from None
        except OSError as e:
            raise SettingsError(f"{path}: cannot read: {e}") from None
    settings = settings_from_mapping(data, source=str(path))
    if service_cache:
        settings.service = load_service_cache(home)
    return settings


def settings_to_mapping(settings: Settings) -> dict[str, Any]:
    """The TOML content for ``settings``: every key that differs from its default."""
    defaults = Settings()
    out: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in _CHECKS:
            continue
        value = getattr(settings, f.name)
        if value is None or value == getattr(defaults, f.name):
            continue
        out[f.name] = _CHECKS[f.name](value)  # never write what we could not read back
    for name, (checks, cls) in _TABLES.items():
        table, default = getattr(settings, name), cls()
        written = {
            key: checks[key](getattr(table, key))
            for key in checks
            if getattr(table, key) is not None and getattr(table, key) != getattr(default, key)
        }
        if written:
            out[name] = written
    return out


def save_settings(home: Path, settings: Settings) -> Path:
    """Write ``home/counter.toml`` atomically (comments are not kept); return its path."""
    import tomli_w

    path = Path(home) / SETTINGS_FILE
    text = tomli_w.dumps(settings_to_mapping(settings))
    header = "# MyKey Counter settings; every key is explained in counter.example.toml\n"
    _write_atomic(path, (header + text).encode("utf-8"))
    if settings.service is not None:
        save_service_cache(home, settings.service)
    return path


def load_service_cache(home: Path) -> ServiceInfo | None:
    """The service learnt at enrollment, or ``None`` before enrollment."""
    path = Path(home) / SERVICE_CACHE_FILE
    if not path.exists():
        return None
    from pydantic import ValidationError

    from server.api.schemas import ServiceInfo

    try:
        return ServiceInfo.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as e:
        raise _broken_cache(path, e) from None


def load_service_name(home: Path) -> str | None:
    """The cached service's display name, or ``None`` before enrollment.

    Plain json, no pydantic: enough for the kiosk's first paint. The rest of the cache is
    checked by :func:`load_service_cache`.
    """
    path = Path(home) / SERVICE_CACHE_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise _broken_cache(path, e) from None
    name = data.get("display_name") if isinstance(data, dict) else None
    if not isinstance(name, str):
        raise _broken_cache(path, "no display_name")
    return name


def _broken_cache(path: Path, reason: object) -> SettingsError:
    return SettingsError(
        f"{path}: unreadable service cache ({reason}); run `mykey-counter enroll` again"
    )


def save_service_cache(home: Path, service: ServiceInfo) -> Path:
    path = Path(home) / SERVICE_CACHE_FILE
    data = json.dumps(service.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    _write_atomic(path, data.encode("utf-8"))
    return path


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
