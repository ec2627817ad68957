"""Same-day labels: recorded in the lookup's transaction, limited per card per day (JST)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.cli import main
from server.identity.labels import JST, jst_date_range, jst_day, set_label_limit
from server.identity.models import IssuedLabel, Service
from server.identity.rebinding import staff_bind
from server.terminals.models import Challenge
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.signing import SignedClient
from tests.unit.server.world import challenge, lookup_body, tap

Clock = Callable[[dt.datetime], None]


def tap_label(terminal: SignedClient, library: Library) -> httpx.Response:
    challenge_id, value = challenge(terminal)
    body: dict[str, object] = {
        **lookup_body(challenge_id, library.patron, library.patron.sign(value)),
        "label": True,
    }
    return terminal.post("/v1/lookups", body)


def labels(library: Library) -> list[IssuedLabel]:
    return list(
        library.world.db.transaction(
            lambda s: s.scalars(select(IssuedLabel).order_by(IssuedLabel.issued_at)).all()
        )
    )


def set_limit(library: Library, per_day: int | None) -> None:
    library.world.db.transaction(lambda s: set_label_limit(s, LIBRARY, per_day))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set the platform's "now" for challenges and lookups (request signing keeps real time)."""

    def set_now(moment: dt.datetime) -> None:
        for module in ("server.identity.lookup", "server.terminals.challenges"):
            monkeypatch.setattr(f"{module}.utcnow", lambda: moment.astimezone(dt.UTC))

    return set_now


def cli(library: Library, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["--database-url", library.world.platform.database_url, *args]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_label_is_recorded_with_terminal_service_and_time(library: Library) -> None:
    before = dt.datetime.now(dt.UTC)
    response = tap_label(library.desk, library)
    assert response.status_code == 200, response.text
    assert response.json()["service_id"] == LIBRARY_NUMBER
    [label] = labels(library)
    assert str(label.terminal_pk) == library.desk.terminal_id
    assert label.service_id == LIBRARY_NUMBER
    assert before <= label.issued_at <= dt.datetime.now(dt.UTC)
    assert label.id.version == 7
    service = library.world.db.transaction(lambda s: s.get(Service, label.service_pk))
    assert service is not None and service.name == LIBRARY


def test_a_lookup_without_label_records_nothing(library: Library) -> None:
    assert tap(library.desk, library.patron).status_code == 200
    assert count(library.world.db, IssuedLabel) == 0


def test_the_third_label_of_the_day_is_refused_at_a_limit_of_two(library: Library) -> None:
    set_limit(library, 2)
    assert tap_label(library.desk, library).status_code == 200
    assert tap_label(library.desk, library).status_code == 200
    challenge_id, value = challenge(library.desk)
    body = {**lookup_body(challenge_id, library.patron, library.patron.sign(value)), "label": True}
    refused = library.desk.post("/v1/lookups", body)
    message = assert_error(refused, 403, "label_limit_reached")
    assert "2" in message and library.patron_mykey_id not in message
    assert count(library.world.db, IssuedLabel) == 2
    spent = library.world.db.transaction(
        lambda s: s.scalar(select(Challenge.used_at).where(Challenge.id == uuid.UUID(challenge_id)))
    )
    assert spent is not None  # one attempt per challenge, like any failure
    # the number itself is still available without a label, and nothing is recorded
    assert tap(library.desk, library.patron).status_code == 200
    assert count(library.world.db, IssuedLabel) == 2


def test_a_renewed_card_counts_as_the_same_card(library: Library) -> None:
    set_limit(library, 1)
    assert tap_label(library.desk, library).status_code == 200
    renewed = library.ca.issue(2)
    library.world.db.transaction(
        lambda s: staff_bind(
            s, renewed.der, library.patron_mykey_id, staff="staff", documents="passport"
        )
    )
    library.patron = renewed
    assert_error(tap_label(library.desk, library), 403, "label_limit_reached")


def test_a_limit_of_zero_refuses_every_label(library: Library) -> None:
    set_limit(library, 0)
    assert_error(tap_label(library.desk, library), 403, "label_limit_reached")
    assert count(library.world.db, IssuedLabel) == 0


def test_without_a_limit_labels_are_unlimited(library: Library) -> None:
    for _ in range(5):
        assert tap_label(library.desk, library).status_code == 200
    assert count(library.world.db, IssuedLabel) == 5


def test_the_day_ends_at_midnight_japan_time(library: Library, clock: Clock) -> None:
    set_limit(library, 1)
    # midnight JST is 15:00 UTC: use the next one, so the test cards are valid throughout
    midnight = jst_day(dt.datetime.now(dt.UTC))[1]
    clock(midnight - dt.timedelta(seconds=30))  # 23:59:30 JST
    assert tap_label(library.desk, library).status_code == 200
    clock(midnight - dt.timedelta(seconds=1))  # 23:59:59 JST: same day
    assert_error(tap_label(library.desk, library), 403, "label_limit_reached")
    clock(midnight)  # 00:00:00 JST: a new day
    assert tap_label(library.desk, library).status_code == 200
    clock(midnight + dt.timedelta(seconds=30))
    assert_error(tap_label(library.desk, library), 403, "label_limit_reached")
    issued = [label.issued_at.astimezone(JST) for label in labels(library)]
    assert [moment.strftime("%H:%M:%S") for moment in issued] == ["23:59:30", "00:00:00"]


def test_japan_days_in_utc() -> None:
    noon_utc = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # 21:00 JST, 1 December
    start, end = jst_day(noon_utc)
    assert start == dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=1)
    late_utc = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # 00:00 JST, 2 December
    assert jst_day(late_utc)[0] == late_utc
    assert jst_date_range(dt.date(2026, 12, 2)) == jst_day(late_utc)


def test_set_label_limit_by_command(library: Library) -> None:
    out = cli(library, "service", "set-label-limit", LIBRARY, "--per-day", "1")
    assert "1 per card per day" in out
    assert tap_label(library.desk, library).status_code == 200
    assert_error(tap_label(library.desk, library), 403, "label_limit_reached")
    assert "no limit" in cli(library, "service", "set-label-limit", LIBRARY, "--none")
    assert tap_label(library.desk, library).status_code == 200


@pytest.mark.parametrize(
    "args",
    [[], ["--per-day", "2", "--none"], ["--per-day", "-1"], ["--per-day", "x"]],
)
def test_set_label_limit_needs_one_valid_choice(library: Library, args: list[str]) -> None:
    result = CliRunner().invoke(
        main,
        ["--database-url", library.world.platform.database_url, "service", "set-label-limit",
         LIBRARY, *args],
    )  # fmt: skip
    assert result.exit_code == 2, result.output


def test_set_label_limit_of_an_unknown_service(library: Library) -> None:
    result = CliRunner().invoke(
        main,
        ["--database-url", library.world.platform.database_url, "service", "set-label-limit",
         "nope", "--none"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "no service named nope" in result.output


def test_service_add_with_a_label_limit(library: Library) -> None:
    out = cli(
        library, "service", "add", "shop", "--provider", "β商店", "--barcode", "qr",
        "--labels-per-day", "3",
    )  # fmt: skip
    assert "3 per card per day" in out
    limit = library.world.db.transaction(
        lambda s: s.scalar(select(Service.labels_per_day).where(Service.name == "shop"))
    )
    assert limit == 3
    listing = cli(library, "service", "list")
    assert re.search(r"^shop\s+qr\s+\S+\s+3\s", listing, re.MULTILINE), listing
    assert "no limit" in cli(
        library, "service", "add", "shop2", "--provider", "β", "--barcode", "qr"
    )


def test_label_list_shows_time_terminal_service_and_number_only(
    library: Library, clock: Clock
) -> None:
    # 23:59:59 and 00:00:01 JST around today's 15:00 UTC (the test cards are valid then)
    today_15_utc = dt.datetime.now(dt.UTC).replace(hour=15, minute=0, second=0, microsecond=0)
    clock(today_15_utc - dt.timedelta(seconds=1))
    assert tap_label(library.desk, library).status_code == 200
    clock(today_15_utc + dt.timedelta(seconds=1))
    assert tap_label(library.desk, library).status_code == 200
    day_one = (today_15_utc - dt.timedelta(seconds=1)).astimezone(JST).date()
    out = cli(library, "label", "list")
    assert out.count(LIBRARY_NUMBER) == 2 and "2 labels" in out
    assert library.desk.terminal_id in out and "desk 1" in out and LIBRARY in out
    assert f"{day_one:%Y-%m-%d} 23:59:59" in out
    assert library.patron_mykey_id not in out
    fingerprint = hashlib.sha256(library.patron.der).hexdigest()
    assert fingerprint not in out and fingerprint.upper() not in out
    assert f"{library.patron.certificate.serial_number:x}" not in out
    only_first = cli(library, "label", "list", "--date", f"{day_one:%Y-%m-%d}")
    assert only_first.count(LIBRARY_NUMBER) == 1 and "1 label\n" in only_first
    day_two = day_one + dt.timedelta(days=1)
    only_second = cli(library, "label", "list", "--service", LIBRARY, "--date", f"{day_two}")
    assert f"{day_two:%Y-%m-%d} 00:00:01" in only_second
    assert "0 labels" in cli(library, "label", "list", "--date", "2000-01-01")
