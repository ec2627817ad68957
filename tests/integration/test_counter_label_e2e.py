"""Delivery D end to end, every part real: a self-checkout kiosk taps a virtual card through
pcscd, the platform records the label and applies the service's daily limit, and the
label goes through a real CUPS queue (CUPS-PDF) — its PDF, rasterised, scans to the number.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp

from app.ports import EXIT_STATUS, ErrorKind
from tests.fixtures.cups import CupsPdfQueue
from tests.fixtures.pcscd import InsertCard, MakeHolder
from tests.integration.test_counter_e2e import COUNTER, SERVICE, Desk, make_desk
from tests.integration.test_label_printing import _rasterise

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def label_desk(
    tmp_path_factory: pytest.TempPathFactory, vcard_ca: Path, cups_pdf_queue: CupsPdfQueue
) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("label-desk")
    for desk in make_desk(f"sqlite:///{tmp / 'platform.db'}", tmp, vcard_ca):
        desk.platform.run_cli("service", "set-label-limit", SERVICE, "--per-day", "1")
        toml = desk.home / "counter.toml"
        toml.write_text(
            'delivery = ["show", "label"]\n' + toml.read_text(encoding="utf-8")
            + f'\n[label]\nprinter = "spooler"\nqueue = "{cups_pdf_queue.name}"\n'
            'size = "62mm"\nterminal_name = "セルフ貸出機 1"\n', encoding="utf-8")
        yield desk


def kiosk_tap(
    desk: Desk, insert: InsertCard, holder: object, shot: Path
) -> tuple[int, str, str]:
    kiosk = subprocess.Popen(
        [COUNTER, "--home", str(desk.home), "--demo-pin-stdin", "--screenshot", str(shot),
         "--once"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    runner = insert(holder)  # type: ignore[arg-type]
    out, err = kiosk.communicate("1234\n", timeout=120)
    runner.remove()
    return kiosk.returncode, out, err


def test_label_printed_recorded_and_limited(
    label_desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard,
    cups_pdf_queue: CupsPdfQueue, tmp_path: Path
) -> None:
    holder = make_vcard_holder()
    mykey_id = label_desk.register(holder)
    number = str(label_desk.next_number)
    before = cups_pdf_queue.pdfs()

    status, out, err = kiosk_tap(label_desk, insert_card, holder, tmp_path / "first.png")
    assert status == 0, err
    assert json.loads(out.strip().splitlines()[-1])["service_id"] == number

    pdf = cups_pdf_queue.wait_for_pdf(before)
    page = _rasterise(pdf, tmp_path / "page", dpi=600)
    assert any(number in r.text for r in zxingcpp.read_barcodes(page))

    listed = label_desk.platform.run_cli("label", "list", "--service", SERVICE)
    assert number in listed
    assert mykey_id not in listed  # a label record holds the service ID, nothing more

    # the service allows one label per card per day: the second tap is refused, no print
    before = cups_pdf_queue.pdfs()
    status, out, err = kiosk_tap(label_desk, insert_card, holder, tmp_path / "second.png")
    assert status == EXIT_STATUS[ErrorKind.LABEL_LIMIT_REACHED], err
    assert cups_pdf_queue.pdfs() == before
    assert label_desk.platform.run_cli("label", "list", "--service", SERVICE).count(number) == 1
