"""Demo data of the points ledger (MISSION.md): α市 14130 and β市 13116 with their rules,
a shop that takes α市 points, and 4,000 α / 5,000 β points for the first demo holder.

Idempotent: every record is looked up first, and each grant has a transfer id derived
from the MyKey ID and municipality, so running it again grants nothing twice.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.identity.mykey import find_mykey
from server.ledger.grants import Actor, grant_points
from server.ledger.models import Shop, UsageRule
from server.ledger.municipalities import ensure_municipality
from server.ledger.transfers import replayed, request_digest
from server.staff.models import StaffAccount
from server.staff.service import add_staff

#: (code, name, points valid days, grants above this need approval)
MUNICIPALITIES = (("14130", "α市", 365, 10_000), ("13116", "β市", 180, 10_000))
POINTS_SHOP = ("alpha-midori", "α商店街 みどり書店", "retail")
GRANTS = {"14130": 4_000, "13116": 5_000}
#: α市's demo staff accounts (login, name, PIN): one grants, the other approves elsewhere
DEMO_STAFF = (
    ("demo-yamada", "山田 花子（デモ）", "246810"),
    ("demo-suzuki", "鈴木 一郎（デモ）", "135790"),
)
NAMESPACE = uuid.UUID("0c1f7a0e-5d7b-5b1e-9a43-61a0c7f5e2d4")


def seed_points(session: Session, mykey_id: str | None, made: list[str]) -> None:
    """Record the demo ledger; ``mykey_id`` (the demo holder) gets the grants."""
    municipalities = {}
    for code, name, valid_days, approval_over in MUNICIPALITIES:
        municipality, created = ensure_municipality(session, code, name)
        if created:
            municipality.points_valid_days = valid_days
            municipality.grant_approval_over = approval_over
            made.append(f"municipality {code} {name}")
        municipalities[code] = municipality
    code, name, category = POINTS_SHOP
    if session.scalar(select(Shop).where(Shop.code == code)) is None:
        session.add(Shop(code=code, name=name, category=category))
        made.append(f"shop {code} {name}")
    alpha = municipalities["14130"]
    for login, staff_name, pin in DEMO_STAFF:
        if session.scalar(select(StaffAccount.id).where(StaffAccount.login == login)) is None:
            add_staff(session, login, staff_name, alpha.code, pin=pin)
            made.append(f"staff account {login} (PIN {pin}) at {alpha.name}")
    rule = select(UsageRule).where(
        UsageRule.municipality_pk == alpha.id, UsageRule.category == category
    )
    if session.scalar(rule) is None:
        session.add(UsageRule(municipality_pk=alpha.id, category=category))
        made.append(f"{alpha.name} points usable at {category} shops")
    session.flush()
    mykey = find_mykey(session, mykey_id) if mykey_id else None
    if mykey is None:
        return
    for municipality_code, points in GRANTS.items():
        transfer_id = uuid.uuid5(NAMESPACE, f"{mykey.mykey_id}:{municipality_code}")
        digest = request_digest("demo-grant", id=transfer_id, points=points)
        if replayed(session, transfer_id, digest) is not None:
            continue
        grant_points(
            session,
            transfer_id=transfer_id,
            digest=digest,
            mykey_pk=mykey.id,
            municipality=municipalities[municipality_code],
            points=points,
            reason="community",
            by=Actor.operator("demo-data"),
            event=None,
            now=utcnow(),
        )
        made.append(f"{points} points of {municipality_code} for {mykey.mykey_id}")
