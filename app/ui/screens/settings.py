"""The counter's settings, behind the staff PIN: deliveries, keyboard wedge, label printer.

Values are checked exactly as ``counter.toml`` is read (``settings_from_mapping``): an
invalid one is named in a message and nothing is saved. A valid form is written with
``save_settings`` (keys not on this screen are kept) and handed to ``apply``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (  # noqa: TID251
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Catalogue
from app.settings import (
    DELIVERY_METHODS,
    KEYBOARD_BACKENDS,
    LABEL_SIZES,
    PRINTERS,
    SETTINGS_FILE,
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    settings_from_mapping,
    settings_to_mapping,
)
from app.ui.background import Tally
from app.ui.screens.base import Screen, button, label
from app.ui.screens.outbox_dead import DeadLetterBox, DeadLetters
from app.ui.screens.settings_form import (
    AFFIXES,
    DELIVERY_TEXTS,
    FORM_STYLE,
    TEST_COUNTDOWN_S,
    _combo,
    _form,
    _select,
    _text,
    available_queues,
    test_service,
)

if TYPE_CHECKING:
    from PIL import Image

    from app.ui.printing import BackgroundRunner
    from drivers.keyboard import KeyboardBackend, WedgeOutcome
    from drivers.printers import LabelPrinter
    from server.api.schemas import ServiceInfo

log = logging.getLogger(__name__)

class SettingsScreen(Screen):
    """The staff's form; "保存" validates, saves and applies, "戻る" drops the changes."""

    def __init__(
        self,
        texts: Catalogue,
        *,
        home: Path,
        service: Callable[[], ServiceInfo | None],
        apply: Callable[[Settings], bool],
        back: Callable[[], None],
        background: BackgroundRunner,
        queues: Callable[[], list[str]] = available_queues,
        outbox: DeadLetters | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(texts, parent)
        self.setObjectName("settings")
        self.setStyleSheet(FORM_STYLE)
        self.home = Path(home)
        self._service = service
        self._apply = apply
        self._queues = queues
        self.countdown_s = TEST_COUNTDOWN_S
        self._background = background
        self._tests = Tally()
        self._terminal_id: str | None = None
        #: the last test's keyboard backend and printer (the recording ones, in tests)
        self.test_keyboard: KeyboardBackend | None = None
        self.test_printer: LabelPrinter | None = None
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._remaining = 0

        root = QVBoxLayout(self)
        root.setContentsMargins(32, 24, 32, 24)
        root.addWidget(label(texts.tr("settings.title"), "title"))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        rows = QVBoxLayout(body)
        rows.addWidget(self._build_delivery())
        columns = QHBoxLayout()
        columns.setSpacing(24)
        columns.addWidget(self._build_keyboard(), 1, Qt.AlignmentFlag.AlignTop)
        columns.addWidget(self._build_label(), 1, Qt.AlignmentFlag.AlignTop)
        rows.addLayout(columns)
        #: the outbox's dead-letter list (hidden without the points modes)
        self.dead_letters = DeadLetterBox(texts, outbox, background)
        rows.addWidget(self.dead_letters)
        rows.addStretch(1)
        scroll.setWidget(body)
        root.addWidget(scroll, 1)
        self.message = label("", "settings_message")
        root.addWidget(self.message)
        actions = QHBoxLayout()
        actions.setSpacing(16)
        self.test_keyboard_button = button(texts.tr("settings.test_keyboard"), "test_keyboard",
                                           role="secondary")
        self.test_keyboard_button.clicked.connect(self.test_keyboard_clicked)
        self.test_label_button = button(texts.tr("settings.test_label"), "test_label",
                                        role="secondary")
        self.test_label_button.clicked.connect(self.test_label_clicked)
        self.back_button = button(texts.tr("settings.back"), "settings_back", role="secondary")
        self.back_button.clicked.connect(back)
        self.save_button = button(texts.tr("settings.save"), "settings_save")
        self.save_button.clicked.connect(self.save)
        for widget, stretch in ((self.test_keyboard_button, 3), (self.test_label_button, 3),
                                (self.back_button, 2), (self.save_button, 2)):
            actions.addWidget(widget, stretch)
        root.addLayout(actions)

    # layout ------------------------------------------------------------------------------
    def _build_delivery(self) -> QGroupBox:
        group = QGroupBox(self.texts.tr("settings.delivery"))
        column = QHBoxLayout(group)
        self.delivery: dict[str, QCheckBox] = {}
        for name in DELIVERY_METHODS:
            box = QCheckBox(self.texts.tr(DELIVERY_TEXTS[name]))
            box.setObjectName(f"delivery_{name}")
            self.delivery[name] = box
            column.addWidget(box)
        return group

    def _build_keyboard(self) -> QGroupBox:
        group = QGroupBox(self.texts.tr("settings.keyboard"))
        form = _form(group)
        self.keyboard_backend = _combo(KEYBOARD_BACKENDS, "keyboard_backend")
        self.target_window = QLineEdit()
        self.target_window.setObjectName("target_window")
        self.target_window.setPlaceholderText(self.texts.tr("settings.keyboard.any_window"))
        self.prefix = _combo(AFFIXES, "prefix")
        self.suffix = _combo(AFFIXES, "suffix")
        self.per_key_delay = QDoubleSpinBox()
        self.per_key_delay.setObjectName("per_key_delay")
        self.per_key_delay.setRange(0.0, 1.0)
        self.per_key_delay.setDecimals(3)
        self.per_key_delay.setSingleStep(0.01)
        form.addRow(self.texts.tr("settings.keyboard.backend"), self.keyboard_backend)
        form.addRow(self.texts.tr("settings.keyboard.target_window"), self.target_window)
        form.addRow(self.texts.tr("settings.keyboard.prefix"), self.prefix)
        form.addRow(self.texts.tr("settings.keyboard.suffix"), self.suffix)
        form.addRow(self.texts.tr("settings.keyboard.per_key_delay"), self.per_key_delay)
        return group

    def _build_label(self) -> QGroupBox:
        group = QGroupBox(self.texts.tr("settings.label"))
        form = _form(group)
        self.printer = QComboBox()
        self.printer.setObjectName("printer")
        self.printer.addItem(self.texts.tr("settings.label.no_printer"), None)
        for name in PRINTERS:
            self.printer.addItem(name, name)
        self.queue = QComboBox()
        self.queue.setObjectName("queue")
        self.target = QLineEdit()
        self.target.setObjectName("target")
        self.target.setPlaceholderText("/dev/usb/lp0, tcp://host:9100, usb://…")
        self.label_size = _combo(LABEL_SIZES, "size")
        self.terminal_name = QLineEdit()
        self.terminal_name.setObjectName("terminal_name")
        form.addRow(self.texts.tr("settings.label.printer"), self.printer)
        form.addRow(self.texts.tr("settings.label.queue"), self.queue)
        form.addRow(self.texts.tr("settings.label.target"), self.target)
        form.addRow(self.texts.tr("settings.label.size"), self.label_size)
        form.addRow(self.texts.tr("settings.label.terminal_name"), self.terminal_name)
        return group

    # the form ----------------------------------------------------------------------------
    def open(self) -> bool:
        """Fill the form from ``counter.toml``; False (and a message) if it is unreadable."""
        self._countdown.stop()
        self.set_message("")
        self.dead_letters.refresh()
        try:
            settings = load_settings(self.home, service_cache=False)
        except SettingsError as e:
            self.set_message(self.texts.tr("settings.unreadable", detail=str(e)))
            self.save_button.setEnabled(False)
            return False
        self.save_button.setEnabled(True)
        self.show_settings(settings)
        return True

    def show_settings(self, settings: Settings) -> None:
        self._terminal_id = settings.terminal_id
        for name, box in self.delivery.items():
            box.setChecked(name in settings.delivery)
        keyboard = settings.keyboard
        _select(self.keyboard_backend, keyboard.backend)
        self.target_window.setText(keyboard.target_window or "")
        _select(self.prefix, keyboard.prefix)
        _select(self.suffix, keyboard.suffix)
        self.per_key_delay.setValue(keyboard.per_key_delay_s)
        label_settings = settings.label
        _select(self.printer, label_settings.printer)
        self.queue.clear()
        self.queue.addItem(self.texts.tr("settings.label.default_queue"), None)
        for name in self._queues():
            self.queue.addItem(name, name)
        _select(self.queue, label_settings.queue)
        self.target.setText(label_settings.target or "")
        _select(self.label_size, label_settings.size)
        self.terminal_name.setText(label_settings.terminal_name or "")

    def form_values(self) -> dict[str, Any]:
        """The form as ``counter.toml`` keys (left out: not set)."""
        keyboard: dict[str, Any] = {
            "backend": self.keyboard_backend.currentData(),
            "prefix": self.prefix.currentData(),
            "suffix": self.suffix.currentData(),
            "per_key_delay_s": round(self.per_key_delay.value(), 3),
            "target_window": _text(self.target_window),
        }
        label_values: dict[str, Any] = {
            "printer": self.printer.currentData(),
            "queue": self.queue.currentData(),
            "target": _text(self.target),
            "size": self.label_size.currentData(),
            "terminal_name": _text(self.terminal_name),
        }
        return {
            "delivery": [name for name, box in self.delivery.items() if box.isChecked()],
            "keyboard": {k: v for k, v in keyboard.items() if v is not None},
            "label": {k: v for k, v in label_values.items() if v is not None},
        }

    def validated(self) -> Settings:
        """``counter.toml`` with the form's values, checked as the file is read;
        :class:`SettingsError` names the first bad key."""
        current = load_settings(self.home, service_cache=False)
        mapping = settings_to_mapping(current)
        form = self.form_values()
        mapping["delivery"] = form["delivery"]
        # target_any_window is not on this screen: keep it
        kept = {"target_any_window": True} if current.keyboard.target_any_window else {}
        mapping["keyboard"] = {**kept, **form["keyboard"]}
        # the label model is not on this screen: keep it
        mapping["label"] = {"model": current.label.model, **form["label"]}
        return settings_from_mapping(mapping, source=SETTINGS_FILE)

    def set_message(self, text: str, kind: str = "staff") -> None:
        self.message.setText(text)
        self.message.setProperty("kind", kind)
        self.message.setStyleSheet("color: #b00020;" if kind == "danger" else "")

    # buttons -----------------------------------------------------------------------------
    def save(self) -> bool:
        """Validate, write ``counter.toml``, apply; on a bad value say which and keep the file."""
        try:
            settings = self.validated()
        except SettingsError as e:
            self.set_message(self.texts.tr("settings.invalid", detail=str(e)), "danger")
            return False
        try:
            save_settings(self.home, settings)
        except OSError as e:
            self.set_message(self.texts.tr("settings.not_saved", detail=str(e)), "danger")
            return False
        applied = self._apply(settings)
        self.set_message(self.texts.tr("settings.saved_applied") if applied
                         else self.texts.tr("settings.saved_restart"))
        return True

    def _sample(self) -> tuple[ServiceInfo, str]:
        from app.outputs import sample_number

        service = self._service() or test_service()
        return service, sample_number(service.barcode)

    @property
    def pending(self) -> int:
        """Tests still running (typing, printing) or counting down."""
        return ((1 if self._countdown.isActive() else 0) + self._tests.count
                + self.dead_letters.pending)

    def test_keyboard_clicked(self) -> None:
        """Type a test number through the form's wedge after a countdown."""
        try:
            self.validated()
        except SettingsError as e:
            self.set_message(self.texts.tr("settings.invalid", detail=str(e)), "danger")
            return
        self._remaining = self.countdown_s
        self.test_keyboard_button.setEnabled(False)
        if self._remaining <= 0:
            self._type_test_number()
            return
        self.set_message(self.texts.tr("settings.test.countdown", seconds=self._remaining))
        self._countdown.start()

    def _tick(self) -> None:
        self._remaining -= 1
        if self._remaining > 0:
            self.set_message(self.texts.tr("settings.test.countdown", seconds=self._remaining))
            return
        self._countdown.stop()
        self._type_test_number()

    def _type_test_number(self) -> None:
        from app.outputs import make_wedge

        try:
            keyboard = self.validated().keyboard
            service, number = self._sample()
        except (SettingsError, ValueError) as e:
            self.test_keyboard_button.setEnabled(True)
            self.set_message(self.texts.tr("settings.invalid", detail=str(e)), "danger")
            return
        self.set_message(self.texts.tr("settings.test.typing"))

        def work() -> tuple[KeyboardBackend, WedgeOutcome]:  # plain data only: off-thread
            wedge = make_wedge(keyboard)
            return wedge.backend, wedge.deliver(number, service.barcode.pattern)

        def done(value: tuple[KeyboardBackend, WedgeOutcome]) -> None:
            self.test_keyboard_button.setEnabled(True)
            self.test_keyboard, outcome = value
            if outcome.typed:
                self.set_message(self.texts.tr("settings.test.typed", number=number))
            else:
                detail = outcome.message or outcome.status.value
                self.set_message(self.texts.tr("settings.test.not_typed", detail=detail),
                                 "danger")

        def failed(exc: BaseException) -> None:
            self.test_keyboard_button.setEnabled(True)
            self.set_message(self.texts.tr("settings.test.not_typed",
                                           detail=str(exc) or type(exc).__name__), "danger")

        finished, broke = self._tests.wrap(done, failed)
        self._background.run_in_background(work, finished, broke,  # type: ignore[arg-type]
                                           name="settings-keyboard-test")

    def test_label_clicked(self) -> None:
        """Print a test label (TEST / テスト) on the form's printer."""
        from app.outputs import label_content, label_size, make_printer

        try:
            label_settings = self.validated().label
            service, number = self._sample()
        except (SettingsError, ValueError) as e:
            self.set_message(self.texts.tr("settings.invalid", detail=str(e)), "danger")
            return
        content = label_content(service, number, label_settings,
                                terminal_id=self._terminal_id, test=True)
        self.test_label_button.setEnabled(False)
        self.set_message(self.texts.tr("settings.test.printing"))

        from app.ui.printing import print_rendered

        printers: list[LabelPrinter] = []

        def printer() -> LabelPrinter:  # on the test's lane: a plain list, not this screen
            printers.append(make_printer(label_settings))
            return printers[-1]

        def render() -> Image.Image:
            from app.labels import render_label

            return render_label(content, label_size(label_settings))

        def done(value: object) -> None:
            self.test_printer = printers[-1] if printers else None
            self.test_label_button.setEnabled(True)
            self.set_message(self.texts.tr("settings.test.printed"))

        def failed(exc: BaseException) -> None:
            from app.ui.delivery import failure_detail

            self.test_printer = printers[-1] if printers else None
            self.test_label_button.setEnabled(True)
            self.set_message(self.texts.tr("settings.test.print_failed",
                                           detail=failure_detail(exc)), "danger")

        finished, broke = self._tests.wrap(done, failed)
        print_rendered(self._background, printer=printer, render=render,
                       job_name="MyKey test label", on_done=lambda: finished(None),
                       on_failed=broke, lane="settings-label-test")

    def clear(self) -> None:
        self._countdown.stop()
        self.test_keyboard_button.setEnabled(True)
        self.set_message("")
