"""The outbox in a public place: only the platform's business refusals are final.

401 (a key or clock problem the staff can fix), 429, 5xx and network failures keep the
entry; it is sent again (same id) on a schedule with back-off while the counter runs, and
after ``points.outbox_max_attempts`` tries it goes to the dead-letter list staff see.
Nothing is lost. Against a real HTTP server on loopback and the real signed client.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.client import PlatformClient
from app.points.outbox import EntryState, Operation, Outbox, make_entry
from app.points.sending import Outcome, send
from server.api.schemas import PaymentRequest

NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)  # every back-off has passed


class ScriptedPlatform:
    """A loopback HTTP server: each POST /v1/payments gets the next scripted answer
    (status, JSON body); the last one repeats. Records the transfer ids it received."""

    def __init__(self, answers: list[tuple[int, object]]) -> None:
        self.answers = answers
        self.received: list[str] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                platform.received.append(body["id"])
                status, answer = platform.next_answer(body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def next_answer(self, body: dict[str, object]) -> tuple[int, object]:
        status, answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer == "payment":
            answer = {"id": body["id"], "status": "held", "amount": body["amount"],
                      "municipality_code": body["municipality_code"], "shop_code": "S1",
                      "created_at": NOW.isoformat()}
        return status, answer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox.in_home(tmp_path)
    yield box
    box.close()


@pytest.fixture
def platform() -> Iterator[ScriptedPlatform]:
    p = ScriptedPlatform([(200, "payment")])
    yield p
    p.close()


def client_of(platform: ScriptedPlatform) -> PlatformClient:
    return PlatformClient(platform.base_url, "term-1", Ed25519PrivateKey.generate(), 5.0)


def payment() -> PaymentRequest:
    return PaymentRequest(id=str(uuid.uuid4()), session_id="s", municipality_code="14130",
                          amount=500)


def error(code: str) -> dict[str, str]:
    return {"error": code, "message": code}


UNAVAILABLE = (503, {"detail": "Service Unavailable"})  # a gateway's page, no ErrorBody


def test_a_503_during_a_payment_is_sent_again_while_the_counter_runs(
    outbox: Outbox, platform: ScriptedPlatform
) -> None:
    from app.points.retry import RetryPolicy, retry_due

    platform.answers = [UNAVAILABLE, (200, "payment")]
    client = client_of(platform)
    entry = make_entry(Operation.PAYMENT, payment())

    assert send(outbox, client, entry).outcome is Outcome.UNREACHABLE
    results = retry_due(outbox, client, RetryPolicy(first_s=30, max_s=600, max_attempts=5),
                        now=LATER)

    assert [r.outcome for r in results] == [Outcome.ANSWERED]
    record = outbox.get(entry.id)
    assert record is not None and record.state is EntryState.DONE
    assert platform.received == [entry.id, entry.id]  # the same id: one transfer


@pytest.mark.parametrize("answer", [(401, error("terminal_signature_invalid")),
                                    (429, error("rate_limited"))])
def test_401_and_429_keep_the_entry_pending(
    outbox: Outbox, platform: ScriptedPlatform, answer: tuple[int, object]
) -> None:
    keeps_the_entry_pending(outbox, platform, answer)


@pytest.mark.parametrize("answer", [(500, error("internal")), UNAVAILABLE])
def test_5xx_keeps_the_entry_pending(
    outbox: Outbox, platform: ScriptedPlatform, answer: tuple[int, object]
) -> None:
    keeps_the_entry_pending(outbox, platform, answer)


def keeps_the_entry_pending(
    outbox: Outbox, platform: ScriptedPlatform, answer: tuple[int, object]
) -> None:
    platform.answers = [answer]
    entry = make_entry(Operation.PAYMENT, payment())

    assert send(outbox, client_of(platform), entry).outcome is Outcome.UNREACHABLE

    record = outbox.get(entry.id)
    assert record is not None and record.state is EntryState.PENDING and record.attempts == 1
    assert outbox.pending() == [record.entry]


@pytest.mark.parametrize("answer", [
    (409, error("insufficient_points")),
    (401, error("staff_credential_invalid")),  # a wrong staff code stays wrong
    (401, error("card_session_invalid")),  # so does a card session that ended
])
def test_a_business_refusal_is_final(
    outbox: Outbox, platform: ScriptedPlatform, answer: tuple[int, object]
) -> None:
    platform.answers = [answer]
    entry = make_entry(Operation.PAYMENT, payment())

    sent = send(outbox, client_of(platform), entry)

    assert sent.outcome is Outcome.REFUSED and sent.code == answer[1]["error"]  # type: ignore[index]
    assert outbox.pending() == []


def test_after_n_tries_the_entry_goes_to_the_dead_letter_list(
    outbox: Outbox, platform: ScriptedPlatform
) -> None:
    from app.points.retry import RetryPolicy, retry_due

    platform.answers = [UNAVAILABLE]
    client = client_of(platform)
    entry = make_entry(Operation.PAYMENT, payment())
    policy = RetryPolicy(first_s=30, max_s=600, max_attempts=3)
    send(outbox, client, entry)  # try 1

    retry_due(outbox, client, policy, now=LATER)  # try 2
    retry_due(outbox, client, policy, now=LATER)  # try 3: the last
    retry_due(outbox, client, policy, now=LATER + dt.timedelta(days=1))  # no try 4

    assert platform.received == [entry.id] * 3
    assert outbox.pending() == []
    dead = outbox.dead()
    assert [r.entry for r in dead] == [outbox.get(entry.id).entry]  # type: ignore[union-attr]
    assert dead[0].attempts == 3 and dead[0].entry.request == entry.request  # nothing lost


def test_the_back_off_doubles_up_to_its_cap() -> None:
    from app.points.retry import RetryPolicy

    policy = RetryPolicy(first_s=30, max_s=100, max_attempts=5)

    assert [policy.delay_s(n) for n in range(5)] == [0.0, 30.0, 60.0, 100.0, 100.0]


def test_the_next_try_is_kept_on_disk_across_a_restart(
    tmp_path: Path, platform: ScriptedPlatform
) -> None:
    from app.points.retry import RetryPolicy, due, next_try, retry_due

    platform.answers = [UNAVAILABLE]
    client = client_of(platform)
    policy = RetryPolicy(first_s=30, max_s=600, max_attempts=5)
    box = Outbox.in_home(tmp_path)
    entry = make_entry(Operation.PAYMENT, payment())
    send(box, client, entry)  # try 1
    retry_due(box, client, policy, now=LATER)  # try 2: the next one 60 s after it
    record = box.get(entry.id)
    assert record is not None and record.attempts == 2 and record.updated_at is not None
    assert record.next_try_at == record.updated_at + dt.timedelta(seconds=60)
    box.close()

    reopened = Outbox.in_home(tmp_path)  # the counter restarts
    try:
        again = reopened.get(entry.id)
        assert again is not None and again.next_try_at == record.next_try_at
        assert next_try(again, policy) == record.next_try_at
        assert due(reopened, policy, record.updated_at + dt.timedelta(seconds=59)) == []
        assert retry_due(reopened, client, policy, now=record.updated_at) == []
        assert platform.received == [entry.id] * 2  # not sent before its time
        assert [r.entry.id for r in due(reopened, policy, record.next_try_at)] == [entry.id]
    finally:
        reopened.close()


def test_a_dead_entry_can_be_sent_again_by_the_staff(
    outbox: Outbox, platform: ScriptedPlatform
) -> None:
    from app.points.retry import RetryPolicy, retry_due

    platform.answers = [UNAVAILABLE]
    client = client_of(platform)
    policy = RetryPolicy(first_s=30, max_s=600, max_attempts=2)
    entry = make_entry(Operation.PAYMENT, payment())
    send(outbox, client, entry)  # try 1
    retry_due(outbox, client, policy, now=LATER)  # try 2: the last
    assert [r.entry.id for r in outbox.dead()] == [entry.id]
    assert outbox.revive("no-such-id") is False

    assert outbox.revive(entry.id) is True
    platform.answers = [(200, "payment")]
    results = retry_due(outbox, client, policy, now=LATER)

    assert [r.outcome for r in results] == [Outcome.ANSWERED]
    assert outbox.dead() == [] and outbox.pending() == []
    record = outbox.get(entry.id)
    assert record is not None and record.state is EntryState.DONE


def test_an_outbox_file_from_before_the_schedule_gets_its_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "outbox.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE outbox (id TEXT PRIMARY KEY, operation TEXT NOT NULL,"
                " endpoint TEXT NOT NULL, target TEXT, request TEXT NOT NULL,"
                " created_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',"
                " status INTEGER, answer TEXT, attempts INTEGER NOT NULL DEFAULT 0,"
                " last_error TEXT, updated_at TEXT)")
    entry = make_entry(Operation.PAYMENT, payment(), now=NOW)
    old.execute("INSERT INTO outbox (id, operation, endpoint, request, created_at)"
                " VALUES (?, ?, ?, ?, ?)", (entry.id, entry.operation.value, entry.endpoint,
                                            entry.request, entry.created_at.isoformat()))
    old.commit()
    old.close()

    box = Outbox(path)
    try:
        assert box.pending() == [entry]  # nothing lost
        record = box.get(entry.id)
        assert record is not None and record.next_try_at is None
    finally:
        box.close()


def test_outbox_max_tries_is_read_from_counter_toml_and_reaches_the_kiosk(
    tmp_path: Path,
) -> None:
    import tomllib

    from app.cli.backends import KioskBackends
    from app.cli.kiosk import _points_services
    from app.settings import SETTINGS_FILE, SettingsError, load_settings, settings_from_mapping

    def unused(*args: object, **kwargs: object) -> object:
        raise AssertionError("not called")

    (tmp_path / SETTINGS_FILE).write_text(
        'secrets_backend = "file"\ndemo_mode = true\n[points]\noutbox_max_tries = 3\n',
        encoding="utf-8")
    settings = load_settings(tmp_path)
    kiosk = KioskBackends(make_tapper=unused, make_client=unused,  # type: ignore[arg-type]
                          monitor_factory=unused, run_kiosk=unused)  # type: ignore[arg-type]
    services = _points_services(kiosk, tmp_path, settings)

    assert services is not None and services.retry_policy().max_attempts == 3
    assert settings_from_mapping({}).points.outbox_max_tries == 10  # the default
    for bad in (0, -1, True, "3", 2.5):
        with pytest.raises(SettingsError, match=r"points\.outbox_max_tries"):
            settings_from_mapping({"points": {"outbox_max_tries": bad}})
    example = Path(__file__).resolve().parents[3] / "resources" / "counter.example.toml"
    example_points = tomllib.loads(example.read_text(encoding="utf-8"))["points"]
    assert example_points["outbox_max_tries"] == 10


def test_the_start_up_replay_keeps_the_schedule_and_the_dead_letters(
    tmp_path: Path, platform: ScriptedPlatform
) -> None:
    from app.points.services import PointsServices

    platform.answers = [UNAVAILABLE]
    client = client_of(platform)
    services = PointsServices(make_client=lambda: client, home=tmp_path,  # type: ignore[arg-type,return-value]
                              outbox_max_tries=3)
    first, second = (make_entry(Operation.PAYMENT, payment()) for _ in range(2))
    try:
        send(services.outbox(), client, first)  # try 1
        services.outbox().record(second)  # written, never sent (a crash)

        replayed = services.start_up().replayed  # try 2 of the first; stops there

        assert [r.entry_id for r in replayed] == [first.id]
        record = services.outbox().get(first.id)
        assert record is not None and record.attempts == 2 and record.updated_at is not None
        assert record.next_try_at == record.updated_at + dt.timedelta(seconds=60)

        services.start_up()  # try 3, the last: the dead-letter list, nothing lost
        assert [r.entry.id for r in services.dead_letters()] == [first.id]
        assert services.outbox().pending() == [second]
    finally:
        services.close()
