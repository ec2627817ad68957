"""A tap: card inserted → number on screen, split into detection, card I/O, network, platform
and render (target: everything but the card's own I/O at p95 ≤ 150 ms).

Every piece is real: pcscd with vsmartcard's vpcd (this benchmark takes the test fixtures'
pcscd lock, and starts its own ``pcscd -f`` only if none runs), our virtual My Number Card, a
``mykey-platform serve`` on SQLite on 127.0.0.1, the counter's :class:`CardTapper` and
:class:`PlatformClient`, and the kiosk window (offscreen). Per tap:

1. after a random pause (patrons do not arrive in step with pcscd's polling), insert the
   card (``VpcdCardRunner.start``) and wait until pcscd reports it
   (``drivers.card.pcsc.wait_for_card``) — *detect*. pcscd learns of a card in the vpcd
   slot only by polling the driver, every 400 ms: with vpcd, detection is that poll;
   with a real reader it is the reader driver's (an interrupt, or its own poll);
2. ``CardTapper.probe()`` then ``CardTapper.authenticate("1234")`` — the tapper's timings
   give *card I/O* and the client-side network time; the platform's own time comes from its
   ``Server-Timing`` header (*platform*), the rest of the network time is *network* (client
   signing and HTTP, loopback, uvicorn);
3. *render*: the kiosk (``build_kiosk``, no-op card monitor) runs its real controller, flow,
   deliveries and screens; its card thread holds a tapper that replays what step 2 got, so
   the measured span runs from the tapper's answer on the card thread to the RESULT screen
   with the number and barcode grabbed (``window.grab()`` paints the whole window);
4. remove the card and wait until pcscd sees it gone (not counted).

The card's own I/O is the baseline measured in the same run: the virtual card answers at
once, a real card's JPKI RSA signature alone takes some hundreds of milliseconds. The target
is reported with and without detection, as detection measures the virtual reader.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.client import PlatformClient
from app.flow import Cancel, PinEntered, State
from app.ports import CardStatus
from app.settings import Settings
from app.tap import CardTapper
from benchmarks.common import percentile, summary_ms, write_result
from benchmarks.desk import (
    ServerTimingTransport,
    enroll_terminals,
    make_holders,
    register_patrons,
    set_up_service,
)
from benchmarks.pcscd_session import Unavailable, pcscd_with_vpcd
from drivers.card.pcsc import wait_for_card, wait_for_removal
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.pcscd import Pcscd
from drivers.vcard.vpcd import VpcdCardRunner
from server.api.schemas import LookupResult, ServiceInfo
from tests.fixtures.platform import start_platform

TAPS = 30
WARMUP_TAPS = 3
PIN = "1234"
TARGET_P95_MS = 150.0
CARD_TIMEOUT_S = 10.0
RENDER_TIMEOUT_MS = 10_000
#: pcscd polls the vpcd driver for card presence this often (pcsc-lite's status poll rate)
PCSCD_POLL_S = 0.4

PHASES = ("detect", "card_io", "network", "platform", "render", "tapper_other")


class ReplayTapper:
    """The kiosk's tapper for the render span: answers with what the real tapper just got,
    and notes when (on the card thread) the answer left it."""

    def __init__(self) -> None:
        self.status = CardStatus(tries_left=3)
        self.result: LookupResult | None = None
        self.answered_at = 0.0

    def probe(self) -> CardStatus:
        return self.status

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        assert self.result is not None
        self.answered_at = time.perf_counter()
        return self.result


class NoMonitor:
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Tap:
    phases_s: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    removal_s: float = 0.0
    error: str | None = None


class KioskRenderer:
    """The real kiosk window, offscreen; :meth:`render` shows one result and paints it."""

    def __init__(self, service: ServiceInfo) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        from app.ui.kiosk import build_kiosk
        from app.ui.kiosk_config import KioskConfig

        self._loop_class, self._timer = QEventLoop, QTimer
        self.tapper = ReplayTapper()
        self.kiosk = build_kiosk(KioskConfig(
            settings=Settings(fullscreen=False), service=service, tapper=self.tapper,
            monitor_factory=lambda _on_insert, _on_remove: NoMonitor()))
        self.kiosk.start()
        self.kiosk.app.processEvents()
        self.kiosk.window.grab()

    def _run_until(self, state: State) -> bool:
        controller = self.kiosk.controller
        if controller.flow.state is state:
            return True
        loop = self._loop_class()

        def on_rendered(new_state: State, _view: object) -> None:
            if new_state is state:
                loop.quit()

        deadline = self._timer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(loop.quit)
        controller.rendered.connect(on_rendered)
        deadline.start(RENDER_TIMEOUT_MS)
        try:
            loop.exec()
        finally:
            deadline.stop()
            controller.rendered.disconnect(on_rendered)
        return controller.flow.state is state

    def render(self, status: CardStatus, result: LookupResult) -> float:
        """Seconds from the card thread's answer to the painted RESULT screen."""
        controller, window = self.kiosk.controller, self.kiosk.window
        self.tapper.status, self.tapper.result = status, result
        controller.card_inserted("benchmark")  # as the monitor would: probe on the card thread
        if not self._run_until(State.PIN_ENTRY):
            raise RuntimeError(f"the kiosk did not ask for the PIN ({controller.flow.state})")
        window.grab()  # the PIN pad is on screen, as at a real desk
        controller.post(PinEntered(PIN))
        if not self._run_until(State.RESULT):
            raise RuntimeError(f"the kiosk did not show the result ({controller.flow.state})")
        window.grab()
        painted = time.perf_counter()
        if window.result.number.text() != result.service_id:
            raise RuntimeError("the result screen shows another number")
        controller.card_removed("benchmark")  # the RESULT screen stays …
        controller.post(Cancel())  # … until the librarian's "done": IDLE, screen cleared
        self.kiosk.app.processEvents()
        return painted - self.tapper.answered_at

    def close(self) -> None:
        self.kiosk.stop()
        self.kiosk.app.processEvents()


def one_tap(runner: VpcdCardRunner, reader: str, tapper: CardTapper,
            timing: ServerTimingTransport, renderer: KioskRenderer, expected: str,
            pause_s: float) -> Tap:
    tap = Tap()
    time.sleep(pause_s)
    t0 = time.perf_counter()
    runner.start()
    wait_for_card(reader, timeout_s=CARD_TIMEOUT_S)
    t1 = time.perf_counter()
    status = tapper.probe()
    probe_io = tapper.timings["card_io_s"]
    result = tapper.authenticate(PIN, allow_last_try=False)
    t3 = time.perf_counter()
    timings = dict(tapper.timings)
    platform_ms = [ms for _path, ms in timing.take() if ms is not None]
    render = renderer.render(status, result)
    t4 = time.perf_counter()
    runner.remove()
    wait_for_removal(reader, timeout_s=CARD_TIMEOUT_S)
    tap.removal_s = time.perf_counter() - t4
    if result.service_id != expected:
        tap.error = f"wrong service ID {result.service_id}"
    if len(platform_ms) != 2:
        tap.error = f"Server-Timing missing ({len(platform_ms)} of 2)"
    card_io = probe_io + timings["card_io_s"]
    platform = sum(platform_ms) / 1000
    tap.phases_s = {
        "detect": t1 - t0,
        "card_io": card_io,
        "card_io_probe": probe_io,
        "card_io_authenticate": timings["card_io_s"],
        "network": timings["network_s"] - platform,
        "platform": platform,
        "render": render,
        # the tapper's own work between the card and the network (base64, DigestInfo, …)
        "tapper_other": (t3 - t1) - card_io - timings["network_s"],
    }
    # render starts at the tapper's answer: the whole tap is insertion → painted result
    tap.total_s = (t3 - t0) + render
    return tap


def run_taps(info: Pcscd, work: Path) -> dict[str, Any]:
    ca_dir, (holder,) = make_holders(work / "cards", 1)
    with start_platform(f"sqlite:///{work / 'platform.db'}", work) as server:
        set_up_service(server, ca_dir)
        (patron,) = register_patrons(server.database_url, [holder])
        (terminal,) = enroll_terminals(server, 1, name="tap bench")
        timing = ServerTimingTransport()
        with PlatformClient(server.base_url, terminal.terminal_id, terminal.key,
                            transport=timing) as client:
            service = client.terminal_info().service
            timing.take()
            tapper = CardTapper(client, info.reader, allow_virtual_reader=True)
            renderer = KioskRenderer(service)
            runner = VpcdCardRunner(VirtualJpkiCard(holder))
            pauses = random.Random(9421)
            try:
                taps = [one_tap(runner, info.reader, tapper, timing, renderer,
                                patron.service_id, pauses.uniform(0, PCSCD_POLL_S))
                        for _ in range(WARMUP_TAPS + TAPS)]
            finally:
                runner.remove()
                renderer.close()
    return summarise(taps[WARMUP_TAPS:])


def summarise(taps: Sequence[Tap]) -> dict[str, Any]:
    good = [t for t in taps if t.error is None]
    phases = {name: summary_ms([t.phases_s[name] for t in good])
              for name in (*PHASES, "card_io_probe", "card_io_authenticate")}
    not_card = [t.total_s - t.phases_s["card_io"] for t in good]
    not_card_nor_detect = [v - t.phases_s["detect"] for v, t in zip(not_card, good, strict=True)]
    card = [t.phases_s["card_io"] for t in good]

    def p95_ms(values: Sequence[float]) -> float:
        return percentile([v * 1000 for v in values], 95)

    return {
        "taps": len(taps),
        "errors": [t.error for t in taps if t.error is not None],
        "phases": phases,
        "total": summary_ms([t.total_s for t in good]),
        "everything_but_card_io": summary_ms(not_card),
        "everything_but_card_io_and_detect": summary_ms(not_card_nor_detect),
        "card_removal_seen": summary_ms([t.removal_s for t in good]),
        "ratio_not_card_to_card_io_p50": round(
            statistics.median(not_card) / statistics.median(card), 2),
        "meets_target": p95_ms(not_card) <= TARGET_P95_MS,
        "meets_target_without_detection": p95_ms(not_card_nor_detect) <= TARGET_P95_MS,
    }


def main() -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    result: dict[str, Any] = {
        "target": f"p95 of everything but the card's own I/O <= {TARGET_P95_MS:.0f} ms",
        "setup": {"taps": TAPS, "warmup_taps": WARMUP_TAPS, "platform": "SQLite, 1 worker",
                  "card": "virtual JPKI card through vpcd (not a real card's timing)"},
        # other work on the machine (a test session?) skews absolute figures, not ratios
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }
    try:
        with tempfile.TemporaryDirectory(prefix="mykey-bench-tap-") as tmp, \
                pcscd_with_vpcd(Path(tmp)) as info:
            result["pcscd"] = {"started_here": info.started_here, "pid": info.pid}
            result.update(run_taps(info, Path(tmp)))
    except Unavailable as e:
        result["skipped"] = str(e)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    path = write_result("tap", result)
    path.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    _print(result)
    print(f"→ {path}")
    return result


def _print(result: dict[str, Any]) -> None:
    if "skipped" in result:
        print(f"tap: skipped ({result['skipped']})")
        return
    p = result["phases"]
    print("tap (p50/p95 ms): " + ", ".join(
        f"{name} {p[name]['p50_ms']}/{p[name]['p95_ms']}" for name in PHASES)
        + f"; everything but card I/O {result['everything_but_card_io']['p50_ms']}/"
        f"{result['everything_but_card_io']['p95_ms']}, without detection "
        f"{result['everything_but_card_io_and_detect']['p50_ms']}/"
        f"{result['everything_but_card_io_and_detect']['p95_ms']} "
        f"(target p95 ≤ {TARGET_P95_MS:.0f})")


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Tap: card inserted → number on screen", "", f"Target: {result['target']}.", ""]
    if "skipped" in result:
        return "\n".join([*lines, f"Skipped: {result['skipped']}", ""])
    started = "started here (`pcscd -f`)" if result["pcscd"]["started_here"] else "reused"
    lines += [f"{result['taps']} taps after {result['setup']['warmup_taps']} warm-up taps; "
              f"pcscd {started}; platform on SQLite; virtual card through vpcd. Errors: "
              f"{len(result['errors'])}.", "",
              "| phase | p50 ms | p95 ms |", "|---|---|---|"]
    rows = [(name, result["phases"][name]) for name in
            ("detect", "card_io", "card_io_probe", "card_io_authenticate", "network",
             "platform", "render", "tapper_other")]
    rows += [("**everything but card I/O**", result["everything_but_card_io"]),
             ("everything but card I/O and detection", result["everything_but_card_io_and_detect"]),
             ("total (insert → painted)", result["total"])]
    lines += [f"| {name} | {s['p50_ms']} | {s['p95_ms']} |" for name, s in rows]
    verdict = {True: "met", False: "missed"}
    lines += ["", f"Target p95 ≤ {TARGET_P95_MS:.0f} ms: {verdict[result['meets_target']]} "
              f"counting detection ({result['everything_but_card_io']['p95_ms']} ms — detection "
              f"through vpcd is pcscd's {PCSCD_POLL_S * 1000:.0f} ms presence poll), "
              f"{verdict[result['meets_target_without_detection']]} without it "
              f"({result['everything_but_card_io_and_detect']['p95_ms']} ms).",
              "", f"Everything but card I/O ÷ card I/O (p50): "
              f"{result['ratio_not_card_to_card_io_p50']}. The virtual card's I/O is only the "
              "APDU round trips through pcscd and vpcd; a real card's JPKI signature alone takes "
              "some hundreds of ms.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
