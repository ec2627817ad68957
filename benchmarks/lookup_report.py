"""The Markdown summary of :mod:`benchmarks.lookup_throughput` (``lookup_throughput.md``)."""

from __future__ import annotations

from typing import Any

from benchmarks import lookup_profile

PHASES = {
    "health": "GET /v1/health",
    "signed_terminal_info": "GET /v1/terminal (signed)",
    "lookup_flow": "lookup flow",
}


def _ms(summary: dict[str, float] | None, key: str) -> str:
    return "–" if not summary else f"{summary[key]:.1f}"


def _p50_99(summary: dict[str, float] | None) -> str:
    return f"{_ms(summary, 'p50_ms')} / {_ms(summary, 'p99_ms')}"


def markdown(result: dict[str, Any]) -> str:
    setup = result["setup"]
    lines = [
        "# Lookup throughput", "",
        f"Target: {result['target']}. Client: {setup['client']} "
        f"({result['machine']['cpus']} CPUs, shared with the server); server: "
        f"{setup['server']}; {setup['warmup_s']} s warm-up + {setup['measure_s']} s measured "
        f"per phase; {setup['holders']} holders, one terminal per thread; load average "
        f"{result['load_average_1m_at_start']} at the start.", "",
        "| backend | health req/s | signed req/s | flows/s | lookup req/s | flows ÷ health "
        "| lookup req ÷ health | lookup req ÷ signed | server CPU/op health ÷ flow | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    backends = {n: d for n, d in result["backends"].items() if "skipped" not in d}
    for name, data in result["backends"].items():
        if name not in backends:
            lines.append(f"| {name} | skipped: {data['skipped']} | | | | | | | | |")
            continue
        h, s, f = data["health"], data["signed_terminal_info"], data["lookup_flow"]
        errors = sum(sum(data[p]["errors"].values()) for p in PHASES)
        lines.append(
            f"| {name} | {h['requests_per_s']} | {s['requests_per_s']} | {f['ops_per_s']} "
            f"| {f['requests_per_s']} | **{data['ratio_flows_to_health']:.1%}** "
            f"| {data['ratio_requests_to_health']:.1%} | {data['ratio_requests_to_signed']:.1%} "
            f"| {data['ratio_server_cpu_health_to_flow']:.1%} | {errors} |")
    lines += ["", "Latency under load, client side, and the platform's own time (Server-Timing), "
              "ms p50 / p99:", "",
              "| backend | phase | client p50 / p99 | platform p50 / p99 | CPU cores: client "
              "/ server / postgres | server CPU ms per op |", "|---|---|---|---|---|---|"]
    for name, data in backends.items():
        for phase, label in PHASES.items():
            d = data[phase]
            if phase == "lookup_flow":
                app = (f"challenge {_p50_99(d['platform_app_time_challenge'])}, "
                       f"lookup {_p50_99(d['platform_app_time_lookup'])}")
            else:
                app = _p50_99(d["platform_app_time"])
            cores = d["cpu_cores_used"]
            lines.append(f"| {name} | {label} | {_p50_99(d['latency'])} | {app} "
                         f"| {cores['client']} / {cores['server']} / {cores.get('postgres', '–')} "
                         f"| {d['cpu_ms_per_op']['server']} |")
    lines += ["", "Unloaded (one client, sequential), ms p50:", "",
              "| backend | health | health platform | flow | challenge platform "
              "| lookup platform |", "|---|---|---|---|---|---|"]
    for name, data in backends.items():
        seq = data["sequential"]
        lines.append(
            f"| {name} | {_ms(seq['health']['latency'], 'p50_ms')} "
            f"| {_ms(seq['health']['platform_app_time'], 'p50_ms')} "
            f"| {_ms(seq['flow']['latency'], 'p50_ms')} "
            f"| {_ms(seq['flow']['platform_app_time_challenge'], 'p50_ms')} "
            f"| {_ms(seq['flow']['platform_app_time_lookup'], 'p50_ms')} |")
    for name, data in backends.items():
        if "profile" in data:
            lines += ["", f"## Where a flow's platform time goes ({name}, in-process)", "",
                      *lookup_profile.markdown_lines(data["profile"])]
    return "\n".join(lines) + "\n"
