"""The group's commands, each imported when it is first looked up (click's LazyGroup idea).

``mykey-counter`` without a command opens the kiosk, which needs none of the headless
commands: their modules (and what they import: the barcode specification, the link
lookups …) would only delay its first paint. ``--help``, a command's name and
``cli.commands[name]`` import the command; listing the names imports nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping

import click


class LazyCommands(MutableMapping[str, click.Command]):
    """Command name → command, from command name → ``"module:attribute"``."""

    def __init__(self, paths: Mapping[str, str]) -> None:
        self._paths = dict(paths)
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        command = self._loaded.get(name)
        if command is None:
            module, _, attribute = self._paths[name].partition(":")  # KeyError: no such
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != name:
                raise TypeError(f"{self._paths[name]} is not the command {name!r}")
            self._loaded[name] = command
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._paths.pop(name, None)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._paths and name not in self._loaded:
            raise KeyError(name)
        self._paths.pop(name, None)
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._paths.keys() | self._loaded.keys()))

    def __len__(self) -> int:
        return len(self._paths.keys() | self._loaded.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._paths or name in self._loaded
