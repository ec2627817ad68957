"""A points world for ledger tests: α市 and β市, a shop, terminals in each points mode,
and registered holders — set up with the ledger's own service functions."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.orm import Session

from server.api.schemas import TerminalMode
from server.db import utcnow
from server.identity.mykey import get_mykey
from server.ledger import admin
from server.ledger.audit import problems
from server.ledger.conversions import add_supporter
from server.ledger.grants import Actor, grant_points
from server.ledger.transfers import request_digest
from tests.unit.server.certs import Holder, TestCA
from tests.unit.server.signing import SignedClient
from tests.unit.server.world import World, b64

ALPHA, BETA = "14130", "13116"
SHOP = "shop-01"
BALANCE: dict[str, Any] = {"kind": "balance"}


def pay_op(amount: int) -> dict[str, Any]:
    """The operation a payment's tap is for."""
    return {"kind": "payment", "points": amount}


def grant_op(points: int, reason: str = "volunteering", event: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {"kind": "grant", "points": points, "reason": reason}
    if event is not None:
        operation["event_code"] = event
    return operation


def voucher_op(points: int) -> dict[str, Any]:
    return {"kind": "voucher", "points": points}


@dataclass
class PointsWorld:
    world: World
    ca: TestCA
    shop: SignedClient
    granter: SignedClient
    voucher_desk: SignedClient
    supporter_key: str
    holders: dict[str, Holder] = field(default_factory=dict)

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.world.db

    def holder(self, index: int) -> tuple[Holder, str]:
        """A registered holder (card) and its MyKey ID."""
        holder = self.ca.issue(1 + index % 7)  # a new certificate (serial) each time
        mykey_id = self.world.register(holder)
        self.holders[mykey_id] = holder
        return holder, mykey_id

    def mykey_pk(self, mykey_id: str) -> uuid.UUID:
        return self.db.transaction(lambda s: get_mykey(s, mykey_id).id)

    def grant(self, mykey_id: str, points: int, municipality: str = ALPHA) -> None:
        """Grant points directly (as the operator's bulk import does)."""

        def work(session: Session) -> None:
            transfer_id = uuid.uuid4()
            grant_points(
                session,
                transfer_id=transfer_id,
                digest=request_digest("test-grant", id=transfer_id),
                mykey_pk=get_mykey(session, mykey_id).id,
                municipality=admin.municipality(session, municipality),
                points=points,
                reason="volunteering",
                by=Actor.operator("test"),
                event=None,
                now=utcnow(),
            )

        self.db.transaction(work)

    def session(
        self, terminal: SignedClient, holder: Holder, operation: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A card tap for ``operation`` (:func:`pay_op`, :func:`grant_op`,
        :func:`voucher_op`; default: a look at the balances)."""
        asked = terminal.post("/v1/challenges", {"operation": operation or BALANCE})
        if asked.status_code != 200:
            return asked  # the terminal may not do this operation
        challenge_id = asked.json()["challenge_id"]
        value = base64.b64decode(asked.json()["challenge"])
        return terminal.post(
            "/v1/card-sessions",
            {
                "challenge_id": challenge_id,
                "certificate": b64(holder.der),
                "signature": b64(holder.sign(value)),
            },
        )

    def session_id(
        self, terminal: SignedClient, holder: Holder, operation: dict[str, Any] | None = None
    ) -> str:
        response = self.session(terminal, holder, operation)
        assert response.status_code == 200, response.text
        return str(response.json()["session_id"])

    def problems(self) -> list[str]:
        return self.db.transaction(problems)


def make_points_world(world: World, ca: TestCA, service: str) -> PointsWorld:
    def setup(session: Session) -> None:
        admin.add_municipality(session, ALPHA, "α市")
        admin.add_municipality(session, BETA, "β市")
        admin.set_rules(session, ALPHA, grant_approval_over=10_000)
        admin.add_shop(session, SHOP, "α商店街 みどり書店", "retail")
        admin.add_shop(session, "museum-01", "β市立美術館", "museum")
        admin.allow_usage(session, ALPHA, category="retail")
        admin.allow_usage(session, BETA, shop_code="museum-01")

    world.db.transaction(setup)
    shop = world.enroll(service, "shop till")
    granter = world.enroll(service, "office")
    voucher_desk = world.enroll(service, "voucher desk")

    def modes(session: Session) -> str:
        admin.allow_terminal(session, shop.terminal_id, TerminalMode.SHOP, shop_code=SHOP)
        admin.allow_terminal(
            session, granter.terminal_id, TerminalMode.GRANT, municipality_code=ALPHA
        )
        admin.allow_terminal(
            session, voucher_desk.terminal_id, TerminalMode.VOUCHER, municipality_code=ALPHA
        )
        return add_supporter(session, "card-co", "みらいカード")

    key = world.db.transaction(modes)
    return PointsWorld(world, ca, shop, granter, voucher_desk, key)
