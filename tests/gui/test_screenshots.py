"""scripts/screenshots.py renders every kiosk screen to a PNG of the window's size."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from app.ports import ErrorKind
from app.ui.main_window import DEFAULT_SIZE

pytestmark = pytest.mark.gui
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"
OVERSIZE_NOTE = "does not fit the window"  # scripts/screenshots.py
NOT_RENDERED = "Points screens not rendered"  # scripts/screenshots.py
#: the points screens, each with made-up data as an operation shows it
POINTS = {
    "points-price",
    "points-card",
    "points-amount",
    "points-amount-insufficient",
    "points-progress",
    "points-receipt",
    "points-done-payment",
    "points-redeem",
    "points-done-redeem",
    "points-refund",
    "points-done-refund",
    "points-grant",
    "points-grant-confirm",
    "points-done-grant",
    "points-done-grant-awaiting",
    "points-approvals",
    "points-done-voucher",
    "points-failed",
    "register",
    "points-link",
    "points-done-link",
}


def test_the_script_renders_every_screen(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pngs = sorted(tmp_path.glob("*.png"))
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^- `([^`]+\.png)`: (.*)$", readme, flags=re.MULTILINE))
    assert sorted(listed) == [p.name for p in pngs]
    names = {p.stem for p in pngs}
    expected = {
        "01-idle",
        "02-reading",
        "03-pin",
        "05-confirm-last-try",
        "06-querying",
        "07-result",
        "08-locked-pin",
        "staff-pin",
        "staff-settings",
    }
    expected |= {f"error-{kind.value.replace('_', '-')}" for kind in ErrorKind}
    assert expected <= names
    assert POINTS <= names, sorted(POINTS - names)
    for name in POINTS:  # rendered with data, captioned in Japanese
        assert listed[f"{name}.png"].startswith("ポイント: "), listed[f"{name}.png"]
        assert "空の状態" not in listed[f"{name}.png"]
    # every points screen class is shown by some shot
    assert NOT_RENDERED not in readme, readme
    # no screen is larger than the kiosk's window (a larger one is reported and grows it)
    oversize = [name for name, caption in listed.items() if OVERSIZE_NOTE in caption]
    assert oversize == []
    for png in pngs:
        assert png.stat().st_size > 1000, png
        with Image.open(png) as image:
            assert image.format == "PNG"
            assert image.size == DEFAULT_SIZE, png
