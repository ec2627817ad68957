"""Payments per second through the HTTP API, against pgbench's built-in TPC-B-like script on
the same PostgreSQL cluster in the same run, with the same client count (target: payments/s
≥ 0.5 × pgbench's transactions/s); the SQLite figure too, and p50/p99 latency.

1. A throw-away PostgreSQL cluster (:func:`tests.fixtures.postgres.throwaway_cluster`:
   fsync and synchronous_commit off, as for the tests).  ``pgbench -i -s CLIENTS`` in a
   database of its own (scale = clients, pgbench's own advice, so its clients do not all
   queue on one branch row — as each payment client has its own holder account), then
   ``pgbench -c CLIENTS -j CLIENTS -T MEASURE_S -b tpcb-like``; its ``tps`` (without
   connection time) is the baseline.
2. ``mykey-platform serve --workers WORKERS`` on another database of that cluster; α市, a
   shop, one enrolled shop terminal per client and one holder per client with plenty of
   points (set up with the ledger's service functions).  ``CLIENTS`` threads, each with its
   own keep-alive connection, pay for ``WARMUP_S`` + ``MEASURE_S``: one card tap, one
   operation, so a payment is four signed requests — ``POST /v1/challenges`` for the
   payment, ``POST /v1/card-sessions`` with a real card proof, ``POST /v1/payments`` (hold)
   and ``POST /v1/payments/{id}/post`` — each answer checked.
3. The same platform set-up on an SQLite file.

Every process started here is stopped by its PID.  ``python -m benchmarks.bench_payments``
writes ``results/payments.json`` and ``results/payments.md``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil

from benchmarks.common import RESULTS, machine, process_tree_cpu_s, summary_ms, write_result
from tests.fixtures.platform import console_script, platform_env
from tests.fixtures.points_platform import ALPHA, PointsPlatform, ShopTerminal, set_up_points
from tests.fixtures.postgres import PostgresCluster, free_port, throwaway_cluster
from tests.unit.server.certs import Holder

CLIENTS = int(os.environ.get("BENCH_PAYMENTS_CLIENTS", "8"))
WORKERS = int(os.environ.get("BENCH_PAYMENTS_WORKERS", str(os.cpu_count() or 1)))
MEASURE_S = float(os.environ.get("BENCH_PAYMENTS_SECONDS", "15"))
WARMUP_S = 3.0
AMOUNT = 1
POINTS_EACH = 10_000_000
TARGET_RATIO = 0.5

#: CPU seconds so far, by who spent them (``platform``, ``postgresql``, ``clients``)
CpuProbe = Callable[[], dict[str, float]]


# --- pgbench --------------------------------------------------------------------------


def _pgbench(cluster: PostgresCluster, *args: str) -> str:
    command = [str(cluster.bindir / "pgbench"), "-h", "127.0.0.1", "-p", str(cluster.port),
               "-U", "postgres", *args]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def run_pgbench(cluster: PostgresCluster) -> dict[str, Any]:
    cluster.create_database("pgbench")
    _pgbench(cluster, "-i", "-q", "-s", str(CLIENTS), "pgbench")
    seconds = str(int(MEASURE_S))
    out = _pgbench(cluster, "-c", str(CLIENTS), "-j", str(CLIENTS), "-T", seconds,
                   "-b", "tpcb-like", "pgbench")  # fmt: skip
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    latency = re.search(r"latency average = ([0-9.]+) ms", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    if tps is None:
        raise RuntimeError(f"no tps in pgbench's output:\n{out}")
    return {
        "command": f"pgbench -c {CLIENTS} -j {CLIENTS} -T {seconds} -b tpcb-like (scale {CLIENTS})",
        "tps": round(float(tps.group(1)), 1),
        "latency_average_ms": float(latency.group(1)) if latency else None,
        "transactions": int(done.group(1)) if done else None,
    }


# --- the platform ---------------------------------------------------------------------


@contextlib.contextmanager
def serve(database_url: str, log_dir: Path) -> Iterator[tuple[str, int]]:
    """``mykey-platform serve --workers WORKERS`` on a free port; its base URL and PID.
    Stopped (SIGTERM, then SIGKILL) by its PID, and so are its worker processes."""
    port = free_port()
    log_path = log_dir / f"platform-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*console_script("mykey-platform"), "serve", "--port", str(port),
             "--workers", str(WORKERS), "--log-level", "warning", "--jobs-every", "0"],
            # a holder taps once per payment, far beyond the card limit a real card meets
            env={**platform_env(database_url), "MYKEY_PLATFORM_RATE_LIMITS": "card=1000000/1"},
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the platform did not start:\n{log_path.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base_url + "/v1/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        children = _children(process.pid)
        yield base_url, process.pid
    finally:
        children |= _children(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
        for pid in children:  # workers left behind (they should have stopped with it)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def cpu_probe(server_pid: int, cluster: PostgresCluster | None) -> CpuProbe:
    """CPU seconds so far of the platform (every worker), the PostgreSQL cluster (every
    backend) and this process (the clients)."""
    postmaster = None
    if cluster is not None:
        postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])

    def probe() -> dict[str, float]:
        me = psutil.Process().cpu_times()
        return {
            "platform": process_tree_cpu_s([server_pid]),
            "postgresql": process_tree_cpu_s([postmaster]) if postmaster else 0.0,
            "clients": me.user + me.system,
        }

    return probe


def bench_platform(
    database_url: str, work: Path, *, shops: int = 1, cluster: PostgresCluster | None = None
) -> dict[str, Any]:
    """The load on a fresh platform; the clients' tills belong to ``shops`` shops."""
    with serve(database_url, work) as (base_url, server_pid):
        platform = set_up_points(database_url, base_url)
        try:
            payers: list[tuple[ShopTerminal, Holder]] = []
            for i in range(CLIENTS):
                till = platform.add_shop_terminal(f"till {i}", f"shop-{1 + i % shops:02d}")
                holder, _ = platform.add_holder(POINTS_EACH)
                payers.append((till, holder))
            measured = _load(platform, base_url, payers, cpu_probe(server_pid, cluster))
            measured["shops"] = shops
            measured["ledger_problems"] = len(platform.problems())
        finally:
            platform.close()
    return measured


def _load(
    platform: PointsPlatform,
    base_url: str,
    payers: list[tuple[ShopTerminal, Holder]],
    probe: CpuProbe,
) -> dict[str, Any]:
    start = threading.Barrier(len(payers) + 1)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    window: dict[str, float] = {}
    stop = threading.Event()

    def pay(till: ShopTerminal, holder: Holder) -> None:
        with httpx.Client(timeout=60) as http:
            client = till.client(http, base_url)
            start.wait()
            while not stop.is_set():
                payment_id = str(uuid.uuid4())
                began = time.perf_counter()
                tapped = platform.tap(client, holder, AMOUNT)
                ok = tapped.status_code == 200
                session_id = tapped.json().get("session_id", "") if ok else ""
                body = {"id": payment_id, "session_id": session_id,
                        "municipality_code": ALPHA, "amount": AMOUNT}  # fmt: skip
                held = client.post("/v1/payments", body)
                posted = (
                    client.post(f"/v1/payments/{payment_id}/post", {"id": str(uuid.uuid4())})
                    if held.status_code == 200
                    else held
                )
                ended = time.perf_counter()
                if not window["from"] <= began or ended > window["to"]:
                    continue  # warm-up, or past the measured window
                with lock:
                    if posted.status_code == 200 and posted.json()["status"] == "posted":
                        latencies.append(ended - began)
                    else:
                        errors[f"{posted.status_code} {posted.text[:80]}"] += 1

    threads = [threading.Thread(target=pay, args=payer) for payer in payers]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    window.update({"from": now + WARMUP_S, "to": now + WARMUP_S + MEASURE_S})
    start.wait()
    time.sleep(max(0.0, window["from"] - time.perf_counter()))
    cpu_before = probe()
    time.sleep(max(0.0, window["to"] - time.perf_counter()))
    cpu_after = probe()
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    payments = len(latencies)
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
    return {
        "payments": payments,
        "payments_per_s": round(payments / MEASURE_S, 1),
        "requests_per_s": round(4 * payments / MEASURE_S, 1),
        "latency_per_payment": summary_ms(latencies) if latencies else None,
        "errors": dict(errors),
        # where the time goes: CPU seconds spent in the measured window, per payment
        "cpu_ms_per_payment": {
            name: round(1000 * seconds / payments, 2) if payments else None
            for name, seconds in cpu.items()
        },
        "cpu_busy_of_machine": round(sum(cpu.values()) / (MEASURE_S * (os.cpu_count() or 1)), 3),
    }


# --- the run --------------------------------------------------------------------------


def main() -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {
        "setup": {
            "clients": CLIENTS,
            "measure_s": MEASURE_S,
            "warmup_s": WARMUP_S,
            "server": f"mykey-platform serve --workers {WORKERS} --log-level warning",
            "payment": "signed POST /v1/payments (hold) + signed POST /v1/payments/{id}/post",
            "client": f"{CLIENTS} threads in one Python process on the same machine "
            "(one terminal and one holder each; the terminals are tills of one shop)",
            "cluster": "throw-away PostgreSQL (fsync, synchronous_commit off), shared by "
            "pgbench and the platform, one after the other",
        },
        "target": f"PostgreSQL payments/s >= {TARGET_RATIO} x pgbench tpcb-like tps "
        "(same cluster, same run, same client count)",
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory(prefix="mykey-bench-payments-") as tmp:
        work = Path(tmp)
        with throwaway_cluster() as cluster:
            result["pgbench"] = run_pgbench(cluster)
            print(f"pgbench: {result['pgbench']['tps']} tps", flush=True)
            result["postgresql"] = bench_platform(
                cluster.create_database("mykey_bench"), work, cluster=cluster
            )
            print(f"postgresql: {result['postgresql']}", flush=True)
            # a diagnosis, not the headline: every payment of one shop updates that shop's
            # account row, so one shop's tills queue on it; one shop per client does not
            result["postgresql_one_shop_per_client"] = bench_platform(
                cluster.create_database("mykey_bench_shops"), work, shops=CLIENTS, cluster=cluster
            )
            print(f"postgresql, {CLIENTS} shops: {result['postgresql_one_shop_per_client']}")
        result["sqlite"] = bench_platform(f"sqlite:///{work / 'platform.db'}", work)
        print(f"sqlite: {result['sqlite']}", flush=True)
    ratio = result["postgresql"]["payments_per_s"] / result["pgbench"]["tps"]
    result["ratio_payments_to_pgbench_tps"] = round(ratio, 4)
    result["ratio_requests_to_pgbench_tps"] = round(
        result["postgresql"]["requests_per_s"] / result["pgbench"]["tps"], 4
    )
    result["meets_target"] = ratio >= TARGET_RATIO
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    path = write_result("payments", result)
    result["machine"] = machine()
    (RESULTS / "payments.md").write_text(markdown(result), encoding="utf-8")
    print(f"→ {path}: payments/s ÷ pgbench tps = {ratio:.3f} (target ≥ {TARGET_RATIO})")
    return result


def markdown(result: dict[str, Any]) -> str:
    pg, lite, bench = result["postgresql"], result["sqlite"], result["pgbench"]

    def row(name: str, d: dict[str, Any]) -> str:
        lat = d["latency_per_payment"] or {}
        errors = sum(d["errors"].values())
        cpu = d.get("cpu_ms_per_payment") or {}
        return (f"| {name} | {d['payments_per_s']} | {d['requests_per_s']} | "
                f"{lat.get('p50_ms')} | {lat.get('p99_ms')} | {errors} | "
                f"{cpu.get('platform')} / {cpu.get('postgresql')} / {cpu.get('clients')} | "
                f"{d.get('cpu_busy_of_machine')} |")  # fmt: skip

    cpu = pg.get("cpu_ms_per_payment") or {}
    spent = sum(v for v in cpu.values() if v)
    cpus = result["machine"]["cpus"] or 1
    met = "met" if result["meets_target"] else "**missed**"
    return "\n".join([
        "# Payments through the HTTP API", "",
        f"{result['machine']['date']}, {cpus} CPUs (load average "
        f"{result['load_average_1m_at_start']} at the start), "
        f"{result['setup']['clients']} clients, {result['setup']['measure_s']:.0f} s measured, "
        f"{result['setup']['server']}.", "",
        "| backend | payments/s | requests/s | p50 ms / payment | p99 ms / payment | errors "
        "| CPU ms / payment: platform / PostgreSQL / clients | share of the machine's CPUs |",
        "|---|---|---|---|---|---|---|---|",
        row("PostgreSQL", pg), row("SQLite", lite),
        row(f"PostgreSQL, {result['setup']['clients']} shops (diagnosis)",
            result["postgresql_one_shop_per_client"]), "",
        "The headline rows: every client is a till of one shop (its account row is updated "
        "by every payment). The diagnosis row gives each client its own shop.", "",
        "CPU per payment: user + system CPU seconds of the platform's processes, of every "
        "PostgreSQL backend and of the client process in the measured window, divided by the "
        "payments completed in it; the last column is that CPU time over the window's "
        "CPU capacity (the rest went to other processes on the machine, or idle)."
        + (f" At {spent:.1f} ms of CPU per payment, {cpus} CPUs given to nothing else would "
           f"carry at most {1000 * cpus / spent:.0f} payments/s." if spent else ""), "",
        f"Baseline: `{bench['command']}` on the same cluster: **{bench['tps']} tps** "
        f"(latency average {bench['latency_average_ms']} ms).", "",
        f"Ratio PostgreSQL payments/s ÷ pgbench tps = **{result['ratio_payments_to_pgbench_tps']}**"
        f" (signed requests/s ÷ tps = {result['ratio_requests_to_pgbench_tps']}); "
        f"target ≥ {TARGET_RATIO}: {met}.", "",
    ])  # fmt: skip


if __name__ == "__main__":
    main()
