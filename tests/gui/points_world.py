"""A points world for the kiosk's points modes, every part real but the window's screen.

The platform runs in this process (``create_app`` behind a ``TestClient``) and is set up
with its operator CLI (``mykey-platform``: municipality, shop, terminal modes, grants),
run in process too (click's runner: a subprocess costs a second of imports per command);
each counter is a real kiosk (offscreen) with a real ``PlatformClient`` (RFC 9421) and a
real card proof through pcscd and the virtual card. Receipts go to a recording printer.
:class:`CutTransport` cuts the network for chosen requests: refused before the platform
sees them, or reset after it applied them (the answer is lost).

The helpers live here; the fixtures that build them (``points_platform``,
``make_points_counter``) are defined in ``tests/gui/conftest.py``.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.client import PlatformClient
from app.points.flows import Step
from app.points.mode import Mode
from app.points.outbox import Outbox, OutboxRecord
from app.points.services import PointsServices
from app.recording import RecordingPrinter
from app.ui.kiosk import Kiosk
from app.ui.points.controller import PointsController
from app.ui.points.modes import PointsModes
from app.ui.points.renderer import PointsScreens
from drivers.vcard.holder import Holder, make_holder
from server.ledger.models import Transfer
from tests.fixtures.pcscd import InsertCard
from tests.fixtures.platform import CliError

if TYPE_CHECKING:
    from server.db import Database
    from server.ledger.holders import AccountBalance
    from tests.gui.conftest import FakeMonitor

ALPHA = "14130"
ALPHA_NAME = "α市"
SHOP = "shop-01"
SERVICE = "demo-shop"
PIN = "1234"
#: grants above this many points at α市 wait for a second staff member
APPROVAL_OVER = 1000
#: α市's staff accounts (login, PIN): one grants, the other approves on another kiosk
STAFF = ("yamada", "246810")
APPROVER = ("suzuki", "13572468")
WAIT_MS = 20_000


class CutTransport(httpx.BaseTransport):
    """The in-process platform's transport, with network cuts on request.

    ``plan`` holds, per request to ``path`` (in order): ``"refuse"`` (never reaches the
    platform) or ``"reset"`` (applied by the platform, its answer lost).
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.path: str | None = None
        self.plan: deque[str] = deque()
        self.down = False
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def cut(self, path: str, *plan: str) -> None:
        with self._lock:
            self.path, self.plan = path, deque(plan)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            action = None
            if self.down:
                action = "refuse"
            elif self.path is not None and request.url.path == self.path and self.plan:
                action = self.plan.popleft()
            self.seen.append(f"{request.method} {request.url.path} {action or 'ok'}")
        if action == "refuse":
            raise httpx.ConnectError("connection refused (test cut)", request=request)
        response = self.inner.handle_request(request)
        if action == "reset":
            response.read()
            raise httpx.ReadError("connection reset by peer (test cut)", request=request)
        return response


@dataclass
class Terminal:
    terminal_id: str
    key: Any


@dataclass
class PointsPlatform:
    """The in-process platform and its operator CLI."""

    client: Any  # fastapi.testclient.TestClient
    database_url: str
    db: Database
    tmp: Path
    ca_dir: Path
    serial: int = 0

    def cli(self, *args: str, input: str | None = None) -> str:
        """``mykey-platform ARGS`` on the platform's database (``input`` on stdin: a staff
        PIN); its output."""
        from click.testing import CliRunner

        from server.cli import main

        result = CliRunner().invoke(
            main, ["--database-url", self.database_url, *args], input=input
        )
        if result.exit_code != 0:
            raise CliError(
                f"mykey-platform {' '.join(args)} exited {result.exit_code}:\n{result.output}"
            ) from result.exception
        return result.stdout

    def enroll(self, name: str) -> Terminal:
        """A terminal of the shop service, enrolled, with no points mode yet."""
        code = self.cli("terminal", "add", "--service", SERVICE, "--name", name)
        terminal_id, key, _ = PlatformClient.enroll(
            "http://testserver", code.strip().splitlines()[-1], transport=self.client._transport
        )
        return Terminal(terminal_id, key)

    def terminal(self, mode: str, name: str, *scope: str) -> Terminal:
        """A terminal of the shop service, enrolled, allowed ``mode`` with ``scope``."""
        terminal = self.enroll(name)
        self.cli("terminal", "allow", terminal.terminal_id, "--mode", mode, *scope)
        return terminal

    def holder(self, points: int = 0) -> tuple[Holder, str]:
        """A card (virtual), registered, with ``points`` granted at α市 (approved by a
        second staff member when above the approval threshold)."""
        self.serial += 1
        directory = self.tmp / f"holder-{self.serial}"
        directory.mkdir()
        holder = make_holder(directory, self.ca_dir, pin=PIN)
        out = self.cli("mykey", "register", "--cert", str(holder.directory / "cert.pem"))
        mykey_id = out.strip().splitlines()[-1]
        if points:
            out = self.cli(
                "grant",
                "give",
                mykey_id,
                "--municipality",
                ALPHA,
                "--points",
                str(points),
                "--reason",
                "other",
                "--operator",
            )
            if "awaiting_approval" in out:
                grant_id = out.strip().splitlines()[-1]
                login, pin = APPROVER
                self.cli("grant", "approve", grant_id, "--staff", login, input=pin)
        return holder, mykey_id

    def transfers(self, code: str) -> list[Transfer]:
        def work(session: Session) -> list[Transfer]:
            rows = session.scalars(select(Transfer).where(Transfer.code == code)).all()
            for row in rows:
                session.expunge(row)
            return list(rows)

        return self.db.transaction(work)

    def transfer(self, transfer_id: str) -> Transfer | None:
        def work(session: Session) -> Transfer | None:
            row = session.get(Transfer, uuid.UUID(transfer_id))
            if row is not None:
                session.expunge(row)
            return row

        return self.db.transaction(work)

    def balances(self, mykey_id: str) -> list[AccountBalance]:
        """The holder's accounts, from the ledger (``server.ledger.holders``)."""
        from server.identity.mykey import get_mykey
        from server.ledger import holders

        def work(session: Session) -> list[AccountBalance]:
            return holders.balances(session, get_mykey(session, mykey_id).id)

        return self.db.transaction(work)

    def points_at_alpha(self, mykey_id: str) -> tuple[int, int]:
        """The holder's posted points and points held at α市's regular account."""
        for line in self.balances(mykey_id):
            if line.municipality_code == ALPHA and line.event_code is None:
                return line.balance, line.held
        return 0, 0

    def balance(self, mykey_id: str) -> str:
        return self.cli("points", "balance", mykey_id)


@contextmanager
def served_points_platform(tmp: Path, ca_dir: Path) -> Iterator[PointsPlatform]:
    """The platform in process, with α市 (grants above 1,000 points need approval), the
    shop ``shop-01`` where α市's points are usable, and the vcard CA as trust anchor."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from server.app import create_app

    url = f"sqlite:///{tmp / 'platform.db'}"
    app = create_app(url)
    with TestClient(app) as client:
        platform = PointsPlatform(client, url, app.state.db, tmp, ca_dir)
        platform.cli("ca", "add", str(ca_dir / "ca.pem"))
        platform.cli("crl", "import", str(ca_dir / "crl.pem"))  # fails closed without
        platform.cli(
            "service",
            "add",
            SERVICE,
            "--provider",
            ALPHA_NAME,
            "--display-name",
            "α市ポイント",
            "--barcode",
            "nw7",
            "--format",
            "[0-9]{10}",
        )
        platform.cli("municipality", "add", ALPHA, ALPHA_NAME)
        platform.cli("municipality", "rules", ALPHA, "--grant-approval-over", str(APPROVAL_OVER))
        for (login, pin), name in ((STAFF, "山田 花子"), (APPROVER, "鈴木 一郎")):
            platform.cli("staff", "add", login, "--name", name, "--municipality", ALPHA,
                         "--pin", input=pin)  # fmt: skip
        platform.cli("shop", "add", SHOP, "α商店街 こめや", "--category", "retail")
        platform.cli("municipality", "allow", ALPHA, "--shop", SHOP)
        yield platform


@dataclass
class PointsCounter:
    """A started kiosk with the points modes, its transport, printer and outbox."""

    kiosk: Kiosk
    transport: CutTransport
    printer: RecordingPrinter
    monitor: FakeMonitor
    home: Path
    qtbot: QtBot
    services: PointsServices
    runners: list[Any] = field(default_factory=list)
    stopped: bool = False

    @property
    def modes(self) -> PointsModes:
        assert self.kiosk.points is not None
        return self.kiosk.points

    @property
    def controller(self) -> PointsController:
        controller = self.modes.controller
        assert controller is not None
        return controller

    @property
    def screens(self) -> PointsScreens:
        """The points screens (built when the first operation starts)."""
        screens = self.modes.screens
        assert screens is not None
        return screens

    @property
    def step(self) -> Step | None:
        controller = self.modes.controller
        if controller is None or controller.flow is None:
            return None
        return controller.flow.step

    def wait_step(self, step: Step, timeout: int = WAIT_MS) -> None:
        self.qtbot.waitUntil(lambda: self.step is step, timeout=timeout)

    def wait_closed(self) -> None:
        """Until the operation is over and the idle screen is back."""
        window = self.kiosk.window
        self.qtbot.waitUntil(
            lambda: not self.modes.active and window.current_screen() is window.idle,
            timeout=WAIT_MS,
        )

    def wait_modes(self) -> set[Mode]:
        self.qtbot.waitUntil(lambda: self.modes.start_answered, timeout=WAIT_MS)
        return self.modes.bar.visible_modes()

    def choose(self, mode: Mode) -> None:
        self.modes.bar.buttons[mode].click()

    def put_card(self, insert_card: InsertCard, holder: Holder) -> None:
        """The holder's card on the reader; until the PIN pad shows."""
        self.runners.append(insert_card(holder))
        self.monitor.insert()
        self.wait_step(Step.PIN_ENTRY)
        window = self.kiosk.window
        self.qtbot.waitUntil(lambda: window.current_screen() is window.pin, timeout=WAIT_MS)

    def tap(self, insert_card: InsertCard, holder: Holder, pin: str = PIN) -> None:
        """The holder's card on the reader, then the PIN on the lookup's own PIN pad."""
        self.put_card(insert_card, holder)
        window = self.kiosk.window
        for digit in pin:
            window.pin.digit_button(digit).click()
        window.pin.ok_button.click()

    def lift_card(self) -> None:
        for runner in self.runners:
            runner.remove()
        self.runners.clear()
        self.monitor.remove()

    def printed_all(self) -> bool:
        """Whether every receipt is printed (or no operation was ever started)."""
        controller = self.modes.controller
        return controller is None or controller.printing == 0

    def stop(self) -> None:
        """Card off, receipts printed, kiosk stopped — while its window still exists (a
        print finishing after the window is gone would touch deleted widgets)."""
        if self.stopped:
            return
        self.stopped = True
        self.lift_card()
        self.qtbot.waitUntil(self.printed_all, timeout=WAIT_MS)
        self.kiosk.stop()

    def outbox(self) -> list[OutboxRecord]:
        outbox = Outbox.in_home(self.home)
        try:
            rows = outbox._db.execute("SELECT id FROM outbox ORDER BY rowid").fetchall()
            return [r for r in (outbox.get(row[0]) for row in rows) if r is not None]
        finally:
            outbox.close()


MakeCounter = Callable[..., PointsCounter]
