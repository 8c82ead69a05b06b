"""Infrastructure layer: tables of the hall context — the organisation every other context reads (SPEC §2, §4, §8).

The tables were created by the first migration of the former `windows` app; the hall app adopted them without
touching a row (hall/piccolo_migrations, docs/architecture.md "Moved tables").
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Department(Table, tablename="department"):
    """An evaluated department (窗口单位). `code` is stable: ties are listed by it."""

    code = Varchar(length=16, unique=True, index=True)
    name = Varchar(length=64)
    active = Boolean(default=True)
    sort_order = Integer(default=0)


class Window(Table, tablename="service_window"):
    """A service window (窗口) of a department; one terminal rates it. ("window" is reserved in SQL.)"""

    code = Varchar(length=16, unique=True, index=True)
    name = Varchar(length=64)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
