"""Confirm link (staff, terminal mode ``link_confirm``): the number from the service's own
card (the library card in hand, typed or scanned) → the holder's card → PIN → confirmed.

The number comes first so that the card's proof is made for this very request
(``POST /v1/link-confirmations``) and never held while staff type. A refusal of the
platform is the lookup's error screen of its kind (``service_id_taken``,
``link_mismatch`` …); Cancel there goes back to the card, Cancel again leaves.
"""

from __future__ import annotations

from app.points.flows.base import Effects
from app.points.flows.card import CardFlow
from app.points.flows.events import LinkConfirmed, LinkEntered, OpenSession, PointsEvent
from app.points.flows.view import PointsView, Step
from app.points.mode import Mode

MAX_SERVICE_ID_LENGTH = 64


class LinkConfirmFlow(CardFlow):
    mode = Mode.CONFIRM_LINK
    #: the number entered (kept when the card step starts a fresh view)
    number: str = ""

    def start(self) -> Effects:
        return self._goto_form(Step.LINK_ENTRY)

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case LinkEntered(text=text):
                return self._on_number(text)
            case LinkConfirmed(result=result):
                if not self.card.proved():
                    return []
                self.view = self._fresh_view(link_service_id=result.service_id, link_result=result)
                return self._done()
        return super()._on(event)

    def _on_number(self, text: str) -> Effects:
        number = text.strip()
        if self.step is not Step.LINK_ENTRY or not number:
            return []
        if len(number) > MAX_SERVICE_ID_LENGTH or not number.isprintable():
            return []
        self.number = number
        self.view.link_service_id = number
        return self._goto_form(Step.WAIT_CARD)

    def _proof(self, pin: str, allow_last_try: bool) -> OpenSession:
        return OpenSession(pin, allow_last_try, link_service_id=self.number)

    def _fresh_view(self, **fields: object) -> PointsView:
        fields.setdefault("link_service_id", self.number)
        return super()._fresh_view(**fields)

    def _close(self) -> Effects:
        self.number = ""
        return super()._close()
