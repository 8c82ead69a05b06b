"""Bench layer: the QR card sheet, old (matplotlib, as drawn until issue 11) vs new (render.pdf / fpdf2), in one run.

Usage: .venv/bin/python bench/cards.py [--old 100] [--cards 1000]

- Cards per second of both renderers on the same `--old` cards (the old one is slow: ~34 ms a card).
- The office's path for `--cards` cards: `evaluation.cardjobs.start` draws the sheet in a worker thread while an
  asyncio loop on the main thread ticks every 10 ms; printed: the time until the job reads "done" (target < 10 s
  for 1,000 cards), the number of progress updates seen, and the worst tick delay of the loop (how much the drawing
  thread, holding the GIL, delays the serving loop).
- With pdftoppm and zbarimg installed, the first page of the big sheet is rasterised at 150 dpi and its 8 codes are
  decoded.
The machine's figures drift (PITFALLS): compare within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT / "terminals")]

from pingyi.core.cardcodes import format_code, mint_token  # noqa: E402
from pingyi.evaluation import cardjobs, cardsheet  # noqa: E402
from pingyi.render.fonts import MONO_FAMILY, require_cjk_font  # noqa: E402
from pingyi.render.qr import qr_matrix  # noqa: E402

BASE = "https://pingyi.example.gov.cn"
TITLE = "2026年度外来投资企业民主评议"


def make_cards(n: int) -> list[tuple[str, str]]:
    return [(f"{BASE}/b/{t}", format_code(t)) for t in (mint_token() for _ in range(n))]


def matplotlib_sheet(cards: list[tuple[str, str]], font: Path) -> bytes:
    """The card sheet as pingyi drew it before issue 11 (matplotlib PdfPages, one figure per page): the baseline."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D

    a4 = (8.27, 11.69)
    cjk = FontProperties(fname=str(font))
    mx, mt, mb = 0.06, 0.035, 0.025
    cell_w, cell_h = (1 - 2 * mx) / 2, (1 - mt - mb) / 4
    qr_w, qr_h = 1.35 / a4[0], 1.35 / a4[1]
    out = io.BytesIO()
    pages = (len(cards) + 7) // 8
    with PdfPages(out, metadata={"Title": TITLE, "Creator": "pingyi", "CreationDate": None}) as pdf:
        for page in range(pages):
            fig = Figure(figsize=a4)
            fig.text(0.5, 1 - mt / 2, f"{TITLE}　评议卡　第 {page + 1}/{pages} 页", ha="center", va="center",
                     fontsize=8, fontproperties=cjk)
            line = dict(transform=fig.transFigure, color="#999999", linewidth=0.6, linestyle=(0, (4, 3)))
            top, bottom = 1 - mt, mb
            for c in range(3):
                fig.add_artist(Line2D([mx + c * cell_w] * 2, [bottom, top], **line))
            for r in range(5):
                fig.add_artist(Line2D([mx, 1 - mx], [bottom + r * cell_h] * 2, **line))
            for slot, (url, code) in enumerate(cards[page * 8:(page + 1) * 8]):
                cx = mx + (slot % 2 + 0.5) * cell_w
                y1 = top - (slot // 2) * cell_h

                def at(inches: float, y1: float = y1) -> float:
                    return y1 - inches / a4[1]

                fig.text(cx, at(0.14), TITLE, ha="center", va="top", fontsize=11.5, fontproperties=cjk)
                ax = fig.add_axes((cx - qr_w / 2, at(0.46 + 1.35), qr_w, qr_h))
                ax.imshow(qr_matrix(url), cmap="gray_r", vmin=0, vmax=1, interpolation="none", aspect="equal",
                          resample=False)
                ax.set_axis_off()
                below = 0.46 + 1.35
                fig.text(cx, at(below + 0.02), "卡号", ha="center", va="top", fontsize=7, fontproperties=cjk)
                fig.text(cx, at(below + 0.15), code, ha="center", va="top", fontsize=10.5, family=MONO_FAMILY,
                         weight="bold")
                for dy, text in ((0.35, cardsheet.INSTRUCTION_SCAN),
                                 (0.50, cardsheet.INSTRUCTION_TYPE.format(base_url=BASE)),
                                 (0.67, cardsheet.CARD_NOTE)):
                    fig.text(cx, at(below + dy), text, ha="center", va="top", fontsize=7.5, fontproperties=cjk)
            pdf.savefig(fig)
    return out.getvalue()


async def office_path(cards: list[tuple[str, str]], data_dir: Path) -> dict[str, float]:
    """Start the job as the office page does and keep an event loop ticking until the status reads done."""
    lags: list[float] = []
    updates: set[int] = set()
    start = time.perf_counter()
    job = cardjobs.start(data_dir, year=2026, title=TITLE, batch=1, cards=cards, base_url=BASE, fonts=None,
                         actor="bench")
    while True:
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - before - 0.01)
        status = cardjobs.status(data_dir, 2026, job.job)
        updates.add(status.done)
        if status.state in ("done", "failed"):
            break
    elapsed = time.perf_counter() - start
    assert status.state == "done", status.error
    lags.sort()
    return {"elapsed": elapsed, "updates": len(updates), "lag_max": lags[-1],
            "lag_p95": lags[int(len(lags) * 0.95)], "size": (data_dir / "cardsheets" / job.job / "cards.pdf")
            .stat().st_size, "job": job.job}  # type: ignore[dict-item]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", type=int, default=100, help="cards for the old-vs-new comparison")
    parser.add_argument("--cards", type=int, default=1000, help="cards of the office batch")
    args = parser.parse_args()
    font = require_cjk_font(None, cardsheet.sheet_text(TITLE, 2026, BASE))
    sample = make_cards(args.old)

    t = time.perf_counter()
    old_pdf = matplotlib_sheet(sample, font)
    old_s = time.perf_counter() - t
    t = time.perf_counter()
    new_pdf = cardsheet.render_card_sheet(sample, TITLE, 2026, BASE)
    new_s = time.perf_counter() - t
    print(f"{args.old} cards  matplotlib (before): {old_s:6.2f} s = {args.old / old_s:7.1f} cards/s "
          f"({old_s / args.old * 1000:.1f} ms a card, {len(old_pdf) // 1024} KiB)")
    print(f"{args.old} cards  render.pdf (now):    {new_s:6.2f} s = {args.old / new_s:7.1f} cards/s "
          f"({new_s / args.old * 1000:.1f} ms a card, {len(new_pdf) // 1024} KiB)   ratio {old_s / new_s:.1f}×")

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        got = asyncio.run(office_path(make_cards(args.cards), data_dir))
        verdict = "OK" if args.cards < 1000 or got["elapsed"] < 10 else "OVER the 10 s target"
        print(f"{args.cards} cards in a worker thread (office path): {got['elapsed']:.2f} s  [{verdict}]; "
              f"{got['updates']} progress values seen; {int(got['size']) // 1024} KiB; event-loop tick delay "
              f"p95 {got['lag_p95'] * 1000:.1f} ms, max {got['lag_max'] * 1000:.1f} ms")
        if shutil.which("pdftoppm") and shutil.which("zbarimg"):
            pdf = data_dir / "cardsheets" / str(got["job"]) / "cards.pdf"
            subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), f"{tmp}/p"], check=True)
            png = next(Path(tmp).glob("p*.png"))
            codes = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True,
                                   check=False).stdout.split()
            print(f"page 1 at 150 dpi: {len(codes)} of 8 codes decoded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
