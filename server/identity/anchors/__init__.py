"""J-LIS's JPKI user-authentication root certificates, the default production anchors."""

from __future__ import annotations

from importlib.resources import files

#: the shipped anchors, oldest first
BUILTIN_ANCHOR_FILES = ("auth_ca_2015.pem", "auth_ca_2023.pem")


def builtin_anchor_pems() -> list[bytes]:
    """The PEM text of every shipped anchor."""
    return [files(__name__).joinpath(name).read_bytes() for name in BUILTIN_ANCHOR_FILES]
