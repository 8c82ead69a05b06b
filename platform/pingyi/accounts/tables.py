"""Infrastructure layer: office users, their sessions and failed logins (SPEC §7, §8)."""

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


class OfficeSession(Table, tablename="office_session"):
    """A live office login. The browser's cookie holds a random session id; only its sha256 is stored here.
    Ending a session (logout, deactivation, role change, expiry) deletes its row: every process sees it at once."""

    token_hash = Varchar(length=64, unique=True, index=True)
    user = ForeignKey(references=OfficeUser, index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()


class LoginFailure(Table, tablename="login_failure"):
    """One failed login for a username (known or not), kept for the lockout window only."""

    username = Varchar(length=64, index=True)
    at = Timestamptz()
