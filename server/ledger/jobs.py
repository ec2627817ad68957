"""A scheduled job (by default the ledger's :func:`server.ledger.expiry.run_due`; ``serve``
passes :func:`server.jobs.run_scheduled`) on a background thread of ``mykey-platform serve``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from server.db import Database, utcnow
from server.ledger.expiry import run_due

log = logging.getLogger(__name__)


class PeriodicJobs:
    """Run ``run_due`` now and then every ``every_s`` seconds until :meth:`stop`.

    A failed run is logged and the next one runs as planned; the thread is a daemon and
    :meth:`stop` waits for a run in progress to finish (each run commits per account).
    """

    def __init__(
        self,
        database_url: str,
        every_s: float,
        job: Callable[[Database], object] = lambda db: run_due(db, utcnow()),
    ) -> None:
        if every_s <= 0:
            raise ValueError("the interval is a positive number of seconds")
        self.database_url = database_url
        self.every_s = every_s
        self.runs = 0
        self._job = job
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ledger-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 30) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        db = Database(self.database_url)
        try:
            while not self._stopping.is_set():
                self.run_once(db)
                self._stopping.wait(self.every_s)
        finally:
            db.dispose()

    def run_once(self, db: Database) -> None:
        try:
            report = self._job(db)
        except Exception:  # noqa: BLE001 (the job must outlive one bad run)
            log.exception("ledger maintenance failed; the next run is in %s s", self.every_s)
        else:
            log.info("ledger maintenance done: %s", report)
        finally:
            self.runs += 1
