"""Service layer: the printable QR poster of one window, A4 or A5 (SPEC §4 web channel, issue 9).

One page: hall, department and window name, the terminal's scale (labels from protocol), "扫码评价" and the QR
code of the window's rating URL (PUBLIC_BASE_URL/r/<poster token>). Laid out by render.pdf (fpdf2, shared with the
card sheet; docs/printing.md) with the CJK font of render.fonts embedded. Never written to disk or logged: the
download is the only copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pingyi.core.errors import InvalidInput
from pingyi.render import pdf
from pingyi.render.fonts import require_cjk_font
from pingyi.render.qr import qr_matrix
from pingyi_terminal import protocol

SIZES: Final[dict[str, pdf.Paper]] = {"A4": pdf.A4, "A5": pdf.A5}  # portrait
MM: Final = 25.4  # millimetres per inch (the layout is in inches of the A4 page)
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


def _render(hall: str, department: str, window: str, scale: str, url: str, paper: pdf.Paper, font: Path) -> bytes:
    k = paper.width / pdf.A4.width  # type sizes and positions scale with the paper

    def at(inch: float) -> float:
        """Millimetres from the top edge of a point `inch` inches below it on A4 (scaled)."""
        return inch * MM * k

    doc = pdf.document(font, title=f"{department} {window} {HEADLINE}", paper=paper)
    doc.add_page()
    cx = paper.width / 2
    pdf.text_at(doc, cx, at(0.7), hall, size=20 * k, gray=85)
    pdf.text_at(doc, cx, at(1.2), department, size=30 * k)
    pdf.text_at(doc, cx, at(1.9), window, size=24 * k)
    pdf.text_at(doc, cx, at(2.6), HEADLINE, size=44 * k, rgb=(178, 34, 34))
    side = 4.6 * MM * k  # printed QR side (~117 mm on A4, ~82 mm on A5)
    top = at(3.65)
    pdf.qr(doc, cx - side / 2, top, side, qr_matrix(url))  # one code: the encoder picks the best mask
    below = 3.65 + 4.6
    pdf.text_at(doc, cx, at(below + 0.2), INVITE, size=18 * k)
    labels = "　".join(protocol.SCALES[scale].values())
    pdf.text_at(doc, cx, at(below + 0.75), SCALE_NOTE + labels, size=15 * k)
    pdf.text_at(doc, cx, at(below + 1.3), FOOTER, size=11 * k, gray=85)
    pdf.text_at(doc, cx, paper.height * 0.97 - 7 * k * pdf.PT_MM, url, size=7 * k, family=pdf.MONO, gray=136)
    return pdf.to_bytes(doc)
