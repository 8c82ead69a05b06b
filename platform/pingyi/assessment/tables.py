"""Infrastructure layer: tables of the monthly window assessment (SPEC §4). Versioned and insert-only.

Inspector entries and vetoes are never updated in place: an edit or a withdrawal is a new version row, the old
ones stay. Month snapshots and their publications are insert-only; `assessment_month` holds the month's state.
"""

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pingyi.hall.tables import Department


class AssessmentEntry(Table, tablename="assessment_entry"):
    """One version of one inspector entry (a deduction or bonus points on one item of one department's month).

    `entry_key` names the entry across its versions; `version_key` = "<entry_key>:<version>" is unique. Points are
    the exact decimal text ("1.50"); a withdrawal is a version with `withdrawn` true and points "0".
    """

    version_key = Varchar(length=80, unique=True)
    entry_key = Varchar(length=64, index=True)
    version = Integer()
    month = Varchar(length=7, index=True)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict, index=True)
    item_id = Varchar(length=16)
    points = Varchar(length=16)
    reason = Text()
    evidence = Text(default="")
    withdrawn = Boolean(default=False)
    change_reason = Text(default="")
    created_by = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class AssessmentVeto(Table, tablename="assessment_veto"):
    """One version of a department's one-vote veto flag for a month; the newest version is in force."""

    version_key = Varchar(length=64, unique=True)  # "<month>:<department id>:<version>"
    month = Varchar(length=7, index=True)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict, index=True)
    version = Integer()
    vetoed = Boolean(default=True)
    reason = Text(default="")
    created_by = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class OnlineImport(Table, tablename="assessment_online"):
    """Imported online share and overtime red cards of one department for one month (one row per pair).

    `import_key` = "<department id>:<month>"; a re-import replaces the row; `source` and `source_row` name the file
    row the figures came from (shown in the month's explanation).
    """

    import_key = Varchar(length=40, unique=True)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict, index=True)
    month = Varchar(length=7, index=True)
    online = Integer(default=0)
    processed = Integer(default=0)
    red_cards = Integer(default=0)
    source = Varchar(length=200, default="")
    source_row = Integer(default=0)
    imported_by = Varchar(length=64, default="")
    imported_at = Timestamptz(default=TimestamptzNow())


class AssessmentMonth(Table, tablename="assessment_month"):
    """The state of a month: open (entries editable) → closing → closed (snapshot taken, read-only) → published.

    A correction reopens the month with a reason (`correction_reason`); the next close makes a new version."""

    month = Varchar(length=7, unique=True)
    state = Varchar(length=12, default="open")
    correction_reason = Text(default="")
    updated_by = Varchar(length=64, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class MonthSnapshot(Table, tablename="assessment_snapshot"):
    """The closed month, version n: result, canonical inputs and their digest. `snapshot_key` = "<month>:<n>"."""

    snapshot_key = Varchar(length=24, unique=True)
    month = Varchar(length=7, index=True)
    version = Integer()
    digest = Varchar(length=64)
    payload = JSON()
    reason = Text(default="")
    created_by = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class MonthPublication(Table, tablename="assessment_publication"):
    """Makes one month snapshot public; the newest publication of a month is the one shown."""

    snapshot = ForeignKey(references=MonthSnapshot, on_delete=OnDelete.restrict, index=True)
    month = Varchar(length=7, index=True)
    version = Integer()
    published_by = Varchar(length=64)
    audit_head = Varchar(length=80, default="")
    published_at = Timestamptz(default=TimestamptzNow())
