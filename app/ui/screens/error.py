"""One clear message per failure, with Retry where retrying can help."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget  # noqa: TID251

from app.flow import RETRYABLE, View
from app.i18n import N_, Catalogue
from app.ports import ErrorKind
from app.ui.pictograms import Kind, Pictogram
from app.ui.screens.base import Screen, button, label

#: (title, message) of every error kind
MESSAGES: dict[ErrorKind, tuple[str, str]] = {
    ErrorKind.NOT_JPKI_CARD: (N_("error.not_jpki_card.title"), N_("error.not_jpki_card.message")),
    ErrorKind.CARD_REMOVED: (N_("error.card_removed.title"), N_("error.card_removed.message")),
    ErrorKind.NO_READER: (N_("error.no_reader.title"), N_("error.no_reader.message")),
    ErrorKind.WRONG_PIN: (N_("error.wrong_pin.title"), N_("error.wrong_pin.message")),
    ErrorKind.PIN_BLOCKED: (N_("error.pin_blocked.title"), N_("error.pin_blocked.message")),
    ErrorKind.LAST_TRY_REFUSED: (
        N_("error.last_try_refused.title"),
        N_("error.last_try_refused.message"),
    ),
    ErrorKind.NOT_REGISTERED: (
        N_("error.not_registered.title"),
        N_("error.not_registered.message"),
    ),
    ErrorKind.CERTIFICATE_REVOKED: (
        N_("error.certificate_revoked.title"),
        N_("error.certificate_revoked.message"),
    ),
    ErrorKind.CERTIFICATE_EXPIRED: (
        N_("error.certificate_expired.title"),
        N_("error.certificate_expired.message"),
    ),
    ErrorKind.CERTIFICATE_UNTRUSTED: (
        N_("error.certificate_untrusted.title"),
        N_("error.certificate_untrusted.message"),
    ),
    ErrorKind.CERTIFICATE_RETIRED: (
        N_("error.certificate_retired.title"),
        N_("error.certificate_retired.message"),
    ),
    ErrorKind.PLATFORM_UNREACHABLE: (
        N_("error.platform_unreachable.title"),
        N_("error.platform_unreachable.message"),
    ),
    ErrorKind.NOT_ENROLLED: (N_("error.not_enrolled.title"), N_("error.not_enrolled.message")),
    ErrorKind.CARD_ERROR: (N_("error.card_error.title"), N_("error.card_error.message")),
    ErrorKind.PLATFORM_ERROR: (
        N_("error.platform_error.title"),
        N_("error.platform_error.message"),
    ),
    ErrorKind.LABEL_LIMIT_REACHED: (
        N_("error.label_limit_reached.title"),
        N_("error.label_limit_reached.message"),
    ),
    ErrorKind.RATE_LIMITED: (N_("error.rate_limited.title"), N_("error.rate_limited.message")),
    ErrorKind.LINK_UNCONFIRMED: (
        N_("error.link_unconfirmed.title"),
        N_("error.link_unconfirmed.message"),
    ),
    ErrorKind.SERVICE_ID_TAKEN: (
        N_("error.service_id_taken.title"),
        N_("error.service_id_taken.message"),
    ),
    ErrorKind.LINK_MISMATCH: (N_("error.link_mismatch.title"), N_("error.link_mismatch.message")),
    ErrorKind.VIRTUAL_READER_REFUSED: (
        N_("error.virtual_reader_refused.title"),
        N_("error.virtual_reader_refused.message"),
    ),
    ErrorKind.REVOCATION_UNKNOWN: (
        N_("error.revocation_unknown.title"),
        N_("error.revocation_unknown.message"),
    ),
}


class ErrorScreen(Screen):
    """An error pictogram, a title, what to do; Retry (when useful) and Back."""

    retry = Signal()
    dismissed = Signal()

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("error")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(96, 48, 96, 40)
        layout.addStretch(1)
        layout.addWidget(Pictogram(Kind.ERROR, 150), 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        self.title = label("", "title")
        self.message = label("", "message")
        self.detail = label("", "detail")
        layout.addWidget(self.title)
        layout.addSpacing(12)
        layout.addWidget(self.message)
        layout.addWidget(self.detail)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(48)
        row.addStretch(1)
        self.back_button = button(texts.tr("error.back"), "back", role="secondary")
        self.retry_button = button(texts.tr("error.retry"), "retry", role="primary")
        for widget in (self.back_button, self.retry_button):
            widget.setMinimumWidth(320)
            row.addWidget(widget)
        row.addStretch(1)
        self.back_button.clicked.connect(self.dismissed)
        self.retry_button.clicked.connect(self.retry)
        layout.addLayout(row)
        layout.addSpacing(8)
        layout.addWidget(label(texts.tr("error.remove_card"), "footnote"))
        self.clear()

    def show_view(self, view: View) -> None:
        kind = view.error or ErrorKind.PLATFORM_ERROR
        title, message = MESSAGES[kind]
        self.title.setText(self.texts.tr(title))
        self.message.setText(self.texts.tr(message))
        detail = view.error_detail.strip()
        self.detail.setText(self.texts.tr("error.detail", detail=detail) if detail else "")
        self.detail.setVisible(bool(detail))
        self.retry_button.setVisible(kind in RETRYABLE)

    def clear(self) -> None:
        self.title.setText("")
        self.message.setText("")
        self.detail.setText("")
        self.detail.setVisible(False)
        self.retry_button.setVisible(False)
