"""Infrastructure layer: the hash-chained audit log (SPEC §7).

The table was created by the first migration of the accounts app; the audit app adopted it without touching a row.
"""

from piccolo.columns import JSON, Integer, Text, Varchar
from piccolo.table import Table


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
