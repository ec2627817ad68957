"""Lookup throughput and p50/p99 on SQLite and PostgreSQL, against the trivial endpoint of the
same server in the same run (target: lookup flows/s ≥ 50 % of GET /v1/health req/s).

Per backend (an SQLite file; a throw-away PostgreSQL cluster): a real ``mykey-platform
serve`` (one uvicorn worker) on a free 127.0.0.1 port, the test CA trusted, ``HOLDERS``
holders registered and linked to the library service, and one enrolled terminal per client
thread (the nonce store is per terminal). Then ``THREADS`` client threads, each with its own
:class:`PlatformClient` (keep-alive connection), run for ``WARMUP_S`` + ``MEASURE_S``:

- phase A, the baseline: ``GET /v1/health`` (unsigned, no database);
- phase A', a second reference: ``GET /v1/terminal``, the cheapest signed request (RFC 9421
  verification and the nonce's own transaction, nothing else);
- phase B, the lookup flow: signed ``POST /v1/challenges`` → the holder's RSA key signs
  DigestInfo(SHA-256(challenge)) in-process, as the card would → signed ``POST /v1/lookups``;
  every answer is checked (200, the holder's own service ID).

Before the load, a sequential pass (one client) gives unloaded latencies. Each response's
``Server-Timing: app;dur=`` splits the time into the platform's own and the rest; the CPU
time of the client process, the server process and (for PostgreSQL) the cluster is read at
both ends of the measured window. The client shares the machine's cores with the server,
so its CPU is reported too. When the ratio misses the target, :mod:`benchmarks.lookup_profile`
breaks the platform's own time down in-process.
"""

from __future__ import annotations

import base64
import contextlib
import os
import resource
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path
from typing import Any

import psutil

from app.client import PATH_CHALLENGE, PATH_HEALTH, PATH_LOOKUP, PATH_TERMINAL, PlatformClient
from app.ports import TapError
from benchmarks import lookup_profile, lookup_report
from benchmarks.common import machine, summary_ms, write_result
from benchmarks.desk import (
    SERVICE,
    Patron,
    ServerTimingTransport,
    Terminal,
    enroll_terminals,
    make_holders,
    register_patrons,
    set_up_service,
)
from drivers.vcard.holder import Holder
from tests.fixtures.platform import PlatformServer, start_platform

THREADS = 8
WARMUP_S = 2.0
MEASURE_S = 8.0
HOLDERS = 50
SEQUENTIAL_HEALTH = 200
SEQUENTIAL_FLOWS = 50
TARGET_RATIO = 0.5

Action = Callable[[], dict[str, float]]


class WrongAnswer(Exception):
    """A lookup answered 200 but not with the holder's own service ID."""


@dataclass
class Op:
    """One health request, or one whole lookup flow (two requests)."""

    start: float
    end: float
    error: str | None
    #: platform's own time per request path (Server-Timing), ms
    app_ms: list[tuple[str, float | None]]
    #: client-side parts of a flow: challenge_s, sign_s, lookup_s
    parts: dict[str, float] = field(default_factory=dict)


@dataclass
class Client:
    api: PlatformClient
    timing: ServerTimingTransport

    def close(self) -> None:
        self.api.close()


# --- the two operations ---------------------------------------------------------------------


def health_action(client: Client) -> Action:
    def act() -> dict[str, float]:
        client.api.health()
        return {}

    return act


def signed_action(client: Client) -> Action:
    def act() -> dict[str, float]:
        client.api.terminal_info()
        return {}

    return act


def flow_action(client: Client, patrons: Sequence[Patron], offset: int) -> Action:
    """Challenge → card signature (in-process) → lookup; checks the answer."""
    order = cycle(list(patrons[offset:]) + list(patrons[:offset]))

    def act() -> dict[str, float]:
        patron = next(order)
        t0 = time.perf_counter()
        challenge = client.api.challenge()
        t1 = time.perf_counter()
        signature = patron.sign(base64.b64decode(challenge.challenge))
        t2 = time.perf_counter()
        result = client.api.lookup(challenge.challenge_id, patron.certificate_der, signature)
        t3 = time.perf_counter()
        if result.service != SERVICE or result.service_id != patron.service_id:
            raise WrongAnswer(f"{result.service}/{result.service_id} for {patron.service_id}")
        return {"challenge_s": t1 - t0, "sign_s": t2 - t1, "lookup_s": t3 - t2}

    return act


def run_once(client: Client, act: Action) -> Op:
    start = time.perf_counter()
    parts: dict[str, float] = {}
    error = None
    try:
        parts = act()
    except TapError as e:
        error = f"{e.kind.value}: {e.detail}"
    except WrongAnswer:
        error = "wrong_service_id"
    except Exception as e:  # a benchmark counts failures; it does not stop on them
        error = type(e).__name__
    return Op(start, time.perf_counter(), error, client.timing.take(), parts)


# --- CPU accounting -------------------------------------------------------------------------


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu_s(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


class CpuMeter:
    """CPU seconds of this process, the server, and the PostgreSQL processes (if any)."""

    def __init__(self, server_pid: int, postmaster_pid: int | None) -> None:
        self.server_pid = server_pid
        self.postmaster_pid = postmaster_pid

    def _postgres_pids(self) -> list[int]:
        if self.postmaster_pid is None:
            return []
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.postmaster_pid)
            return [root.pid, *(p.pid for p in root.children(recursive=True))]
        return []

    def snapshot(self) -> dict[str, float]:
        snap = {"client": _own_cpu_s(), "server": _proc_cpu_s([self.server_pid])}
        if self.postmaster_pid is not None:
            snap["postgres"] = _proc_cpu_s(self._postgres_pids())
        return snap


# --- phases ---------------------------------------------------------------------------------


def _summary(values_s: Sequence[float]) -> dict[str, float] | None:
    return summary_ms(values_s) if values_s else None


def _app_summary(ops: Sequence[Op], path: str) -> dict[str, float] | None:
    values = [ms / 1000 for op in ops for p, ms in op.app_ms if p == path and ms is not None]
    return _summary(values)


def run_load(
    clients: Sequence[Client], actions: Sequence[Action], meter: CpuMeter, requests_per_op: int
) -> dict[str, Any]:
    """Every client thread runs its action until the end; only the measured window counts."""
    begin = time.perf_counter()
    w0, w1 = begin + WARMUP_S, begin + WARMUP_S + MEASURE_S
    results: list[list[Op]] = [[] for _ in clients]

    def loop(i: int) -> None:
        while time.perf_counter() < w1:
            results[i].append(run_once(clients[i], actions[i]))

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, w0 - time.perf_counter()))
    cpu0, t_cpu0 = meter.snapshot(), time.perf_counter()
    time.sleep(max(0.0, w1 - time.perf_counter()))
    cpu1, t_cpu1 = meter.snapshot(), time.perf_counter()
    for thread in threads:
        thread.join(timeout=60)
    ops = [op for per_thread in results for op in per_thread if w0 <= op.end <= w1]
    good = [op for op in ops if op.error is None]
    window = w1 - w0
    cpu_window = t_cpu1 - t_cpu0
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    n_cpu = psutil.cpu_count() or 1
    return {
        "threads": len(clients),
        "window_s": round(window, 2),
        "ops": len(ops),
        "ok": len(good),
        "errors": dict(Counter(op.error for op in ops if op.error is not None)),
        "ops_per_s": round(len(good) / window, 1),
        "requests_per_s": round(len(good) * requests_per_op / window, 1),
        "latency": _summary([op.end - op.start for op in good]),
        "cpu_cores_used": {k: round(v / cpu_window, 2) for k, v in cpu.items()},
        "cpu_share_of_machine": {k: round(v / cpu_window / n_cpu, 3) for k, v in cpu.items()},
        "cpu_ms_per_op": {k: round(v * 1000 / max(1, len(good)), 3) for k, v in cpu.items()},
        "_ops": good,
    }


def run_sequential(client: Client, act: Action, count: int) -> list[Op]:
    return [run_once(client, act) for _ in range(count)]


def _flow_details(ops: Sequence[Op]) -> dict[str, Any]:
    good = [op for op in ops if op.error is None]
    return {
        "challenge_request": _summary([op.parts["challenge_s"] for op in good]),
        "card_signature_in_process": _summary([op.parts["sign_s"] for op in good]),
        "lookup_request": _summary([op.parts["lookup_s"] for op in good]),
        "platform_app_time_challenge": _app_summary(good, PATH_CHALLENGE),
        "platform_app_time_lookup": _app_summary(good, PATH_LOOKUP),
    }


def _app_details(ops: Sequence[Op], path: str) -> dict[str, Any]:
    return {"platform_app_time": _app_summary([op for op in ops if op.error is None], path)}


# --- one backend ------------------------------------------------------------------------------


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def bench_backend(
    name: str,
    database_url: str,
    work: Path,
    ca_dir: Path,
    holders: Sequence[Holder],
    postmaster_pid: int | None,
) -> dict[str, Any]:
    with start_platform(database_url, work) as server:
        set_up_service(server, ca_dir)
        patrons = register_patrons(database_url, holders)
        terminals = enroll_terminals(server, THREADS, name=f"bench {name}")
        clients = [_client(server, t) for t in terminals]
        try:
            return _measure(server, clients, patrons, postmaster_pid)
        finally:
            for client in clients:
                client.close()


def _client(server: PlatformServer, terminal: Terminal) -> Client:
    timing = ServerTimingTransport()
    api = PlatformClient(server.base_url, terminal.terminal_id, terminal.key, transport=timing)
    return Client(api, timing)


def _measure(
    server: PlatformServer,
    clients: Sequence[Client],
    patrons: Sequence[Patron],
    postmaster_pid: int | None,
) -> dict[str, Any]:
    first = clients[0]
    seq_health = run_sequential(first, health_action(first), SEQUENTIAL_HEALTH)
    seq_flows = run_sequential(first, flow_action(first, patrons, 0), SEQUENTIAL_FLOWS)
    meter = CpuMeter(server.process.pid, postmaster_pid)
    health = run_load(clients, [health_action(c) for c in clients], meter, 1)
    signed = run_load(clients, [signed_action(c) for c in clients], meter, 1)
    step = max(1, len(patrons) // len(clients))
    flow_actions = [flow_action(c, patrons, i * step) for i, c in enumerate(clients)]
    flows = run_load(clients, flow_actions, meter, 2)
    health.update(_app_details(health.pop("_ops"), PATH_HEALTH))
    signed.update(_app_details(signed.pop("_ops"), PATH_TERMINAL))
    flows.update(_flow_details(flows.pop("_ops")))
    ratio = _ratio(flows["ops_per_s"], health["requests_per_s"])
    return {
        "sequential": {
            "health": {"latency": _summary([o.end - o.start for o in seq_health if not o.error]),
                       "errors": sum(1 for o in seq_health if o.error),
                       **_app_details(seq_health, PATH_HEALTH)},
            "flow": {"latency": _summary([o.end - o.start for o in seq_flows if not o.error]),
                     "errors": sum(1 for o in seq_flows if o.error), **_flow_details(seq_flows)},
        },
        "health": health,
        "signed_terminal_info": signed,
        "lookup_flow": flows,
        "ratio_flows_to_health": round(ratio, 3),
        "ratio_requests_to_health": round(_ratio(flows["requests_per_s"],
                                                 health["requests_per_s"]), 3),
        "ratio_requests_to_signed": round(_ratio(flows["requests_per_s"],
                                                 signed["requests_per_s"]), 3),
        # the same ratio from the server's CPU per operation: robust to a client-bound
        # baseline and to other load on the machine (which moves the rates, not this)
        "ratio_server_cpu_health_to_flow": round(_ratio(health["cpu_ms_per_op"]["server"],
                                                        flows["cpu_ms_per_op"]["server"]), 3),
        "meets_target": ratio >= TARGET_RATIO,
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


# --- backends -------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database() -> Iterator[tuple[str, int | None, Callable[[str], str]]]:
    """A throw-away cluster: (URL of a fresh database, postmaster PID, create_database)."""
    from tests.fixtures.postgres import throwaway_cluster

    with throwaway_cluster() as cluster:
        yield cluster.create_database("mykey_bench"), _postmaster_pid(cluster.data_dir), \
            cluster.create_database


def main() -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {
        "setup": {"threads": THREADS, "warmup_s": WARMUP_S, "measure_s": MEASURE_S,
                  "holders": HOLDERS, "server": "mykey-platform serve, 1 uvicorn worker",
                  "client": f"{THREADS} threads in one Python process on the same machine"},
        "target": f"lookup flows/s >= {TARGET_RATIO:.0%} of GET /v1/health req/s",
        "backends": {},
        # other work on the machine (a test session?) skews absolute figures, not ratios
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory(prefix="mykey-bench-lookup-") as tmp:
        work = Path(tmp)
        ca_dir, holders = make_holders(work / "cards", HOLDERS)
        sqlite_url = f"sqlite:///{work / 'platform.db'}"
        sqlite = bench_backend("sqlite", sqlite_url, work, ca_dir, holders, None)
        if not sqlite["meets_target"]:
            sqlite["profile"] = lookup_profile.profile(f"sqlite:///{work / 'profile.db'}",
                                                       ca_dir, holders[:THREADS])
        result["backends"]["sqlite"] = sqlite
        _print_backend("sqlite", sqlite)
        with contextlib.ExitStack() as stack:
            try:
                pg_url, postmaster, create_database = stack.enter_context(postgres_database())
            except (Exception, _pytest_failed()) as e:  # no PostgreSQL here: say so
                pg: dict[str, Any] = {"skipped": f"{type(e).__name__}: {e}"}
            else:
                pg = bench_backend("postgresql", pg_url, work, ca_dir, holders, postmaster)
                if not pg["meets_target"]:
                    pg["profile"] = lookup_profile.profile(create_database("mykey_profile"),
                                                           ca_dir, holders[:THREADS])
        result["backends"]["postgresql"] = pg
        _print_backend("postgresql", pg)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    path = write_result("lookup_throughput", result)
    result["machine"] = machine()
    path.with_suffix(".md").write_text(lookup_report.markdown(result), encoding="utf-8")
    print(f"→ {path}")
    return result


def _pytest_failed() -> type[BaseException]:
    """``pytest.fail``'s exception (the fixtures' helpers use it to say what is missing)."""
    import pytest

    return pytest.fail.Exception


# --- reporting ------------------------------------------------------------------------------


def _print_backend(name: str, data: dict[str, Any]) -> None:
    if "skipped" in data:
        print(f"lookup throughput [{name}]: skipped ({data['skipped']})")
        return
    h, s, f = data["health"], data["signed_terminal_info"], data["lookup_flow"]
    print(f"lookup throughput [{name}]: health {h['requests_per_s']} req/s, "
          f"signed GET /v1/terminal {s['requests_per_s']} req/s, "
          f"flows {f['ops_per_s']}/s ({f['requests_per_s']} req/s); "
          f"flows/health {data['ratio_flows_to_health']:.1%} (target {TARGET_RATIO:.0%}); "
          f"flow p50/p99 {f['latency']['p50_ms']}/{f['latency']['p99_ms']} ms; "
          f"errors {sum(f['errors'].values())}")


if __name__ == "__main__":
    main()
