"""Register: card → PIN → a one-time link to the portal's MyKey ID registration, shown as
a QR code until its timer runs out."""

from __future__ import annotations

from app.points.flows.base import Effects
from app.points.flows.card import CardFlow
from app.points.flows.events import PointsEvent, TicketIssued
from app.points.flows.view import Step
from app.points.mode import Mode


class RegisterFlow(CardFlow):
    mode = Mode.REGISTER
    ticket = True

    def _on(self, event: PointsEvent) -> Effects:
        match event:
            case TicketIssued(ticket=ticket):
                if not self.card.proved():
                    return []
                self.view = self._fresh_view(ticket=ticket)
                self._goto(Step.TICKET)
                return [self._timer(self.timeouts.result_s)]
        return super()._on(event)
