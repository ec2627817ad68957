"""The shape of ``mykey-counter``: a module per command, none of them loading Qt, every
``--help`` working, the group needing the backends it is given."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import app.cli
from app.cli import cli
from app.cli.group import COMMANDS
from tests.unit.app.test_cli import Fakes

ROOT = Path(__file__).parents[3]
CLI_MODULES = sorted(f"app.cli.{m.name}" for m in pkgutil.iter_modules(app.cli.__path__))


def test_there_is_a_module_per_command() -> None:
    for command in COMMANDS:
        assert command.callback is not None
        module = command.callback.__module__
        assert module == f"app.cli.{command.callback.__name__}", command.name
    assert len({c.name for c in COMMANDS}) == len(COMMANDS) == len(cli.commands)


def test_no_cli_module_imports_qt_or_the_card_stack() -> None:
    """Each module on its own, in a fresh interpreter: nothing loads PySide6 or pyscard."""
    code = (
        "import importlib, json, sys\n"
        "loaded = {}\n"
        f"for name in {['app.cli', *CLI_MODULES]!r}:\n"
        "    importlib.import_module(name)\n"
        "    loaded[name] = sorted(m for m in sys.modules\n"
        "                          if m.split('.')[0] in ('PySide6', 'shiboken6', 'smartcard'))\n"
        "print(json.dumps(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    loaded = json.loads(done.stdout)
    assert set(loaded) == {"app.cli", *CLI_MODULES}
    assert all(modules == [] for modules in loaded.values()), loaded


@pytest.mark.parametrize("args", [[], *[[name] for name in sorted(cli.commands)]],
                         ids=lambda args: " ".join(args) or "mykey-counter")
def test_every_help_works(args: list[str]) -> None:
    result = CliRunner().invoke(cli, [*args, "--help"], obj=Fakes().backends())
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")


def test_the_group_needs_its_backends(tmp_path: Path) -> None:
    """No lazy way back to the composition root: the group refuses to run without them."""
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "doctor"])
    assert isinstance(result.exception, TypeError)


def test_python_dash_m_app_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "app", "--version"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "mykey-counter, version 0.1.0"
