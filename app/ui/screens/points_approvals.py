"""Grants awaiting a second staff member: approve or reject, by another staff name."""

from __future__ import annotations

from PySide6.QtWidgets import (  # noqa: TID251
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.flow_common import Cancel
from app.i18n import N_, Catalogue
from app.points.flows import Decide, PointsView, Step
from app.ui.points.texts import GRANT_REASONS, points_text
from app.ui.points.widgets import code_field, login_field
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen, problem_label, show_problem
from server.api.schemas import Grant, GrantStatus


class PointsApprovalsScreen(PointsScreen):
    """One row per awaiting grant (points, reason, requester) with 承認 / 却下."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_approvals", parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(label(texts.tr("points.mode.approvals"), "caption"))
        row = QGridLayout()  # labels above their fields, each field half the width
        row.addWidget(label(texts.tr("points.approvals.staff"), "subtitle"), 0, 0)
        self.staff = login_field("approver_login")
        row.addWidget(self.staff, 1, 0)
        row.addWidget(label(texts.tr("points.approvals.staff_code"), "subtitle"), 0, 1)
        self.staff_code = code_field("approver_code")
        row.addWidget(self.staff_code, 1, 1)
        layout.addLayout(row)
        self.notice = label("", "message")
        self.problem = problem_label()
        layout.addWidget(self.notice)
        layout.addWidget(self.problem)
        self.rows = QVBoxLayout()
        layout.addLayout(self.rows)
        self.empty = label(texts.tr("points.approvals.none"), "message")
        layout.addWidget(self.empty)
        layout.addStretch(1)
        self.back_button = button(texts.tr("staff.back"), "back", role="secondary")
        self.back_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        layout.addWidget(self.back_button)
        self.row_widgets: list[QFrame] = []
        self.buttons: dict[tuple[str, bool], QPushButton] = {}

    def show_points(self, step: Step, view: PointsView) -> None:
        show_problem(self.problem, self.texts, view)
        decided = view.decided
        if decided is None:
            self.notice.setText("")
        else:
            key = (
                N_("points.approvals.approved")
                if decided.status is GrantStatus.GRANTED
                else N_("points.approvals.rejected")
            )
            self.notice.setText(self.texts.tr(key, points=points_text(decided.points)))
        self._set_rows(view.approvals)

    def _set_rows(self, grants: list[Grant]) -> None:
        for frame in self.row_widgets:
            frame.deleteLater()
        self.row_widgets, self.buttons = [], {}
        for grant in grants:
            frame = QFrame()
            row = QHBoxLayout(frame)
            reason = self.texts.tr(GRANT_REASONS.get(grant.reason, "points.reason.other"))
            row.addWidget(
                label(
                    self.texts.tr(
                        "points.approvals.row",
                        points=points_text(grant.points),
                        reason=reason,
                        staff=grant.requested_by,
                    ),
                    "message",
                ),
                1,
            )
            for approve in (True, False):
                key = N_("points.approvals.approve") if approve else N_("points.approvals.reject")
                widget = button(
                    self.texts.tr(key),
                    f"{'approve' if approve else 'reject'}",
                    role="primary" if approve else "secondary",
                )
                widget.clicked.connect(lambda _=False, g=grant.id, a=approve: self._decide(g, a))
                row.addWidget(widget)
                self.buttons[(grant.id, approve)] = widget
            self.rows.addWidget(frame)
            self.row_widgets.append(frame)
        self.empty.setVisible(not grants)

    def _decide(self, grant_id: str, approve: bool) -> None:
        code = self.staff_code.text()
        self.staff_code.clear()  # the code is held by the flow only, until sent
        self.intent.emit(Decide(grant_id, self.staff.text(), code, approve))

    def clear(self) -> None:
        self._set_rows([])
        self.staff.clear()
        self.staff_code.clear()
        self.notice.setText("")
