"""MyKey ID registration bound to the card, every part real: `mykey-counter register` →
pcscd → vpcd → our virtual card → the platform (subprocess) issues a one-time ticket →
the registration page in real Chromium → My Page links a library number with the linking
code the library handed out (a link without one stays pending) → the counter's `lookup`
with the same card finds it.  The ticket works once."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.pcscd import VPCD_READER, InsertCard, MakeHolder
from tests.integration.test_counter_e2e import COUNTER, SERVICE, Desk, make_desk

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Secret99"
MYKEY_ID = "CARD2024"
LIBRARY_NUMBER = "1357913579"


@pytest.fixture
def desk(tmp_path: Path, vcard_ca: Path) -> Iterator[Desk]:
    for made in make_desk(f"sqlite:///{tmp_path / 'platform.db'}", tmp_path, vcard_ca):
        made.platform.run_cli("municipality", "add", "14130", "α市")
        yield made


def register(desk: Desk) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COUNTER, "--home", str(desk.home), "register", "--reader", VPCD_READER,
         "--pin-stdin", "--no-browser", "--wait-s", "10"],
        input="1234\n", capture_output=True, text=True, timeout=120, check=False)


def test_register_with_the_card_then_link_then_look_up(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    from playwright.sync_api import sync_playwright

    holder = make_vcard_holder()
    insert_card(holder)
    done = register(desk)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip().splitlines()[-1]
    assert url.startswith(f"{desk.platform.base_url}/portal/register?ticket="), done.stdout
    assert "1234" not in done.stdout + done.stderr  # the PIN is never echoed

    code = desk.platform.run_cli(
        "service", "link-code", "--service", SERVICE, "--service-id", LIBRARY_NUMBER
    ).strip().splitlines()[-1]  # the library's one-time code for the number it checked

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_context().new_page()
            page.goto(url)  # a page with a button: the GET spends nothing
            page.click("#open")
            page.fill("#mykey_id", MYKEY_ID)
            page.fill("#password", PASSWORD)
            page.fill("#password_confirm", PASSWORD)
            page.click("#register")
            page.wait_for_selector("#done-title")
            assert MYKEY_ID in page.content()
            reused = browser.new_context().new_page()
            reused.goto(url)  # the ticket worked once
            assert reused.locator("#open").count() == 0
            assert reused.locator("#done-title").count() == 0
            assert reused.locator("#register").count() == 0
            page.goto(f"{desk.platform.base_url}/portal/login")
            page.fill("#mykey_id", MYKEY_ID)
            page.fill("#password", PASSWORD)
            page.click("#login")
            page.wait_for_selector("#link-form")
            page.select_option("#service", SERVICE)
            page.fill("#service_id", LIBRARY_NUMBER)
            page.fill("#code", code)
            page.click("#link")
            page.wait_for_selector("#done")
        finally:
            browser.close()

    looked_up = desk.lookup()
    assert looked_up.returncode == 0, looked_up.stderr
    assert json.loads(looked_up.stdout)["service_id"] == LIBRARY_NUMBER
    again = register(desk)  # the card has a MyKey ID now
    assert again.returncode != 0 and again.stderr.strip()
