from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.doctor import (
    Check,
    DoctorDeps,
    Status,
    check_pcscd,
    check_readers,
    failed,
    format_table,
    run_checks,
)
from app.ports import ErrorKind, TapError
from app.secrets import TerminalKeyStore
from app.settings import Settings, save_settings
from drivers.card.errors import NoReader
from server.api.schemas import BarcodeSpec, HealthResponse, ServiceInfo, Symbology, TerminalInfo

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
SERVICE = ServiceInfo(name="lib", display_name="図書館", provider="市",
                      barcode=BarcodeSpec(symbology=Symbology.NW7))


class Client:
    def __init__(self, error: TapError | None = None, service: ServiceInfo = SERVICE) -> None:
        self.error = error
        self.service = service

    def terminal_info(self) -> TerminalInfo:
        if self.error:
            raise self.error
        return TerminalInfo(terminal_id="t1", name="desk", service=self.service, server_time=NOW)


def deps(*, skew_s: float = 0.0, readers: list[str] | None = None,
         health_error: TapError | None = None, client: Client | None = None) -> DoctorDeps:
    def health(url: str, timeout: float) -> HealthResponse:
        if health_error:
            raise health_error
        return HealthResponse(server_time=NOW - dt.timedelta(seconds=skew_s), version="9")

    return DoctorDeps(
        list_readers=lambda: ["Reader 0"] if readers is None else readers,
        key_store=lambda settings, home: TerminalKeyStore("file", home),
        make_client=lambda settings, home: client or Client(),
        fetch_health=health,
        now=lambda: NOW,
    )


def enrolled(home: Path, **changes: object) -> Path:
    settings = Settings(terminal_id="t1", secrets_backend="file", demo_mode=True, service=SERVICE)
    for k, v in changes.items():
        setattr(settings, k, v)
    save_settings(home, settings)
    TerminalKeyStore("file", home).store("t1", Ed25519PrivateKey.generate())
    return home


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_ready_counter(tmp_path: Path) -> None:
    checks = by_name(run_checks(enrolled(tmp_path), deps()))
    assert checks["settings"].status is Status.OK
    assert checks["readers"].status is Status.OK
    assert checks["platform"].status is Status.OK
    assert checks["clock"].status is Status.OK
    assert checks["enrollment"].status is Status.WARN  # file backend: demo only
    assert "plaintext" in checks["enrollment"].detail
    assert checks["signed request"].status is Status.OK
    assert checks["service cache"].status is Status.OK


@pytest.mark.parametrize(("skew", "status"), [(30, Status.OK), (-61, Status.WARN),
                                              (120, Status.WARN), (300, Status.FAIL),
                                              (-4000, Status.FAIL)])
def test_clock_skew(tmp_path: Path, skew: float, status: Status) -> None:
    checks = by_name(run_checks(enrolled(tmp_path), deps(skew_s=skew)))
    assert checks["clock"].status is status
    assert f"{skew:+.1f}" in checks["clock"].detail


def test_unreachable_platform(tmp_path: Path) -> None:
    checks = run_checks(enrolled(tmp_path), deps(
        health_error=TapError(ErrorKind.PLATFORM_UNREACHABLE, "refused")))
    named = by_name(checks)
    assert named["platform"].status is Status.FAIL and "refused" in named["platform"].detail
    assert named["signed request"].status is Status.SKIP
    assert "clock" not in named
    assert failed(checks)


def test_platform_rejects_the_terminal(tmp_path: Path) -> None:
    client = Client(TapError(ErrorKind.NOT_ENROLLED, "terminal_unknown: who?"))
    named = by_name(run_checks(enrolled(tmp_path), deps(client=client)))
    assert named["signed request"].status is Status.FAIL
    assert "enroll again" in named["signed request"].detail


def test_stale_service_cache_warns(tmp_path: Path) -> None:
    other = SERVICE.model_copy(update={"display_name": "新"})
    named = by_name(run_checks(enrolled(tmp_path), deps(client=Client(service=other))))
    assert named["service cache"].status is Status.WARN


def test_not_enrolled(tmp_path: Path) -> None:
    checks = run_checks(tmp_path, deps())
    named = by_name(checks)
    assert named["settings"].detail == "defaults"
    assert named["enrollment"].status is Status.FAIL
    assert "mykey-counter enroll" in named["enrollment"].detail


def test_key_missing_from_the_keyring(tmp_path: Path) -> None:
    save_settings(tmp_path, Settings(terminal_id="gone", secrets_backend="file", demo_mode=True))
    named = by_name(run_checks(tmp_path, deps()))
    assert named["enrollment"].status is Status.FAIL


def test_broken_settings_stop_early(tmp_path: Path) -> None:
    (tmp_path / "counter.toml").write_text("language = 'xx'\n", encoding="utf-8")
    checks = run_checks(tmp_path, deps())
    assert [c.name for c in checks] == ["settings"] and failed(checks)


def test_readers() -> None:
    settings = Settings()
    assert check_readers(settings, lambda: ["A"]).status is Status.OK
    assert check_readers(settings, lambda: []).status is Status.WARN

    def down() -> list[str]:
        raise NoReader("no service")

    check = check_readers(settings, down)
    assert check.status is Status.FAIL and "pcscd not running?" in check.detail
    wanted = Settings(reader="B")
    check = check_readers(wanted, lambda: ["A"])
    assert check.status is Status.FAIL and "'B'" in check.detail


def test_pcscd_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    sock = tmp_path / "pcscd.comm"
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(sock))
    assert check_pcscd().status is Status.FAIL
    sock.touch()
    assert check_pcscd().status is Status.OK
    monkeypatch.setattr("sys.platform", "win32")
    assert check_pcscd().status is Status.SKIP


def test_table() -> None:
    text = format_table([Check("a", Status.OK, "fine"), Check("longer", Status.FAIL, "bad")])
    assert text.splitlines() == ["OK    a       fine", "FAIL  longer  bad"]
