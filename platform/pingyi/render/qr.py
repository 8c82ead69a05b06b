"""Infrastructure layer: QR code matrices for the printed pages (card sheets, window posters; render/pdf.py).

Error correction level M, the standard 4-module quiet zone. `mask=None` lets the encoder score all eight mask
patterns and keep the best (about 5 ms a code); a fixed mask (any of the eight is valid, ISO/IEC 18004) costs about
1 ms, which is what makes a 1,000-card sheet take seconds instead of most of a minute (docs/printing.md).
"""

from __future__ import annotations

import qrcode
import qrcode.constants

CARD_MASK = 0  # the mask of every card-sheet code: fixed, for speed; the scan tests read every code back


def qr_version(data: str) -> int:
    """The smallest QR version (size) that holds `data` at level M; every card of a sheet has the same length."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(data)
    return int(qr.best_fit())


def qr_matrix(data: str, mask: int | None = None, version: int | None = None) -> list[list[bool]]:
    """The QR code of `data` as rows of dark (True) modules, with the standard 4-module quiet zone.

    `version` given (from qr_version of data of the same length) skips the encoder's search for the size."""
    qr = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                       mask_pattern=mask)
    qr.add_data(data)
    qr.make(fit=version is None)
    return qr.get_matrix()
