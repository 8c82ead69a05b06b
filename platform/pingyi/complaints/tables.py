"""Infrastructure layer: complaints and their history (SPEC §5)."""

from piccolo.columns import Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pingyi.hall.tables import Department


class Complaint(Table, tablename="complaint"):
    """state: received | investigating | substantiated | unsubstantiated | withdrawn.

    `contact` is shown to investigators only; `public_reply` is what the public status page shows.
    """

    tracking_code = Varchar(length=32, unique=True, index=True)
    department = ForeignKey(references=Department, index=True)
    channel = Varchar(length=16, default="web")
    summary = Text()
    contact = Text(default="")
    state = Varchar(length=16, default="received")
    severity = Varchar(length=16, null=True, default=None)
    received_on = Date()
    decision_date = Date(null=True, default=None)
    decision_reason = Text(default="")
    investigator = Varchar(length=64, default="")
    public_reply = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    # Tracking codes (space-separated) of earlier complaints against the same department with a similar text, found
    # at intake: flagged for the investigator, never merged.
    similar_to = Text(default="")


class ComplaintEvent(Table, tablename="complaint_event"):
    """Every state change of a complaint, with who and why (the complaint's history; the public sees its steps with
    their dates and public replies, never the actor or the reason)."""

    complaint = ForeignKey(references=Complaint, index=True)
    at = Timestamptz(default=TimestamptzNow())
    actor = Varchar(length=64)
    action = Varchar(length=32)
    from_state = Varchar(length=16)
    to_state = Varchar(length=16)
    reason = Text(default="")  # internal: investigators' pages only
    public_reply = Text(default="")  # the reply given with this step, shown on the public tracking page
    decision_date = Date(null=True, default=None)  # the decision date entered with a decision
