"""Register mode at the kiosk: an unregistered card proves itself, the screen shows the
portal's one-time registration link as a QR code (read back with zxing-cpp, then opened
once); a registered card is told so; the inactivity timer clears the link.

Real card proofs through pcscd and the virtual card; the platform in process
(:mod:`tests.gui.points_world`).
"""

from __future__ import annotations

import io
import urllib.parse

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice

from app.points.flows import Step
from app.points.mode import Mode
from drivers.vcard.holder import Holder, make_holder
from tests.fixtures.pcscd import InsertCard
from tests.gui.points_world import ALPHA, PIN, MakeCounter, PointsCounter, PointsPlatform
from tests.unit.server.portal_helpers import open_ticket


def unregistered(platform: PointsPlatform) -> Holder:
    """A card of the test CA whose certificate no MyKey ID has."""
    platform.serial += 1
    directory = platform.tmp / f"new-holder-{platform.serial}"
    directory.mkdir()
    return make_holder(directory, platform.ca_dir, pin=PIN)


def register_counter(
    platform: PointsPlatform, make: MakeCounter, **timeouts: float
) -> PointsCounter:
    terminal = platform.terminal("grant", "office", "--municipality", ALPHA)
    counter = make(terminal, register=True, **timeouts)
    assert Mode.REGISTER in counter.wait_modes()
    return counter


def shown_qr(counter: PointsCounter) -> list[str]:
    """What a phone's camera reads from the register screen's QR code."""
    qr = counter.screens.register.qr
    pixmap = qr.pixmap()
    assert not pixmap.isNull()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert pixmap.save(buffer, "PNG")
    image = Image.open(io.BytesIO(bytes(buffer.data().data()))).convert("L")
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_an_unregistered_card_gets_a_one_time_link_as_a_qr_code(
    points_platform: PointsPlatform, make_points_counter: MakeCounter, insert_card: InsertCard
) -> None:
    counter = register_counter(points_platform, make_points_counter)
    counter.choose(Mode.REGISTER)
    counter.wait_step(Step.WAIT_CARD)
    counter.tap(insert_card, unregistered(points_platform))
    counter.wait_step(Step.TICKET)
    screen = counter.screens.register
    assert counter.kiosk.window.current_screen() is screen
    assert screen.expires.text().endswith("まで有効（1回限り）")
    (url,) = shown_qr(counter)
    assert url == screen.qr.payload
    parts = urllib.parse.urlparse(url)
    assert parts.path == "/portal/register"
    ticket = urllib.parse.parse_qs(parts.query)["ticket"][0]
    assert PIN not in url

    # the resident's phone opens it (over HTTPS: the portal's cookies are Secure): the
    # registration page, once
    phone = TestClient(points_platform.client.app, base_url="https://testserver")
    page = open_ticket(phone, "/portal/register", ticket)  # its button pressed
    assert page.status_code == 200 and 'id="register"' in page.text
    other = TestClient(points_platform.client.app, base_url="https://testserver")
    again = other.get(f"/portal/register?ticket={ticket}")
    assert again.status_code != 200 and 'id="open"' not in again.text

    screen.finish_button.click()  # the link leaves the screen and the counter's memory
    counter.qtbot.waitUntil(lambda: screen.qr.payload is None, timeout=5000)
    assert screen.expires.text() == ""


def test_the_timer_clears_the_link(
    points_platform: PointsPlatform, make_points_counter: MakeCounter, insert_card: InsertCard
) -> None:
    counter = register_counter(points_platform, make_points_counter, result_s=1.0)
    counter.choose(Mode.REGISTER)
    counter.tap(insert_card, unregistered(points_platform))
    counter.wait_step(Step.TICKET)
    assert counter.screens.register.qr.payload is not None
    counter.qtbot.waitUntil(lambda: counter.step is not Step.TICKET, timeout=20_000)
    assert counter.screens.register.qr.payload is None
    flow = counter.controller.flow
    assert flow is None or flow.view.ticket is None


def test_a_registered_card_is_told_so(
    points_platform: PointsPlatform, make_points_counter: MakeCounter, insert_card: InsertCard
) -> None:
    counter = register_counter(points_platform, make_points_counter)
    holder, _ = points_platform.holder()
    counter.choose(Mode.REGISTER)
    counter.tap(insert_card, holder)
    counter.wait_step(Step.FAILED)
    text = counter.screens.done.title.text() + counter.screens.done.lines.text()
    assert "このカードはすでに MyKey ID に登録されています" in text
    assert counter.screens.register.qr.payload is None
