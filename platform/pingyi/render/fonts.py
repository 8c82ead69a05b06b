"""Publication layer: registers a CJK font with matplotlib for charts and QR card sheets (SPEC §6).

matplotlib's bundled DejaVu fonts have no Chinese glyphs, and a font cache built before a system font was installed
does not see it, so the font file is registered explicitly with ``fontManager.addfont``. No download at run time:
the county's server may have no internet. Debian: ``apt-get install fonts-wqy-microhei`` (or ``fonts-noto-cjk``).
"""

from __future__ import annotations

import threading
from pathlib import Path

# First existing wins; a caller may pass its own candidates (e.g. a configured font file).
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
MONO_FAMILY = "DejaVu Sans Mono"  # bundled with matplotlib; for codes and URLs

_lock = threading.Lock()
_registered: dict[str, str] = {}  # path -> family name


def find_cjk_font(candidates: tuple[str, ...] | None = None) -> Path | None:
    """The first existing CJK font file among `candidates` (default CJK_FONT_CANDIDATES)."""
    for p in CJK_FONT_CANDIDATES if candidates is None else candidates:
        if p and Path(p).is_file():
            return Path(p)
    return None


def use_cjk_font(candidates: tuple[str, ...] | None = None) -> str | None:
    """Register the first existing CJK font and put it first in matplotlib's sans-serif list.

    Returns the font family name, or None when no CJK font is installed (Chinese then renders as boxes with
    missing-glyph warnings). Idempotent and thread-safe; calling it again only re-asserts the rcParams.
    """
    import matplotlib
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
        rc = matplotlib.rcParams
        sans = [f for f in rc["font.sans-serif"] if f != family]
        rc["font.sans-serif"] = [family, *sans]
        rc["font.family"] = "sans-serif"
        rc["axes.unicode_minus"] = False  # the CJK font may lack U+2212 MINUS SIGN
    return family
