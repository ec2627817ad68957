"""What every command is handed (``click.pass_obj``): the home, the backends, the texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from app.cli.backends import Backends
from app.cli.errors import usage
from app.cli.texts import Texts
from app.settings import RefusedSetting, Settings, SettingsError, load_settings


@dataclass
class CliState:
    home: Path
    backends: Backends
    #: the messages, in the language of the settings once they are read
    texts: Texts = field(default_factory=Texts)

    def settings(self, *, service_cache: bool = True) -> Settings:
        """``counter.toml`` and the validated service cache (see :func:`load_settings`)."""
        try:
            settings = load_settings(self.home, service_cache=service_cache)
        except RefusedSetting as e:  # a public place's refusal: its own exit status
            click.echo(f"error: {e}", err=True)
            raise SystemExit(e.exit_status) from None
        except SettingsError as e:
            usage(str(e))
        self.texts = Texts(settings.language)
        return settings
