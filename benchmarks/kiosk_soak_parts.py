"""The pieces of the kiosk soak (:mod:`benchmarks.kiosk_soak`): the counter's home, the
platform's set-up, the kiosk process and its event stream, and /proc figures."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from benchmarks.kiosk_driver import PREFIX
from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import Holder
from drivers.vcard.pcscd import VPCD_READER
from drivers.vcard.vpcd import VpcdCardRunner
from tests.fixtures.platform import PlatformServer

ROOT = Path(__file__).resolve().parent.parent
COUNTER = str(Path(sys.executable).parent / "mykey-counter")
SERVICE = "soak-shop"
ALPHA, ALPHA_NAME = "14130", "α市"
SHOP = "shop-01"
FIRST_NUMBER = 3_000_000_001
#: points granted to each holder at the start: more than 2,000 taps can spend
GRANT = 200_000
PIN = "1234"
STOP_TIMEOUT_S = 20.0


class Unexpected(Exception):
    """A tap did not end as asked: a screen the soak did not expect, or nothing in time."""


class KioskDied(Exception):
    """The kiosk process is gone."""


@dataclass
class Patron:
    """A registered holder: the number a lookup must show, and the card in its runner."""

    mykey_id: str
    service_id: str
    runner: VpcdCardRunner

    def balance(self, platform: PlatformServer) -> int | None:
        """The holder's posted points at α市, as ``mykey-platform points balance`` says."""
        out = platform.run_cli("points", "balance", self.mykey_id)
        for line in out.splitlines():
            if ALPHA in line or ALPHA_NAME in line:
                numbers = [int(n.replace(",", "")) for n in re.findall(r"\b[\d,]+\b", line)
                           if n.replace(",", "") != ALPHA]
                return numbers[0] if numbers else None
        return None


def write_counter_home(home: Path) -> None:
    """counter.toml before enrollment: windowed, the file keyring, the vpcd reader, the
    number and barcode on screen, an ESC/POS printer that writes to /dev/null."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "counter.toml").write_text(
        'secrets_backend = "file"\n'
        "demo_mode = true\n"
        "allow_virtual_reader = true\n"
        "fullscreen = false\n"
        f'reader = "{VPCD_READER}"\n'
        'delivery = ["show", "barcode"]\n'
        "\n[label]\n"
        'printer = "escpos"\n'
        'target = "/dev/null"\n'
        'size = "80mm"\n'
        "\n[points]\n"
        "enabled = true\n",
        encoding="utf-8",
    )


def set_up_platform(platform: PlatformServer, ca_dir: Path, cards: Sequence[Holder],
                    home: Path) -> tuple[list[Patron], int]:
    """The shop service, α市 and its shop, the counter enrolled and allowed the shop and
    voucher modes, every card's holder registered, linked and granted :data:`GRANT`."""
    cli = platform.run_cli
    cli("ca", "add", str(ca_dir / "ca.pem"))
    cli("service", "add", SERVICE, "--provider", ALPHA_NAME, "--display-name", "α市ポイント",
        "--barcode", "nw7", "--format", "[0-9]{10}")
    cli("municipality", "add", ALPHA, ALPHA_NAME)
    cli("shop", "add", SHOP, "α商店街 こめや", "--category", "retail")
    cli("municipality", "allow", ALPHA, "--shop", SHOP)
    code = cli("terminal", "add", "--service", SERVICE, "--name", "soak").strip().splitlines()[-1]
    subprocess.run([COUNTER, "--home", str(home), "enroll", "--server", platform.base_url,
                    "--code", code], check=True, capture_output=True, timeout=120)
    settings = tomllib.loads((home / "counter.toml").read_text(encoding="utf-8"))
    terminal_id = settings["terminal_id"]
    cli("terminal", "allow", terminal_id, "--mode", "shop", "--shop", SHOP)
    cli("terminal", "allow", terminal_id, "--mode", "voucher", "--municipality", ALPHA)
    patrons = []
    for number, card in enumerate(cards, start=FIRST_NUMBER):
        out = cli("mykey", "register", "--cert", str(card.directory / "cert.pem"))
        mykey_id = out.strip().splitlines()[-1]
        cli("service", "link", "--mykey-id", mykey_id, "--service", SERVICE,
            "--service-id", str(number))
        out = cli("grant", "give", mykey_id, "--municipality", ALPHA, "--points", str(GRANT),
                  "--reason", "other", "--staff", "soak-setup")
        if "awaiting_approval" in out:  # a second staff member approves it
            cli("grant", "approve", out.strip().splitlines()[-1], "--staff", "soak-approver")
        patrons.append(Patron(mykey_id, str(number), VpcdCardRunner(VirtualJpkiCard(card))))
    return patrons, GRANT


class Kiosk:
    """The counter process (:mod:`benchmarks.kiosk_driver`) and its ``SOAK`` events."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.other_output: list[str] = []
        assert proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(proc.stdout,),
                                        name="kiosk-stdout", daemon=True)
        self._reader.start()

    @classmethod
    @contextlib.contextmanager
    def start(cls, home: Path, log_path: Path) -> Iterator[Kiosk]:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.kiosk_driver", "--pin", PIN, "--",
                 "--home", str(home)],
                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        kiosk = cls(proc)
        try:
            yield kiosk
        finally:
            kiosk.stop()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            if line.startswith(PREFIX):
                self.events.put(json.loads(line.removeprefix(PREFIX)))
            else:
                self.other_output.append(line)
        self.events.put(None)  # end of output: the process is gone

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(command.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise KioskDied(self._gone()) from None

    def expect(self, ev: str, timeout_s: float) -> dict[str, Any]:
        """The next ``ev`` event; :class:`Unexpected` on a ``problem`` or after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise KioskDied(self._gone()) from None
                raise Unexpected(f"no {ev} within {timeout_s:.0f} s") from None
            if event is None:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
                raise KioskDied(self._gone())
            if event["ev"] == ev:
                return event
            if event["ev"] == "problem":
                raise Unexpected(f"waiting for {ev}: {event}")

    def _gone(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "the kiosk stopped answering"
        if code < 0:
            return f"the kiosk died by {signal.Signals(-code).name}"
        return f"the kiosk exited with {code}"

    def stop(self) -> int:
        """Ask it to quit; SIGTERM, then SIGKILL, by its PID, if it does not."""
        if self.proc.poll() is None:
            with contextlib.suppress(KioskDied):
                self.send("quit")
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
        return self.proc.returncode


def proc_figures(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (KiB), threads and open descriptors of a process, from /proc."""
    figures: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[f"{key.lower()[:2]}_{key[2:].lower()}_kib"] = int(value.split()[0])
        elif key == "Threads":
            figures["threads"] = int(value)
    figures["open_fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return figures


def git_commit() -> str:
    """The commit measured, with ``+dirty`` when the work tree has changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no") != ""
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")
