"""What every command is handed (``click.pass_obj``): the home and the backends."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.cli.backends import Backends
from app.cli.errors import usage
from app.settings import Settings, SettingsError, load_settings


@dataclass
class CliState:
    home: Path
    backends: Backends

    def settings(self, *, service_cache: bool = True) -> Settings:
        """``counter.toml`` and the validated service cache (see :func:`load_settings`)."""
        try:
            settings = load_settings(self.home, service_cache=service_cache)
        except SettingsError as e:
            usage(str(e))
        return settings
