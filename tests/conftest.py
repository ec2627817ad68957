"""Shared test configuration: fixture plug-ins and the ``--reader`` option."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = [
    "tests.fixtures.pcscd",
    "tests.fixtures.postgres",
    "tests.fixtures.platform",
    "tests.fixtures.cups",
    "tests.fixtures.xvfb",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reader", default=None, help="run hardware tests against this PC/SC reader")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reader = config.getoption("--reader")
    skip = pytest.mark.skip(reason="needs a physical reader: pass --reader NAME")
    for item in items:
        if "reader" in item.keywords and not reader:
            item.add_marker(skip)
