"""pcscd with vsmartcard's vpcd for a benchmark, shared fairly with the tests and the demo.

Only one pcscd can run per machine. Every user of the virtual reader takes the exclusive
``flock`` on ``/tmp/mykey-pcscd.lock`` (:class:`drivers.vcard.pcscd.MachineLock`, the
lock the test fixtures' ``SessionLock`` takes) for as long as it uses pcscd/vpcd; the
benchmark then reuses a running pcscd or starts its own with
:func:`drivers.vcard.pcscd.private_pcscd` (``pcscd -f``), which stops exactly that one, by
its PID, at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from drivers.card.pcsc import wait_for_removal
from drivers.vcard.pcscd import MachineLock, Pcscd, PcscdUnavailable, private_pcscd

LOCK_TIMEOUT_S = 300.0


class Unavailable(Exception):
    """pcscd/vpcd cannot be used now (not installed, busy, or the slot holds a card)."""


@contextlib.contextmanager
def pcscd_with_vpcd(log_dir: Path) -> Iterator[Pcscd]:
    """Hold the pcscd lock, with pcscd running and vpcd slot 0 empty; free all of it after."""
    lock = MachineLock()
    try:
        lock.acquire(timeout_s=LOCK_TIMEOUT_S, on_wait=lambda message: print(message, flush=True))
    except TimeoutError as e:
        raise Unavailable(str(e)) from None
    try:
        with private_pcscd(log_dir / "pcscd.log") as daemon:
            if not wait_for_removal(daemon.reader, timeout_s=5):
                raise Unavailable(f"{daemon.reader!r} already holds a card (a `mykey-vcard run`?)")
            yield daemon
    except PcscdUnavailable as e:
        raise Unavailable(str(e)) from None
    finally:
        lock.release()
