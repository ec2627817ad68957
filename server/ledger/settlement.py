"""Settlement (精算) of one municipality for a period of days in Japan time.

- **Shops**: the municipality pays each shop for the points used there (1 point = 1 yen):
  payments posted (``payment`` posts crediting the shop's account, at the post's time),
  plus vouchers redeemed (``voucher_redeem``), minus refunds (``refund``).
- **Supporter companies**: each company pays the municipality for its support points
  assigned there (``assignment`` / ``auto_assignment`` from that company's reserved
  accounts to the municipality's clearing account, support ledger).

Each figure is reconciled with one computed another way: the net change of each shop
account over the period (every posted credit minus every posted debit, whatever its
code), and the clearing account's credits grouped by the supporter named in the
transfer's reference.  :func:`mismatches` lists the differences; a settlement with any
must not be paid.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from server.clock import JST as JST  # Japan time: days are counted in it
from server.errors import OperatorError
from server.ledger import admin
from server.ledger.models import (
    SUPPORT_LEDGER,
    Account,
    AccountKind,
    Shop,
    Supporter,
    Transfer,
    TransferCode,
)


def window(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants [start, end) of the days ``first`` … ``last`` in Japan time."""
    start = dt.datetime.combine(first, dt.time(), JST)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), JST)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


@dataclass
class ShopLine:
    """What the municipality pays one shop."""

    code: str
    name: str
    payments: int = 0
    vouchers: int = 0
    refunds: int = 0
    #: the net change of the shop's account over the period (reconciliation)
    ledger: int = 0

    @property
    def amount(self) -> int:
        return self.payments + self.vouchers - self.refunds


@dataclass
class SupporterLine:
    """What one supporter company pays the municipality."""

    code: str
    name: str
    assigned: int = 0
    #: the clearing account's credits naming this company (reconciliation)
    ledger: int = 0

    @property
    def amount(self) -> int:
        return self.assigned


@dataclass
class Settlement:
    municipality_code: str
    municipality_name: str
    first: dt.date
    last: dt.date
    shops: list[ShopLine] = field(default_factory=list)
    supporters: list[SupporterLine] = field(default_factory=list)

    @property
    def shops_total(self) -> int:
        return sum(s.amount for s in self.shops)

    @property
    def shops_ledger_total(self) -> int:
        return sum(s.ledger for s in self.shops)

    @property
    def supporters_total(self) -> int:
        return sum(s.amount for s in self.supporters)

    @property
    def supporters_ledger_total(self) -> int:
        return sum(s.ledger for s in self.supporters)

    @property
    def name(self) -> str:
        """``settlement-CODE-FROM-TO``: the stem of every file written."""
        return f"settlement-{self.municipality_code}-{self.first:%Y%m%d}-{self.last:%Y%m%d}"


def mismatches(settlement: Settlement) -> list[str]:
    """Every line whose figure differs from the ledger's (empty when all agree)."""
    found = [
        f"shop {s.code}: {s.amount} by payments, vouchers and refunds, "
        f"but its account changed by {s.ledger}"
        for s in settlement.shops
        if s.amount != s.ledger
    ]
    found += [
        f"supporter {s.code}: {s.amount} assigned from its reserved accounts, "
        f"but the clearing account received {s.ledger} naming it"
        for s in settlement.supporters
        if s.amount != s.ledger
    ]
    return found


def _posted_in(start: dt.datetime, end: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Transfer.pending.is_(False),
        Transfer.void_pending.is_(False),
        Transfer.created_at >= start,
        Transfer.created_at < end,
    )


def _shop_lines(
    session: Session, ledger: str, start: dt.datetime, end: dt.datetime
) -> list[ShopLine]:
    shop_accounts = {
        a.id: a
        for a in session.scalars(
            select(Account).where(Account.ledger == ledger, Account.kind == AccountKind.SHOP.value)
        )
    }
    lines: dict[uuid.UUID, ShopLine] = {}

    def line(account_pk: uuid.UUID) -> ShopLine:
        shop_pk = shop_accounts[account_pk].shop_pk
        assert shop_pk is not None
        if shop_pk not in lines:
            shop = session.get_one(Shop, shop_pk)
            lines[shop_pk] = ShopLine(shop.code, shop.name)
        return lines[shop_pk]

    ids = list(shop_accounts)
    debit = aliased(Account)
    for transfer, debit_kind in session.execute(
        select(Transfer, debit.kind)
        .join(debit, debit.id == Transfer.debit_account_pk)
        .where(
            Transfer.ledger == ledger, Transfer.credit_account_pk.in_(ids), *_posted_in(start, end)
        )
    ).all():
        shop = line(transfer.credit_account_pk)
        shop.ledger += transfer.amount
        if transfer.code == TransferCode.PAYMENT.value and transfer.post_pending:
            if debit_kind in (AccountKind.HOLDER.value, AccountKind.EVENT.value):
                shop.payments += transfer.amount
        elif transfer.code == TransferCode.VOUCHER_REDEEM.value:
            shop.vouchers += transfer.amount
    for transfer in session.scalars(
        select(Transfer).where(
            Transfer.ledger == ledger, Transfer.debit_account_pk.in_(ids), *_posted_in(start, end)
        )
    ):
        shop = line(transfer.debit_account_pk)
        shop.ledger -= transfer.amount
        if transfer.code == TransferCode.REFUND.value:
            shop.refunds += transfer.amount
    return sorted(lines.values(), key=lambda s: s.code)


def _supporter_lines(
    session: Session, clearing: Account, start: dt.datetime, end: dt.datetime
) -> list[SupporterLine]:
    supporters = {s.id: s for s in session.scalars(select(Supporter))}
    by_code = {s.code: s for s in supporters.values()}
    lines: dict[str, SupporterLine] = {}

    def line(code: str) -> SupporterLine:
        if code not in lines:
            found = by_code.get(code)
            lines[code] = SupporterLine(code, found.name if found else "（不明）")
        return lines[code]

    debit = aliased(Account)
    for transfer, debit_account in session.execute(
        select(Transfer, debit)
        .join(debit, debit.id == Transfer.debit_account_pk)
        .where(
            Transfer.ledger == SUPPORT_LEDGER,
            Transfer.credit_account_pk == clearing.id,
            *_posted_in(start, end),
        )
    ).all():
        line(transfer.reference or "?").ledger += transfer.amount
        if (
            transfer.code in (TransferCode.ASSIGNMENT.value, TransferCode.AUTO_ASSIGNMENT.value)
            and debit_account.kind == AccountKind.RESERVED.value
            and debit_account.supporter_pk in supporters
        ):
            line(supporters[debit_account.supporter_pk].code).assigned += transfer.amount
    return sorted(lines.values(), key=lambda s: s.code)


def compute(session: Session, municipality_code: str, first: dt.date, last: dt.date) -> Settlement:
    """The settlement of the municipality for the days ``first`` … ``last`` (Japan time)."""
    municipality = admin.municipality(session, municipality_code)
    if first > last:
        raise OperatorError(f"the period ends ({last}) before it starts ({first})")
    start, end = window(first, last)
    settlement = Settlement(municipality.code, municipality.name, first, last)
    settlement.shops = _shop_lines(session, municipality.code, start, end)
    clearing = session.scalar(
        select(Account).where(
            Account.kind == AccountKind.CLEARING.value, Account.municipality_pk == municipality.id
        )
    )
    if clearing is not None:
        settlement.supporters = _supporter_lines(session, clearing, start, end)
    return settlement
