"""The platform's cost ladder: what each layer of a request adds, measured in one run.

Per backend (an SQLite file; a throw-away PostgreSQL cluster), one ``mykey-platform serve``
(one worker, access log off, no scheduled jobs) and, for each step, ``PROCESSES`` client
processes of :mod:`benchmarks.loadgen` (they share neither the server's interpreter nor its
GIL, and their CPU is reported apart):

1. ``GET /v1/health`` — the floor of the stack;
2. a signed request that writes nothing (``GET /v1/bench/signed``, mounted for the
   benchmark only: the signature checked with reads);
3. a signed request whose writes are its nonce and its rate count (``GET /v1/terminal``);
4. the whole lookup flow: signed ``POST /v1/challenges``, the card's RSA signature made in
   the client process, signed ``POST /v1/lookups``, the answer checked.

Each step runs closed-loop ``RUNS`` times (median and spread of throughput, p50/p99 and the
server's CPU per operation, read from /proc for the server's process tree), then the lookup
flow once open-loop at half its median maximum, for the p99 a desk would see at a steady
rate. Reported: per step its figures and its marginal server CPU over the step below; the
ratio of server CPU per lookup flow to server CPU per health request (goal ≤ 4); the commit
and the versions of the stack. ``python -m benchmarks.ladder`` writes
``results/ladder.json`` and ``results/ladder.md``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import itertools
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization

from benchmarks.common import RESULTS, process_tree_cpu_s, write_result
from benchmarks.desk import enroll_terminals, make_holders, register_patrons, set_up_service
from benchmarks.loadgen import Scenario, Window, run_step
from tests.fixtures.platform import PlatformServer, console_script, platform_env
from tests.fixtures.postgres import free_port

PROCESSES = 4
RUNS = 3
WINDOW = Window(warmup_s=2.0, measure_s=6.0)
HOLDERS = 40
GOAL_RATIO = 4.0
OPS = "benchmarks.ladder_ops"
STACK = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "pydantic",
         "http-message-signatures", "cryptography")  # fmt: skip


@contextlib.contextmanager
def serve(database_url: str, work: Path) -> Iterator[PlatformServer]:
    """``mykey-platform serve`` with the access log off and no jobs; stopped by its PID."""
    port = free_port()
    log_path = work / f"ladder-{port}.log"
    env = {**platform_env(database_url), "MYKEY_PLATFORM_BENCHMARK": "1"}
    argv = [*console_script("mykey-platform"), "serve", "--port", str(port),
            "--no-access-log", "--jobs-every", "0", "--log-level", "warning"]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = PlatformServer(f"http://127.0.0.1:{port}", database_url, env, process, log_path,
                            port)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{server.base_url}/v1/health", timeout=1).status_code == 200:
                    break
            if process.poll() is not None:
                raise RuntimeError(log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_probe(server_pid: int, postmaster_pid: int | None) -> Callable[[], dict[str, float]]:
    """CPU seconds so far of the server's process tree (and PostgreSQL's)."""

    def probe() -> dict[str, float]:
        figures = {"server": process_tree_cpu_s([server_pid])}
        if postmaster_pid is not None:
            figures["postgres"] = process_tree_cpu_s([postmaster_pid])
        return figures

    return probe


def _median_spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}  # fmt: skip


def _summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and spread over the runs of one step."""
    done = [r for r in runs if r["latency"] is not None]
    return {
        "runs": runs,
        "ops_per_s": _median_spread([r["ops_per_s"] for r in runs]),
        "p50_ms": _median_spread([r["latency"]["p50_ms"] for r in done]) if done else None,
        "p99_ms": _median_spread([r["latency"]["p99_ms"] for r in done]) if done else None,
        "server_cpu_ms_per_op": _median_spread(
            [r["cpu_ms_per_op"]["server"] for r in done if r["cpu_ms_per_op"]["server"]]
        ) if done else None,  # fmt: skip
        "errors": sum(sum(r["errors"].values()) for r in runs),
    }


def bench_backend(
    database_url: str, work: Path, ca_dir: Path, holders: Sequence[Any],
    postmaster_pid: int | None,
) -> dict[str, Any]:  # fmt: skip
    with serve(database_url, work) as server:
        set_up_service(server, ca_dir)
        patrons = register_patrons(database_url, holders)
        terminals = [
            (t.terminal_id, t.key.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
            for t in enroll_terminals(server, PROCESSES, name="ladder")
        ]  # fmt: skip
        patron_keys = [
            (p.certificate_der, p.private_key.private_bytes(serialization.Encoding.PEM,
                                                            serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()),
             p.service_id)
            for p in patrons
        ]  # fmt: skip
        url = server.base_url
        probe = cpu_probe(server.process.pid, postmaster_pid)
        steps = {
            "health": Scenario(f"{OPS}:health", {"base_url": url}),
            "signed_noop": Scenario(f"{OPS}:signed_noop",
                                    {"base_url": url, "terminals": terminals}),
            "signed_nonce": Scenario(f"{OPS}:signed_terminal_info",
                                     {"base_url": url, "terminals": terminals}),
            "lookup_flow": Scenario(f"{OPS}:lookup_flow", {"base_url": url,
                                    "terminals": terminals, "patrons": patron_keys}),
        }  # fmt: skip
        result: dict[str, Any] = {"steps": {}}
        for name, scenario in steps.items():
            runs = [run_step(scenario, processes=PROCESSES, window=WINDOW, probe=probe)
                    for _ in range(RUNS)]  # fmt: skip
            result["steps"][name] = _summarise(runs)
            print(f"  {name}: {result['steps'][name]['ops_per_s']['median']}/s, "
                  f"server {result['steps'][name]['server_cpu_ms_per_op']} ms CPU/op")
        flows = result["steps"]["lookup_flow"]["ops_per_s"]["median"]
        offered = Window(WINDOW.warmup_s, WINDOW.measure_s, rate_per_s=max(1.0, flows / 2))
        result["lookup_flow_open_loop"] = run_step(
            steps["lookup_flow"], processes=PROCESSES, window=offered, probe=probe)
        result.update(_ratios(result["steps"]))
    return result


def _cpu(step: dict[str, Any]) -> float | None:
    figures = step.get("server_cpu_ms_per_op")
    return figures["median"] if figures else None


def _ratios(steps: dict[str, Any]) -> dict[str, Any]:
    order = ("health", "signed_noop", "signed_nonce", "lookup_flow")
    cpu = [_cpu(steps[name]) for name in order]
    marginal = {
        f"{upper}_over_{lower}_ms": round(b - a, 3) if a and b else None
        for (lower, a), (upper, b) in itertools.pairwise(zip(order, cpu, strict=True))
    }
    health, flow = cpu[0], cpu[-1]
    ratio = round(flow / health, 2) if flow and health else None
    return {"marginal_server_cpu": marginal, "server_cpu_flow_over_health": ratio,
            "meets_goal": ratio is not None and ratio <= GOAL_RATIO}  # fmt: skip


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True, cwd=RESULTS.parent).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _versions() -> dict[str, str]:
    found = {}
    for name in STACK:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    return found


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# The cost ladder",
        "",
        f"{result['date']}, commit {result['commit']}, {PROCESSES} client processes, "
        f"{RUNS} runs per step (median, min–max). Goal: server CPU per lookup flow ≤ "
        f"{GOAL_RATIO:g} × server CPU per health request.",
        "",
    ]
    for backend, data in result["backends"].items():
        lines += [f"## {backend}", ""]
        if "skipped" in data:
            lines += [f"skipped: {data['skipped']}", ""]
            continue
        lines += ["| step | ops/s | p50 ms | p99 ms | server CPU ms/op |", "|---|---|---|---|---|"]
        for name, step in data["steps"].items():
            if "skipped" in step:
                lines.append(f"| {name} | skipped: {step['skipped']} | | | |")
                continue

            def cell(figures: dict[str, float] | None) -> str:
                if not figures:
                    return "–"
                return f"{figures['median']} ({figures['min']}–{figures['max']})"

            lines.append(f"| {name} | {cell(step['ops_per_s'])} | {cell(step['p50_ms'])} | "
                         f"{cell(step['p99_ms'])} | {cell(step['server_cpu_ms_per_op'])} |")
        open_loop = data["lookup_flow_open_loop"]
        latency = open_loop["latency"] or {}
        lines += [
            "",
            f"- server CPU, lookup flow ÷ health: **{data['server_cpu_flow_over_health']}×** "
            f"(goal ≤ {GOAL_RATIO:g}×)",
            f"- marginal server CPU: {data['marginal_server_cpu']}",
            f"- lookup flow open loop at {open_loop['offered_per_s']:.0f}/s offered: "
            f"{open_loop['ops_per_s']}/s done, p99 {latency.get('p99_ms')} ms",
            "",
        ]
    lines += [f"Versions: {result['versions']}", ""]
    return "\n".join(lines)


def main() -> dict[str, Any]:
    from benchmarks.lookup_throughput import postgres_database

    date = time.strftime("%Y-%m-%d %H:%M %Z")
    result: dict[str, Any] = {"commit": _commit(), "versions": _versions(), "date": date,
                              "backends": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="mykey-ladder-") as tmp:
        work = Path(tmp)
        ca_dir, holders = make_holders(work / "cards", HOLDERS)
        print("ladder [sqlite]")
        result["backends"]["sqlite"] = bench_backend(
            f"sqlite:///{work / 'platform.db'}", work, ca_dir, holders, None)
        try:
            with postgres_database() as (url, postmaster, _create):
                print("ladder [postgresql]")
                result["backends"]["postgresql"] = bench_backend(
                    url, work, ca_dir, holders, postmaster)
        except Exception as exc:  # no PostgreSQL here: said in the result
            result["backends"]["postgresql"] = {"skipped": f"{type(exc).__name__}: {exc}"}
    path = write_result("ladder", result)
    path.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(f"→ {path}")
    return result


if __name__ == "__main__":
    main()
