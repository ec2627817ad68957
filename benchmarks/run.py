"""Run every benchmark in sequence (``make bench``): cold start, lookup throughput, tap,
payments.

``python -m benchmarks.run [NAME …]`` runs only the named ones; the kiosk soak (about an
hour at its default 2,000 taps) runs only when named. Each writes
``benchmarks/results/NAME.json`` (and, for the newer ones, ``NAME.md``); this runner adds
``results/summary.md``, one line per benchmark against its target. A missed target is a
figure, not a failure: the exit status is non-zero only when a benchmark could not run.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks import bench_payments, cold_start, kiosk_soak, ladder, lookup_throughput, tap
from benchmarks.common import RESULTS

BENCHMARKS: dict[str, Callable[[], Any]] = {
    "cold_start": cold_start.main,
    "lookup_throughput": lookup_throughput.main,
    "ladder": ladder.main,
    "tap": tap.main,
    "payments": bench_payments.main,
    "kiosk_soak": kiosk_soak.main,
}
#: run only when named (``python -m benchmarks.run kiosk_soak``)
ONLY_BY_NAME = {"kiosk_soak"}


def _line(name: str, data: dict[str, Any]) -> str:
    if name == "lookup_throughput":
        parts = []
        for backend, d in data["backends"].items():
            if "skipped" in d:
                parts.append(f"{backend} skipped")
                continue
            parts.append(f"{backend} {d['lookup_flow']['ops_per_s']} flows/s = "
                         f"{d['ratio_flows_to_health']:.1%} of {d['health']['requests_per_s']} "
                         f"health req/s")
        return f"lookup throughput: {'; '.join(parts)} (target ≥ 50 %)"
    if name == "ladder":
        parts = [
            f"{backend} {d['server_cpu_flow_over_health']}×" if "skipped" not in d
            else f"{backend} skipped"
            for backend, d in data["backends"].items()
        ]
        return f"ladder: server CPU per lookup flow ÷ per health: {'; '.join(parts)} (goal ≤ 4×)"
    if name == "tap":
        if "skipped" in data:
            return f"tap: skipped ({data['skipped']})"
        s, w = data["everything_but_card_io"], data["everything_but_card_io_and_detect"]
        return (f"tap: everything but card I/O p95 {s['p95_ms']} ms, without the reader's "
                f"detection {w['p95_ms']} ms; card I/O p50 {data['phases']['card_io']['p50_ms']} "
                f"ms (target p95 ≤ 150 ms)")
    if name == "kiosk_soak":
        return kiosk_soak.summary_line(data)
    # any other result: its ratios and its target, whatever their shape
    ratios = {k: v for k, v in data.items() if k.startswith("ratio")}
    return f"{name}: {json.dumps(ratios, ensure_ascii=False)} (target: {data.get('target')})"


def write_summary(names: Sequence[str]) -> None:
    lines = ["# Benchmark summary", ""]
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        fresh = "" if name in names else " (from an earlier run)"
        try:
            line = _line(name, data)
        except (KeyError, TypeError):
            line = f"{name}: see {path.name}"
        date = data.get("machine", {}).get("date", "?")
        lines.append(f"- {line} — {date}{fresh}")
    (RESULTS / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or [
        n for n in BENCHMARKS if n not in ONLY_BY_NAME]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            BENCHMARKS[name]()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"== {name}: {time.perf_counter() - started:.0f} s", flush=True)
    write_summary([n for n in names if n not in failed])
    print((RESULTS / "summary.md").read_text(encoding="utf-8"))
    if failed:
        print(f"could not run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
