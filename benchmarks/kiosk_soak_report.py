"""The Markdown summary of a kiosk soak (``results/kiosk_soak.md``)."""

from __future__ import annotations

from typing import Any

from benchmarks.common import machine as this_machine


def markdown(r: dict[str, Any]) -> str:
    machine = r.get("machine") or this_machine()
    crash = r["crash"]
    crash_note = f" ({crash['what']} at tap {crash['at_tap']})" if crash else ""
    lines = [
        "# Kiosk soak",
        "",
        f"Commit {r['commit']}, {machine.get('date', '?')}, {machine.get('cpus', '?')} CPUs, "
        f"Python {machine.get('python', '?')}; load average at the end "
        f"{', '.join(str(x) for x in r['load_average_at_end'])}. {r['machine_note']}.",
        "",
        "One `mykey-counter` kiosk process (offscreen), a live `mykey-platform serve` on "
        "SQLite, virtual cards through pcscd and vpcd; lookups and points modes mixed "
        f"({', '.join(f'{k} {v:.0%}' for k, v in r['mix'].items())}), seed {r['seed']}.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| crashes | **{r['crashes']}**{crash_note} |",
        f"| taps done / asked | {r['taps_done']} / {r['taps_asked']} |",
        f"| ended as asked | {', '.join(f'{k} {v}' for k, v in r['ended_as_asked'].items())} |",
        f"| unexpected endings | {len(r['unexpected'])} |",
        f"| taps per minute | {r['taps_per_min']} (over {r['soak_s']:.0f} s) |",
        f"| kiosk RSS at tap 100 | {r['rss_mib_at_tap_100']} MiB |",
        f"| kiosk RSS at the end | {r['rss_mib_at_end']} MiB |",
        f"| RSS growth from tap 100 | {r['rss_growth_pct_from_tap_100']} % |",
        f"| kiosk peak RSS (VmHWM) | {r['peak_rss_mib']} MiB |",
        f"| holders' balances = granted − spent | {'yes' if r['balances_ok'] else '**no**'} |",
        f"| kiosk exit status | {r['kiosk_exit_status']} |",
        "",
        "Seconds per tap (from the card's insertion, or the mode button, to the idle screen; "
        "the PIN typed at 40 ms a key, pcscd's 400 ms poll of vpcd included):",
        "",
        "| kind | n | p50 | p95 | max |",
        "|---|---|---|---|---|",
    ]
    for kind, s in r["tap_s"].items():
        lines.append(f"| {kind} | {s['n']} | {s['p50_s']} | {s['p95_s']} | {s['max_s']} |")
    lines += ["", "The kiosk process over the soak (from /proc and the driver's counts):", "",
              "| tap | s | RSS MiB | threads | fds | Python objects | QObjects |",
              "|---|---|---|---|---|---|---|"]
    stats = {s["tap"]: s for s in r["kiosk_objects"]}
    for s in r["samples"]:
        o = stats.get(s["tap"], {})
        lines.append(f"| {s['tap']} | {s['t_s']} | {s['vm_rss_kib'] / 1024:.1f} | "
                     f"{s['threads']} | {s['open_fds']} | {o.get('python_objects', '')} | "
                     f"{o.get('qobjects', '')} |")
    if r["unexpected"]:
        lines += ["", "Unexpected endings:", ""]
        lines += [f"- tap {u['tap']} ({u['kind']}): {u['what']}" for u in r["unexpected"][:20]]
    if r["kiosk_log"]:
        lines += ["", f"The kiosk's log: `{r['kiosk_log']}`."]
    return "\n".join(lines) + "\n"
