"""``settlement``: what a municipality pays its shops and receives from supporter
companies for a period — figures, reconciliation, the period's bounds, CSV and PDFs."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from server.db import utcnow
from server.identity.mykey import get_mykey
from server.ledger import admin
from server.ledger.accounts import (
    holder_account,
    municipality_account,
    reserved_account,
    shop_account,
)
from server.ledger.conversions import add_supporter
from server.ledger.grants import Actor, grant_points
from server.ledger.models import AccountKind
from server.ledger.rules import supporter_by_code
from server.ledger.settlement import JST
from server.ledger.transfers import TransferSpec, create, request_digest, resolve
from tests.unit.server.points_world import ALPHA, BETA, SHOP, PointsWorld, pay_op, voucher_op
from tests.unit.server.test_ledger_cli import Cli


@pytest.fixture
def cli(points: PointsWorld) -> Cli:
    return Cli(points.world.platform.database_url)


def _pay(points: PointsWorld, session_id: str, amount: int, *, post: bool = True) -> str:
    held = points.shop.post(
        "/v1/payments",
        {"id": str(uuid.uuid4()), "session_id": session_id, "municipality_code": ALPHA,
         "amount": amount},
    )  # fmt: skip
    assert held.status_code == 200, held.text
    payment_id = str(held.json()["id"])
    if post:
        posted = points.shop.post(f"/v1/payments/{payment_id}/post", {"id": str(uuid.uuid4())})
        assert posted.json()["status"] == "posted", posted.text
    return payment_id


def _convert(points: PointsWorld, key: str, mykey_id: str, amount: int) -> None:
    response = points.world.client.post(
        "/v1/conversions",
        json={"id": str(uuid.uuid4()), "mykey_id": mykey_id, "points": amount, "reference": "r"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text


def _rows(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _text(pdf: Path) -> str:
    return subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(pdf), "-"],  # noqa: S607
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def _period() -> tuple[str, str]:
    today = utcnow().astimezone(JST).date()
    return f"{today - dt.timedelta(days=1)}", f"{today + dt.timedelta(days=1)}"


def _world(points: PointsWorld, cli: Cli) -> str:
    """Payments, a refund, a voucher and assignments from two supporters; the holder."""
    holder, mykey_id = points.holder(1)
    points.grant(mykey_id, 4000, ALPHA)
    def tap(amount: int) -> str:
        return points.session_id(points.shop, holder, pay_op(amount))

    _pay(points, tap(1500), 1500)
    refunded = _pay(points, tap(600), 600)
    refund = points.shop.post(
        f"/v1/payments/{refunded}/refunds", {"id": str(uuid.uuid4()), "amount": 200}
    )
    assert refund.status_code == 200, refund.text
    voided = _pay(points, tap(100), 100, post=False)
    points.shop.post(f"/v1/payments/{voided}/void", {"id": str(uuid.uuid4())})
    _pay(points, tap(50), 50, post=False)  # still held: not settled
    code = "v" * 30
    desk_session = points.session_id(points.voucher_desk, holder, voucher_op(300))
    issued = points.voucher_desk.post(
        "/v1/vouchers",
        {"id": str(uuid.uuid4()), "session_id": desk_session, "points": 300, "code": code},
    )
    assert issued.status_code == 200, issued.text
    redeemed = points.shop.post("/v1/vouchers/redeem", {"id": str(uuid.uuid4()), "code": code})
    assert redeemed.status_code == 200, redeemed.text
    air_key = points.db.transaction(lambda s: add_supporter(s, "air-co", "そらエアライン"))
    _convert(points, points.supporter_key, mykey_id, 1000)
    _convert(points, air_key, mykey_id, 500)
    cli("points", "assign", mykey_id, "--municipality", ALPHA, "--points", "700")
    cli("points", "assign", mykey_id, "--municipality", ALPHA, "--points", "600")
    cli("points", "assign", mykey_id, "--municipality", BETA, "--points", "100")
    return mykey_id


def test_settlement_figures_reconcile_and_files_are_written(
    cli: Cli, points: PointsWorld, tmp_path: Path
) -> None:
    _world(points, cli)
    first, last = _period()
    out = cli("settlement", "--municipality", ALPHA, "--from", first, "--to", last,
              "--out", str(tmp_path / "out"))  # fmt: skip
    assert "to shops:" in out and "2200 yen (1 shops; ledger 2200)" in out
    assert "1300 yen (2 companies; ledger 1300)" in out
    stem = f"settlement-{ALPHA}-{first.replace('-', '')}-{last.replace('-', '')}"
    rows = _rows(tmp_path / "out" / f"{stem}.csv")
    figures = [
        (r["区分"], r["コード"], r["名称"], r["ポイント利用"], r["ポイント券"], r["返還"],
         r["精算額(円)"], r["台帳照合(円)"])
        for r in rows
    ]  # fmt: skip
    assert figures == [
        ("店舗", SHOP, "α商店街 みどり書店", "2100", "300", "200", "2200", "2200"),
        ("店舗合計", "", "", "2100", "300", "200", "2200", "2200"),
        ("応援企業", "air-co", "そらエアライン", "300", "", "", "300", "300"),
        ("応援企業", "card-co", "みらいカード", "1000", "", "", "1000", "1000"),
        ("応援企業合計", "", "", "1300", "", "", "1300", "1300"),
    ]
    assert rows[0]["支払"] == "α市→店舗" and rows[2]["支払"] == "企業→α市"
    pdfs = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert pdfs == sorted(
        [f"{stem}-shop-{SHOP}.pdf", f"{stem}-supporter-air-co.pdf",
         f"{stem}-supporter-card-co.pdf", f"{stem}-summary.pdf"]
    )  # fmt: skip
    shop = _text(tmp_path / "out" / f"{stem}-shop-{SHOP}.pdf")
    assert "α商店街 みどり書店" in shop and "2,200 円" in shop and "1ポイント＝1円" in shop
    assert "ポイント精算書" in shop and "α市" in shop
    company = _text(tmp_path / "out" / f"{stem}-supporter-card-co.pdf")
    assert "みらいカード" in company and "1,000 円" in company
    summary = _text(tmp_path / "out" / f"{stem}-summary.pdf")
    for expected in ("α商店街 みどり書店", "そらエアライン", "2,200 円", "1,300 円", "台帳照合"):
        assert expected in summary
    beta = cli("settlement", "--municipality", BETA, "--from", first, "--to", last,
               "--out", str(tmp_path / "beta"))  # fmt: skip
    assert "100 yen (1 companies; ledger 100)" in beta and "0 yen (0 shops" in beta


def _at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=JST).astimezone(dt.UTC)


def test_the_period_is_whole_days_in_japan_time(
    cli: Cli, points: PointsWorld, tmp_path: Path
) -> None:
    _, mykey_id = points.holder(1)

    def work(session: Session) -> None:
        alpha = admin.municipality(session, ALPHA)
        holder_pk = get_mykey(session, mykey_id).id
        grant_id = uuid.uuid4()
        grant_points(
            session, transfer_id=grant_id, digest=request_digest("g", id=grant_id),
            mykey_pk=holder_pk, municipality=alpha, points=10_000, reason="health",
            by=Actor.operator(), event=None, now=_at(2030, 3, 1, 12, 0),
        )  # fmt: skip
        shop = shop_account(session, admin.shop(session, SHOP), alpha)
        holder = holder_account(session, holder_pk, alpha)
        for amount, held_at, posted_at in (
            (1, _at(2030, 3, 31, 23, 59), _at(2030, 3, 31, 23, 59, 59)),  # the day before
            (10, _at(2030, 3, 31, 23, 59), _at(2030, 4, 1, 0, 0)),  # held before, posted in
            (100, _at(2030, 4, 30, 23, 58), _at(2030, 4, 30, 23, 59)),  # the last minute
            (1000, _at(2030, 4, 30, 23, 59), _at(2030, 5, 1, 0, 0)),  # the next day
        ):
            pending = create(session, TransferSpec(
                id=uuid.uuid4(), debit=holder, credit=shop, amount=amount, code="payment",
                digest="x", pending_timeout=dt.timedelta(minutes=5),
            ), held_at)  # fmt: skip
            resolve(session, pending, post=True, transfer_id=uuid.uuid4(), digest="y",
                    now=posted_at)  # fmt: skip

    points.db.transaction(work)
    out = cli("settlement", "--municipality", ALPHA, "--from", "2030-04-01", "--to", "2030-04-30",
              "--out", str(tmp_path))  # fmt: skip
    assert "110 yen (1 shops; ledger 110)" in out
    rows = _rows(tmp_path / f"settlement-{ALPHA}-20300401-20300430.csv")
    assert rows[0]["ポイント利用"] == "110"
    may = cli("settlement", "--municipality", ALPHA, "--from", "2030-05-01", "--to", "2030-05-01",
              "--out", str(tmp_path))  # fmt: skip
    assert "1000 yen" in may


def test_a_shop_figure_that_does_not_reconcile_is_refused_without_files(
    cli: Cli, points: PointsWorld, tmp_path: Path
) -> None:
    def work(session: Session) -> None:
        alpha = admin.municipality(session, ALPHA)
        create(session, TransferSpec(
            id=uuid.uuid4(), debit=municipality_account(session, alpha, AccountKind.ISSUANCE),
            credit=shop_account(session, admin.shop(session, SHOP), alpha), amount=77,
            code="adjustment", digest="x",
        ), utcnow())  # fmt: skip

    points.db.transaction(work)
    first, last = _period()
    out = cli.fails("settlement", "--municipality", ALPHA, "--from", first, "--to", last,
                    "--out", str(tmp_path / "out"))  # fmt: skip
    assert "does not reconcile" in out and f"shop {SHOP}: 0 by payments" in out
    assert "changed by 77" in out
    assert not (tmp_path / "out").exists()


def test_a_supporter_figure_that_does_not_reconcile_is_refused(
    cli: Cli, points: PointsWorld, tmp_path: Path
) -> None:
    _, mykey_id = points.holder(1)
    _convert(points, points.supporter_key, mykey_id, 100)

    def work(session: Session) -> None:
        alpha = admin.municipality(session, ALPHA)
        reserved = reserved_account(
            session, get_mykey(session, mykey_id).id, supporter_by_code(session, "card-co")
        )
        create(session, TransferSpec(
            id=uuid.uuid4(), debit=reserved,
            credit=municipality_account(session, alpha, AccountKind.CLEARING), amount=40,
            code="assignment", digest="x", reference="someone-else",
        ), utcnow())  # fmt: skip

    points.db.transaction(work)
    first, last = _period()
    out = cli.fails("settlement", "--municipality", ALPHA, "--from", first, "--to", last,
                    "--out", str(tmp_path / "out"))  # fmt: skip
    assert "supporter card-co: 40 assigned" in out and "received 0 naming it" in out
    assert "supporter someone-else: 0 assigned" in out
    assert not (tmp_path / "out").exists()


def test_settlement_refusals(cli: Cli, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert "no municipality 99999" in cli.fails(
        "settlement", "--municipality", "99999", "--from", "2030-01-01", "--to", "2030-01-31",
        "--out", out,
    )  # fmt: skip
    assert "ends (2030-01-01) before it starts (2030-01-31)" in cli.fails(
        "settlement", "--municipality", ALPHA, "--from", "2030-01-31", "--to", "2030-01-01",
        "--out", out,
    )  # fmt: skip
    assert "does not match the format" in cli.fails(
        "settlement", "--municipality", ALPHA, "--from", "2030/01/01", "--to", "2030-01-31",
        "--out", out,
    )  # fmt: skip
    assert not (tmp_path / "out").exists()
