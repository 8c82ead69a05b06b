"""Infrastructure layer: campaigns, cards, ballots, sections, receipts (SPEC §2–3).

Anonymity lives here: Ballot, Section and Receipt have random UUID keys, no timestamp, no reference to a
card, a token or an enterprise. Card keeps only a hash of its token and whether it is spent.
"""

from piccolo.columns import JSON, UUID, Boolean, Date, ForeignKey, Integer, SmallInt, Text, Timestamptz, Varchar
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
    """A one-time QR card. Only the SHA-256 of its token is stored; `spent` flips with the ballot insert."""

    campaign = ForeignKey(references=Campaign, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    batch = Integer(default=1)
    spent = Boolean(default=False)


class Ballot(Table, tablename="ballot"):
    """A submitted questionnaire: random key, the campaign, nothing else."""

    id = UUID(primary_key=True)
    campaign = ForeignKey(references=Campaign, index=True)


class Section(Table, tablename="section"):
    """One department's complete block of a ballot: 20 answers as one digit of points each, the total, and
    the subtotal of each aspect (aspect_1 … aspect_8, in questionnaire order; unused ones stay 0)."""

    id = UUID(primary_key=True)
    ballot = ForeignKey(references=Ballot, index=True)
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
    opinion = Text(default="")


class Receipt(Table, tablename="receipt"):
    """The evaluator's receipt code, listed in the bulletin; no link to the ballot."""

    id = UUID(primary_key=True)
    campaign = ForeignKey(references=Campaign, index=True)
    code = Varchar(length=32, unique=True)


class SymposiumOpinion(Table, tablename="symposium_opinion"):
    """An opinion about a department recorded from the symposium's notes by the office."""

    campaign = ForeignKey(references=Campaign, index=True)
    department = ForeignKey(references=Department)
    text = Text()
    recorded_by = Varchar(length=64)
