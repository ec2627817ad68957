"""``mykey-counter --startup-check``: the report printed once the idle screen is painted."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import click


def process_age_s() -> float | None:
    """Seconds since the OS started this process (interpreter start included), or None.

    Linux: the start time in /proc/self/stat against the boot-time clock (to 1/CLK_TCK,
    10 ms). Elsewhere psutil, when installed (a dev dependency), whose wall-clock start
    time is coarser still.
    """
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii")
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    return float(time.time() - psutil.Process().create_time())


def peak_rss_kib() -> int | None:
    """This process's peak resident memory since it started its program, in KiB.

    Linux: VmHWM from /proc/self/status, which (unlike getrusage's ru_maxrss) does not
    carry over the memory of the process that forked us. None elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def idle_report(started_at: float, enrolled: bool) -> Callable[[float], None]:
    """The kiosk's ``on_idle_painted``: print the report as one JSON object on stdout."""

    def report(painted_at: float) -> None:
        age = process_age_s()
        if age is not None:
            age -= time.perf_counter() - painted_at  # the age at the paint, not now
        click.echo(json.dumps({
            "idle_painted_s": round(painted_at - started_at, 4),
            "process_age_s": None if age is None else round(age, 3),
            "peak_rss_kib": peak_rss_kib(),
            "enrolled": enrolled,
        }))

    return report
