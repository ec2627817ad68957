"""Invariants of the ledger, checked from the transfers themselves.

- every ledger sums to zero (posted and pending): each transfer debits and credits
  the same amount on one ledger;
- each account's four running sums equal what its transfers say;
- no holder account has more debits than posted credits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.ledger.models import Account, OpenPending, Transfer

Sums = dict[str, int]


def recomputed_sums(session: Session) -> dict[uuid.UUID, Sums]:
    """Every account's four sums, from the transfers alone."""
    sums: dict[uuid.UUID, Sums] = defaultdict(
        lambda: {"debits_posted": 0, "credits_posted": 0, "debits_pending": 0, "credits_pending": 0}
    )
    open_ids = set(session.scalars(select(OpenPending.transfer_id)))
    for transfer in session.scalars(select(Transfer)):
        if transfer.void_pending:
            continue
        if transfer.pending:
            if transfer.id not in open_ids:
                continue
            sums[transfer.debit_account_pk]["debits_pending"] += transfer.amount
            sums[transfer.credit_account_pk]["credits_pending"] += transfer.amount
            continue
        sums[transfer.debit_account_pk]["debits_posted"] += transfer.amount
        sums[transfer.credit_account_pk]["credits_posted"] += transfer.amount
    return sums


def problems(session: Session) -> list[str]:
    """Every broken invariant, in words (empty when the ledger is sound)."""
    found: list[str] = []
    recomputed = recomputed_sums(session)
    per_ledger: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for account in session.scalars(select(Account).order_by(Account.key)):
        expected = recomputed.get(account.id, {})
        for column in ("debits_posted", "credits_posted", "debits_pending", "credits_pending"):
            if getattr(account, column) != expected.get(column, 0):
                found.append(
                    f"{account.key}: {column} is {getattr(account, column)}, "
                    f"transfers say {expected.get(column, 0)}"
                )
        if account.no_overdraft and account.available < 0:
            found.append(f"{account.key}: overdrawn ({account.available})")
        per_ledger[account.ledger][0] += account.credits_posted - account.debits_posted
        per_ledger[account.ledger][1] += account.credits_pending - account.debits_pending
    for ledger, (posted, pending) in sorted(per_ledger.items()):
        if posted or pending:
            found.append(
                f"ledger {ledger} does not sum to zero: posted {posted}, pending {pending}"
            )
    return found
