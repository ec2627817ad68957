"""The counter's points modes (shop, grant, voucher, register): pure Python, no Qt.

``outbox`` keeps every transfer request on disk before it is sent; ``flow`` holds the
state machines the screens in ``app.ui.points`` render; ``card`` proves the holder with
the card; ``receipts`` draws receipts and vouchers for the label printers.
"""
