"""A request on its way: sending, retrying after a network failure, loading, printing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget  # noqa: TID251

from app.i18n import N_, Catalogue
from app.points.flows import PointsView, Step
from app.ui.pictograms import Kind, Pictogram
from app.ui.screens.base import label
from app.ui.screens.points_base import PointsScreen

MESSAGES: dict[Step, str] = {
    Step.SENDING: N_("points.progress.sending"),
    Step.RETRYING: N_("points.progress.retrying"),
    Step.LOADING: N_("points.progress.loading"),
    Step.PRINTING: N_("points.progress.printing"),
}


class PointsProgressScreen(PointsScreen):
    """ "送信しています…", or "通信を再試行しています…" with the attempts so far."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_progress", parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(Pictogram(Kind.READER, 160), 0, Qt.AlignmentFlag.AlignHCenter)
        self.message = label("", "title")
        self.detail = label("", "subtitle")
        layout.addWidget(self.message)
        layout.addWidget(self.detail)
        layout.addStretch(1)

    def show_points(self, step: Step, view: PointsView) -> None:
        self.message.setText(self.texts.tr(MESSAGES.get(step, MESSAGES[Step.SENDING])))
        if step is Step.RETRYING:
            self.detail.setText(
                self.texts.tr("points.progress.attempts", attempts=view.attempts)
            )
        else:
            self.detail.setText("")
