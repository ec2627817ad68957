"""Known defects of the Qt binding that the counter depends on."""

from __future__ import annotations

import pytest

from tests.gui.conftest import signal_emit_leaks_true

pytestmark = pytest.mark.gui


def test_signal_emit_keeps_the_references_to_true(qapp: object) -> None:
    """PySide6 6.12.0 loses a reference to True per emit and aborts a long-running kiosk
    on Python 3.11; pyproject.toml excludes it. This fails if such a binding comes back."""
    assert not signal_emit_leaks_true()
