"""``mykey-counter``: the kiosk (no command) and the headless commands, one module each.

Everything that touches hardware, the keyring or the network is built through the
:class:`~app.cli.backends.Backends` the group is given: :mod:`app.__main__` passes the real
one (``cli.main(obj=…)``), tests pass fakes (``CliRunner().invoke(cli, args, obj=fakes)``).
Headless commands never import Qt.

This package is on the kiosk's path to its first paint: at import its modules load click,
the settings and the catalogue's code (its texts are read on the first message). The
barcode libraries, the doctor, the keyring and the wire schema (pydantic) are imported by
the commands that use them; the kiosk itself (:mod:`app.cli.kiosk`) is imported by the
composition root alone.
"""

from app.cli.group import cli

__all__ = ["cli"]
