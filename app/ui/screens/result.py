"""The result: the service ID in large digits and as a barcode, plus notices."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget  # noqa: TID251

from app.flow import View
from app.i18n import N_, Catalogue
from app.ui.screens.base import Screen, button, label
from app.ui.style import DIGITS_FAMILY


def number_pixel_size(text: str) -> int:
    """A font size that keeps IDs of up to 32 characters on one line."""
    if len(text) <= 10:
        return 112
    if len(text) <= 16:
        return 88
    return 56


class ResultScreen(Screen):
    """Shows one lookup; implements the ``ResultDisplay`` the deliveries write to."""

    done = Signal()

    def __init__(self, texts: Catalogue, service_name: str, parent: QWidget | None = None) -> None:
        super().__init__(texts, parent)
        self.setObjectName("result")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 24, 48, 24)
        layout.setSpacing(8)
        self.caption = label(service_name, "caption")
        layout.addWidget(self.caption)
        self.invalid = self._notice(N_("result.invalid"), "danger")
        layout.addWidget(self.invalid)
        self.number = label("", "number", wrap=False)
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.number)

        self.barcode_frame = QFrame()
        self.barcode_frame.setObjectName("barcode_frame")
        frame_layout = QHBoxLayout(self.barcode_frame)
        frame_layout.setContentsMargins(24, 12, 24, 12)
        self.barcode = QLabel()
        self.barcode.setObjectName("barcode")
        self.barcode.setAlignment(Qt.AlignmentFlag.AlignCenter)
        frame_layout.addWidget(self.barcode)
        layout.addWidget(self.barcode_frame, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)

        self.expires_soon = self._notice(N_("result.expires_soon"), "caution")
        self.address_changed = self._notice(N_("result.address_changed"), "staff")
        self.delivery_failed = self._notice(N_("result.delivery_failed"), "danger")
        #: what the keyboard wedge and the label printer report, one line each
        self.delivery_notices = {
            "keyboard": label("", "notice"),
            "label": label("", "notice"),
        }
        for notice in (self.expires_soon, self.address_changed, self.delivery_failed,
                       *self.delivery_notices.values()):
            layout.addWidget(notice)
        self._token = 0

        bottom = QHBoxLayout()
        bottom.addWidget(label(texts.tr("result.take_card"), "take_card"), 1)
        self.done_button = button(texts.tr("result.done"), "done", role="secondary")
        self.done_button.clicked.connect(self.done)
        bottom.addWidget(self.done_button)
        layout.addLayout(bottom)
        self.clear()

    def set_service_name(self, name: str) -> None:
        self.caption.setText(name)

    def _notice(self, key: str, kind: str) -> QLabel:
        widget = label(self.texts.tr(key), "notice")
        widget.setProperty("kind", kind)
        return widget

    # the flow's view ---------------------------------------------------------------------
    def show_view(self, view: View) -> None:
        result = view.result
        self.invalid.setVisible(result is not None and not result.valid)
        self.expires_soon.setVisible(result is not None and result.certificate_expires_soon)
        self.address_changed.setVisible(result is not None and result.address_changed)

    def clear(self) -> None:
        self._token = getattr(self, "_token", 0) + 1
        self.number.setText("")
        self.number.setVisible(False)
        self.barcode.setPixmap(QPixmap())
        self.barcode.clear()
        self.barcode_frame.setVisible(False)
        for notice in (self.invalid, self.expires_soon, self.address_changed,
                       self.delivery_failed, *self.delivery_notices.values()):
            notice.setVisible(False)
        for notice in self.delivery_notices.values():
            notice.setText("")

    # ResultDisplay -----------------------------------------------------------------------
    def show_number(self, service_id: str) -> None:
        font = QFont(DIGITS_FAMILY)
        font.setPixelSize(number_pixel_size(service_id))
        font.setBold(True)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 104)
        self.number.setFont(font)
        self.number.setText(service_id)
        self.number.setVisible(True)

    def show_barcode(self, image: QImage) -> None:
        """Show the barcode pixel for pixel: scaling would blur the bars."""
        self.barcode.setPixmap(QPixmap.fromImage(image))
        self.barcode_frame.setVisible(True)

    def show_delivery_failed(self) -> None:
        self.delivery_failed.setVisible(True)

    def result_token(self) -> int:
        return self._token

    def show_delivery_notice(self, channel: str, key: str, kind: str, **fields: object) -> None:
        notice = self.delivery_notices[channel]
        notice.setText(self.texts.tr(key, **fields))
        notice.setProperty("kind", kind)
        notice.style().unpolish(notice)
        notice.style().polish(notice)
        notice.setVisible(True)
