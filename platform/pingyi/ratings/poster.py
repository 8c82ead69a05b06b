"""Service layer: the printable QR poster of one window, A4 or A5 (SPEC §4 web channel, issue 9).

One page: hall, department and window name, the terminal's scale (labels from protocol), "扫码评价" and the QR
code of the window's rating URL (PUBLIC_BASE_URL/r/<poster token>). Drawn with matplotlib's PDF backend and the
CJK font of render.fonts, the QR code by render.qr (shared with the card sheet). Never written to disk or logged:
the download is the only copy.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Final

from pingyi.core.errors import InvalidInput
from pingyi.render.fonts import MONO_FAMILY, require_cjk_font
from pingyi.render.qr import draw_qr
from pingyi_terminal import protocol

SIZES: Final[dict[str, tuple[float, float]]] = {"A4": (8.27, 11.69), "A5": (5.83, 8.27)}  # inches, portrait
HALL_TITLE: Final = "政务服务中心"  # printed for a window in no hall
HEADLINE: Final = "扫码评价"
INVITE: Final = "请您对本窗口的服务作出评价"
SCALE_NOTE: Final = "评价等级："
FOOTER: Final = "手机扫描二维码即可评价 · 可选填原因和联系电话，我们将回访"


def poster_text(department: str, window: str, scale: str, hall: str = HALL_TITLE) -> str:
    """Every text the poster prints (what the font must cover)."""
    labels = "、".join(protocol.SCALES[scale].values())
    return "".join((hall, HEADLINE, INVITE, SCALE_NOTE, FOOTER, department, window, labels))


def render_poster(*, department: str, window: str, scale: str, url: str, size: str = "A4",
                  fonts: tuple[str, ...] | None = None, hall: str | None = None) -> bytes:
    """The poster as PDF bytes. InvalidInput for an unknown paper size; FontMissing without a CJK font."""
    if size not in SIZES:
        raise InvalidInput(f"纸张：{size[:8]!r} 不可用，请选择 A4 或 A5。")
    hall = hall or HALL_TITLE
    font = require_cjk_font(fonts, poster_text(department, window, scale, hall))
    return _render(hall, department, window, scale, url, SIZES[size], font)


def _render(hall: str, department: str, window: str, scale: str, url: str, inches: tuple[float, float],
            font: Path) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    cjk = FontProperties(fname=str(font))
    w_in, h_in = inches
    k = w_in / SIZES["A4"][0]  # type sizes scale with the paper
    fig = Figure(figsize=inches)

    def at(inch: float) -> float:
        """Figure y of a point `inch` inches below the top edge (A4 inches, scaled)."""
        return 1 - inch * k / h_in

    fig.text(0.5, at(0.7), hall, ha="center", va="top", fontsize=20 * k, color="#555555", fontproperties=cjk)
    fig.text(0.5, at(1.2), department, ha="center", va="top", fontsize=30 * k, weight="bold", fontproperties=cjk)
    fig.text(0.5, at(1.9), window, ha="center", va="top", fontsize=24 * k, fontproperties=cjk)
    fig.text(0.5, at(2.6), HEADLINE, ha="center", va="top", fontsize=44 * k, color="#b22222", weight="bold",
             fontproperties=cjk)
    side = 4.6 * k  # printed QR side, inches (~117 mm on A4, ~82 mm on A5)
    top = 3.65 * k
    draw_qr(fig, ((w_in - side) / 2 / w_in, 1 - (top + side) / h_in, side / w_in, side / h_in), url)
    below = (top + side) / k
    fig.text(0.5, at(below + 0.2), INVITE, ha="center", va="top", fontsize=18 * k, fontproperties=cjk)
    labels = "　".join(protocol.SCALES[scale].values())
    fig.text(0.5, at(below + 0.75), SCALE_NOTE + labels, ha="center", va="top", fontsize=15 * k,
             fontproperties=cjk)
    fig.text(0.5, at(below + 1.3), FOOTER, ha="center", va="top", fontsize=11 * k, color="#555555",
             fontproperties=cjk)
    fig.text(0.5, 0.03, url, ha="center", va="bottom", fontsize=7 * k, color="#888888", family=MONO_FAMILY)
    out = io.BytesIO()
    with PdfPages(out, metadata={"Title": f"{department} {window} {HEADLINE}", "Creator": "pingyi",
                                 "CreationDate": None}) as pdf:
        pdf.savefig(fig)
    return out.getvalue()
