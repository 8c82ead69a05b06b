"""Terminal agent package (SPEC §4): the Raspberry Pi rating terminal. No server dependencies."""

from ._version import __version__

__all__ = ["__version__"]
