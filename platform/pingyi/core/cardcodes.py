"""Core layer: one-time card tokens, ballot receipt codes and complaint tracking codes (SPEC §3, §5).

All codes use Crockford's base32 alphabet (0-9 A-Z without I, L, O, U): easy to read aloud and to type from a
printed card. Typing is forgiving: case, spaces, dashes and full-width characters are ignored, O reads as 0 and
I / L as 1.

- card token: 130 random bits = 26 characters; shown as "XXXXX-XXXXX-XXXXX-XXXXX-XXXXXX". Only
  `token_hash` (sha256 of the normalized token) is stored; 130 bits of entropy make a salt unnecessary.
  A spent card is recorded as `spent_tag` (sha256 of a different, domain-separated string of the token): only the
  token yields it, so the stored tag names no card row.
- receipt: 60 random bits = 12 characters, "R-XXXX-XXXX-XXXX".
- complaint tracking code: 80 random bits = 16 characters, "C-XXXX-XXXX-XXXX-XXXX".
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

from pingyi.core.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_BITS = 130
TOKEN_LENGTH = TOKEN_BITS // 5  # 26
RECEIPT_LENGTH = 12  # 60 bits
RECEIPT_PREFIX = "R"
TRACKING_LENGTH = 16  # 80 bits
TRACKING_PREFIX = "C"

_TYPO_MAP = {"O": "0", "I": "1", "L": "1"}
_SEPARATORS = set(" \t\r\n-_.—–")


def _random_chars(count: int) -> str:
    value = secrets.randbits(5 * count)
    out = []
    for _ in range(count):
        value, digit = divmod(value, 32)
        out.append(ALPHABET[digit])
    return "".join(out)


def _groups(text: str, size: int) -> list[str]:
    parts = [text[i:i + size] for i in range(0, len(text), size)]
    if len(parts) > 1 and len(parts[-1]) == 1:  # no lonely last character
        last = parts.pop()
        parts[-1] += last
    return parts


def _clean(typed: str) -> str:
    """Uppercase, full-width → ASCII, drop separators, map look-alikes."""
    if not isinstance(typed, str):
        return ""
    text = unicodedata.normalize("NFKC", typed).upper()
    return "".join(_TYPO_MAP.get(ch, ch) for ch in text if ch not in _SEPARATORS)


def mint_token() -> str:
    """A fresh card token: 26 Crockford base32 characters, 130 random bits, no separators."""
    return _random_chars(TOKEN_LENGTH)


def format_code(token: str) -> str:
    """Group a token for print: "XXXXX-XXXXX-XXXXX-XXXXX-XXXXXX"."""
    return "-".join(_groups(normalize_code(token), 5))


def normalize_code(typed: str) -> str:
    """The canonical token from what a person typed or a QR code carried; InvalidInput when malformed."""
    text = _clean(typed)
    if len(text) != TOKEN_LENGTH or any(ch not in ALPHABET for ch in text):
        raise InvalidInput(
            f"卡号格式不正确：应为 {TOKEN_LENGTH} 位字母或数字（不含 I、L、O、U），请对照评议卡重新输入。",
            {"field": "token"},
        )
    return text


def token_hash(token: str) -> str:
    """sha256 hex of the normalized token: the only form of a token the database keeps."""
    return hashlib.sha256(normalize_code(token).encode("ascii")).hexdigest()


SPENT_TAG_DOMAIN = "pingyi spent card\x00"


def spent_tag(token: str) -> str:
    """sha256 hex of the normalized token under another domain: what is stored when the card is spent. Without the
    token it cannot be tied to the card's `token_hash` (SPEC §3: the spent cards reveal no spend order)."""
    return hashlib.sha256((SPENT_TAG_DOMAIN + normalize_code(token)).encode("ascii")).hexdigest()


def _prefixed(prefix: str, length: int) -> str:
    return "-".join([prefix, *_groups(_random_chars(length), 4)])


def _normalize_prefixed(typed: str, prefix: str, length: int, message: str, field: str) -> str:
    text = _clean(typed)
    if len(text) == length + 1 and text.startswith(prefix):
        text = text[1:]
    if len(text) != length or any(ch not in ALPHABET for ch in text):
        raise InvalidInput(message, {"field": field})
    return "-".join([prefix, *_groups(text, 4)])


def mint_receipt() -> str:
    """A random ballot receipt code (60 bits), e.g. "R-7K2M-Q9XD-4HZT". Unrelated to the token and the ballot."""
    return _prefixed(RECEIPT_PREFIX, RECEIPT_LENGTH)


def normalize_receipt(typed: str) -> str:
    """Canonical "R-XXXX-XXXX-XXXX" from what a person typed (prefix optional)."""
    return _normalize_prefixed(
        typed, RECEIPT_PREFIX, RECEIPT_LENGTH,
        f"回执码格式不正确：应为 R- 加 {RECEIPT_LENGTH} 位字母或数字，例如 R-7K2M-Q9XD-4HZT。", "receipt",
    )


def mint_tracking_code() -> str:
    """A random complaint tracking code (80 bits), e.g. "C-7K2M-Q9XD-4HZT-8WPA"."""
    return _prefixed(TRACKING_PREFIX, TRACKING_LENGTH)


def normalize_tracking_code(typed: str) -> str:
    """Canonical "C-XXXX-XXXX-XXXX-XXXX" from what a person typed (prefix optional)."""
    return _normalize_prefixed(
        typed, TRACKING_PREFIX, TRACKING_LENGTH,
        f"投诉查询码格式不正确：应为 C- 加 {TRACKING_LENGTH} 位字母或数字，例如 C-7K2M-Q9XD-4HZT-8WPA。",
        "tracking_code",
    )
