"""``mykey-vcard`` through click's CliRunner (and once as a real process, for SIGTERM)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509

from drivers.vcard import cli as cli_module
from drivers.vcard.card import JPKI_AID
from drivers.vcard.cli import cli
from drivers.vcard.holder import Holder, load_crl
from tests.unit.drivers.vcard.fake_vpcd import FakeVpcd

SELECT_JPKI = bytes.fromhex("00A4040C0A") + JPKI_AID


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli") / "ca"
    result = CliRunner().invoke(cli, ["ca", str(directory), "--name", "CLI Test CA"])
    assert result.exit_code == 0, result.output
    return directory


def new(directory: Path, ca_dir: Path, *options: str) -> str:
    result = CliRunner().invoke(cli, ["new", str(directory), "--ca", str(ca_dir), *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_ca(ca_dir: Path) -> None:
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    assert "OU=CLI Test CA" in ca.subject.rfc4514_string()
    assert (ca_dir / "ca.key.pem").exists() and len(load_crl(ca_dir)) == 0


def test_new_prints_serial_fingerprint_and_path(ca_dir: Path, tmp_path: Path) -> None:
    output = new(tmp_path / "h", ca_dir, "--pin", "4321")
    holder = Holder.load(tmp_path / "h")
    assert f"{holder.certificate.serial_number:X}" in output
    assert str(tmp_path / "h" / "cert.pem") in output
    assert "sha256:" in output
    assert holder.pin == "4321" and holder.tries_left == 3 and holder.jpki


def test_new_options(ca_dir: Path, tmp_path: Path) -> None:
    new(tmp_path / "h", ca_dir, "--blocked", "--no-jpki", "--expired", "--revoked")
    holder = Holder.load(tmp_path / "h")
    assert holder.tries_left == 0 and not holder.jpki
    assert load_crl(ca_dir).get_revoked_certificate_by_serial_number(
        holder.certificate.serial_number
    )


def test_new_refuses_a_bad_pin(ca_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["new", str(tmp_path / "h"), "--ca", str(ca_dir), "--pin", "12"]
    )
    assert result.exit_code == 2 and "4 ASCII digits" in result.output


def test_show_never_prints_the_key_or_pin(ca_dir: Path, tmp_path: Path) -> None:
    new(tmp_path / "h", ca_dir, "--pin", "8642", "--blocked")
    result = CliRunner().invoke(cli, ["show", str(tmp_path / "h")])
    assert result.exit_code == 0, result.output
    serial = f"{Holder.load(tmp_path / 'h').certificate.serial_number:X}"
    assert serial in result.output and "blocked" in result.output
    assert "not after" in result.output
    assert "PRIVATE KEY" not in result.output and "8642" not in result.output


def test_revoke(ca_dir: Path, tmp_path: Path) -> None:
    new(tmp_path / "h", ca_dir)
    serial = Holder.load(tmp_path / "h").certificate.serial_number
    assert load_crl(ca_dir).get_revoked_certificate_by_serial_number(serial) is None
    result = CliRunner().invoke(cli, ["revoke", str(tmp_path / "h"), "--ca", str(ca_dir)])
    assert result.exit_code == 0, result.output
    assert load_crl(ca_dir).get_revoked_certificate_by_serial_number(serial) is not None


def test_run_without_vpcd(ca_dir: Path, tmp_path: Path) -> None:
    new(tmp_path / "h", ca_dir)
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    args = ["run", str(tmp_path / "h"), "--port", str(port), "--connect-timeout", "0.5"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"cannot reach vpcd at 127.0.0.1:{port}" in result.output
    assert "is pcscd running with vsmartcard-vpcd?" in result.output


def test_run_pulled_out_after_apdus(ca_dir: Path, tmp_path: Path) -> None:
    new(tmp_path / "h", ca_dir)
    vpcd = FakeVpcd()
    answers: list[bytes | None] = []

    def serve() -> None:
        vpcd.accept()
        vpcd.send(b"\x01")
        answers.append(vpcd.exchange(SELECT_JPKI))
        answers.append(vpcd.recv())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    args = ["run", str(tmp_path / "h"), "--port", str(vpcd.port), "--remove-after-apdus", "1"]
    result = CliRunner().invoke(cli, args)
    thread.join(5)
    vpcd.close()
    assert result.exit_code == 0, result.output
    assert "pulled out after 1 APDUs" in result.output
    assert answers == [b"\x90\x00", None]


def test_run_stops_cleanly_on_sigterm(ca_dir: Path, tmp_path: Path) -> None:
    new(tmp_path / "h", ca_dir)
    vpcd = FakeVpcd()
    code = "from drivers.vcard.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "run", str(tmp_path / "h"), "--port", str(vpcd.port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        vpcd.accept()
        assert proc.stdout is not None
        assert "Ctrl-C" in proc.stdout.readline()  # printed once the handlers are in place
        assert vpcd.exchange(b"\x04")  # the card answers
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert vpcd.recv() is None  # the card was removed
        assert proc.stderr is not None and "card inserted" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        vpcd.close()


def test_new_and_ca_refuse_to_overwrite(ca_dir: Path, tmp_path: Path) -> None:
    new(tmp_path / "h", ca_dir)
    before = (tmp_path / "h" / "cert.pem").read_bytes()
    again = CliRunner().invoke(cli, ["new", str(tmp_path / "h"), "--ca", str(ca_dir)])
    assert again.exit_code == 2 and "--force" in again.output
    assert (tmp_path / "h" / "cert.pem").read_bytes() == before
    new(tmp_path / "h", ca_dir, "--force")
    assert (tmp_path / "h" / "cert.pem").read_bytes() != before
    assert CliRunner().invoke(cli, ["ca", str(ca_dir)]).exit_code == 2


def test_run_warns_when_vpcd_is_silent(
    ca_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second card in an occupied slot is queued by vpcd and never hears from it."""
    monkeypatch.setattr(cli_module, "CONTACT_TIMEOUT_S", 0.3)
    new(tmp_path / "h", ca_dir)
    vpcd = FakeVpcd()

    def silent_then_gone() -> None:
        vpcd.accept()
        time.sleep(1.0)
        vpcd.close()

    thread = threading.Thread(target=silent_then_gone, daemon=True)
    thread.start()
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "h"), "--port", str(vpcd.port)])
    thread.join(5)
    assert result.exit_code == 1
    assert "another card is probably in this slot" in result.output
    assert "vpcd closed the connection" in result.output
