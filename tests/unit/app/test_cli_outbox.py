"""``mykey-counter outbox``: the pending and dead-letter entries, and ``--retry ID``.

Real outbox files (SQLite) in the counter's home; a refused ``--retry`` changes nothing
and ends with its own status.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from app.cli.outbox import NOT_DEAD_STATUS
from app.points.outbox import OUTBOX_FILE, EntryState, Operation, Outbox, OutboxRecord, make_entry
from server.api.schemas import PaymentRequest
from tests.unit.app.test_cli import Fakes, run


def payment() -> PaymentRequest:
    return PaymentRequest(id=str(uuid.uuid4()), session_id="s", municipality_code="14130",
                          amount=500)


def home_with_entries(tmp_path: Path) -> tuple[Path, str, str]:
    """A home whose outbox holds one pending entry (1 try) and one dead one (3 tries)."""
    box = Outbox.in_home(tmp_path)
    pending, dead = (make_entry(Operation.PAYMENT, payment()) for _ in range(2))
    for entry, tries in ((pending, 1), (dead, 3)):
        box.record(entry)
        for _ in range(tries):
            box.note_failure(entry.id, "platform.example: connection refused")
    box.bury(dead.id)
    box.close()
    return tmp_path, pending.id, dead.id


def everything(home: Path) -> list[OutboxRecord]:
    box = Outbox.in_home(home)
    try:
        return [*box.records(EntryState.PENDING), *box.dead(), *box.records(EntryState.DONE)]
    finally:
        box.close()


def test_the_list_shows_pending_and_dead_entries(tmp_path: Path) -> None:
    home, pending_id, dead_id = home_with_entries(tmp_path)

    result = run(home, Fakes(), "outbox")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("未送信の取引: 再送待ち 1 件、送信をあきらめた取引 1 件 / ")
    rows = [line.split("\t") for line in lines[1:]]
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        ("pending", pending_id, "payment", "1"), ("dead", dead_id, "payment", "3")]
    assert rows[1][5] == "platform.example: connection refused"


def test_retry_makes_a_dead_entry_pending_again(tmp_path: Path) -> None:
    home, pending_id, dead_id = home_with_entries(tmp_path)

    result = run(home, Fakes(), "outbox", "--retry", dead_id)

    assert result.exit_code == 0, result.output
    assert dead_id in result.stdout and "再送待ちに戻しました" in result.stdout
    box = Outbox.in_home(home)
    try:
        record = box.get(dead_id)
        assert record is not None and record.state is EntryState.PENDING
        assert record.attempts == 0 and record.next_try_at is not None  # due now
        assert box.dead() == []
    finally:
        box.close()


def test_retry_of_an_entry_not_in_the_dead_letters_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    home, pending_id, dead_id = home_with_entries(tmp_path)
    before = everything(home)

    for entry_id in (pending_id, "no-such-id"):
        result = run(home, Fakes(), "outbox", "--retry", entry_id)
        assert result.exit_code == NOT_DEAD_STATUS, result.output
        assert "何も変更していません" in result.stderr and "nothing was changed" in result.stderr

    assert everything(home) == before


def test_no_outbox_file_is_made_to_say_it_is_empty(tmp_path: Path) -> None:
    listed = run(tmp_path, Fakes(), "outbox")
    retried = run(tmp_path, Fakes(), "outbox", "--retry", "x")

    assert listed.exit_code == 0 and "再送待ち 0 件" in listed.stdout
    assert retried.exit_code == NOT_DEAD_STATUS
    assert not (tmp_path / OUTBOX_FILE).exists()
