"""A load generator that shares neither the server's interpreter nor its GIL.

``run_step`` starts ``processes`` client processes (``spawn``: nothing of this process is
inherited), each builds its own operation from a picklable :class:`Scenario` — a factory
named ``"module:function"`` and its keyword arguments — and runs it either closed-loop (as
fast as it answers) or open-loop at a fixed offered rate. Only operations that end inside
the measured window count. The result holds throughput, latency percentiles, errors, the
clients' own CPU, and the CPU that ``probe`` saw the server spend in the window, so that
server CPU per operation is reported apart from the load generator's.

Open loop: operation *k* of a process is due at ``start + k / rate``; its latency counts
from when it was due, not from when it was sent, so a server that falls behind shows its
queue in p99 instead of hiding it (no coordinated omission).
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import queue
import resource
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import summary_ms

#: a factory's operation: one request or one flow; raises on a wrong answer
Operation = Callable[[], None]
#: CPU seconds by process group (``server``, ``postgres`` …), read before and after
CpuProbe = Callable[[], dict[str, float]]


@dataclass(frozen=True)
class Scenario:
    """``factory(index=i, **kwargs)`` in client process ``i`` returns its operation."""

    factory: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def build(self, index: int) -> Operation:
        module, _, name = self.factory.partition(":")
        make = getattr(importlib.import_module(module), name)
        operation: Operation = make(index=index, **self.kwargs)
        return operation


@dataclass(frozen=True)
class Window:
    """When to run: warm-up, then the measured window (seconds); ``rate_per_s`` total
    offered rate for an open loop, ``None`` for a closed loop."""

    warmup_s: float
    measure_s: float
    rate_per_s: float | None = None


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _client(
    scenario: Scenario, index: int, window: Window, processes: int, start_at: float,
    results: mp.Queue[dict[str, Any]],
) -> None:  # fmt: skip
    """One client process: build, wait for the common start, run, report."""
    operation = scenario.build(index)
    w0 = start_at + window.warmup_s
    w1 = w0 + window.measure_s
    interval = processes / window.rate_per_s if window.rate_per_s else 0.0
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    time.sleep(max(0.0, start_at - time.time()))
    cpu0: float | None = None
    due = time.time() + index * interval / processes  # spread the processes' arrivals
    while True:
        now = time.time()
        if now >= w1:
            break
        if cpu0 is None and now >= w0:
            cpu0 = _own_cpu_s()
        if interval:
            if due > now:
                time.sleep(due - now)
            began = due
            due += interval
        else:
            began = time.time()
        try:
            operation()
            error = None
        except Exception as exc:  # a refusal or a wrong answer: counted, never fatal
            error = f"{type(exc).__name__}: {str(exc)[:80]}"
        ended = time.time()
        if w0 <= began and ended <= w1:
            if error is None:
                latencies.append(ended - began)
            else:
                errors[error] += 1
    results.put({
        "latencies": latencies,
        "errors": dict(errors),
        "cpu_s": _own_cpu_s() - (cpu0 if cpu0 is not None else _own_cpu_s()),
    })  # fmt: skip


def _collect(results: mp.Queue[dict[str, Any]], workers: list[Any]) -> list[dict[str, Any]]:
    """Every client's report; a client that died reports nothing (counted by the caller)."""
    reports: list[dict[str, Any]] = []
    deadline = time.time() + 120
    while len(reports) < len(workers) and time.time() < deadline:
        try:
            reports.append(results.get(timeout=1))
        except queue.Empty:
            if all(worker.exitcode is not None for worker in workers):
                break
    return reports


def run_step(
    scenario: Scenario, *, processes: int, window: Window, probe: CpuProbe
) -> dict[str, Any]:
    """Run ``scenario`` in ``processes`` client processes; the figures of the window."""
    ctx = mp.get_context("spawn")
    results: mp.Queue[dict[str, Any]] = ctx.Queue()
    start_at = time.time() + 3.0  # time for the spawned interpreters to import and build
    workers = [
        ctx.Process(target=_client, args=(scenario, i, window, processes, start_at, results))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    w0 = start_at + window.warmup_s
    w1 = w0 + window.measure_s
    time.sleep(max(0.0, w0 - time.time()))
    cpu0, t0 = probe(), time.time()
    time.sleep(max(0.0, w1 - time.time()))
    cpu1, t1 = probe(), time.time()
    reports = _collect(results, workers)
    for worker in workers:
        worker.join(timeout=60)
    latencies = [v for r in reports for v in r["latencies"]]
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report["errors"])
    ops = len(latencies)
    cpu = {name: cpu1[name] - cpu0[name] for name in cpu0}
    cpu["clients"] = sum(r["cpu_s"] for r in reports)
    return {
        "processes": processes,
        "clients_failed": processes - len(reports),
        "offered_per_s": window.rate_per_s,
        "window_s": round(t1 - t0, 2),
        "ops": ops,
        "ops_per_s": round(ops / window.measure_s, 1),
        "errors": dict(errors),
        "latency": summary_ms(latencies) if latencies else None,
        "cpu_ms_per_op": {
            name: round(1000 * seconds / ops, 3) if ops else None for name, seconds in cpu.items()
        },
        "cpu_cores_used": {name: round(s / (t1 - t0), 2) for name, s in cpu.items()},
    }
