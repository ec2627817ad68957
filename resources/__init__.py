"""The counter's data files: style sheets, message catalogues, label templates.

``FOLDER`` is read with plain :mod:`pathlib`: importing :mod:`importlib.resources` costs
the counter's cold start more than the files themselves (the package is always a folder,
in the virtualenv, the wheel and the PyInstaller bundle alike).
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
