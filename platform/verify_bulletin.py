"""Check a pingyi evaluation bulletin (评议公告) with nothing but Python 3.11+ — no pingyi install, no packages.

    python3 platform/verify_bulletin.py bulletin-2025-v1.json --key office-key.pub [--receipt R-XXXX-XXXX-XXXX]

Checks the office's Ed25519 signature (FILE.sig beside the file, or --sig), then recomputes every published
score, grade and rank from the file alone and names each mismatch. Exit status: 0 verified against the key you
gave; 1 a mismatch (signature, a changed or removed part, a count, a score, a grade, a rank); 2 unreadable file or
key; 3 consistent, but no --key was given (the signature was checked only with the key the signature file names).
A `.csv` bulletin is checked the same way (its signature over its exact bytes, then every count, score, grade and
rank recomputed from the CSV; the questionnaire and rules are only in the JSON). The checks are
`pingyi/core/bulletin_check.py` and `bulletin_verify.py` beside this script (standard library only), the same
code `pingyi verify-bulletin` runs; see docs/bulletin.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the pingyi source beside this file; nothing installed

from pingyi.core import bulletin_check, bulletin_verify  # noqa: E402  (stdlib only, like all of core)
from pingyi.core.errors import InvalidInput  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify_bulletin.py",
                                     description="核验 pingyi 评议公告（签名、得分、等级、名次）")
    parser.add_argument("file", help="公告文件 bulletin-YEAR-vN.json 或 .csv")
    parser.add_argument("--key", help="办公室公布的公钥：文件路径，或 “pingyi-ed25519 …” 一行 / base64")
    parser.add_argument("--sig", help="签名文件（默认：公告文件名加 .sig）")
    parser.add_argument("--receipt", help="你的回执码：核对它是否列在公告中")
    args = parser.parse_args(argv)
    try:
        lines, status = bulletin_verify.check_files(args.file, args.key, args.sig, args.receipt)
    except (OSError, InvalidInput) as exc:
        message = exc.message if isinstance(exc, InvalidInput) else f"无法读取文件：{exc}"
        print(f"verify_bulletin: {message}", file=sys.stderr)
        return bulletin_check.EXIT_USAGE
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
