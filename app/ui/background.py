"""The one way the kiosk runs blocking work off the GUI thread.

In the spirit of anki's ``QueryOp``: the caller passes plain callables; ``work`` runs on a
worker thread and touches no QObject and no widget; ``on_done(value)`` or
``on_failed(exc)`` runs afterwards on the GUI thread.

- :class:`CardLane` — the single thread for card and platform (HTTP) work, in order. Each
  controller takes a :class:`LaneCaller`: a new ``run`` supersedes the caller's earlier
  answers (a stale answer is dropped, never delivered), ``forget`` drops them outright.
- :meth:`Background.run_in_background` — other blocking work (typing, printing, start-up)
  on a named lane of its own, one job at a time per name, in order.

How work crosses threads, and why it cannot crash Qt::

    GUI thread                                worker thread (lane)
    ----------                                --------------------
    submit: job kept in Background._pending ─▶ queue.get() → job.work()
                                               job.value / job.error set; local refs dropped
    _Bridge._drain ◀── wake (no arguments) ─── ready.append(job id); bridge.wake.emit()
    pop job, call on_done / on_failed, drop

The GUI side holds every job until its answer is handled, and the worker drops its own
references to the job and its outcome *before* it announces the answer: the last
reference to the work, its result, its exception (and so everything they hold) is always
dropped on the GUI thread. Only an ``int`` crosses back; the one bridge is created on the
GUI thread with a parent and lives as long as the window. Every thread is a non-daemon
Python thread, joined by :meth:`Background.stop`; jobs queued before ``stop`` still run,
their answers are dropped on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")
#: the card lane's thread name; other lanes are named by their callers
CARD_LANE = "card"
#: after this long, ``stop`` logs which lane it is still waiting for (and keeps waiting)
JOIN_WARNING_S = 5.0


@dataclass(eq=False)
class _Job(Generic[T]):
    """One piece of work and what became of it; owned by the GUI thread's ``_pending``."""

    id: int
    lane: str
    work: Callable[[], T]
    on_done: Callable[[T], None]
    on_failed: Callable[[BaseException], None]
    #: checked on the GUI thread before a callback runs: False drops the answer (stale)
    current: Callable[[], bool]
    value: Any = None
    error: BaseException | None = None


class _Bridge(QObject):
    """Lives on the GUI thread; ``wake`` (from any thread) makes it drain the answers."""

    wake = Signal()

    def __init__(self, drain: Callable[[], None], parent: QObject | None) -> None:
        super().__init__(parent)
        self._drain_answers = drain
        self.wake.connect(self._drain)

    @Slot()
    def _drain(self) -> None:
        self._drain_answers()


class _Lane:
    """One non-daemon worker thread running jobs of one name, in order."""

    _STOP = None

    def __init__(self, name: str, announce: Callable[[int], None]) -> None:
        self.name = name
        self._announce = announce
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=False)
        self.thread.start()

    def put(self, job: _Job[Any]) -> None:
        self._queue.put(job)

    def close(self) -> None:
        self._queue.put(self._STOP)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                job.value = job.work()
            except BaseException as exc:  # noqa: BLE001 - reported to on_failed
                # without this frame's entry: the traceback must not hold the loop's locals
                tb = exc.__traceback__
                job.error = exc.with_traceback(tb.tb_next if tb is not None else None)
                del tb
            job_id = job.id
            del job  # the GUI thread holds the last reference, not this frame
            self._announce(job_id)


class Background:
    """The kiosk's worker threads and the bridge their answers come back through.

    Create it on the GUI thread, with the window as ``parent``; call :meth:`stop` (from
    ``Kiosk.stop``) before the window goes. Every method is for the GUI thread only.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        self._bridge = _Bridge(self._drain, parent)
        self._lanes: dict[str, _Lane] = {}
        self._pending: dict[int, _Job[Any]] = {}
        self._ready: deque[int] = deque()
        self._ids = itertools.count(1)
        self._stopped = False
        self.card_lane = CardLane(self)

    # submitting --------------------------------------------------------------------------
    def run_in_background(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_failed: Callable[[BaseException], None],
        *,
        name: str,
    ) -> None:
        """Run ``work`` on the lane ``name`` (after that lane's earlier jobs)."""
        self._submit(name, work, on_done, on_failed, _always)

    def _submit(
        self,
        lane: str,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_failed: Callable[[BaseException], None],
        current: Callable[[], bool],
    ) -> None:
        if self._stopped:
            log.warning("background work for %r after the kiosk stopped: not run", lane)
            return
        job: _Job[T] = _Job(next(self._ids), lane, work, on_done, on_failed, current)
        self._pending[job.id] = job
        if lane not in self._lanes:
            self._lanes[lane] = _Lane(lane, self._announce)
        self._lanes[lane].put(job)

    def pending(self, lane: str | None = None) -> int:
        """Jobs (of ``lane``, or all) whose answer has not been handled yet."""
        return sum(1 for job in self._pending.values() if lane is None or job.lane == lane)

    def threads(self) -> list[threading.Thread]:
        """The worker threads started so far (for tests and diagnostics)."""
        return [lane.thread for lane in self._lanes.values()]

    # answers -----------------------------------------------------------------------------
    def _announce(self, job_id: int) -> None:
        """Any thread: an answer is ready; the bridge drains it on the GUI thread."""
        self._ready.append(job_id)
        try:
            self._bridge.wake.emit()
        except RuntimeError:  # the window went before stop(): a bug of the caller
            log.error("background work finished after its window was deleted; dropped")

    def _drain(self) -> None:
        while self._ready:
            job = self._pending.pop(self._ready.popleft(), None)
            if job is None or self._stopped or not job.current():
                continue  # stale or after stop: dropped here, on the GUI thread
            try:
                if job.error is not None:
                    job.on_failed(job.error)
                else:
                    job.on_done(job.value)
            except Exception:
                log.exception("a callback of background work %r failed", job.lane)

    # life --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Let queued work finish, join every thread, drop the answers (GUI thread)."""
        self._stopped = True
        for lane in self._lanes.values():
            lane.close()
        for lane in self._lanes.values():
            while True:
                lane.thread.join(JOIN_WARNING_S)
                if not lane.thread.is_alive():
                    break
                log.warning("still waiting for the %r thread to finish its work", lane.name)
        self._lanes.clear()
        self._drain()
        self._pending.clear()

    @property
    def stopped(self) -> bool:
        return self._stopped


def _always() -> bool:
    return True


class Tally:
    """How many of one owner's jobs have not answered yet (a delivery's ``pending``)."""

    def __init__(self) -> None:
        self.count = 0

    def wrap(
        self, done: Callable[[T], None], failed: Callable[[BaseException], None]
    ) -> tuple[Callable[[T], None], Callable[[BaseException], None]]:
        """``done`` and ``failed``, counting one job as pending until either runs."""
        self.count += 1

        def finished(value: T) -> None:
            self.count -= 1
            done(value)

        def broke(exc: BaseException) -> None:
            self.count -= 1
            failed(exc)

        return finished, broke


class CardLane:
    """The one thread for card and platform work: callers take a :class:`LaneCaller`."""

    def __init__(self, background: Background) -> None:
        self._background = background

    def caller(self) -> LaneCaller:
        return LaneCaller(self._background)

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_failed: Callable[[BaseException], None],
    ) -> None:
        """Queue ``work`` whose answer no later call makes stale (e.g. a clean-up)."""
        self._background._submit(CARD_LANE, work, on_done, on_failed, _always)

    @property
    def pending(self) -> int:
        return self._background.pending(CARD_LANE)


class LaneCaller:
    """One caller of the card lane with its stale-answer token.

    ``run`` supersedes this caller's earlier calls: their answers, when they come, are
    dropped. ``forget`` drops them without a new call (the screen moved on).
    """

    def __init__(self, background: Background) -> None:
        self._background = background
        self._generation = 0

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_failed: Callable[[BaseException], None],
    ) -> None:
        self._generation += 1
        generation = self._generation
        self._background._submit(CARD_LANE, work, on_done, on_failed,
                                 lambda: self._generation == generation)

    def forget(self) -> None:
        self._generation += 1
