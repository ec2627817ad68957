"""``grant import``: bulk grants from a CSV file — validation, dry run, idempotent re-run."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import pytest

from server.ledger.bulk import derived_id, file_digest
from tests.unit.server.points_world import ALPHA, PointsWorld
from tests.unit.server.staff_world import PIN_SUZUKI, PIN_YAMADA, make_staff_world
from tests.unit.server.test_ledger_cli import Cli


@pytest.fixture
def cli(points: PointsWorld) -> Cli:
    return Cli(points.world.platform.database_url)


def _write(path: Path, text: str, bom: bool = True) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_import_grants_each_row_once_and_a_rerun_grants_nothing(
    cli: Cli, points: PointsWorld, tmp_path: Path
) -> None:
    _, first = points.holder(1)
    _, second = points.holder(2)
    cli("municipality", "event", "add", ALPHA, "quake", "震災復興支援")
    own_id = str(uuid.uuid4())
    data = _write(tmp_path / "grants.csv", (
        "mykey_id,points,reason,event,id\r\n"
        f"{first},300,volunteering,,\r\n"
        f"{second},20000,health,,{own_id}\r\n"
        f"{first},50,disaster_support,quake,\r\n"
    ))  # fmt: skip
    make_staff_world(points)
    out = cli("grant", "import", str(data), "--municipality", ALPHA, "--staff", "yamada",
              "--report", str(tmp_path / "report.csv"), input=PIN_YAMADA)  # fmt: skip
    assert "granted points:    350" in out and "awaiting approval: 1 (20000 points)" in out
    rows = _report(tmp_path / "report.csv")
    assert [(r["line"], r["status"]) for r in rows] == [
        ("2", "granted"), ("3", "awaiting_approval"), ("4", "granted"),
    ]  # fmt: skip
    assert rows[1]["message"] == f"grant {own_id} awaits a second approval"
    digest = file_digest(data.read_bytes())
    assert rows[0]["message"] == f"grant {derived_id(digest, 2)}"
    again = cli("grant", "import", str(data), "--municipality", ALPHA, "--operator",
                "--report", str(tmp_path / "again.csv"))  # fmt: skip
    assert "granted points:    0" in again and "already done:      3" in again
    assert [r["status"] for r in _report(tmp_path / "again.csv")] == ["already_done"] * 3
    assert own_id in cli("grant", "pending", "--municipality", ALPHA)
    balance = cli("points", "balance", first)
    assert "300" in balance and "event quake" in balance
    cli("grant", "approve", own_id, "--staff", "suzuki", input=PIN_SUZUKI)
    assert "20000" in cli("points", "balance", second)
    assert points.problems() == []


def test_a_dry_run_validates_and_writes_nothing(
    cli: Cli, points: PointsWorld, tmp_path: Path
) -> None:
    _, holder = points.holder(1)
    data = _write(tmp_path / "g.csv", f"mykey_id,points,reason\n{holder},10,community\n", bom=False)
    out = cli("grant", "import", str(data), "--municipality", ALPHA, "--operator", "--dry-run")
    assert "dry run: nothing was granted" in out and " ok" in out
    assert "grant" not in cli("points", "history", holder)
    assert "granted" in cli("grant", "import", str(data), "--municipality", ALPHA, "--operator")


def test_every_bad_row_is_reported_and_nothing_is_granted(
    cli: Cli, points: PointsWorld, tmp_path: Path
) -> None:
    _, holder = points.holder(1)
    same = str(uuid.uuid4())
    data = _write(tmp_path / "bad.csv", (
        "mykey_id,points,reason,event,id\n"
        f"{holder},100,volunteering,,\n"
        "NOBODY00,100,volunteering,,\n"
        f"{holder},-5,volunteering,,\n"
        f"{holder},1.5,volunteering,,\n"
        f"{holder},10,bribe,,\n"
        f"{holder},10,health,nosuch,\n"
        f"{holder},10,health,,{same}\n"
        f"{holder},10,health,,{same}\n"
        f"{holder},10,health,,not-a-uuid\n"
        f"{holder},10\n"
    ))  # fmt: skip
    result = cli.invoke("grant", "import", str(data), "--municipality", ALPHA, "--operator",
                        "--report", str(tmp_path / "r.csv"))  # fmt: skip
    assert result.exit_code == 1, result.output
    rows = {int(r["line"]): r for r in _report(tmp_path / "r.csv")}
    assert rows[2]["status"] == "ok"
    expected = {
        3: "unknown MyKey ID 'NOBODY00'",
        4: "points must be a positive whole number, not -5",
        5: "points '1.5' is not a whole number",
        6: "unknown reason 'bribe'",
        7: "unknown event 'nosuch' of 14130",
        8: "the same id as line 9",
        9: "the same id as line 8",
        10: "id 'not-a-uuid' is not a UUID",
        11: "2 fields, the header has 5",
    }
    for line, message in expected.items():
        assert rows[line]["status"] == "error" and message in rows[line]["message"], rows[line]
    assert "errors:            9" in result.output
    assert "nothing was granted" in result.output
    assert "grant" not in cli("points", "history", holder)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"mykey_id,amount,reason\nA,1,health\n", "the header must be"),
        (b"mykey_id,points,reason\n", "no rows"),
        ("mykey_id,points,reason\nＡ,1,health\n".encode("shift_jis"), "not UTF-8"),
        (b'mykey_id,points,reason\n"A,1,health\n', "1 fields, the header has 3"),
    ],
)
def test_a_file_that_is_not_such_a_csv_is_refused(
    cli: Cli, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    out = cli.fails("grant", "import", str(path), "--municipality", ALPHA, "--operator")
    assert message in out


def test_unknown_municipality_and_missing_staff(cli: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "g.csv", "mykey_id,points,reason\nAAAAAAAA,1,health\n")
    assert "no municipality 99999" in cli.fails("grant", "import", str(path), "--municipality",
                                                "99999", "--operator")  # fmt: skip
    assert "--staff" in cli.fails("grant", "import", str(path), "--municipality", ALPHA)
    assert "does not exist" in cli.fails("grant", "import", str(tmp_path / "none.csv"),
                                         "--municipality", ALPHA, "--operator")  # fmt: skip


def test_an_id_used_for_another_grant_is_an_error(
    cli: Cli, points: PointsWorld, tmp_path: Path
) -> None:
    _, holder = points.holder(1)
    used = str(uuid.uuid4())
    cli("grant", "give", holder, "--municipality", ALPHA, "--points", "5", "--reason", "health",
        "--operator", "--id", used)  # fmt: skip
    path = _write(tmp_path / "g.csv", f"mykey_id,points,reason,id\n{holder},5,health,{used}\n")
    result = cli.invoke("grant", "import", str(path), "--municipality", ALPHA, "--operator")
    assert result.exit_code == 1 and "already used for another transfer" in result.output
