"""``mykey-platform settlement``: a municipality's settlement for a period — one CSV file
(UTF-8 with BOM, for Excel) and PDF statements per shop, per supporter company and a
summary, in Japanese."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections.abc import Sequence
from pathlib import Path

import click
from sqlalchemy.orm import Session

from server.cli.context import CliContext, echo_fields, pass_cli
from server.cli.points import run_ledger
from server.db import utcnow
from server.ledger.settlement import JST, Settlement, compute, mismatches
from server.text import csv_cell

#: a TrueType/OpenType font with Japanese glyphs (a .ttc collection works: face 0 is JP)
FONT_ENV = "MYKEY_PDF_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
RATE_NOTE = "1ポイント＝1円で精算します。"
CSV_HEADER = (
    "区分", "コード", "名称", "ポイント利用", "ポイント券", "返還",
    "精算額(円)", "台帳照合(円)", "支払",
)  # fmt: skip


def font_path() -> Path:
    """The Japanese font for the PDF statements (``$MYKEY_PDF_FONT`` first)."""
    chosen = os.environ.get(FONT_ENV)
    for candidate in ([chosen] if chosen else []) + list(FONT_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    raise click.ClickException(
        f"no Japanese font for the PDF statements: install fonts-noto-cjk or set {FONT_ENV}"
    )


def _yen(amount: int) -> str:
    return f"{amount:,}"


def _period(s: Settlement) -> str:
    return f"{s.first:%Y年%m月%d日}〜{s.last:%Y年%m月%d日}（日本時間）"


def csv_rows(s: Settlement) -> list[tuple[object, ...]]:
    """The CSV's lines: one per shop and supporter, and their totals."""
    pays_shop = f"{s.municipality_name}→店舗"
    pays_city = f"企業→{s.municipality_name}"
    rows: list[tuple[object, ...]] = [
        ("店舗", x.code, x.name, x.payments, x.vouchers, x.refunds, x.amount, x.ledger, pays_shop)
        for x in s.shops
    ]
    rows.append((
        "店舗合計", "", "", sum(x.payments for x in s.shops), sum(x.vouchers for x in s.shops),
        sum(x.refunds for x in s.shops), s.shops_total, s.shops_ledger_total, pays_shop,
    ))  # fmt: skip
    rows += [
        ("応援企業", x.code, x.name, x.assigned, "", "", x.amount, x.ledger, pays_city)
        for x in s.supporters
    ]
    rows.append((
        "応援企業合計", "", "", s.supporters_total, "", "", s.supporters_total,
        s.supporters_ledger_total, pays_city,
    ))  # fmt: skip
    return rows


def write_csv(s: Settlement, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        writer.writerows([csv_cell(cell) for cell in row] for row in csv_rows(s))


def _safe(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", code)


def _pdf(
    font: Path, title: str, s: Settlement, lines: Sequence[tuple[str, str]], path: Path
) -> None:
    """One A4 statement: title, municipality, period, label/amount lines, the rate note."""
    from fpdf import FPDF  # only this command needs it

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.add_font("jp", fname=str(font), collection_font_number=0)
    pdf.add_page()
    pdf.set_font("jp", size=18)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("jp", size=11)
    pdf.cell(
        0,
        8,
        f"自治体: {s.municipality_name}（{s.municipality_code}）",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 8, f"対象期間: {_period(s)}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in lines:
        pdf.cell(120, 8, label, border="B")
        pdf.cell(0, 8, value, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.cell(0, 8, RATE_NOTE, new_x="LMARGIN", new_y="NEXT")
    made_on = utcnow().astimezone(JST).date()
    pdf.cell(0, 8, f"作成日: {made_on:%Y年%m月%d日}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_pdfs(s: Settlement, directory: Path, font: Path) -> list[Path]:
    """A statement per shop and per supporter company, and the summary."""
    written = []
    for shop in s.shops:
        path = directory / f"{s.name}-shop-{_safe(shop.code)}.pdf"
        _pdf(font, "ポイント精算書（店舗）", s, [
            ("支払先", f"{shop.name}（{shop.code}）"),
            ("支払元", s.municipality_name),
            ("ポイント利用", f"{_yen(shop.payments)} pt"),
            ("ポイント券", f"{_yen(shop.vouchers)} pt"),
            ("返還", f"-{_yen(shop.refunds)} pt"),
            ("精算額", f"{_yen(shop.amount)} 円"),
        ], path)  # fmt: skip
        written.append(path)
    for supporter in s.supporters:
        path = directory / f"{s.name}-supporter-{_safe(supporter.code)}.pdf"
        _pdf(font, "ポイント精算書（応援企業）", s, [
            ("支払元", f"{supporter.name}（{supporter.code}）"),
            ("支払先", s.municipality_name),
            ("自治体に割り当てられた応援ポイント", f"{_yen(supporter.assigned)} pt"),
            ("精算額", f"{_yen(supporter.amount)} 円"),
        ], path)  # fmt: skip
        written.append(path)
    summary = directory / f"{s.name}-summary.pdf"
    _pdf(font, "ポイント精算 集計表", s, [
        *((f"店舗 {x.name}（{x.code}）", f"{_yen(x.amount)} 円") for x in s.shops),
        ("店舗への支払 合計", f"{_yen(s.shops_total)} 円"),
        ("台帳照合（店舗口座の増減）", f"{_yen(s.shops_ledger_total)} 円"),
        *((f"応援企業 {x.name}（{x.code}）", f"{_yen(x.amount)} 円") for x in s.supporters),
        ("応援企業からの受取 合計", f"{_yen(s.supporters_total)} 円"),
        ("台帳照合（清算口座の受入）", f"{_yen(s.supporters_ledger_total)} 円"),
    ], summary)  # fmt: skip
    written.append(summary)
    return written


_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command("settlement")
@click.option("--municipality", "code", required=True)
@click.option("--from", "first", required=True, type=_DATE, help="first day (Japan time)")
@click.option("--to", "last", required=True, type=_DATE, help="last day, included")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="directory"
)
@pass_cli
def settlement(
    cli: CliContext, code: str, first: dt.datetime, last: dt.datetime, out: Path
) -> None:
    """Settle a municipality's points for the days FROM … TO: what it pays each shop and
    what each supporter company pays it (1 point = 1 yen).

    Refuses (exit status 1, no files) when a figure disagrees with the ledger.
    """

    def work(session: Session) -> Settlement:
        return compute(session, code, first.date(), last.date())

    result = run_ledger(cli, work)
    wrong = mismatches(result)
    if wrong:
        raise click.ClickException(
            "the settlement does not reconcile with the ledger; no files were written:\n  "
            + "\n  ".join(wrong)
        )
    font = font_path()
    out.mkdir(parents=True, exist_ok=True)
    table = out / f"{result.name}.csv"
    write_csv(result, table)
    pdfs = write_pdfs(result, out, font)
    echo_fields(
        municipality=f"{result.municipality_code} {result.municipality_name}",
        period=f"{result.first} – {result.last} (Japan time)",
        to_shops=f"{result.shops_total} yen ({len(result.shops)} shops; "
        f"ledger {result.shops_ledger_total})",
        from_supporters=f"{result.supporters_total} yen ({len(result.supporters)} companies; "
        f"ledger {result.supporters_ledger_total})",
        csv=table,
        pdf=f"{len(pdfs)} files in {out}",
    )


COMMANDS = [settlement]
