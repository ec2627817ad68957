"""``mykey-platform serve --jobs-every``: the ledger's scheduled job runs beside the server
and stops cleanly with it."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.platform import console_script, platform_env, run_platform_cli
from tests.fixtures.postgres import free_port
from tests.unit.server.certs import make_ca

pytestmark = pytest.mark.integration


def _cli(url: str, *args: str) -> str:
    return run_platform_cli(url, *args).stdout


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(base_url + "/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"serve not ready:\n{log.read_text(errors='replace')}")


def test_serve_runs_the_jobs_and_stops_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    ca = make_ca(0)
    _cli(url, "ca", "add", str(ca.write(tmp_path / "ca.pem")))
    (tmp_path / "crl.pem").write_bytes(ca.crl())  # revocation fails closed: a fresh CRL
    _cli(url, "crl", "import", str(tmp_path / "crl.pem"))
    cert = ca.issue(1).write(tmp_path / "holder")
    mykey_id = _cli(url, "mykey", "register", "--cert", str(cert)).splitlines()[-1]
    _cli(url, "municipality", "add", "14130", "α市")
    _cli(url, "municipality", "rules", "14130", "--points-valid-days", "0")
    _cli(url, "grant", "give", mykey_id, "--municipality", "14130", "--points", "120",
         "--reason", "health", "--operator")  # fmt: skip
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [*console_script("mykey-platform"), "serve", "--port", str(port), "--jobs-every", "1"],
            env=platform_env(url), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process, log)
        deadline = time.monotonic() + 30
        while "expiry" not in _cli(url, "points", "history", mykey_id):
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.5)
        assert "-120" in _cli(url, "points", "history", mykey_id)
        assert _cli(url, "ledger", "check").startswith("OK")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert code in (0, -signal.SIGTERM), text  # uvicorn ends by the signal it received
    assert "ledger jobs every 1 s" in text and "ledger jobs stopped" in text
    assert "Traceback" not in text
