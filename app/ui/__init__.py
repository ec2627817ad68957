"""The counter's Qt kiosk: the only package that imports ``PySide6.QtWidgets``.

``kiosk.run_kiosk`` composes it; ``controller`` runs the flow; ``screens`` render it.
"""
