"""The real :class:`app.ports.Tapper`: the card through PC/SC, the holder through the platform.

Order of work in :meth:`CardTapper.authenticate`: the card's proof
(:func:`app.card_work.prove`: the platform's challenge first, so that a network failure
costs no PIN try, then ONE card transaction), then the lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from app.card_work import CardAccess, OpenCard, ProbedReader, Proof, prove, read_tries, timed
from app.ports import CardStatus
from server.api.schemas import ChallengeResponse, LookupResult

if TYPE_CHECKING:
    from app.settings import Settings


class PlatformApi(Protocol):
    """The two calls of :class:`app.client.PlatformClient` a tap needs."""

    def challenge(self) -> ChallengeResponse: ...

    def lookup(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> LookupResult: ...


class CardTapper:
    """One reader (or any), one platform. Blocking: call it off the GUI thread.

    A card that breaks the protocol (wrong lengths, unknown status words, a truncated or
    oversized certificate, endless 61xx) or answers slower than ``card_timeout_s`` (one
    card transaction's budget; None: the driver's default) ends as a CARD_ERROR whose
    detail names the fault; the PIN is never sent to such a card before the fault shows.
    A virtual reader is refused (VIRTUAL_READER_REFUSED) unless ``allow_virtual_reader``;
    the PIN goes only to the reader whose card :meth:`probe` read.

    ``timings`` holds the seconds the last call spent: ``card_io_s`` and, for
    :meth:`authenticate`, ``network_challenge_s``, ``network_lookup_s``, ``network_s``.
    """

    def __init__(
        self,
        client: PlatformApi,
        reader: str | None = None,
        *,
        open_card: OpenCard | None = None,
        card_timeout_s: float | None = None,
        allow_virtual_reader: bool = False,
    ) -> None:
        self.client = client
        self.card = CardAccess(reader=reader, timeout_s=card_timeout_s, open_card=open_card,
                               allow_virtual_reader=allow_virtual_reader,
                               probed=ProbedReader())
        self.timings: dict[str, float] = {}

    @classmethod
    def for_settings(cls, client: PlatformApi, reader: str | None,
                     settings: Settings) -> CardTapper:
        """The tapper counter.toml asks for: its card time budget and whether a virtual
        reader may hold the card.  Every command and the kiosk build theirs here, so a
        card rule added to the settings reaches all of them."""
        return cls(client, reader, card_timeout_s=settings.card_timeout_s,
                   allow_virtual_reader=settings.allow_virtual_reader)

    def probe(self) -> CardStatus:
        """Select the JPKI AP and read the PIN counter (uses no PIN try)."""
        self.timings = {}
        return read_tries(self.card, timings=self.timings)

    def prove(self, pin: str, *, allow_last_try: bool) -> Proof:
        """The card's proof (:func:`app.card_work.prove`) of a platform challenge."""
        self.timings = {}
        return prove(
            self.card, self.client, pin, allow_last_try=allow_last_try, timings=self.timings
        )

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        """The card's proof, then the lookup."""
        proof = self.prove(pin, allow_last_try=allow_last_try)
        with timed(self.timings, "network_lookup_s"):
            result = self.client.lookup(*proof)
        self.timings["network_s"] = (
            self.timings["network_challenge_s"] + self.timings["network_lookup_s"]
        )
        return result
