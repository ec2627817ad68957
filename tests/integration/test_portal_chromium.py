"""The portal's registration page (画面16) and My Page in real Chromium (Debian's
/usr/bin/chromium, headless, driven by Playwright): the page's script, the blocked paste,
every validation message, the 3-generation rule, 3 duplicate errors, login and linking a
service ID that a lookup then finds; a ticket's button, logging out, verifying an e-mail
address and resetting a password with the card."""

from __future__ import annotations

import os
import re
import socket
import threading
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect
from sqlalchemy import select

from server.app import create_app
from server.portal.models import OutboxMail
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.certs import TestCA, make_ca
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.portal_helpers import add_municipalities, ticket_of
from tests.unit.server.world import World, challenge, lookup_body, tap

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Secret99"


@dataclass
class Portal:
    library: Library
    base: str

    def ticket_url(self) -> str:
        token = ticket_of(self.library, self.library.ca.issue(2))
        return f"{self.base}/portal/register?ticket={urllib.parse.quote(token)}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return make_ca(0)


@pytest.fixture
def portal(tmp_path: Path, ca: TestCA) -> Iterator[Portal]:
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    app = create_app(url)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    with TestClient(app) as client:
        world = World(InProcessPlatform(app=app, client=client, database_url=url))
        world.trust(ca)
        world.add_service(LIBRARY)
        desk = world.enroll(LIBRARY)
        patron = ca.issue(1)
        mykey_id = world.register(patron)
        world.link(mykey_id, LIBRARY, LIBRARY_NUMBER)
        library = Library(world, ca, desk, patron, mykey_id)
        add_municipalities(library)
        while not server.started:
            thread.join(0.05)
        try:
            yield Portal(library, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        yield context.new_page()
    finally:
        context.close()


def _open_ticket(page: object, url: str) -> None:
    """Open a ticket's link (a page with a button, nothing spent) and press the button."""
    page.goto(url)  # type: ignore[attr-defined]
    page.click("#open")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    """A screenshot for a person to look at (``PORTAL_SHOTS``: the folder, when set)."""
    folder = os.environ.get("PORTAL_SHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _error(page: object, field: str) -> str:
    return str(page.locator(f"#{field}-error").inner_text())  # type: ignore[attr-defined]


def test_generate_three_times_then_register_the_third(portal: Portal, page: object) -> None:
    p = page  # type: ignore[assignment]
    _open_ticket(p, portal.ticket_url())
    assert "マイキーIDの作成・登録" in p.title()  # type: ignore[attr-defined]
    field = p.locator("#mykey_id")  # type: ignore[attr-defined]
    values = []
    for n in (1, 2, 3):
        p.click("#generate")  # type: ignore[attr-defined]
        expect(p.locator("#generate-count")).to_have_attribute("data-count", str(n))  # type: ignore[attr-defined]
        values.append(field.input_value())
    assert all(len(v) == 8 and v.isalnum() and v.upper() == v for v in values)
    assert len(set(values)) == 3
    assert p.locator("#generate").is_disabled() and p.locator("#check").is_disabled()  # type: ignore[attr-defined]
    assert field.get_attribute("readonly") is not None
    assert "3回目に自動生成された値" in p.locator("#candidate-status").inner_text()  # type: ignore[attr-defined]
    p.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    p.fill("#password_confirm", PASSWORD)  # type: ignore[attr-defined]
    p.click("#register")  # type: ignore[attr-defined]
    p.wait_for_selector("#done-title")  # type: ignore[attr-defined]
    assert p.locator("#mykey-id").inner_text() == values[2]  # type: ignore[attr-defined]


def test_three_duplicate_errors_fill_a_generated_candidate(portal: Portal, page: object) -> None:
    p = page  # type: ignore[assignment]
    taken = portal.library.patron_mykey_id
    _open_ticket(p, portal.ticket_url())
    for errors in (1, 2):
        p.fill("#mykey_id", taken)  # type: ignore[attr-defined]
        p.click("#check")  # type: ignore[attr-defined]
        expect(p.locator("#mykey_id-error")).not_to_be_empty()  # type: ignore[attr-defined]
        assert _error(p, "mykey_id") == "このマイキーID候補は既に使用されています。", errors
        assert p.locator("#mykey_id").input_value() == taken  # type: ignore[attr-defined]
        p.evaluate("document.getElementById('mykey_id-error').textContent = ''")  # type: ignore[attr-defined]
    p.fill("#mykey_id", taken)  # type: ignore[attr-defined]
    p.click("#check")  # type: ignore[attr-defined]
    expect(p.locator("#mykey_id")).not_to_have_value(taken)  # type: ignore[attr-defined]
    suggested = p.locator("#mykey_id").input_value()  # type: ignore[attr-defined]
    assert len(suggested) == 8
    assert "マイキーID候補を自動生成しました" in _error(p, "mykey_id")
    p.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    p.fill("#password_confirm", PASSWORD)  # type: ignore[attr-defined]
    p.click("#register")  # type: ignore[attr-defined]
    p.wait_for_selector("#done-title")  # type: ignore[attr-defined]
    assert p.locator("#mykey-id").inner_text() == suggested  # type: ignore[attr-defined]


def test_a_free_typed_candidate_passes_the_check(portal: Portal, page: object) -> None:
    p = page  # type: ignore[assignment]
    _open_ticket(p, portal.ticket_url())
    p.fill("#mykey_id", "FREEID01")  # type: ignore[attr-defined]
    p.click("#check")  # type: ignore[attr-defined]
    expect(p.locator("#candidate-status")).not_to_be_empty()  # type: ignore[attr-defined]
    assert p.locator("#candidate-status").inner_text() == "このマイキーID候補は使用できます。"  # type: ignore[attr-defined]


def test_pasting_into_the_confirmation_fields_is_blocked(portal: Portal, page: object) -> None:
    p = page  # type: ignore[assignment]
    _open_ticket(p, portal.ticket_url())
    for name in ("password_confirm", "email_confirm"):
        pasted = p.evaluate(  # type: ignore[attr-defined]
            """(id) => {
                const field = document.getElementById(id);
                const data = new DataTransfer();
                data.setData('text/plain', 'abc12345');
                const event = new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                           cancelable: true});
                const delivered = field.dispatchEvent(event);
                return {delivered: delivered, value: field.value};
            }""",
            name,
        )
        assert pasted == {"delivered": False, "value": ""}
        assert _error(p, name) == "確認用の欄には貼り付けできません。入力してください。"
    # the first fields accept a paste
    delivered = p.evaluate(  # type: ignore[attr-defined]
        """() => document.getElementById('password').dispatchEvent(
            new ClipboardEvent('paste', {bubbles: true, cancelable: true}))"""
    )
    assert delivered is True


def test_every_validation_message_on_the_page(portal: Portal, page: object) -> None:
    p = page  # type: ignore[assignment]
    _open_ticket(p, portal.ticket_url())
    p.click("#check")  # type: ignore[attr-defined]
    assert _error(p, "mykey_id") == "マイキーID候補を作成してください。"
    p.fill("#mykey_id", "abc")  # type: ignore[attr-defined]
    p.click("#check")  # type: ignore[attr-defined]
    assert _error(p, "mykey_id") == "マイキーID候補は8ケタの半角大文字英数字で入力してください。"
    cases = [
        ({}, "password", "パスワードを入力してください。"),
        (
            {"password": "abc12"},
            "password",
            "パスワードは6～16ケタの半角英数字で入力してください。",
        ),
        (
            {"password": "abc12!x"},
            "password",
            "パスワードは6～16ケタの半角英数字で入力してください。",
        ),
        (
            {"password": PASSWORD, "password_confirm": "Secret98"},
            "password_confirm",
            "確認用パスワードが一致しません。",
        ),
        ({"email": "nope"}, "email", "メールアドレスの形式が正しくありません。"),
        (
            {"email": "a@example.jp", "email_confirm": "b@example.jp"},
            "email_confirm",
            "確認用メールアドレスが一致しません。",
        ),
    ]
    url = p.url  # type: ignore[attr-defined]
    for fields, where, message in cases:
        for name in ("password", "password_confirm", "email", "email_confirm"):
            p.fill(f"#{name}", fields.get(name, ""))  # type: ignore[attr-defined]
        p.click("#register")  # type: ignore[attr-defined]
        assert _error(p, where) == message, fields
        assert p.url == url  # type: ignore[attr-defined]  # the script kept the form here
    for name, value in (
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
        ("email", ""),
        ("email_confirm", ""),
    ):
        p.fill(f"#{name}", value)  # type: ignore[attr-defined]
    p.check("#notify_mykey")  # type: ignore[attr-defined]
    p.click("#register")  # type: ignore[attr-defined]
    assert _error(p, "email") == "メール通知を希望する場合はメールアドレスを入力してください。"
    # the server's own messages: a candidate that is taken, sent past the script
    p.uncheck("#notify_mykey")  # type: ignore[attr-defined]
    p.fill("#mykey_id", portal.library.patron_mykey_id)  # type: ignore[attr-defined]
    p.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    p.fill("#password_confirm", PASSWORD)  # type: ignore[attr-defined]
    p.click("#register")  # type: ignore[attr-defined]
    p.wait_for_load_state()  # type: ignore[attr-defined]
    assert _error(p, "mykey_id") == "このマイキーID候補は既に使用されています。"


def test_english_switch(portal: Portal, page: object) -> None:
    p = page  # type: ignore[assignment]
    _open_ticket(p, portal.ticket_url())
    p.click("#lang-switch")  # type: ignore[attr-defined]
    p.wait_for_selector("text=Create and register a MyKey ID")  # type: ignore[attr-defined]
    p.click("#register")  # type: ignore[attr-defined]
    assert _error(p, "mykey_id") == "Create a MyKey ID candidate."


def test_login_link_a_service_id_then_a_lookup_finds_it(portal: Portal, page: object) -> None:
    p = page  # type: ignore[assignment]
    holder = portal.library.ca.issue(2)
    token = ticket_of(portal.library, holder)
    _open_ticket(p, f"{portal.base}/portal/register?ticket={token}")
    p.fill("#mykey_id", "BROWSER1")  # type: ignore[attr-defined]
    p.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    p.fill("#password_confirm", PASSWORD)  # type: ignore[attr-defined]
    p.click("#register")  # type: ignore[attr-defined]
    p.wait_for_selector("#done-title")  # type: ignore[attr-defined]
    p.goto(f"{portal.base}/portal/login")  # type: ignore[attr-defined]
    p.fill("#mykey_id", "BROWSER1")  # type: ignore[attr-defined]
    p.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    p.click("#login")  # type: ignore[attr-defined]
    p.wait_for_selector("#link-form")  # type: ignore[attr-defined]
    assert p.locator("#mykey-id").inner_text() == "BROWSER1"  # type: ignore[attr-defined]
    p.fill("#service_id", "2468024680")  # type: ignore[attr-defined]
    p.click("#link")  # type: ignore[attr-defined]
    p.wait_for_selector("#done")  # type: ignore[attr-defined]
    assert "2468024680" in p.locator("#links").inner_text()  # type: ignore[attr-defined]
    pending = tap(portal.library.desk, holder)  # a claim, until the library confirms it
    assert pending.status_code == 403 and pending.json()["error"] == "link_unconfirmed"
    portal.library.world.link("BROWSER1", LIBRARY, "2468024680")
    result = tap(portal.library.desk, holder)
    assert result.status_code == 200 and result.json()["service_id"] == "2468024680"


def test_a_ticket_verify_logout_and_a_password_reset_with_the_card(
    portal: Portal, page: object
) -> None:
    p = page  # type: ignore[assignment]
    library = portal.library
    holder = library.ca.issue(2)
    p.goto(f"{portal.base}/portal/register?ticket={ticket_of(library, holder)}")  # type: ignore[attr-defined]
    _shot(p, "ticket-button")
    assert p.locator("#open").inner_text() == "開始する"  # type: ignore[attr-defined]
    p.click("#open")  # type: ignore[attr-defined]
    p.fill("#mykey_id", "BROWSER2")  # type: ignore[attr-defined]
    p.fill("#password", "password1")  # type: ignore[attr-defined]
    p.fill("#password_confirm", "password1")  # type: ignore[attr-defined]
    p.fill("#email", "b2@example.jp")  # type: ignore[attr-defined]
    p.fill("#email_confirm", "b2@example.jp")  # type: ignore[attr-defined]
    p.click("#register")  # type: ignore[attr-defined]
    p.wait_for_load_state()  # type: ignore[attr-defined]
    assert "よく使われていて" in _error(p, "password")
    _shot(p, "register-common-password")
    p.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    p.fill("#password_confirm", PASSWORD)  # type: ignore[attr-defined]
    p.fill("#email_confirm", "b2@example.jp")  # type: ignore[attr-defined]
    p.click("#register")  # type: ignore[attr-defined]
    p.wait_for_selector("#done-title")  # type: ignore[attr-defined]

    p.goto(f"{portal.base}/portal/login")  # type: ignore[attr-defined]
    _shot(p, "login")
    p.fill("#mykey_id", "BROWSER2")  # type: ignore[attr-defined]
    p.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    p.click("#login")  # type: ignore[attr-defined]
    p.wait_for_selector("#email-state")  # type: ignore[attr-defined]
    assert "未確認" in p.locator("#email-state").inner_text()  # type: ignore[attr-defined]
    _shot(p, "mypage-unverified")
    body = library.world.db.transaction(
        lambda s: s.scalars(select(OutboxMail.body).where(OutboxMail.kind == "verify_email")).one()
    )
    link = re.search(r"https?://\S+/portal/verify\?token=(\S+)", body)
    assert link
    p.goto(f"{portal.base}/portal/verify?token={link.group(1)}")  # type: ignore[attr-defined]
    _shot(p, "verify-button")
    p.click("#open")  # type: ignore[attr-defined]
    p.wait_for_selector("#done-title")  # type: ignore[attr-defined]
    _shot(p, "verify-done")
    p.goto(f"{portal.base}/portal/mypage")  # type: ignore[attr-defined]
    assert "確認済み" in p.locator("#email-state").inner_text()  # type: ignore[attr-defined]
    cookies = p.context.cookies()  # type: ignore[attr-defined]
    session = [c for c in cookies if c["name"] == "__Host-mykey_portal"]
    assert session and session[0]["path"] == "/" and session[0]["secure"]
    p.click("#logout")  # type: ignore[attr-defined]
    p.wait_for_selector("#login-form")  # type: ignore[attr-defined]

    challenge_id, value = challenge(library.desk)
    reset = library.desk.post(
        "/v1/password-reset-tickets", lookup_body(challenge_id, holder, holder.sign(value))
    )
    assert reset.status_code == 200, reset.text
    url = reset.json()["url"].replace("http://testserver", portal.base)
    p.goto(url)  # type: ignore[attr-defined]
    _shot(p, "reset-button")
    p.click("#open")  # type: ignore[attr-defined]
    p.wait_for_selector("#reset-form")  # type: ignore[attr-defined]
    assert p.locator("#mykey-id").inner_text() == "BROWSER2"  # type: ignore[attr-defined]
    _shot(p, "reset-form")
    p.fill("#password", "Hoshi4Zora")  # type: ignore[attr-defined]
    p.fill("#password_confirm", "Hoshi4Zora")  # type: ignore[attr-defined]
    p.click("#reset")  # type: ignore[attr-defined]
    p.wait_for_selector("#done-title")  # type: ignore[attr-defined]
    _shot(p, "reset-done")
    p.goto(f"{portal.base}/portal/login")  # type: ignore[attr-defined]
    p.fill("#mykey_id", "BROWSER2")  # type: ignore[attr-defined]
    p.fill("#password", "Hoshi4Zora")  # type: ignore[attr-defined]
    p.click("#login")  # type: ignore[attr-defined]
    p.wait_for_selector("#link-form")  # type: ignore[attr-defined]
