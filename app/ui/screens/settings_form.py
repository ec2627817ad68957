"""The settings form's parts: its choices, its style and its small widget helpers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit  # noqa: TID251

from app.i18n import N_

if TYPE_CHECKING:
    from server.api.schemas import ServiceInfo

log = logging.getLogger(__name__)

#: prefix / suffix choices (``drivers.keyboard.parse_affix`` reads any such list)
AFFIXES = ("none", "enter", "tab", "tab,enter")
#: seconds between "test the keyboard" and the typing: time to focus the library system
TEST_COUNTDOWN_S = 3
DELIVERY_TEXTS = {
    "show": N_("settings.delivery.show"),
    "barcode": N_("settings.delivery.barcode"),
    "keyboard": N_("settings.delivery.keyboard"),
    "label": N_("settings.delivery.label"),
}
#: large touch targets for the form's inputs (the shared style sheet styles the buttons)
FORM_STYLE = """
QCheckBox, QComboBox, QLineEdit, QDoubleSpinBox { min-height: 56px; font-size: 24px; }
QGroupBox QLabel { font-size: 22px; }
QPushButton { font-size: 26px; }
QCheckBox::indicator { width: 40px; height: 40px; }
QGroupBox { font-size: 24px; font-weight: bold; padding-top: 36px; }
QLabel#settings_message { font-size: 22px; }
"""


def test_service() -> ServiceInfo:
    """The service a test number and label use before the counter knows its own."""
    from server.api.schemas import BarcodeSpec, ServiceInfo, Symbology

    return ServiceInfo(name="test", display_name="MyKey", provider="",
                       barcode=BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}"))


def available_queues() -> list[str]:
    """The spooler's queues; empty when they cannot be listed."""
    try:
        from drivers.printers.cups import available_queues as queues

        return queues()
    except Exception as e:  # no print support here: the default queue remains
        log.warning("cannot list the print queues: %s", type(e).__name__)
        return []


def _combo(values: tuple[str, ...] | list[str], name: str) -> QComboBox:
    widget = QComboBox()
    widget.setObjectName(name)
    for value in values:
        widget.addItem(value, value)
    return widget


def _select(combo: QComboBox, value: str | None, text: str | None = None) -> None:
    """Select the item whose data is ``value``, adding it if it is not listed."""
    index = combo.findData(value)
    if index < 0:
        combo.addItem(text or str(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def _form(group: QGroupBox) -> QFormLayout:
    form = QFormLayout(group)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setVerticalSpacing(12)
    return form


def _text(edit: QLineEdit) -> str | None:
    value = edit.text().strip()
    return value or None
