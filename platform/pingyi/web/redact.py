"""Web layer: what reaches a log never holds a card token or a tracking code, nor raw control characters (SPEC §3, §8).

`redact_path` hides the secret segment of the paths that carry one; `redact_text` hides anything shaped like a
card token or a complaint tracking code in free text (messages, tracebacks); `strip_controls` drops control
characters a visitor could use to forge log lines. `RedactingFilter` applies both to every record of a logger
(message, arguments and the formatted traceback), and `server_error_logger` is the logger unhandled exceptions are
written to, with their traceback.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
import unicodedata

# Paths whose segment after the prefix is a secret: card tokens and complaint tracking codes.
SECRET_PATHS = (
    re.compile(r"^/b/[^/]+"),
    re.compile(r"^/api/v1/ballots/[^/]+"),
    re.compile(r"^/c/[^/]+"),
    re.compile(r"^/api/v1/complaints/[^/]+"),
    re.compile(r"^/office/complaints/[^/]+"),
    re.compile(r"^/complaints/track/[^/]+"),
    re.compile(r"^/r/[^/]+"),  # a window's poster token (web rating channel)
)
_B32 = "[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]"
# A card token (26 characters, grouped by 5 on the card) and a tracking code (C- and 16 characters, grouped by 4),
# also typed without dashes or in lower case.
SECRET_TEXT = (
    re.compile(rf"(?<![0-9A-Za-z]){_B32}{{5}}(?:[-\s]?{_B32}{{5}}){{3}}[-\s]?{_B32}{{6}}(?![0-9A-Za-z])"),
    re.compile(rf"(?<![0-9A-Za-z])[Cc]-?{_B32}{{4}}(?:[-\s]?{_B32}{{4}}){{3}}(?![0-9A-Za-z])"),
)
REDACTED = "[redacted]"
SERVER_ERRORS = "pingyi.errors"


def strip_controls(text: str, keep: str = "") -> str:
    """`text` without control characters (Unicode category Cc), except those in `keep`."""
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) != "Cc")


def redact_text(text: str) -> str:
    for pattern in SECRET_TEXT:
        text = pattern.sub(REDACTED, text)
    return text


def redact_path(path: str) -> str:
    """The request path as it may be logged: secret segments replaced, control characters dropped."""
    path = strip_controls(path)
    for pattern in SECRET_PATHS:
        match = pattern.match(path)
        if match:
            prefix = match.group(0).rsplit("/", 1)[0]
            path = prefix + "/" + REDACTED + path[match.end():]
            break
    return redact_text(path)


class RedactingFilter(logging.Filter):
    """Rewrites a record in place: message and traceback redacted, control characters gone (newlines kept in the
    traceback). Put on a logger, it protects every handler the record reaches, including propagated ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact_text(strip_controls(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = _indented(redact_text(strip_controls(record.exc_text, keep="\n")))
        if record.stack_info:
            record.stack_info = _indented(redact_text(strip_controls(record.stack_info, keep="\n")))
        return True


def _indented(text: str) -> str:
    """Every line of a traceback indented: a newline in an exception message cannot start a forged record."""
    return "\n".join("  " + line for line in text.split("\n"))


def server_error_logger() -> logging.Logger:
    """The logger for unhandled exceptions: redacting filter, and a stderr handler when nothing else is set up."""
    logger = logging.getLogger(SERVER_ERRORS)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    logger.setLevel(logging.ERROR)
    return logger
