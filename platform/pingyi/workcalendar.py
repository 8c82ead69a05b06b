"""Infrastructure layer: the working-day calendar — State Council holidays and make-up days (调休) (SPEC §5).

The schedule comes from the `chinesecalendar` package, overlaid by surveys/working_days.toml (a year the package
does not know yet, or a correction). The counting itself is pure (core.complaints.due_date); this module only
gathers the days off and the days worked, and says which years have no schedule at all, so the office pages can
warn instead of silently counting Monday to Friday.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import msgspec

from pingyi.core import complaints as rules
from pingyi.core.errors import DataFileError

FILE = "working_days.toml"


class _Year(msgspec.Struct, forbid_unknown_fields=True):
    holidays: list[date] = []
    workdays: list[date] = []
    complete: bool = False


class _File(msgspec.Struct, forbid_unknown_fields=True):
    years: dict[str, _Year] = {}


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]
    workdays: frozenset[date]
    known_years: frozenset[int]

    def due_date(self, received_on: date, working_days: int = rules.DEFAULT_WORKING_DAYS) -> date:
        return rules.due_date(received_on, working_days, self.holidays, self.workdays)

    def is_overdue(self, received_on: date, today: date, state: str,
                   working_days: int = rules.DEFAULT_WORKING_DAYS) -> bool:
        return rules.is_overdue(received_on, today, state, working_days, self.holidays, self.workdays)

    def overdue_cutoff(self, today: date, working_days: int = rules.DEFAULT_WORKING_DAYS) -> date:
        """Open complaints received on or before this day are overdue `today`."""
        return rules.overdue_cutoff(today, working_days, self.holidays, self.workdays)

    def unknown_years(self, days: Iterable[date]) -> list[int]:
        """The years among `days` that have no holiday schedule (counted Monday–Friday)."""
        return sorted({d.year for d in days} - self.known_years)


def _library() -> tuple[set[date], set[date], set[int]]:
    import chinese_calendar

    holidays = set(chinese_calendar.holidays)
    workdays = set(chinese_calendar.workdays)
    return holidays, workdays, {d.year for d in holidays}


def load(surveys_dir: Path) -> WorkCalendar:
    path = Path(surveys_dir) / FILE
    holidays, workdays, known = _library()
    if path.exists():
        try:
            data = msgspec.convert(tomllib.loads(path.read_text(encoding="utf-8")), _File, strict=False)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DataFileError(str(path), "", f"不是有效的 TOML：{exc}") from None
        except msgspec.ValidationError as exc:
            where = re.search(r"at `\$\.?([^`]*)`", str(exc))
            raise DataFileError(str(path), where.group(1) if where else "", f"格式错误：{exc}") from None
        for key, year in data.years.items():
            if not key.isdigit() or not 1900 < int(key) < 3000:
                raise DataFileError(str(path), f"years.{key}", "年份须为四位数字")
            for d in (*year.holidays, *year.workdays):
                if d.year != int(key):
                    raise DataFileError(str(path), f"years.{key}", f"日期 {d} 不在 {key} 年")
            for d in year.holidays:
                workdays.discard(d)
                holidays.add(d)
            for d in year.workdays:
                holidays.discard(d)
                workdays.add(d)
            if year.complete:
                known.add(int(key))
    return WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(known))


@functools.lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> WorkCalendar:
    return load(Path(path))


def for_surveys(surveys_dir: Path) -> WorkCalendar:
    """The calendar of `surveys_dir`, re-read when working_days.toml changes."""
    file = Path(surveys_dir) / FILE
    return _cached(str(surveys_dir), file.stat().st_mtime if file.exists() else 0.0)
