"""The ledger's operator commands (CliRunner on the in-process platform's database)."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner, Result

from server.cli import main
from server.cli.staff import EXIT_STAFF_REFUSED
from tests.unit.server.points_world import ALPHA, BETA, SHOP, PointsWorld
from tests.unit.server.staff_world import PIN_KATO, PIN_SUZUKI, PIN_YAMADA, make_staff_world


class Cli:
    """``mykey-platform`` on the points world's database."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def invoke(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, ["--database-url", self.database_url, *args], input=input)

    def __call__(self, *args: str, input: str | None = None) -> str:
        result = self.invoke(*args, input=input)
        assert result.exit_code == 0, result.output
        return result.output

    def fails(self, *args: str, input: str | None = None) -> str:
        """The output of a refused command: a message, exit status ≠ 0, no traceback."""
        result = self.invoke(*args, input=input)
        assert result.exit_code != 0, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        return result.output


@pytest.fixture
def cli(points: PointsWorld) -> Cli:
    return Cli(points.world.platform.database_url)


def test_municipality_add_list_rules_allow_and_event(cli: Cli) -> None:
    added = cli("municipality", "add", "27100", "γ市")
    assert "27100 γ市" in added and "grant approval over:" in added
    assert "exists already" in cli.fails("municipality", "add", "27100", "γ市")
    assert "5 or 6 digits" in cli.fails("municipality", "add", "12", "δ市")
    rules = cli("municipality", "rules", "27100", "--points-valid-days", "30",
                "--grant-approval-over", "500")  # fmt: skip
    words = " ".join(rules.split())  # the alignment follows the longest rule's name
    assert "points valid days: 30" in words and "grant approval over: 500" in words
    assert "grant cap holder day: -" in words  # no cap unless set
    assert "cannot be negative" in cli.fails("municipality", "rules", "27100",
                                             "--voucher-valid-days", "-1")  # fmt: skip
    assert "no municipality 99999" in cli.fails("municipality", "rules", "99999")
    assert "shop shop-01" in cli("municipality", "allow", "27100", "--shop", SHOP)
    assert "allows that already" in cli.fails("municipality", "allow", "27100", "--shop", SHOP)
    assert "category bus" in cli("municipality", "allow", "27100", "--category", "bus")
    assert "either --shop or --category" in cli.fails("municipality", "allow", "27100")
    assert "no shop nowhere" in cli.fails("municipality", "allow", "27100", "--shop", "nowhere")
    listing = cli("municipality", "list")
    assert "27100" in listing and "category bus, shop shop-01" in listing
    assert "category retail" in listing  # α市 from the points world
    assert "event:        flood" in cli(
        "municipality", "event", "add", "27100", "flood", "水害復興"
    )
    assert "has an event flood already" in cli.fails(
        "municipality", "event", "add", "27100", "flood", "again"
    )
    assert "no municipality 11111" in cli.fails("municipality", "event", "add", "11111", "x", "y")


def test_shop_add_and_list(cli: Cli) -> None:
    assert "category: bus" in cli(
        "shop", "add", "bus-1", "α市コミュニティバス", "--category", "bus"
    )
    assert "exists already" in cli.fails("shop", "add", "bus-1", "again", "--category", "bus")
    assert "--category" in cli.fails("shop", "add", "bus-2", "no category")
    cli("municipality", "allow", BETA, "--category", "bus")
    listing = cli("shop", "list")
    assert any(line.split()[:3] == ["bus-1", "bus", BETA] for line in listing.splitlines())
    assert any(line.split()[:3] == [SHOP, "retail", ALPHA] for line in listing.splitlines())


def test_supporter_add_list_revoke(cli: Cli, points: PointsWorld) -> None:
    added = cli("supporter", "add", "air-co", "そらエアライン")
    key = added.splitlines()[-1]
    assert key.startswith("mks_") and len(key) > 30
    assert "exists already" in cli.fails("supporter", "add", "air-co", "again")
    assert "active" in cli("supporter", "list")
    assert "revoked at:" in cli("supporter", "revoke", "air-co")
    assert "revoked already" in cli.fails("supporter", "revoke", "air-co")
    assert "no supporter none" in cli.fails("supporter", "revoke", "none")
    listing = cli("supporter", "list")
    assert "card-co" in listing and "revoked" in listing
    _, mykey_id = points.holder(1)
    refused = points.world.client.post(
        "/v1/conversions",
        json={"id": str(uuid.uuid4()), "mykey_id": mykey_id, "points": 10, "reference": "r"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert refused.status_code == 401, refused.text


def test_terminal_allow(cli: Cli, points: PointsWorld) -> None:
    till = points.world.enroll("library", "till 2")
    allowed = cli("terminal", "allow", till.terminal_id, "--mode", "shop", "--shop", SHOP)
    assert "shop" in allowed.splitlines()[-1].split()[-1].split(",")
    both = cli("terminal", "allow", till.terminal_id, "--mode", "voucher", "--municipality", ALPHA)
    assert {"shop", "voucher"} <= set(both.splitlines()[-1].split()[-1].split(","))
    assert "needs --shop" in cli.fails("terminal", "allow", till.terminal_id, "--mode", "shop")
    assert "needs --municipality" in cli.fails("terminal", "allow", till.terminal_id,
                                               "--mode", "grant")  # fmt: skip
    assert "no terminal" in cli.fails("terminal", "allow", str(uuid.uuid4()), "--mode", "shop",
                                      "--shop", SHOP)  # fmt: skip
    assert "no shop x" in cli.fails("terminal", "allow", till.terminal_id, "--mode", "shop",
                                    "--shop", "x")  # fmt: skip
    assert "is not one of" in cli.fails("terminal", "allow", till.terminal_id, "--mode", "fly")


def test_grant_give_below_and_above_the_threshold_then_approve(
    cli: Cli, points: PointsWorld
) -> None:
    staff = make_staff_world(points)
    _, mykey_id = points.holder(1)
    given = cli("grant", "give", mykey_id, "--municipality", ALPHA, "--points", "300",
                "--reason", "volunteering", "--staff", "yamada", input=PIN_YAMADA)  # fmt: skip
    assert "status:       granted" in given and "requested by: yamada" in given
    grant_id = str(uuid.uuid4())
    big = ("grant", "give", mykey_id, "--municipality", ALPHA, "--points", "20000",
           "--reason", "health", "--staff", "yamada", "--id", grant_id)  # fmt: skip
    assert "awaiting_approval" in cli(*big, input=PIN_YAMADA)
    assert cli(*big, input=PIN_YAMADA).splitlines()[-1] == grant_id  # the same id: granted once
    assert grant_id in cli("grant", "pending", "--municipality", ALPHA)
    balance = cli("points", "balance", mykey_id)
    assert any(line.split()[:6] == [ALPHA, "α市", "regular", "300", "0", "-"] or
               line.split()[:5] == [ALPHA, "α市", "regular", "300", "0"]
               for line in balance.splitlines())  # fmt: skip
    refused = cli.fails("grant", "approve", grant_id, "--staff", "yamada", input=PIN_YAMADA)
    assert "another staff account" in refused
    wrong = cli.invoke("grant", "approve", grant_id, "--staff", "suzuki", input="000000")
    assert wrong.exit_code == EXIT_STAFF_REFUSED and "not right" in wrong.output
    approved = cli("grant", "approve", grant_id, "--staff", "suzuki", input=PIN_SUZUKI)
    assert "status:       granted" in approved and "decided by:   suzuki" in approved
    assert "already decided" in cli.fails(
        "grant", "reject", grant_id, "--staff", "sato", input=staff.sato_totp.now()
    )
    assert grant_id not in cli("grant", "pending", "--municipality", ALPHA)
    assert "20300" in cli("points", "balance", mykey_id)
    assert "OK" in cli("ledger", "check")


def test_grant_reject_releases_the_points(cli: Cli, points: PointsWorld) -> None:
    make_staff_world(points)
    _, mykey_id = points.holder(1)
    out = cli("grant", "give", mykey_id, "--municipality", ALPHA, "--points", "10001",
              "--reason", "child_care", "--operator")  # fmt: skip
    assert "requested by: operator" in out
    grant_id = out.splitlines()[-1]
    reject = ("grant", "reject", grant_id, "--staff", "suzuki")
    assert "status:       rejected" in cli(*reject, input=PIN_SUZUKI)
    assert "no grant" in cli.fails("grant", "approve", str(uuid.uuid4()), "--staff", "suzuki")
    assert "not a grant id" in cli.fails("grant", "approve", "nope", "--staff", "suzuki")
    assert points.problems() == []


def test_grant_give_refusals(cli: Cli, points: PointsWorld) -> None:
    make_staff_world(points)
    _, mykey_id = points.holder(1)
    base = ("grant", "give", mykey_id, "--reason", "volunteering", "--operator")
    assert "positive whole number" in cli.fails(*base, "--municipality", ALPHA, "--points", "-5")
    assert "positive whole number" in cli.fails(*base, "--municipality", ALPHA, "--points", "0")
    assert "no municipality 99999" in cli.fails(*base, "--municipality", "99999", "--points", "5")
    assert "no MyKey ID NOBODY00" in cli.fails(
        "grant", "give", "NOBODY00", "--municipality", ALPHA, "--points", "5",
        "--reason", "health", "--operator",
    )  # fmt: skip
    assert "is not one of" in cli.fails(
        "grant", "give", mykey_id, "--municipality", ALPHA, "--points", "5",
        "--reason", "bribe", "--operator",
    )  # fmt: skip
    assert "no event" in cli.fails(*base, "--municipality", ALPHA, "--points", "5",
                                   "--event", "none")  # fmt: skip
    same_id = str(uuid.uuid4())
    cli(*base, "--municipality", ALPHA, "--points", "5", "--id", same_id)
    assert "transfer_id_conflict" in cli.fails(*base, "--municipality", ALPHA, "--points", "6",
                                               "--id", same_id)  # fmt: skip
    # no typed name: a staff account (with its code) or the operator, recorded as such
    typed = ("grant", "give", mykey_id, "--municipality", ALPHA, "--points", "5",
             "--reason", "health")  # fmt: skip
    assert "--operator" in cli.fails(*typed)
    assert "not right" in cli.fails(*typed, "--staff", "佐藤", input=PIN_YAMADA)
    other = cli.invoke(*typed, "--staff", "kato", input=PIN_KATO)
    assert other.exit_code == EXIT_STAFF_REFUSED and "another municipality" in other.output


def test_grant_to_an_event_account(cli: Cli, points: PointsWorld) -> None:
    _, mykey_id = points.holder(1)
    cli("municipality", "event", "add", ALPHA, "quake", "震災復興支援")
    cli("grant", "give", mykey_id, "--municipality", ALPHA, "--points", "700",
        "--reason", "disaster_support", "--event", "quake", "--operator")  # fmt: skip
    assert "event quake" in cli("points", "balance", mykey_id)


def test_points_balance_history_assign_default(cli: Cli, points: PointsWorld) -> None:
    _, mykey_id = points.holder(1)
    points.grant(mykey_id, 4000, ALPHA)
    points.grant(mykey_id, 5000, BETA)
    converted = points.world.client.post(
        "/v1/conversions",
        json={"id": str(uuid.uuid4()), "mykey_id": mykey_id, "points": 800, "reference": "r1"},
        headers={"Authorization": f"Bearer {points.supporter_key}"},
    )
    assert converted.status_code == 200, converted.text
    balance = cli("points", "balance", mykey_id)
    assert "4000" in balance and "5000" in balance and "reserved" in balance
    assert "default municipality: -" in balance
    assert "assigned:     500" in cli("points", "assign", mykey_id, "--municipality", BETA,
                                      "--points", "500")  # fmt: skip
    assert "insufficient_points" in cli.fails("points", "assign", mykey_id, "--municipality",
                                              BETA, "--points", "301")  # fmt: skip
    assert "positive" in cli.fails("points", "assign", mykey_id, "--municipality", BETA,
                                   "--points", "-1")  # fmt: skip
    assert "5500" in cli("points", "balance", mykey_id)
    history = cli("points", "history", mykey_id)
    assert "+4000" in history and "+800" in history and "-500" in history and "+500" in history
    assert "行政ポイント付与" in history
    assert "default municipality: 14130" in (
        cli("points", "default", mykey_id, ALPHA) and cli("points", "balance", mykey_id)
    )
    assert "no municipality 00000" in cli.fails("points", "default", mykey_id, "00000")
    assert "no MyKey ID ZZZZZZZZ" in cli.fails("points", "balance", "ZZZZZZZZ")
    assert "no MyKey ID ZZZZZZZZ" in cli.fails("points", "history", "ZZZZZZZZ")


def test_ledger_check_reports_problems(cli: Cli, points: PointsWorld) -> None:
    _, mykey_id = points.holder(1)
    points.grant(mykey_id, 100)
    assert cli("ledger", "check").startswith("OK")
    from sqlalchemy import text

    points.db.transaction(
        lambda s: s.execute(text("UPDATE accounts SET credits_posted = credits_posted + 1 "
                                 "WHERE kind = 'holder'"))
    )  # fmt: skip
    out = cli.fails("ledger", "check")
    assert "credits_posted is 101, transfers say 100" in out and "does not sum to zero" in out


def test_jobs_run_expires_points(cli: Cli, points: PointsWorld) -> None:
    _, mykey_id = points.holder(1)
    cli("municipality", "rules", ALPHA, "--points-valid-days", "1")
    points.grant(mykey_id, 250)
    nothing = cli("jobs", "run")
    assert "points expired:          0" in nothing
    later = cli("jobs", "run", "--now", "2100-01-01T00:00:00+09:00")
    assert "points expired:          250" in later and "accounts expired:        1" in later
    assert "2100-01-01 00:00:00 JST" in later
    assert "purged challenges:" in later  # the housekeeping's counts follow
    assert "-250" in cli("points", "history", mykey_id)
    assert "not an ISO 8601 time" in cli.fails("jobs", "run", "--now", "tomorrow")
    assert cli("ledger", "check").startswith("OK")


def test_demo_points_are_seeded_once(points: PointsWorld) -> None:
    from server.demo_points import seed_points
    from server.ledger.holders import balances

    _, mykey_id = points.holder(1)
    first: list[str] = []
    points.db.transaction(lambda s: seed_points(s, mykey_id, first))
    assert f"4000 points of {ALPHA} for {mykey_id}" in first
    again: list[str] = []
    points.db.transaction(lambda s: seed_points(s, mykey_id, again))
    assert again == []
    lines = points.db.transaction(lambda s: balances(s, points.mykey_pk(mykey_id)))
    assert sorted((b.municipality_code, b.balance) for b in lines) == [(BETA, 5000), (ALPHA, 4000)]
    assert points.problems() == []


def test_periodic_jobs_log_a_failure_and_go_on(
    points: PointsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    import time

    from server.ledger.expiry import DueReport
    from server.ledger.jobs import PeriodicJobs

    calls: list[int] = []

    def job(_db: object) -> DueReport:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")
        return DueReport()

    jobs = PeriodicJobs(points.world.platform.database_url, 0.01, job)
    jobs.start()
    deadline = time.monotonic() + 10
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    jobs.stop()
    assert len(calls) >= 3
    assert "ledger maintenance failed" in caplog.text and "database away" in caplog.text
    stopped_at = len(calls)
    time.sleep(0.05)
    assert len(calls) == stopped_at
