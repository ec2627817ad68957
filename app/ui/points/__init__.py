"""The points modes in the kiosk: the controller, the idle screen's mode buttons and the
wiring between the lookup flow and the points flows (see :mod:`app.points`)."""
