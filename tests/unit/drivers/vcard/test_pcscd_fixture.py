"""The pcscd plug-in's own helpers: the session lock, clear failures, slot names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.vcard import pcscd as launcher
from tests.fixtures import pcscd as plugin


def test_reader_names() -> None:
    assert plugin.reader_for_port(35963) == plugin.VPCD_READER == "Virtual PCD 00 00"
    assert plugin.reader_for_port(35964) == "Virtual PCD 00 01"


def try_lock_elsewhere(path: Path) -> bool:
    """Whether another process can take the lock right now."""
    code = (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n"
        "    sys.exit(1)\n"
    )
    return subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_session_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "pcscd.lock"
    lock = plugin.SessionLock(path)
    lock.acquire(timeout_s=1)
    assert lock.held and not try_lock_elsewhere(path)
    assert path.read_text().strip() == str(os.getpid())
    lock.release()
    assert not lock.held and try_lock_elsewhere(path)


def test_session_lock_waits_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "pcscd.lock"
    first, second = plugin.SessionLock(path), plugin.SessionLock(path)
    first.acquire()
    messages: list[str] = []
    with pytest.raises(pytest.fail.Exception, match=f"PID {os.getpid()}"):
        second.acquire(timeout_s=0.2, on_wait=messages.append)
    assert len(messages) == 1 and "waiting for" in messages[0]
    first.release()
    second.acquire(timeout_s=1)
    second.release()


def test_missing_vpcd_config_fails_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(launcher, "VPCD_CONFIG", tmp_path / "vpcd")
    with pytest.raises(launcher.PcscdUnavailable, match="vsmartcard-vpcd"):
        launcher.pcscd_binary()


def test_missing_pcscd_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launcher.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(launcher.PcscdUnavailable, match="pcscd is not installed"):
        launcher.pcscd_binary()


def test_machine_lock_times_out_with_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "pcscd.lock"
    with launcher.MachineLock(path):
        with pytest.raises(TimeoutError, match=f"PID {os.getpid()}"):
            launcher.MachineLock(path).acquire(timeout_s=0.2)
