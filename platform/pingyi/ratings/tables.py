"""Infrastructure layer: tables of the ratings context — terminals, ratings, clock offsets, quarantine (SPEC §4)."""

from piccolo.columns import BigInt, Boolean, Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pingyi.hall.tables import Department, Window


class Terminal(Table, tablename="terminal"):
    """A rating terminal (评价器). Status fields are written by the ingest worker from status/heartbeats."""

    terminal_id = Varchar(length=64, unique=True, index=True)
    window = ForeignKey(references=Window, on_delete=OnDelete.restrict)
    scale = Varchar(length=8, default="five")
    armed_mode = Boolean(default=False)
    online = Boolean(default=False)
    last_seen = Timestamptz(null=True, default=None)
    outbox_depth = Integer(default=0)
    clock_synced = Boolean(default=False)
    version = Varchar(length=32, default="")
    boot = Varchar(length=64, default="")
    uptime_s = BigInt(default=0)
    revoked = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class Rating(Table, tablename="rating"):
    """One press or arm event, stored once: `event_key` = "terminal:epoch:seq" is unique (idempotent ingest).

    `counted` is fixed at ingest (a press without flags); a dismissed 差评 stops counting (docs/rating-rules.md).
    """

    event_key = Varchar(length=200, unique=True)
    terminal = ForeignKey(references=Terminal, on_delete=OnDelete.restrict)
    window = ForeignKey(references=Window, on_delete=OnDelete.restrict)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict)
    epoch = Varchar(length=64)
    seq = BigInt()
    kind = Varchar(length=8)
    level = Integer(null=True, default=None)
    scale = Varchar(length=8, default="five")
    bad = Boolean(default=False)
    flags = Varchar(length=64, default="")
    counted = Boolean(default=False)
    boot = Varchar(length=64)
    mono_ms = BigInt()
    wall_at = Timestamptz()
    synced = Boolean(default=False)
    occurred_at = Timestamptz()
    time_source = Varchar(length=12, default="terminal")
    # Where the rating came from: "terminal" (a button, through MQTT) or "web" (the window's QR code);
    # `pingyi.ratings.channels` is the one list. Every figure is told apart by it (SPEC §4).
    channel = Varchar(length=12, default="terminal", index=True)
    received_at = Timestamptz()
    dismissed = Boolean(default=False)
    dismiss_reason = Text(default="")
    dismissed_by = Varchar(length=64, default="")
    dismissed_at = Timestamptz(null=True, default=None)


class TerminalBoot(Table, tablename="terminal_boot"):
    """Clock offset of one boot of one terminal: min over messages of (received − mono), or wall − mono when synced."""

    boot_key = Varchar(length=140, unique=True)
    terminal = ForeignKey(references=Terminal, on_delete=OnDelete.cascade)
    boot = Varchar(length=64)
    offset_ms = BigInt()
    exact = Boolean(default=False)
    updated_at = Timestamptz(default=TimestamptzNow())


class Quarantine(Table, tablename="quarantine"):
    """A message the ingest worker refused: reason plus the raw bytes, for the office to inspect."""

    received_at = Timestamptz(default=TimestamptzNow())
    topic = Varchar(length=255)
    reason = Text()
    terminal_id = Varchar(length=64, default="")
    raw = Bytea()  # at most validate.QUARANTINE_RAW_BYTES: a prefix of a longer payload
    raw_text = Text(default="")
    raw_length = Integer(default=0)  # the payload's full length


class QuarantineOverflow(Table, tablename="quarantine_overflow"):
    """Messages of one terminal id ("" = none) refused but not stored: over the quarantine bounds (ingest/budget.py).
    They were acknowledged; only their number, bytes and the last receive time are kept."""

    terminal_id = Varchar(length=64, unique=True)
    dropped = BigInt(default=0)
    dropped_bytes = BigInt(default=0)
    last_at = Timestamptz(null=True, default=None)


class ServedCount(Table, tablename="served_count"):
    """Imported 办件量: served transactions per window and month ("YYYY-MM"); `served_key` = "window_id:month"."""

    served_key = Varchar(length=40, unique=True)
    window = ForeignKey(references=Window, on_delete=OnDelete.restrict)
    month = Varchar(length=7)
    count = Integer(default=0)
    imported_at = Timestamptz(default=TimestamptzNow())


class WindowPoster(Table, tablename="window_poster"):
    """The secret token printed in a window's QR poster (web channel, docs/rating-rules.md); rotated in place."""

    window = ForeignKey(references=Window, on_delete=OnDelete.restrict, unique=True)
    token = Varchar(length=64, unique=True)
    issued_at = Timestamptz(default=TimestamptzNow())
    issued_by = Varchar(length=64, default="")
    version = Integer(default=1)


class WebRating(Table, tablename="web_rating"):
    """Details of one web rating (its `rating` row has channel="web"): tags, text and the call-back contact, seen
    only by the office roles that review 差评; device and address are keyed hashes, for the rate limits only."""

    rating = ForeignKey(references=Rating, on_delete=OnDelete.restrict, unique=True)
    window = ForeignKey(references=Window, on_delete=OnDelete.restrict)
    tags = Varchar(length=64, default="")
    text = Text(default="")
    contact = Varchar(length=32, default="")
    device = Varchar(length=64, index=True)
    address = Varchar(length=64, index=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ArmClaim(Table, tablename="arm_claim"):
    """An arm used by a web rating: `arm_key` ("terminal:epoch:seq" of the arm) and `press_key` (the event key of
    the press that arm admits) are unique, so one arm gives one counted rating across both channels."""

    arm_key = Varchar(length=200, unique=True)
    press_key = Varchar(length=200, unique=True)
    rating = ForeignKey(references=Rating, on_delete=OnDelete.restrict)
    claimed_at = Timestamptz(default=TimestamptzNow())


class Alert(Table, tablename="rating_alert"):
    """A live alert of one window (SPEC §4 "Alerts"; ratings/alerts.py): raised by the ingest and web ratings,
    acknowledged by a person with a note. `open_key` is the window id while the alert is open and NULL once
    acknowledged: a unique index, so whichever worker raises first wins and a window never has two open alerts."""

    window = ForeignKey(references=Window, on_delete=OnDelete.restrict)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict)
    open_key = Varchar(length=24, null=True, default=None, unique=True)
    raised_at = Timestamptz()
    first_rating_at = Timestamptz()
    last_rating_at = Timestamptz()
    ratings = Integer()
    bad = Integer()
    min_ratings = Integer()
    window_minutes = Integer()
    bad_percent = Integer()
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = Varchar(length=64, default="")
    note = Text(default="")
