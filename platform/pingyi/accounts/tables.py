"""Infrastructure layer: office users (SPEC §7)."""

from piccolo.columns import Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pingyi.hall.tables import Department


class OfficeUser(Table, tablename="office_user"):
    """A staff account. role: admin | investigator | inspector | liaison (liaison has a department)."""

    username = Varchar(length=64, unique=True, index=True)
    display_name = Varchar(length=64, default="")
    password_hash = Varchar(length=255)
    role = Varchar(length=16)
    department = ForeignKey(references=Department, null=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
