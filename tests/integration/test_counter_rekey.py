"""Key rotation end to end: an operator's re-key code, the real counter enrolling with it,
and the old key refused — the terminal keeps its id, so nothing else changes at the desk."""

from __future__ import annotations

import json
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.secrets import PLAINTEXT_FILE
from tests.fixtures.pcscd import InsertCard, MakeHolder
from tests.integration.test_counter_e2e import COUNTER, Desk, make_desk

pytestmark = pytest.mark.integration


@pytest.fixture
def desk(tmp_path: Path, vcard_ca: Path) -> Iterator[Desk]:
    yield from make_desk(f"sqlite:///{tmp_path / 'platform.db'}", tmp_path, vcard_ca)


def terminal_id(home: Path) -> str:
    return str(tomllib.loads((home / "counter.toml").read_text(encoding="utf-8"))["terminal_id"])


def test_the_counter_replaces_its_key_and_keeps_working(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    insert_card(holder)
    before = terminal_id(desk.home)
    key_file = desk.home / PLAINTEXT_FILE
    old_key = key_file.read_bytes()
    code = desk.platform.run_cli("terminal", "rekey", before).strip().splitlines()[-1]
    done = subprocess.run(
        [
            COUNTER,
            "--home",
            str(desk.home),
            "enroll",
            "--server",
            desk.platform.base_url,
            "--code",
            code,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert terminal_id(desk.home) == before
    assert key_file.read_bytes() != old_key
    looked_up = desk.lookup()
    assert looked_up.returncode == 0, looked_up.stderr
    assert json.loads(looked_up.stdout)["service_id"] == str(desk.next_number)
    again = subprocess.run(
        [
            COUNTER,
            "--home",
            str(desk.home),
            "enroll",
            "--server",
            desk.platform.base_url,
            "--code",
            code,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode != 0 and again.stderr.strip(), "a used code must say why"
