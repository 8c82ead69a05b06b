"""Publication layer: finds a CJK font for charts and QR card sheets, or refuses clearly (SPEC §6, §8).

matplotlib's bundled DejaVu fonts have no Chinese glyphs, and a font cache built before a system font was installed
does not see it, so a font file is looked up explicitly (files or folders; settings: PINGYI_FONT_PATH) and checked
for the glyphs it must draw. No download at run time: the county's server may have no internet. The set-up
(deploy/bootstrap.sh) installs Debian's ``fonts-wqy-microhei`` when no CJK font is present.

Web charts need no server font (SVG with text kept as text, drawn by the reader's browser); a PDF embeds the font,
so without one it is refused with FontMissing instead of printing empty boxes.
"""

from __future__ import annotations

import threading
from pathlib import Path

from pingyi.core.errors import Conflict

# First existing wins; a caller may pass its own candidates (files or folders, e.g. from PINGYI_FONT_PATH).
CJK_FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
FONT_SUFFIXES = (".ttc", ".ttf", ".otf")
SAMPLE_TEXT = "评议部门满意"  # a font that lacks these is no CJK font
MONO_FAMILY = "DejaVu Sans Mono"  # bundled with matplotlib; for codes and URLs

FONT_MISSING_MESSAGE = ("服务器上没有可用的中文字体，无法生成 PDF（否则中文会印成方框）。"
                        "请运行 deploy/bootstrap.sh 或安装 fonts-wqy-microhei 后重试。")

_lock = threading.Lock()
_registered: dict[str, str] = {}  # path -> family name


class FontMissing(Conflict):
    """No installed font can draw the Chinese text of a PDF (HTTP 409 / CLI exit 2)."""

    def __init__(self, missing: str = "") -> None:
        message = FONT_MISSING_MESSAGE
        if missing:
            message = f"中文字体缺少这些字的字形：{missing}。" + message
        super().__init__(message, {"missing": missing})


def _files(candidates: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for entry in candidates:
        if not entry:
            continue
        p = Path(entry)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in FONT_SUFFIXES and f.is_file()))
    return out


def uncovered(path: Path, text: str) -> str:
    """The distinct characters of `text` (spaces aside) that the font file has no glyph for."""
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(str(path))
    except (OSError, RuntimeError, ValueError):
        return "".join(dict.fromkeys(ch for ch in text if not ch.isspace()))
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and font.get_char_index(ord(ch)) == 0))


def find_cjk_font(candidates: tuple[str, ...] | None = None, text: str = SAMPLE_TEXT) -> Path | None:
    """The first font file among `candidates` (default CJK_FONT_CANDIDATES) that has glyphs for `text`."""
    for path in _files(CJK_FONT_CANDIDATES if candidates is None else candidates):
        if not uncovered(path, text or SAMPLE_TEXT):
            return path
    return None


def require_cjk_font(candidates: tuple[str, ...] | None = None, text: str = "") -> Path:
    """The font file to embed in a PDF that shows `text`, or FontMissing (naming the characters it lacks)."""
    sample = SAMPLE_TEXT + "".join(ch for ch in text if ord(ch) > 0x2E7F)  # the CJK part; DejaVu draws ASCII
    found = find_cjk_font(candidates, sample)
    if found is not None:
        return found
    base = find_cjk_font(candidates)
    raise FontMissing(uncovered(base, sample) if base is not None else "")


def use_cjk_font(candidates: tuple[str, ...] | None = None) -> str | None:
    """Register the first CJK font found with matplotlib and return its family name (None when there is none).

    Idempotent and thread-safe. It changes no global rcParams: callers pass the family to what they draw.
    """
    from matplotlib import font_manager

    path = find_cjk_font(candidates)
    if path is None:
        return None
    key = str(path)
    with _lock:
        family = _registered.get(key)
        if family is None:
            font_manager.fontManager.addfont(key)
            family = font_manager.FontProperties(fname=key).get_name()
            _registered[key] = family
    return family
