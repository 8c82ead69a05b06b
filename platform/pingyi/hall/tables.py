"""Infrastructure layer: tables of the hall context — the organisation every other context reads (SPEC §2, §4, §8).

The tables were created by the first migration of the former `windows` app; the hall app adopted them without
touching a row (hall/piccolo_migrations, docs/architecture.md "Moved tables").
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pingyi.core import alerts


class Department(Table, tablename="department"):
    """An evaluated department (窗口单位). `code` is stable: ties are listed by it."""

    code = Varchar(length=16, unique=True, index=True)
    name = Varchar(length=64)
    active = Boolean(default=True)
    sort_order = Integer(default=0)


class Hall(Table, tablename="hall"):
    """A service hall (政务服务大厅, 分中心) and its live-alert threshold (SPEC §4 "Alerts"; defaults: core/alerts.py).

    Halls are never deleted (windows and alerts keep their history); an inactive hall takes no new windows."""

    code = Varchar(length=16, unique=True, index=True)
    name = Varchar(length=64)
    active = Boolean(default=True)
    sort_order = Integer(default=0)
    alert_min_ratings = Integer(default=alerts.MIN_RATINGS)
    alert_window_minutes = Integer(default=alerts.WINDOW_MINUTES)
    alert_bad_percent = Integer(default=alerts.BAD_PERCENT)


class Window(Table, tablename="service_window"):
    """A service window (窗口) of a department; one terminal rates it. ("window" is reserved in SQL.)"""

    code = Varchar(length=16, unique=True, index=True)
    name = Varchar(length=64)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
    # The hall the window is in; None: not assigned yet (pages list it under 未分配大厅).
    hall = ForeignKey(references=Hall, null=True, default=None, on_delete=OnDelete.restrict)
