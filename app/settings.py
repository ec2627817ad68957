"""The counter's settings: one TOML file (``counter.toml``) in the counter's home directory.

Every key is documented in ``resources/counter.example.toml``.  Secrets never go here
(see :mod:`app.secrets`); the service description learnt at enrollment is cached beside
it in ``service.json``.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.flow import Timeouts

if TYPE_CHECKING:
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
DELIVERY_METHODS = ("show", "barcode")
SECRETS_BACKENDS = ("system", "file")


class SettingsError(Exception):
    """``counter.toml`` (or the service cache) is unreadable or holds a bad value."""


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
    delivery: list[str] = field(default_factory=lambda: list(DELIVERY_METHODS))
    fullscreen: bool = True
    secrets_backend: str = "system"
    #: written by ``mykey-counter enroll``
    terminal_id: str | None = None
    #: the service this terminal serves, from ``service.json`` (never in the TOML)
    service: ServiceInfo | None = field(default=None, compare=False)

    def timeouts(self) -> Timeouts:
        """The screen timeouts of :class:`app.flow.CounterFlow`."""
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
    "delivery": _delivery,
    "fullscreen": _boolean,
    "secrets_backend": _choice(SECRETS_BACKENDS),
    "terminal_id": _optional_text,
}
#: keys of counter.toml, in the order they are written
TOML_KEYS = tuple(_CHECKS)


def settings_from_mapping(data: dict[str, Any], *, source: str = SETTINGS_FILE) -> Settings:
    """Check every key and value; raise :class:`SettingsError` naming the first bad key."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        check = _CHECKS.get(key)
        if check is None:
            raise SettingsError(
                f"{source}: unknown key {key!r} (known keys: {', '.join(TOML_KEYS)})"
            )
        try:
            values[key] = check(value)
        except ValueError as e:
            raise SettingsError(f"{source}: {key} {e} (got {value!r})") from None
    return Settings(**values)


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
