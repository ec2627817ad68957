"""A private pcscd with vsmartcard's vpcd reader, for the virtual card's demos and tests.

Only one pcscd can run per machine (its socket is fixed) and vpcd has two slots, so every
user of the virtual reader — a test session, ``make demo``, a benchmark — first takes an
exclusive ``flock`` on :data:`LOCK_PATH` (:class:`MachineLock`) and keeps it while it uses
pcscd. :func:`private_pcscd` reuses a pcscd that already runs, or starts one in the
foreground and stops exactly that one (by its PID) afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from drivers.card.errors import NoReader
from drivers.card.pcsc import list_readers

VPCD_READER = "Virtual PCD 00 00"
LOCK_PATH = Path("/tmp/mykey-pcscd.lock")  # noqa: S108 - shared on purpose, by every user
VPCD_CONFIG = Path("/etc/reader.conf.d/vpcd")
PCSCD_SOCKET = Path(os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm"))
START_TIMEOUT_S = 20.0


class PcscdUnavailable(RuntimeError):
    """pcscd or the vpcd reader cannot be had; the message says what to install or check."""


class MachineLock:
    """An exclusive ``flock`` on ``path``: one user of pcscd and vpcd at a time.

    The holder writes its PID into the file, so a waiting process can say whom it waits
    for. The kernel drops the lock when the holding process ends, however it ends.
    """

    def __init__(self, path: Path = LOCK_PATH) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this process holds the lock."""
        return self._fd is not None

    def acquire(
        self, timeout_s: float | None = None, on_wait: Callable[[str], None] | None = None
    ) -> None:
        """Take the lock, waiting ``timeout_s`` (``None``: as long as it takes)."""
        if self._fd is not None:
            return
        fd = self._open()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait(f"waiting for {self.path}: {self.holder()} uses pcscd/vpcd")
                    told = True
                if deadline is not None and time.monotonic() >= deadline:
                    os.close(fd)
                    raise TimeoutError(
                        f"{self.holder()} has held {self.path} for {timeout_s:.0f} s"
                    ) from None
                time.sleep(0.5)
        self._fd = fd
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        """Let the next user have pcscd."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock

    def __enter__(self) -> MachineLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _open(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except PermissionError:  # another user's file: a read-only descriptor locks too
            return os.open(self.path, os.O_RDONLY)
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o666)  # noqa: S103 - every user's sessions share it
        return fd

    def holder(self) -> str:
        """Who holds the lock, as far as the file says."""
        try:
            pid = self.path.read_text().strip()
        except OSError:
            pid = ""
        return f"another process (PID {pid})" if pid else "another process"


@dataclass
class Pcscd:
    """The pcscd in use: ``pid`` and ``log_path`` are ``None`` when it was already running."""

    started_here: bool
    pid: int | None
    log_path: Path | None
    reader: str = VPCD_READER


def pcscd_answers() -> bool:
    """Whether something listens on pcscd's socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(PCSCD_SOCKET))
        except OSError:
            return False
    return True


def pcscd_binary() -> str:
    """Path of pcscd; :class:`PcscdUnavailable` if it or vpcd's config is missing."""
    path = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
    if path is None:
        raise PcscdUnavailable("pcscd is not installed: apt-get install pcscd vsmartcard-vpcd")
    if not VPCD_CONFIG.exists():
        raise PcscdUnavailable(f"{VPCD_CONFIG} is missing: apt-get install vsmartcard-vpcd")
    return path


def _readers() -> list[str]:
    try:
        return list_readers()
    except NoReader:
        return []


def tail(path: Path | None, lines: int = 30) -> str:
    """The last lines of a log file ('' if there is none)."""
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_for_reader(proc: subprocess.Popen[bytes] | None, log_path: Path | None) -> None:
    """Wait until pcscd lists the vpcd reader; :class:`PcscdUnavailable` with its log if not."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while VPCD_READER not in _readers():
        if proc is not None and proc.poll() is not None:
            raise PcscdUnavailable(f"pcscd exited with {proc.returncode}:\n{tail(log_path)}")
        if time.monotonic() >= deadline:
            where = f"; its log:\n{tail(log_path)}" if log_path else " (a pcscd we did not start)"
            raise PcscdUnavailable(
                f"pcscd shows no {VPCD_READER!r} reader after {START_TIMEOUT_S:.0f} s{where}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a pcscd we started, by its PID: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def private_pcscd(log_path: Path, *, debug: bool = False) -> Iterator[Pcscd]:
    """A pcscd with the vpcd reader while the block runs (reused if one runs already).

    Take :class:`MachineLock` first. ``debug`` logs every APDU (PINs included: tests only).
    """
    binary = pcscd_binary()
    if pcscd_answers():
        wait_for_reader(None, None)
        yield Pcscd(started_here=False, pid=None, log_path=None)
        return
    flags = ["-f", "-a", "-d"] if debug else ["-f"]
    with log_path.open("wb") as log:
        # its own session, so a Ctrl-C meant for us does not kill it before we stop it
        proc = subprocess.Popen(  # noqa: S603 - fixed arguments
            [binary, *flags], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        wait_for_reader(proc, log_path)
        yield Pcscd(started_here=True, pid=proc.pid, log_path=log_path)
    finally:
        stop(proc)
