"""Card and platform work as the card lane runs it: blocking calls that return flow events.

Each function runs on the kiosk's one card thread (:class:`app.ui.background.CardLane`),
never on the GUI thread, and touches no Qt object. Expected failures become
:class:`app.flow.TapFailed` events; a bug is logged with its traceback, the PIN blanked
out wherever it appears, and reported as a failure too: a flow always gets its answer.
"""

from __future__ import annotations

import logging
import traceback

from app.flow import CardProbed, Event, LookupSucceeded, TapFailed
from app.ports import ErrorKind, TapError, Tapper

log = logging.getLogger(__name__)
REDACTED = "****"


def failure_of(exc: TapError) -> TapFailed:
    """The flow event for a TapError."""
    return TapFailed(kind=exc.kind, tries_left=exc.tries_left, detail=exc.detail)


def log_unexpected(operation: str, exc: BaseException, pin: str | None = None) -> None:
    """Log a bug in the tapper with its traceback, the PIN blanked out wherever it appears."""
    text = "".join(traceback.format_exception(exc))
    if pin:
        text = text.replace(pin, REDACTED)
    log.error("unexpected error during %s:\n%s", operation, text)


def probe(tapper: Tapper) -> Event:
    """Select the JPKI AP and read the PIN counter: CardProbed, or TapFailed."""
    try:
        return CardProbed(tapper.probe())
    except TapError as exc:
        return failure_of(exc)
    except Exception as exc:
        log_unexpected("probe", exc)
        return TapFailed(ErrorKind.CARD_ERROR, detail=type(exc).__name__)


def authenticate(tapper: Tapper, pin: str, *, allow_last_try: bool) -> Event:
    """PIN, card proof and lookup: LookupSucceeded, or TapFailed."""
    try:
        return LookupSucceeded(tapper.authenticate(pin, allow_last_try=allow_last_try))
    except TapError as exc:
        return failure_of(exc)
    except Exception as exc:
        log_unexpected("authenticate", exc, pin)
        return TapFailed(ErrorKind.PLATFORM_ERROR, detail=type(exc).__name__)
