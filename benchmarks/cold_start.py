"""Counter cold start and memory against a bare PySide6 window (target: ≤ 1.5×).

Both children start a fresh interpreter, build their window, show it, process events
until it is painted, and exit. The counter side is the real kiosk (`build_kiosk`: style,
catalogue, every screen, controller, card thread) plus the imports of the real composition
root (the CLI, the platform client, pyscard); only the card monitor is a no-op, so that no
pcscd is needed. Wall time covers interpreter start to exit; memory is the child's peak RSS.
"""

from __future__ import annotations

import os
import statistics
import sys

from benchmarks.common import run_child, write_result

BARE = """
import time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication([])
w = QMainWindow()
w.setCentralWidget(QLabel("カードをかざしてください"))
w.resize(1280, 800)
w.show()
app.processEvents()
w.grab()
print(time.perf_counter() - t0)
"""

COUNTER = """
import time
t0 = time.perf_counter()
import app.__main__  # the composition root's imports (CLI, client, keyring)
import drivers.card.pcsc  # pyscard
from app.settings import Settings
from app.ui.kiosk import build_kiosk
from server.api.schemas import BarcodeSpec, ServiceInfo

class NoMonitor:
    def start(self): pass
    def stop(self): pass

class NoTapper:
    def probe(self): raise RuntimeError
    def authenticate(self, pin, *, allow_last_try): raise RuntimeError

service = ServiceInfo(name="demo-library", display_name="α市立図書館", provider="α市",
                      barcode=BarcodeSpec(symbology="nw7"))
kiosk = build_kiosk(settings=Settings(fullscreen=False), service=service, tapper=NoTapper(),
                    monitor_factory=lambda ins, rem: NoMonitor())
kiosk.start()
kiosk.window.resize(1280, 800)
kiosk.app.processEvents()
kiosk.window.grab()
elapsed = time.perf_counter() - t0
kiosk.stop()
print(elapsed)
"""


def main(rounds: int = 8) -> dict[str, object]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    bare_wall, bare_rss, app_wall, app_rss = [], [], [], []
    for _ in range(rounds):  # interleaved, so both sides see the same machine state
        b = run_child([sys.executable, "-c", BARE], env)
        c = run_child([sys.executable, "-c", COUNTER], env)
        bare_wall.append(b.wall_s)
        bare_rss.append(b.max_rss_kib)
        app_wall.append(c.wall_s)
        app_rss.append(c.max_rss_kib)
    result = {
        "rounds": rounds,
        "bare_window": {"wall_s_median": round(statistics.median(bare_wall), 3),
                        "max_rss_mib_median": round(statistics.median(bare_rss) / 1024, 1)},
        "counter": {"wall_s_median": round(statistics.median(app_wall), 3),
                    "max_rss_mib_median": round(statistics.median(app_rss) / 1024, 1)},
    }
    result["ratio_wall"] = round(statistics.median(app_wall) / statistics.median(bare_wall), 2)
    result["ratio_rss"] = round(statistics.median(app_rss) / statistics.median(bare_rss), 2)
    result["target"] = "ratio_wall <= 1.5 and ratio_rss <= 1.5"
    path = write_result("cold_start", result)
    print(f"cold start: {result}\n→ {path}")
    return result


if __name__ == "__main__":
    main()
