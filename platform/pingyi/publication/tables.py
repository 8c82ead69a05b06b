"""Infrastructure layer: immutable result snapshots and their publications (SPEC §6). Insert-only."""

from piccolo.columns import JSON, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pingyi.evaluation.tables import Campaign


class Snapshot(Table, tablename="snapshot"):
    """Computed results of a campaign, version n; `key` = "<campaign id>:<version>" keeps versions unique."""

    key = Varchar(length=64, unique=True)
    campaign = ForeignKey(references=Campaign, index=True)
    version = Integer()
    digest = Varchar(length=64)
    payload = JSON()
    reason = Text(default="")
    created_by = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class Publication(Table, tablename="publication"):
    """Makes one snapshot public; the newest publication of a campaign is the one shown."""

    snapshot = ForeignKey(references=Snapshot, index=True)
    campaign = ForeignKey(references=Campaign, index=True)
    reason = Text(default="")
    published_by = Varchar(length=64)
    audit_head = Varchar(length=80, default="")  # "<seq>:<hash>" of the audit log when published (SPEC §7)
    published_at = Timestamptz(default=TimestamptzNow())
