"""The systemd units in installer/ pass `systemd-analyze verify` without a warning, and
restart the counter and the platform when they crash.

systemd does not run as PID 1 in CI's container, so the restart itself is not exercised
here: what is checked is what systemd would read.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
UNITS = {
    "installer/kiosk/mykey-kiosk.service": ["--system"],
    "installer/kiosk/mykey-counter.service": ["--user"],
    "installer/systemd/mykey-platform.service": ["--system"],
}


def installed_copy(unit: str, directory: Path) -> Path:
    """The unit with /opt/mykey/.venv pointing at this virtualenv (and cage, not installed
    in CI, replaced by /usr/bin/env, which runs its arguments the same way)."""
    text = (ROOT / unit).read_text(encoding="utf-8")
    text = text.replace("/opt/mykey/.venv/bin/", f"{BIN}/")
    if shutil.which("cage") is None:
        text = text.replace("/usr/bin/cage -d --", "/usr/bin/env")
    path = directory / Path(unit).name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_the_unit_verifies_cleanly(unit: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: scripts/bootstrap.sh installs systemd"
    runtime = tmp_path / "run"
    runtime.mkdir()
    done = subprocess.run(
        [analyze, *UNITS[unit], "verify", str(installed_copy(unit, tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys are only warnings


@pytest.mark.parametrize(
    ("unit", "restart"),
    [
        ("installer/kiosk/mykey-kiosk.service", "always"),
        ("installer/kiosk/mykey-counter.service", "on-failure"),
        ("installer/systemd/mykey-platform.service", "on-failure"),
    ],
)
def test_a_crash_restarts_it(unit: str, restart: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(ROOT / unit, encoding="utf-8")
    assert parser["Service"]["Restart"] == restart
    assert float(parser["Service"]["RestartSec"]) <= 2


def test_the_kiosk_cannot_be_left_for_a_console() -> None:
    unit = (ROOT / "installer/kiosk/mykey-kiosk.service").read_text(encoding="utf-8")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert " -s " not in exec_start  # cage -s would allow VT switching
    xorg = (ROOT / "installer/kiosk/xorg-lockdown.conf").read_text(encoding="utf-8")
    for option in ("DontVTSwitch", "DontZap"):
        assert f'Option "{option}" "true"' in xorg
    script = (ROOT / "installer/kiosk/install-kiosk.sh").read_text(encoding="utf-8")
    assert "systemctl mask ctrl-alt-del.target" in script
