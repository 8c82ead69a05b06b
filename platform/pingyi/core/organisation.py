"""Core layer: what a department list changes in the stored organisation (SPEC §8). Pure.

The office's departments.csv is the list it wants; the database holds the departments with their history. The
difference: new codes are added, changed names are renamed, a changed position is reordered, a code missing from
the list is deactivated (never deleted: its ballots, ratings and complaints stay), a listed code that was
deactivated comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoredDepartment:
    code: str
    name: str
    active: bool
    sort_order: int


@dataclass(frozen=True)
class WantedDepartment:
    code: str
    name: str
    sort_order: int


@dataclass(frozen=True)
class Rename:
    code: str
    old: str
    new: str


@dataclass(frozen=True)
class DepartmentChanges:
    added: tuple[WantedDepartment, ...] = ()
    renamed: tuple[Rename, ...] = ()
    reordered: tuple[str, ...] = ()
    deactivated: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()
    unchanged: int = 0
    lines: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.added or self.renamed or self.reordered or self.deactivated or self.reactivated)


def wanted_from_list(rows: Sequence[tuple[str, str]]) -> list[WantedDepartment]:
    """The list's order is the display order: positions 10, 20, 30, … (room to insert by hand)."""
    return [WantedDepartment(code, name, (i + 1) * 10) for i, (code, name) in enumerate(rows)]


def department_changes(stored: Sequence[StoredDepartment], wanted: Sequence[WantedDepartment]) -> DepartmentChanges:
    by_code = {d.code: d for d in stored}
    wanted_codes = {w.code for w in wanted}
    added, renamed, reordered, reactivated, lines = [], [], [], [], []
    unchanged = 0
    for w in wanted:
        old = by_code.get(w.code)
        if old is None:
            added.append(w)
            lines.append(f"新增 {w.code} {w.name}")
            continue
        same = True
        if old.name != w.name:
            renamed.append(Rename(w.code, old.name, w.name))
            lines.append(f"更名 {w.code}：{old.name} → {w.name}")
            same = False
        if not old.active:
            reactivated.append(w.code)
            lines.append(f"恢复 {w.code} {w.name}")
            same = False
        if old.sort_order != w.sort_order:
            reordered.append(w.code)
        unchanged += same
    deactivated = [d.code for d in stored if d.active and d.code not in wanted_codes]
    lines += [f"停用 {code} {by_code[code].name}（保留历史数据）" for code in deactivated]
    if reordered:
        lines.append(f"调整顺序 {len(reordered)} 个部门")
    return DepartmentChanges(tuple(added), tuple(renamed), tuple(reordered), tuple(deactivated), tuple(reactivated),
                             unchanged, tuple(lines))
