"""Infrastructure layer: office users and the hash-chained audit log (SPEC §7)."""

from piccolo.columns import JSON, ForeignKey, Integer, Text, Timestamptz, Varchar, Boolean
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pingyi.windows.tables import Department


class OfficeUser(Table, tablename="office_user"):
    """A staff account. role: admin | investigator | inspector | liaison (liaison has a department)."""

    username = Varchar(length=64, unique=True, index=True)
    display_name = Varchar(length=64, default="")
    password_hash = Varchar(length=255)
    role = Varchar(length=16)
    department = ForeignKey(references=Department, null=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AuditEntry(Table, tablename="audit_entry"):
    """Append-only; each entry's hash covers the previous one. `seq` is unique, so the chain cannot fork."""

    seq = Integer(unique=True, index=True)
    at = Varchar(length=40)
    actor = Varchar(length=64)
    action = Varchar(length=64)
    subject = Varchar(length=128)
    detail = JSON(default="{}")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)
    note = Text(default="")
