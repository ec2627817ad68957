"""``mykey-platform staff …``: accounts with their own credential, their exit statuses (and
the table of them in docs/operations.md), and the daily caps set with ``municipality rules``."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest

from server.cli.staff import (
    EXIT_STAFF_BAD_PIN,
    EXIT_STAFF_EXISTS,
    EXIT_STAFF_REFUSED,
    EXIT_STAFF_UNKNOWN,
    EXIT_STATUSES,
)
from server.staff.service import by_login
from tests.unit.server.points_world import ALPHA, PointsWorld
from tests.unit.server.test_ledger_cli import Cli

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


@pytest.fixture
def cli(points: PointsWorld) -> Cli:
    return Cli(points.world.platform.database_url)


def test_add_list_disable_reset(cli: Cli, points: PointsWorld) -> None:
    added = cli("staff", "add", "yamada", "--name", "山田 花子", "--municipality", ALPHA, "--pin",
                input="246810\n")  # fmt: skip
    assert "yamada (pin) added" in added and "246810" not in added
    listed = cli("staff", "list")
    assert "yamada" in listed and "山田 花子" in listed and "active" in listed
    stored = points.db.transaction(lambda s: by_login(s, "yamada").pin_hash)
    assert stored is not None and stored.startswith("$argon2id$") and "246810" not in stored
    again = cli.invoke("staff", "add", "yamada", "--name", "x", "--municipality", ALPHA, "--pin",
                       input="246810\n")  # fmt: skip
    assert again.exit_code == EXIT_STAFF_EXISTS
    weak = cli.invoke("staff", "add", "sato", "--name", "佐藤", "--municipality", ALPHA, "--pin",
                      input="111111\n")  # fmt: skip
    assert weak.exit_code == EXIT_STAFF_BAD_PIN
    assert cli.invoke("staff", "disable", "nobody").exit_code == EXIT_STAFF_UNKNOWN
    assert "disabled" in cli("staff", "disable", "yamada")
    assert "disabled" in cli("staff", "list", "--municipality", ALPHA)
    totp = cli("staff", "reset-credential", "yamada", "--totp")
    uri = next(line for line in totp.splitlines() if line.startswith("otpauth://totp/"))
    secret = pyotp.parse_uri(uri).secret
    assert points.db.transaction(lambda s: by_login(s, "yamada").totp_secret) == secret
    assert cli.invoke("staff", "add", "x1", "--name", "x", "--municipality", ALPHA).exit_code == 2


def test_a_disabled_account_grants_nothing_at_the_console(cli: Cli, points: PointsWorld) -> None:
    _, mykey_id = points.holder(1)
    cli("staff", "add", "yamada", "--name", "山田", "--municipality", ALPHA, "--pin",
        input="246810\n")  # fmt: skip
    cli("staff", "disable", "yamada")
    refused = cli.invoke("grant", "give", mykey_id, "--municipality", ALPHA, "--points", "5",
                         "--reason", "health", "--staff", "yamada", input="246810\n")  # fmt: skip
    assert refused.exit_code == EXIT_STAFF_REFUSED and "not right" in refused.output


def test_daily_caps_are_rules(cli: Cli) -> None:
    out = cli("municipality", "rules", ALPHA, "--grant-cap-holder-day", "3000",
              "--grant-cap-terminal-day", "50000")  # fmt: skip
    assert re.search(r"grant cap holder day:\s+3000", out), out
    assert re.search(r"grant cap terminal day:\s+50000", out), out
    out = cli("municipality", "rules", ALPHA, "--grant-cap-holder-day", "0")
    assert re.search(r"grant cap holder day:\s+-", out), out


def test_every_staff_exit_status_is_documented_once() -> None:
    text = OPERATIONS.read_text(encoding="utf-8").split("`mykey-platform staff` exit statuses:", 1)
    table = text[1].split("\n\n", 2)[1]
    documented = [int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.M)]
    assert sorted(documented) == sorted(set(documented)), "a status is listed twice"
    assert set(documented) == {0, 1, 2, *EXIT_STATUSES}
    assert len(set(EXIT_STATUSES)) == len(EXIT_STATUSES)
    assert not {3, 4, 5} & set(EXIT_STATUSES)  # the other operator commands' statuses
