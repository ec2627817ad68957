"""The [keyboard] and [label] tables, delivery C/D names, and what app.outputs builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.outputs import (
    NoPrinterConfigured,
    keyboard_backend,
    make_printer,
    make_wedge,
    sample_number,
)
from app.recording import RecordingKeyboard, RecordingPrinter
from app.settings import (
    SETTINGS_FILE,
    TABLE_KEYS,
    KeyboardSettings,
    LabelSettings,
    Settings,
    SettingsError,
    load_settings,
    save_settings,
)
from drivers.keyboard import KeyboardBackend, SpecialKey
from server.api.schemas import BarcodeSpec, CheckDigit, Symbology

EXAMPLE = Path(__file__).resolve().parents[3] / "resources" / "counter.example.toml"


def write(home: Path, text: str) -> None:
    (home / SETTINGS_FILE).write_text(text, encoding="utf-8")


def test_defaults() -> None:
    settings = Settings()
    assert settings.delivery == ["show", "barcode"]
    assert settings.keyboard == KeyboardSettings("auto", "none", "enter", 0.0, None)
    assert settings.label.printer is None and settings.label.size == "62mm"
    assert settings.label.model == "QL-820NWB"


def test_reads_the_tables(tmp_path: Path) -> None:
    write(tmp_path, """
delivery = ["barcode", "keyboard", "label"]
[keyboard]
backend = "recording"
prefix = "tab"
suffix = "Tab, Enter"
per_key_delay_s = 0.02
target_window = "Library|図書館"
[label]
printer = "brother"
target = "tcp://192.0.2.5:9100"
model = "QL-810W"
size = "29x90"
terminal_name = "1番窓口"
""")
    settings = load_settings(tmp_path)
    assert settings.delivery == ["barcode", "keyboard", "label"]
    assert settings.keyboard == KeyboardSettings(
        "recording", "tab", "tab,enter", 0.02, "Library|図書館")
    assert settings.label == LabelSettings(
        "brother", None, "tcp://192.0.2.5:9100", "QL-810W", "29x90", "1番窓口")
    save_settings(tmp_path, settings)
    assert load_settings(tmp_path) == settings


def test_only_changed_table_keys_are_written(tmp_path: Path) -> None:
    settings = Settings(label=LabelSettings(printer="recording"))
    save_settings(tmp_path, settings)
    text = (tmp_path / SETTINGS_FILE).read_text(encoding="utf-8")
    assert "[label]" in text and 'printer = "recording"' in text
    assert "[keyboard]" not in text and "size" not in text
    assert load_settings(tmp_path) == settings


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('delivery = ["keyboard", "fax"]', "delivery"),
        ('[keyboard]\nbackend = "wayland"', "keyboard.backend"),
        ('[keyboard]\nsuffix = "escape"', "keyboard.suffix"),
        ("[keyboard]\nsuffix = 13", "keyboard.suffix"),
        ("[keyboard]\nper_key_delay_s = 2", "keyboard.per_key_delay_s"),
        ("[keyboard]\nper_key_delay_s = -0.1", "keyboard.per_key_delay_s"),
        ('[keyboard]\ntarget_window = "(unclosed"', "keyboard.target_window"),
        ('[keyboard]\ncolour = "red"', "keyboard.colour"),
        ('[label]\nprinter = "fax"', "label.printer"),
        ('[label]\nsize = "A4"', "label.size"),
        ('[label]\nqueue = ""', "label.queue"),
        ('keyboard = "x11"', "keyboard"),
        ('delivery = ["label"]', "label.printer"),
        ('[label]\nprinter = "escpos"', "label.target"),
        ('[label]\nprinter = "brother"\ntarget = "/dev/usb/lp0"\nsize = "80mm"', "label.size"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    write(tmp_path, text + "\n")
    with pytest.raises(SettingsError, match=re.escape(key)):
        load_settings(tmp_path)


def test_example_documents_every_table_key(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for dotted in TABLE_KEYS:
        table, key = dotted.split(".")
        section = text[text.index(f"[{table}]"):]
        assert re.search(rf"^#? ?{key} =", section, re.MULTILINE), dotted
    # uncommented, the example's table values are accepted (a recording printer stands in)
    lines = [line.removeprefix("# ") if re.match(r"# \w+ = ", line) else line
             for line in text.splitlines()]
    uncommented = "\n".join(lines).replace('printer = "spooler"', 'printer = "recording"')
    uncommented = uncommented.replace('# reader = "Virtual PCD 00 00"', "")
    write(tmp_path, uncommented + "\n")
    settings = load_settings(tmp_path)
    assert settings.keyboard.target_window is not None
    assert settings.label.terminal_name == "中央図書館 1 番窓口"


def test_recording_backends_are_built_from_settings() -> None:
    backend = keyboard_backend(KeyboardSettings(backend="recording"))
    assert isinstance(backend, RecordingKeyboard)
    assert isinstance(backend, KeyboardBackend)
    wedge = make_wedge(KeyboardSettings(backend="recording", prefix="tab", suffix="enter"))
    assert wedge.deliver("0012345678", "[0-9]{10}").typed
    assert isinstance(wedge.backend, RecordingKeyboard)
    assert wedge.backend.typed == "\t0012345678\n"
    assert wedge.backend.events[0] is SpecialKey.TAB
    assert isinstance(make_printer(LabelSettings(printer="recording")), RecordingPrinter)


def test_no_printer_configured() -> None:
    with pytest.raises(NoPrinterConfigured, match=r"\[label\]"):
        make_printer(LabelSettings())


@pytest.mark.parametrize(
    ("spec", "number"),
    [
        (BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}"), "0000000000"),
        (BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{8}",
                     check_digit=CheckDigit.MOD16), "00000000"),
        (BarcodeSpec(symbology=Symbology.CODE39, pattern="LIB-[0-9]{4}|[A-Z]{3}"), "AAA"),
        (BarcodeSpec(symbology=Symbology.QR, pattern="[1-9][0-9]{5}"), "111111"),
    ],
)
def test_test_number_fits_the_pattern(spec: BarcodeSpec, number: str) -> None:
    assert sample_number(spec) == number


def test_test_number_impossible() -> None:
    with pytest.raises(ValueError, match="no test number"):
        sample_number(BarcodeSpec(symbology=Symbology.NW7, pattern="X[0-9]"))
