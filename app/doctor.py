"""``mykey-counter doctor``: is this counter ready? One OK/WARN/FAIL line per check."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.ports import ErrorKind, TapError
from app.secrets import SecretsError
from app.settings import SETTINGS_FILE, Settings, SettingsError, load_settings
from server.api.schemas import (
    SIGNATURE_MAX_AGE_S,
    AnchorRevocation,
    HealthResponse,
    TerminalInfo,
)

CLOCK_WARN_S = 60.0
PCSCD_SOCKET = "/run/pcscd/pcscd.comm"


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


class KeyStore(Protocol):
    def load(self, terminal_id: str) -> Ed25519PrivateKey: ...


class TerminalApi(Protocol):
    def terminal_info(self) -> TerminalInfo: ...


@dataclass
class DoctorDeps:
    """What the checks talk to; the CLI passes the real ones, tests fakes."""

    list_readers: Callable[[], list[str]]
    key_store: Callable[[Settings, Path], KeyStore]
    make_client: Callable[[Settings, Path], TerminalApi]
    fetch_health: Callable[[str, float], HealthResponse]
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


def check_pcscd() -> Check:
    """The PC/SC service socket (Linux); other systems have their own smart card service."""
    if not sys.platform.startswith("linux"):
        return Check("pcscd", Status.SKIP, f"{sys.platform}: the system's smart card service")
    socket = os.environ.get("PCSCLITE_CSOCK_NAME", PCSCD_SOCKET)
    if os.path.exists(socket):
        return Check("pcscd", Status.OK, f"socket {socket}")
    return Check(
        "pcscd", Status.FAIL, f"no socket {socket}: start pcscd (systemctl start pcscd.socket)"
    )


def check_readers(settings: Settings, list_readers: Callable[[], list[str]]) -> Check:
    from drivers.card.errors import CardError, NoReader

    try:
        readers = list_readers()
    except NoReader as e:
        return Check("readers", Status.FAIL, f"{e} (pcscd not running?)")
    except (CardError, OSError) as e:
        return Check("readers", Status.FAIL, f"{type(e).__name__}: {e}")
    if settings.reader is not None and settings.reader not in readers:
        found = ", ".join(readers) or "none"
        return Check(
            "readers", Status.FAIL, f"reader {settings.reader!r} not found (found: {found})"
        )
    if not readers:
        return Check("readers", Status.WARN, "no reader connected")
    return Check("readers", Status.OK, "; ".join(readers))


def check_platform(settings: Settings, deps: DoctorDeps) -> tuple[list[Check], bool]:
    """Reachability and clock skew; the bool says whether the platform answered."""
    before = deps.now()
    try:
        health = deps.fetch_health(settings.server_url, settings.platform_timeout_s)
    except TapError as e:
        detail = f"{settings.server_url}: {e.detail or e.kind}"
        return [Check("platform", Status.FAIL, detail)], False
    after = deps.now()
    checks = [Check("platform", Status.OK, f"{settings.server_url} (version {health.version})")]
    server_time = health.server_time
    if server_time.tzinfo is None:
        server_time = server_time.replace(tzinfo=dt.UTC)
    skew = (before + (after - before) / 2 - server_time).total_seconds()
    text = f"local clock {skew:+.1f} s from the platform's"
    if abs(skew) >= SIGNATURE_MAX_AGE_S:
        checks.append(Check("clock", Status.FAIL, f"{text}: signed requests will be refused"))
    elif abs(skew) > CLOCK_WARN_S:
        checks.append(Check("clock", Status.WARN, f"{text}: set the clock (NTP)"))
    else:
        checks.append(Check("clock", Status.OK, text))
    checks.append(check_revocation(health))
    return checks, True


def _anchor_known(entry: AnchorRevocation) -> bool:
    return entry.crl_fresh or entry.ocsp_ok is True


def _anchor_line(entry: AnchorRevocation) -> str:
    if entry.crl_age_s is None:
        crl = "no CRL"
    else:
        crl = f"CRL {entry.crl_age_s / 3600:.1f} h old, {'fresh' if entry.crl_fresh else 'stale'}"
    if entry.ocsp_url is None:
        return f"{entry.subject}: {crl}"
    ocsp = {
        True: "OCSP ok",
        False: f"OCSP failing ({entry.ocsp_error})",
        None: "OCSP not yet asked",
    }
    return f"{entry.subject}: {crl}, {ocsp[entry.ocsp_ok]}"


def check_revocation(health: HealthResponse) -> Check:
    """Whether the platform can tell a revoked card: FAIL when it can for no anchor (every
    card is refused as revocation_unknown), WARN when only for some."""
    if not health.revocation:
        return Check("revocation", Status.SKIP, "the platform does not report it")
    known = [_anchor_known(entry) for entry in health.revocation]
    detail = "; ".join(_anchor_line(entry) for entry in health.revocation)
    if all(known):
        return Check("revocation", Status.OK, detail)
    return Check("revocation", Status.WARN if any(known) else Status.FAIL, detail)


def check_enrollment(
    settings: Settings, home: Path, deps: DoctorDeps, *, reachable: bool
) -> list[Check]:
    if settings.terminal_id is None:
        return [Check("enrollment", Status.FAIL,
                      "not enrolled: run `mykey-counter enroll --server URL --code CODE`")]
    try:
        deps.key_store(settings, home).load(settings.terminal_id)
    except SecretsError as e:
        return [Check("enrollment", Status.FAIL, str(e))]
    where = f"key of terminal {settings.terminal_id} in the {settings.secrets_backend} keyring"
    if settings.secrets_backend == "file":
        checks = [Check("enrollment", Status.WARN, f"{where}: plaintext file, demo/test only")]
    else:
        checks = [Check("enrollment", Status.OK, where)]
    if not reachable:
        checks.append(Check("signed request", Status.SKIP, "the platform is unreachable"))
        return checks
    try:
        info = deps.make_client(settings, home).terminal_info()
    except TapError as e:
        hint = " (enroll again)" if e.kind is ErrorKind.NOT_ENROLLED else ""
        checks.append(Check("signed request", Status.FAIL, f"{e.detail or e.kind}{hint}"))
        return checks
    service = info.service
    checks.append(Check("signed request", Status.OK,
                        f"terminal {info.name!r}: {service.display_name} ({service.provider})"))
    if settings.service is None:
        checks.append(Check("service cache", Status.WARN, "missing: the kiosk fetches it at start"))
    elif settings.service != service:
        checks.append(Check("service cache", Status.WARN,
                            "differs from the platform's: the kiosk refreshes it at start"))
    else:
        spec = service.barcode
        checks.append(Check("service cache", Status.OK, f"{service.name}, {spec.symbology.value}"))
    return checks


def run_checks(home: Path, deps: DoctorDeps) -> list[Check]:
    """Every check, in order; never raises for a failing check."""
    try:
        settings = load_settings(home)
        path = home / SETTINGS_FILE
        checks = [Check("settings", Status.OK, str(path) if path.exists() else "defaults")]
    except SettingsError as e:
        return [Check("settings", Status.FAIL, str(e))]
    checks.append(check_pcscd())
    checks.append(check_readers(settings, deps.list_readers))
    platform, reachable = check_platform(settings, deps)
    checks.extend(platform)
    checks.extend(check_enrollment(settings, home, deps, reachable=reachable))
    return checks


def format_table(checks: list[Check]) -> str:
    width = max((len(c.name) for c in checks), default=0)
    return "\n".join(f"{c.status.value:<4}  {c.name:<{width}}  {c.detail}" for c in checks)


def failed(checks: list[Check]) -> bool:
    return any(c.status is Status.FAIL for c in checks)
