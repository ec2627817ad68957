"""Kiosk soak: one real counter process, thousands of taps, lookups and points mixed.

``python -m benchmarks.kiosk_soak [--taps N] [--seed S]`` (default 2,000 taps) or
``python -m benchmarks.run kiosk_soak``. Every part is real and lives as long as the soak:

- ``mykey-platform serve`` on an SQLite file (the test CA trusted; the shop service
  ``soak-shop`` with NW-7 numbers; α市, whose points are usable at the shop; the holders
  registered, linked and granted points with the operator commands);
- one counter process, enrolled with ``mykey-counter enroll`` and allowed the shop and
  voucher modes, offscreen (``QT_QPA_PLATFORM=offscreen``), with its own PC/SC card
  monitor, card tapper, signed client, points services, an ESC/POS receipt printer
  writing to /dev/null, and faulthandler on. It is ``mykey-counter`` run by
  :mod:`benchmarks.kiosk_driver`, which adds the hands that press its buttons;
- pcscd (``pcscd -f``, or one that runs already) with vsmartcard's vpcd and our virtual
  cards. The machine lock on ``/tmp/mykey-pcscd.lock`` is held from the kiosk's start to
  its end only: the set-up before runs without it.

Each tap, for a holder chosen at random: a **lookup** (card in, the PIN typed on the pad,
the number on the result screen checked against the holder's, card out, "done"), a
**payment** (the idle screen's 支払い button, card, PIN, an amount, the receipt printed and
confirmed, card out, "done") or a **voucher** (the same with ポイント券). The soak counts
crashes (the kiosk died by a signal, or wrote a "Fatal Python error"), taps done, taps
that did not end as asked, and reads the kiosk's VmRSS from /proc at tap 100 and at the
end (and every 50 taps). It ends with the holders' balances checked against what was
paid. Writes ``results/kiosk_soak.json`` and ``kiosk_soak.md``; asserts no timing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, write_result
from benchmarks.kiosk_soak_parts import (
    Kiosk,
    KioskDied,
    Patron,
    Unexpected,
    git_commit,
    proc_figures,
    set_up_platform,
    write_counter_home,
)
from benchmarks.kiosk_soak_report import markdown
from benchmarks.pcscd_session import Unavailable, pcscd_with_vpcd
from drivers.card.pcsc import wait_for_removal
from drivers.vcard.holder import make_ca, make_holder
from drivers.vcard.pcscd import VPCD_READER
from drivers.vcard.vpcd import VpcdCardRunner
from tests.fixtures.platform import start_platform

TAPS = 2000
HOLDERS = 4
#: the share of each kind of tap
MIX = {"lookup": 0.6, "pay": 0.25, "voucher": 0.15}
RSS_AT_TAP = 100
SAMPLE_EVERY = 50
STEP_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 90.0
REMOVAL_TIMEOUT_S = 10.0
#: the longest a patron takes to arrive (a random pause before each tap)
MAX_PAUSE_S = 0.3


@dataclass
class Tally:
    done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MIX, 0))
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    durations_s: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in MIX})
    samples: list[dict[str, Any]] = field(default_factory=list)
    stats: list[dict[str, Any]] = field(default_factory=list)
    paid: dict[str, int] = field(default_factory=dict)

    @property
    def taps(self) -> int:
        return sum(self.done.values()) + len(self.unexpected)


@contextlib.contextmanager
def card_on_reader(runner: VpcdCardRunner) -> Iterator[None]:
    """The holder's card inserted; pulled out after, until pcscd sees the slot empty."""
    runner.start()
    try:
        yield
    finally:
        runner.remove()
        runner.apdu_log.clear()
        wait_for_removal(VPCD_READER, timeout_s=REMOVAL_TIMEOUT_S)


def lookup_tap(kiosk: Kiosk, patron: Patron) -> None:
    with card_on_reader(patron.runner):
        shown = kiosk.expect("result", STEP_TIMEOUT_S)
    if shown.get("number") != patron.service_id:
        raise Unexpected(f"the result screen shows {shown.get('number')!r}, "
                         f"not {patron.service_id!r}")
    kiosk.send("done")
    kiosk.expect("idle", STEP_TIMEOUT_S)


def points_tap(kiosk: Kiosk, patron: Patron, mode: str, amount: int) -> None:
    kiosk.send(f"open {mode} {amount}")
    kiosk.expect("wait_card", STEP_TIMEOUT_S)
    with card_on_reader(patron.runner):
        done = kiosk.expect("done", STEP_TIMEOUT_S)
    if done.get("amount") != f"{amount:,} pt":
        raise Unexpected(f"{mode}: the done screen says {done}")
    kiosk.send("finish")
    kiosk.expect("idle", STEP_TIMEOUT_S)


def recover(kiosk: Kiosk) -> None:
    """After an unexpected screen: Cancel until the kiosk is idle again."""
    for _ in range(3):
        kiosk.send("reset")
        with contextlib.suppress(Unexpected):
            kiosk.expect("idle", STEP_TIMEOUT_S)
            return
    raise KioskDied("the kiosk does not return to its idle screen")


def soak(kiosk: Kiosk, patrons: Sequence[Patron], taps: int, rng: random.Random,
         tally: Tally, started: float) -> None:
    kinds, weights = list(MIX), list(MIX.values())
    for number in range(1, taps + 1):
        kind = rng.choices(kinds, weights)[0]
        patron = rng.choice(patrons)
        time.sleep(rng.uniform(0, MAX_PAUSE_S))
        t0 = time.perf_counter()
        try:
            if kind == "lookup":
                lookup_tap(kiosk, patron)
            else:
                amount = rng.randint(1, 50)
                points_tap(kiosk, patron, kind, amount)
                tally.paid[patron.mykey_id] = tally.paid.get(patron.mykey_id, 0) + amount
            tally.done[kind] += 1
            tally.durations_s[kind].append(time.perf_counter() - t0)
        except Unexpected as e:
            tally.unexpected.append({"tap": number, "kind": kind, "what": str(e)})
            print(f"tap {number} ({kind}): {e}", flush=True)
            recover(kiosk)
        if number == RSS_AT_TAP or number % SAMPLE_EVERY == 0 or number == taps:
            tally.samples.append({"tap": number, "t_s": round(time.monotonic() - started, 1),
                                  **proc_figures(kiosk.pid)})
            kiosk.send("stats")
            tally.stats.append({"tap": number, **kiosk.expect("stats", STEP_TIMEOUT_S)})
            print(f"tap {number}: {tally.samples[-1]}", flush=True)


def main(taps: int = TAPS, seed: int = 1, holders: int = HOLDERS) -> dict[str, Any]:
    rng = random.Random(seed)
    tally = Tally()
    KEPT_LOG.unlink(missing_ok=True)  # an earlier run's
    crash: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as tmp_name:
        tmp = Path(tmp_name)
        ca_dir = make_ca(tmp / "ca")
        cards = [make_holder(tmp / f"holder-{i}", ca_dir) for i in range(holders)]
        with start_platform(f"sqlite:///{tmp / 'platform.db'}", tmp) as platform:
            home = tmp / "counter"
            write_counter_home(home)
            patrons, granted = set_up_platform(platform, ca_dir, cards, home)
            log_path = tmp / "kiosk.log"
            try:
                with pcscd_with_vpcd(tmp):
                    started = time.monotonic()
                    with Kiosk.start(home, log_path) as kiosk:
                        ready = kiosk.expect("ready", READY_TIMEOUT_S)
                        ready_s = time.monotonic() - started
                        tally.samples.append({"tap": 0, "t_s": round(ready_s, 1),
                                              **proc_figures(kiosk.pid)})
                        try:
                            soak(kiosk, patrons, taps, rng, tally, time.monotonic())
                        except KioskDied as e:
                            crash = {"at_tap": tally.taps + 1, "what": str(e)}
                        soak_s = time.monotonic() - started - ready_s
                        exit_status = kiosk.stop()
                    log = log_path.read_text(encoding="utf-8", errors="replace")
            except Unavailable as e:
                return skipped(str(e))
            balances = {p.mykey_id: p.balance(platform) for p in patrons}
        crashed = crash is not None or exit_status < 0 or "Fatal Python error" in log
        kept_log = keep_log(log) if crashed or tally.unexpected else None
    result = figures(taps, seed, tally, ready, ready_s, soak_s, exit_status, crashed, crash,
                     kept_log, {p.mykey_id: granted - tally.paid.get(p.mykey_id, 0)
                                for p in patrons}, balances)
    path = write_result("kiosk_soak", result)
    path.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(summary_line(result))
    return result


KEPT_LOG = RESULTS / "kiosk_soak.kiosk.log"


def keep_log(log: str) -> str:
    """The kiosk's log, kept beside the results (the temporary directory goes)."""
    path = KEPT_LOG
    path.write_text(log, encoding="utf-8")
    return str(path.relative_to(RESULTS.parent.parent))


def skipped(reason: str) -> dict[str, Any]:
    result = {"skipped": reason, "commit": git_commit()}
    write_result("kiosk_soak", result)
    print(f"kiosk soak skipped: {reason}")
    return result


def figures(taps: int, seed: int, tally: Tally, ready: dict[str, Any], ready_s: float,
            soak_s: float, exit_status: int, crashed: bool, crash: dict[str, Any] | None,
            kept_log: str | None, expected: dict[str, int], balances: dict[str, int | None]
            ) -> dict[str, Any]:
    at_tap = next((s for s in tally.samples if s["tap"] == RSS_AT_TAP), None)
    end = tally.samples[-1]
    growth = None
    if at_tap is not None and end["tap"] > RSS_AT_TAP:
        growth = round(100 * (end["vm_rss_kib"] - at_tap["vm_rss_kib"]) / at_tap["vm_rss_kib"], 1)
    all_durations = [d for ds in tally.durations_s.values() for d in ds]
    return {
        "commit": git_commit(),
        "taps_asked": taps,
        "taps_done": tally.taps,
        "seed": seed,
        "mix": MIX,
        "crashes": 1 if crashed else 0,
        "crash": crash,
        "kiosk_exit_status": exit_status,
        "ended_as_asked": tally.done,
        "unexpected": tally.unexpected,
        "taps_per_min": round(60 * tally.taps / soak_s, 1) if soak_s > 0 else None,
        "soak_s": round(soak_s, 1),
        "kiosk_ready_s": round(ready_s, 1),
        "modes_offered": ready.get("modes"),
        "tap_s": {kind: spread(ds) for kind, ds in
                  {**tally.durations_s, "all": all_durations}.items() if ds},
        "rss_mib_at_tap_100": mib(at_tap["vm_rss_kib"]) if at_tap else None,
        "rss_mib_at_end": mib(end["vm_rss_kib"]),
        "rss_growth_pct_from_tap_100": growth,
        "peak_rss_mib": mib(end["vm_hwm_kib"]),
        "samples": tally.samples,
        "kiosk_objects": tally.stats,
        "balances_ok": all(balances[k] == v for k, v in expected.items()),
        "balances": {k: {"expected": v, "ledger": balances[k]} for k, v in expected.items()},
        "kiosk_log": kept_log,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "machine_note": "2 shared CPUs: other sessions' work runs beside the soak, so the "
                        "rate is noisy; the RSS figures much less",
    }


def spread(values_s: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values_s)
    return {"n": len(ordered), "p50_s": round(statistics.median(ordered), 3),
            "p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
            "max_s": round(ordered[-1], 3)}


def mib(kib: int) -> float:
    return round(kib / 1024, 1)


def summary_line(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"kiosk soak: skipped ({result['skipped']})"
    growth = result["rss_growth_pct_from_tap_100"]
    growth = "n/a" if growth is None else f"{growth:+} %"
    return (f"kiosk soak at {result['commit']}: {result['crashes']} crashes, "
            f"{result['taps_done']}/{result['taps_asked']} taps "
            f"({len(result['unexpected'])} unexpected), {result['taps_per_min']} taps/min, "
            f"RSS {result['rss_mib_at_tap_100']} MiB at tap {RSS_AT_TAP} → "
            f"{result['rss_mib_at_end']} MiB at the end "
            f"({growth}), balances "
            f"{'ok' if result['balances_ok'] else 'WRONG'}")


def cli(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kiosk_soak")
    parser.add_argument("--taps", type=int, default=TAPS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--holders", type=int, default=HOLDERS)
    args = parser.parse_args(argv)
    result = main(args.taps, args.seed, args.holders)
    if "skipped" in result:
        return 2
    return 1 if result["crashes"] else 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(cli())
