"""Publication layer: QR codes drawn into matplotlib PDF pages — shared by the card sheet and the window poster.

Drawn as an image with ``interpolation="none"`` (PITFALLS: a resampled code fails to scan), from the module
matrix with the standard 4-module quiet zone.
"""

from __future__ import annotations

from typing import Any

import qrcode
import qrcode.constants


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR code of `data` as rows of dark (True) modules, with the standard 4-module quiet zone."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def draw_qr(fig: Any, rect: tuple[float, float, float, float], data: str) -> Any:
    """Draw the QR code of `data` into `fig` at `rect` (left, bottom, width, height as figure fractions)."""
    ax = fig.add_axes(rect)
    ax.imshow(qr_matrix(data), cmap="gray_r", vmin=0, vmax=1, interpolation="none", aspect="equal", resample=False)
    ax.set_axis_off()
    return ax
