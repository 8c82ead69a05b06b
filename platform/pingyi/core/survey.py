"""Core layer: the annual questionnaire as plain data (SPEC §2). Loaded from surveys/ by pingyi.catalog."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """One answer choice, e.g. 满意 = 5 points. `key` is the stable wire value ("satisfied")."""

    key: str
    label: str
    points: int


@dataclass(frozen=True)
class Item:
    """One questionnaire item; `id` is stable ("A1".."E4"), `text` is the Chinese question."""

    id: str
    text: str


@dataclass(frozen=True)
class Aspect:
    key: str
    name: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Questionnaire:
    """5 aspects × 4 items; every item is answered on `answers` (满意 5 / 基本满意 3 / 不满意 0)."""

    title: str
    aspects: tuple[Aspect, ...]
    answers: tuple[Answer, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for aspect in self.aspects for item in aspect.items)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def max_points(self) -> int:
        return len(self.items) * max(a.points for a in self.answers)

    def answer(self, key: str) -> Answer | None:
        for a in self.answers:
            if a.key == key:
                return a
        return None


@dataclass(frozen=True)
class Department:
    """An evaluated department (窗口单位). `code` is stable and orders ties."""

    code: str
    name: str
