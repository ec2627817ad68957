"""The exit-status table of docs/operations.md lists every status ``mykey-counter`` uses."""

from __future__ import annotations

import re
from pathlib import Path

from app.ports import EXIT_STATUS
from app.public_place import FILE_SECRETS_STATUS, PLAIN_HTTP_STATUS

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


def documented_statuses() -> list[int]:
    """The first column of the table that follows 'Its exit statuses:'."""
    text = OPERATIONS.read_text(encoding="utf-8").split("Its exit statuses:", 1)[1]
    table = text.split("\n\n", 2)[1]
    return [int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.M)]


def test_every_exit_status_is_documented_once() -> None:
    documented = documented_statuses()
    used = {0, *EXIT_STATUS.values(), FILE_SECRETS_STATUS, PLAIN_HTTP_STATUS}
    assert sorted(documented) == sorted(set(documented)), "a status is listed twice"
    assert set(documented) == used


def test_exit_statuses_are_distinct() -> None:
    from app.cli.outbox import NOT_DEAD_STATUS
    from app.cli.print_test_label import PRINTER_STATUS

    values = [*EXIT_STATUS.values(), FILE_SECRETS_STATUS, PLAIN_HTTP_STATUS, NOT_DEAD_STATUS,
              PRINTER_STATUS]
    assert len(values) == len(set(values))
