"""argon2 runs outside any database transaction, and at most HASH_SLOTS at once."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import pytest

from server.portal import passwords
from tests.unit.server.conftest import Library
from tests.unit.server.portal_helpers import browser, csrf_of, open_registration

PASSWORD = "Secret99"


class _Watching:
    """A hasher that, while verifying, checks another connection can write meanwhile."""

    def __init__(self, inner: Any, database: str) -> None:
        self.inner, self.database = inner, database
        self.writes: list[bool] = []

    def hash(self, password: str) -> str:
        return str(self.inner.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        other = sqlite3.connect(self.database, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the write lock: free unless a transaction holds it
            other.execute("COMMIT")
            self.writes.append(True)
        except sqlite3.OperationalError:
            self.writes.append(False)
        finally:
            other.close()
        return bool(self.inner.verify(password_hash, password))


def test_a_login_holds_no_write_transaction_while_hashing(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = open_registration(library, library.ca.issue(2))
    done = reg.submit(mykey_id="HASHME01", password=PASSWORD, password_confirm=PASSWORD)
    assert done.status_code == 200
    database = library.world.db.engine.url.database
    assert database
    watching = _Watching(passwords._hasher, database)
    monkeypatch.setattr(passwords, "_hasher", watching)
    client = browser(library)
    for password in ("wrong000", PASSWORD):
        page = client.get("/portal/login")
        client.post(
            "/portal/login",
            data={"csrf": csrf_of(page.text), "mykey_id": "HASHME01", "password": password},
        )
    assert watching.writes == [True, True]


def test_at_most_hash_slots_argon2_operations_run_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running, most = 0, 0
    lock = threading.Lock()

    class Slow:
        def verify(self, password_hash: str, password: str) -> bool:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.05)
            with lock:
                running -= 1
            return True

    monkeypatch.setattr(passwords, "_hasher", Slow())
    threads = [
        threading.Thread(target=passwords.verify_password, args=("h", "p")) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == passwords.HASH_SLOTS


def test_a_session_cannot_guess_the_current_password_without_end(library: Library) -> None:
    reg = open_registration(library, library.ca.issue(2))
    done = reg.submit(mykey_id="GUESSME1", password=PASSWORD, password_confirm=PASSWORD)
    assert done.status_code == 200
    client = browser(library)
    page = client.get("/portal/login")
    client.post(
        "/portal/login",
        data={"csrf": csrf_of(page.text), "mykey_id": "GUESSME1", "password": PASSWORD},
    )
    csrf = csrf_of(client.get("/portal/mypage").text)
    statuses = []
    for n in range(6):
        guess = f"Guess{n}x99"
        answer = client.post(
            "/portal/mypage/password",
            data={
                "csrf": csrf,
                "current_password": guess,
                "new_password": "Tsuki7Nami",
                "new_password_confirm": "Tsuki7Nami",
            },
        )
        statuses.append(answer.status_code)
    assert statuses == [400] * 5 + [429]
