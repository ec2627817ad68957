"""Blocking delivery work (typing, printing) off the GUI thread, its outcome back on it.

:meth:`DeliveryJobs.run` runs ``work`` on a Python thread (``BackgroundJob``) and calls
``on_done(value)`` or ``on_failed(exc)`` on the GUI thread: the callbacks go through a
relay object created on the calling (GUI) thread, so Qt queues them there.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Slot

from app.ui.startup import BackgroundJob


class _Relay(QObject):
    def __init__(
        self,
        on_done: Callable[[object], None],
        on_failed: Callable[[BaseException], None],
        forget: Callable[[_Relay], None],
    ) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_failed = on_failed
        self._forget = forget
        self.job: BackgroundJob | None = None

    @Slot(object)
    def done(self, value: object) -> None:
        self._forget(self)
        self._on_done(value)

    @Slot(object)
    def failed(self, error: object) -> None:
        self._forget(self)
        self._on_failed(error if isinstance(error, BaseException) else RuntimeError(error))


class DeliveryJobs:
    """Runs one delivery method's blocking work; keeps each job alive until it reports."""

    def __init__(self) -> None:
        self._running: set[_Relay] = set()

    def run(
        self,
        work: Callable[[], object],
        on_done: Callable[[object], None],
        on_failed: Callable[[BaseException], None],
        name: str,
    ) -> None:
        """Start ``work`` now; call it from the GUI thread."""
        relay = _Relay(on_done, on_failed, self._running.discard)
        job = BackgroundJob(work, name)
        relay.job = job
        job.finished.connect(relay.done)
        job.failed.connect(relay.failed)
        self._running.add(relay)
        job.start()

    @property
    def pending(self) -> int:
        """How many jobs have not reported yet."""
        return len(self._running)
