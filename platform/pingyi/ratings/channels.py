"""The rating channels (SPEC §4): a button on the window's terminal, or the web rating behind the window's QR code.

The one list: tables default to TERMINAL, pages and figures take their labels from CHANNEL_LABELS.
"""

from __future__ import annotations

from typing import Final

TERMINAL: Final = "terminal"
WEB: Final = "web"
CHANNELS: Final = (TERMINAL, WEB)
CHANNEL_LABELS: Final[dict[str, str]] = {TERMINAL: "评价器", WEB: "扫码评价"}
