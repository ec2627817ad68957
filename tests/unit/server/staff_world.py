"""Staff accounts for grant tests: a PIN holder and a TOTP holder at α市, one at β市,
and a second grant terminal (kiosk) at α市."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
from sqlalchemy.orm import Session

from server.api.schemas import TerminalMode
from server.ledger import admin
from tests.unit.server.points_world import ALPHA, BETA, PointsWorld
from tests.unit.server.signing import SignedClient

PIN_YAMADA, PIN_SUZUKI, PIN_KATO = "246810", "13572468", "900111"
LIBRARY = "library"  # the service the points world enrolls its terminals for


@dataclass
class StaffWorld:
    points: PointsWorld
    second: SignedClient  # another grant terminal of α市
    sato_totp: pyotp.TOTP

    def code(self, login: str) -> str:
        """The current code of ``login``'s credential."""
        return {
            "yamada": PIN_YAMADA,
            "suzuki": PIN_SUZUKI,
            "kato": PIN_KATO,
        }.get(login) or self.sato_totp.now()

    def grant(
        self,
        terminal: SignedClient,
        holder: Any,
        amount: int,
        login: str = "yamada",
        code: str | None = None,
    ) -> httpx.Response:
        from tests.unit.server.points_world import grant_op

        session_id = self.points.session_id(terminal, holder, grant_op(amount))
        return terminal.post(
            "/v1/grants",
            {
                "id": str(uuid.uuid4()),
                "session_id": session_id,
                "points": amount,
                "reason": "volunteering",
                "staff_login": login,
                "staff_code": code if code is not None else self.code(login),
            },
        )

    def decide(
        self,
        terminal: SignedClient,
        grant_id: str,
        login: str,
        code: str | None = None,
        approve: bool = True,
    ) -> httpx.Response:
        return terminal.post(
            f"/v1/grants/{grant_id}/decision",
            {
                "id": str(uuid.uuid4()),
                "staff_login": login,
                "staff_code": code if code is not None else self.code(login),
                "approve": approve,
            },
        )


def make_staff_world(points: PointsWorld) -> StaffWorld:
    from server.staff import service as staff

    second = points.world.enroll(LIBRARY, "office 2")

    def setup(session: Session) -> str:
        admin.allow_terminal(
            session, second.terminal_id, TerminalMode.GRANT, municipality_code=ALPHA
        )
        staff.add_staff(session, "yamada", "山田", ALPHA, pin=PIN_YAMADA)
        staff.add_staff(session, "suzuki", "鈴木", ALPHA, pin=PIN_SUZUKI)
        staff.add_staff(session, "kato", "加藤", BETA, pin=PIN_KATO)
        return staff.add_staff(session, "sato", "佐藤", ALPHA, totp=True).totp_secret or ""

    secret = points.db.transaction(setup)
    return StaffWorld(points, second, pyotp.TOTP(secret))
