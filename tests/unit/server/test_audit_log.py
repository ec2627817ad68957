"""The audit log itself: appends, the hash chain, tampering, concurrency, export."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from server.audit.chain import canonical_json, link_hash
from server.audit.log import Actor, record
from server.audit.models import GENESIS_HASH, chain_of
from server.audit.verify import heads_digest, verify
from server.cli import main
from server.db import Database
from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.audit_helpers import events

ALICE = Actor("operator", "alice")


@pytest.fixture
def db(inprocess_platform: InProcessPlatform) -> Database:
    return inprocess_platform.db


def append(db: Database, count: int, action: str = "test.action") -> None:
    for index in range(count):

        def work(session: Session, i: int = index) -> int:
            return record(session, ALICE, action, "ok", n=i, note="ä")

        db.transaction(work)


def cli(platform: InProcessPlatform, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", platform.database_url, *args])


def sql(db: Database, statement: str) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql(statement)


def test_events_form_a_chain_from_the_genesis_hash(db: Database) -> None:
    append(db, 3)
    first, second, third = events(db)
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    body = {
        **({"chain": first.chain} if first.chain else {}),
        "seq": 1,
        "at": first.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_kind": "operator",
        "actor_id": "alice",
        "action": "test.action",
        "outcome": "ok",
        "fields": {"n": 0, "note": "ä"},
    }
    assert first.hash == link_hash(GENESIS_HASH, body)
    assert first.fields == canonical_json({"n": 0, "note": "ä"})
    assert first.chain == chain_of("operator", "alice")
    verdict = db.transaction(verify)
    assert verdict.ok and verdict.events == 3
    assert verdict.heads is not None and verdict.heads[first.chain] == (3, third.hash)
    assert verdict.head_hash == heads_digest(verdict.heads)


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(db: Database) -> None:
    append(db, 1)

    def fails(session: Session) -> None:
        record(session, ALICE, "test.rolled_back", "ok")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.transaction(fails)
    append(db, 1)
    assert [(e.seq, e.action) for e in events(db)] == [(1, "test.action"), (2, "test.action")]
    assert db.transaction(verify).ok


def test_fields_refuse_values_without_a_canonical_form(db: Database) -> None:
    with pytest.raises(TypeError, match="amount"):
        db.transaction(lambda s: record(s, ALICE, "test", "ok", amount=1.5))


@pytest.mark.parametrize(
    ("statement", "bad_seq"),
    [
        ("UPDATE audit_events SET outcome = 'ok ' WHERE seq = 3", 3),
        ('UPDATE audit_events SET fields = \'{"n":9,"note":"ä"}\' WHERE seq = 2', 2),
        ("UPDATE audit_events SET actor_id = 'mallory' WHERE seq = 5", 5),
        ("DELETE FROM audit_events WHERE seq = 3", 3),
        ("DELETE FROM audit_events WHERE seq = 1", 1),
        ("DELETE FROM audit_events WHERE seq = 5", 5),
        ("UPDATE audit_head SET seq = 4 WHERE seq = 5", 4),
    ],
)
def test_tampering_is_detected_at_the_first_bad_seq(
    inprocess_platform: InProcessPlatform, statement: str, bad_seq: int
) -> None:
    db = inprocess_platform.db
    append(db, 5)
    sql(db, statement)
    verdict = db.transaction(verify)
    assert verdict.first_bad_seq == bad_seq, verdict
    result = cli(inprocess_platform, "audit", "verify")
    assert result.exit_code == 1
    assert f"altered at seq {bad_seq}" in result.output


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(db: Database) -> None:
    append(db, 3)
    second = events(db)[1]
    body = json.loads(canonical_json({"n": 1, "note": "forged"}))
    forged = link_hash(
        second.prev_hash,
        {
            **({"chain": second.chain} if second.chain else {}),
            "seq": 2,
            "at": second.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_kind": "operator",
            "actor_id": "alice",
            "action": "test.action",
            "outcome": "ok",
            "fields": body,
        },
    )
    sql(
        db,
        f"UPDATE audit_events SET fields = '{canonical_json(body)}', hash = '{forged}' "
        "WHERE seq = 2",
    )
    assert db.transaction(verify).first_bad_seq == 3


def test_concurrent_appends_keep_one_chain(db: Database) -> None:
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            append(db, 15, action=f"test.{name}")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = events(db)
    assert [e.seq for e in rows] == list(range(1, 91))
    assert len({e.prev_hash for e in rows}) == 90  # no two events follow the same one
    verdict = db.transaction(verify)
    assert verdict.ok and verdict.events == 90


def test_export_writes_json_lines_an_auditor_can_verify(
    inprocess_platform: InProcessPlatform, tmp_path: Path
) -> None:
    db = inprocess_platform.db
    append(db, 4)
    out = tmp_path / "audit.jsonl"
    result = cli(inprocess_platform, "audit", "export", "--from", "2000-01-01", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "exported:" in result.output and "4" in result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4]
    assert lines[3]["hash"] == events(db)[3].hash
    assert lines[0]["fields"] == {"n": 0, "note": "ä"}
    checked = cli(inprocess_platform, "audit", "verify", "--file", str(out))
    assert checked.exit_code == 0 and "intact" in checked.output, checked.output
    lines[1]["outcome"] = "refused"
    out.write_text("".join(canonical_json(line) + "\n" for line in lines), encoding="utf-8")
    tampered = cli(inprocess_platform, "audit", "verify", "--file", str(out))
    assert tampered.exit_code == 1 and "seq 2" in tampered.output


def test_export_of_a_period_before_the_log_is_empty(
    inprocess_platform: InProcessPlatform, tmp_path: Path
) -> None:
    append(inprocess_platform.db, 2)
    out = tmp_path / "old.jsonl"
    result = cli(
        inprocess_platform, "audit", "export", "--from", "2001-01-01", "--to", "2001-02-01",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.read_text() == ""


def test_verify_and_export_are_not_themselves_logged(inprocess_platform: InProcessPlatform) -> None:
    append(inprocess_platform.db, 1)
    assert cli(inprocess_platform, "audit", "verify").exit_code == 0
    assert len(events(inprocess_platform.db)) == 1


def test_actors_append_to_their_own_chains_and_each_is_checked(db: Database) -> None:
    """Sixteen chains: events of different actors do not share a head row (no global lock),
    one actor's events stay in order in its chain, and a tampered chain is named."""
    actors = [Actor("terminal", f"till-{i}") for i in range(40)]
    for actor in actors:
        db.transaction(lambda s, a=actor: record(s, a, "test.chained", "ok"))
    rows = events(db)
    chains = {row.chain for row in rows}
    assert len(chains) > 8  # spread over the chains
    for actor in actors:
        (row,) = [r for r in rows if r.actor_id == actor.id]
        assert row.chain == chain_of(actor.kind, actor.id)
    verdict = db.transaction(verify)
    assert verdict.ok and verdict.events == 40
    victim = max(chains)
    sql(db, f"DELETE FROM audit_events WHERE chain = {victim} AND seq = 1")
    bad = db.transaction(verify)
    assert (bad.first_bad_chain, bad.first_bad_seq) == (victim, 1)
