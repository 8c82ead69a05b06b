"""Infrastructure layer: campaigns, cards, ballots, sections, receipts (SPEC §2–3).

Anonymity lives here (docs/anonymity.md): Ballot, Section, Receipt, Opinion and SpentToken have random keys, no
timestamp and no reference to a card, a token, an enterprise or one another; their rows are rewritten in a random
order after ballots arrive (repository.reshuffle), so no rowid or physical order keeps the submission order. Card
keeps only a hash of its token and is never written when it is spent.
"""

from piccolo.columns import JSON, UUID, Date, ForeignKey, Integer, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pingyi.hall.tables import Department


class Campaign(Table, tablename="campaign"):
    """One annual evaluation. state: draft → open → closed → published."""

    year = Integer(unique=True, index=True)
    title = Varchar(length=128)
    state = Varchar(length=16, default="draft")
    cards_from = Date(null=True)
    symposium_on = Date(null=True)
    complaint_from = Date(null=True)
    complaint_to = Date(null=True)
    small_cell_k = Integer(default=5)
    department_codes = JSON(default="[]")
    questionnaire = JSON(default="{}")  # frozen copy of surveys/annual_questionnaire.toml at creation
    created_at = Timestamptz(default=TimestamptzNow())


class Card(Table, tablename="card"):
    """A one-time QR card. Only the SHA-256 of its token is stored; spending it writes a SpentToken, not this row."""

    campaign = ForeignKey(references=Campaign, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    batch = Integer(default=1)


class Ballot(Table, tablename="ballot"):
    """A submitted questionnaire, counted: random key, the campaign, nothing else (its sections do not name it)."""

    id = UUID(primary_key=True)
    campaign = ForeignKey(references=Campaign, index=True)


class Section(Table, tablename="section"):
    """One department's complete block of a ballot: 20 answers as one digit of points each, the total, and
    the subtotal of each aspect (aspect_1 … aspect_8, in questionnaire order; unused ones stay 0). It names no
    ballot: sections of one ballot cannot be grouped back (a set of departments can identify an enterprise)."""

    id = UUID(primary_key=True)
    campaign = ForeignKey(references=Campaign, index=True)
    department = ForeignKey(references=Department, index=True)
    answers = Varchar(length=64)
    total = Integer()
    aspect_1 = SmallInt(default=0)
    aspect_2 = SmallInt(default=0)
    aspect_3 = SmallInt(default=0)
    aspect_4 = SmallInt(default=0)
    aspect_5 = SmallInt(default=0)
    aspect_6 = SmallInt(default=0)
    aspect_7 = SmallInt(default=0)
    aspect_8 = SmallInt(default=0)


class Receipt(Table, tablename="receipt"):
    """The evaluator's receipt code, listed in the bulletin; no link to the ballot."""

    id = UUID(primary_key=True)
    campaign = ForeignKey(references=Campaign, index=True)
    code = Varchar(length=32, unique=True)


class Opinion(Table, tablename="opinion"):
    """A free-text opinion about a department, from a ballot or from the symposium's notes: stored apart from
    the section it came with (no section, ballot or card named), random key, rows reshuffled (SPEC §3)."""

    id = UUID(primary_key=True)
    campaign = ForeignKey(references=Campaign)  # no index: one fewer write per ballot; read once per page view
    department = ForeignKey(references=Department)
    text = Text()
    source = Varchar(length=16, default="ballot")  # "ballot" or "symposium"


class SpentToken(Table, tablename="spent_token"):
    """A spent card, as a tag that only the card's token yields (pingyi.core.cardcodes.spent_tag): the card row
    is never written when it is spent, so nothing stored tells which card was spent, or when (SPEC §3)."""

    tag = Varchar(length=64, primary_key=True)
    campaign = ForeignKey(references=Campaign)  # no index: counted only for turnout


class Symposium(Table, tablename="symposium"):
    """A symposium (座谈会) of a campaign as held: its date and place (seed 篇3). Office work in the open, stored
    apart from the anonymous ballot rows: no column names a ballot, section, opinion, receipt or card."""

    campaign = ForeignKey(references=Campaign, index=True)
    held_on = Date()
    place = Varchar(length=128, default="")


class SymposiumAttendance(Table, tablename="symposium_attendance"):
    """Who came for a department: status leader | deputy | absent (core/symposium.py). `slot` is
    "<symposium id>:<department id>", unique, so a department has one attendance record per symposium."""

    symposium = ForeignKey(references=Symposium, index=True)
    department = ForeignKey(references=Department)
    slot = Varchar(length=32, unique=True)
    status = Varchar(length=16)
    attendee = Varchar(length=64, default="")
    note = Varchar(length=200, default="")


class SymposiumNote(Table, tablename="symposium_note"):
    """An opinion raised at the symposium about one department, as the office noted it (no speaker named).
    Who recorded it and when is in the audit log."""

    symposium = ForeignKey(references=Symposium, index=True)
    department = ForeignKey(references=Department, index=True)
    text = Text()
