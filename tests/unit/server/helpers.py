"""Assertions and counts shared by the platform's unit tests."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from server.db import Database


def assert_error(response: httpx.Response, status: int, code: str) -> str:
    """The response is an ErrorBody with this status and code; return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    assert body["message"]
    return str(body["message"])


def count(db: Database, model: type) -> int:
    return int(db.transaction(lambda s: s.scalar(select(func.count()).select_from(model))))
