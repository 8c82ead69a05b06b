"""Core layer: the monthly window assessment rubric as plain data (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass

# How a rubric item gets its monthly points.
DEDUCT = "deduct"  # starts at the maximum; inspectors record deductions
BONUS = "bonus"  # starts at 0; inspectors record bonus points
COMPUTED = "computed"  # computed by the platform; `rule` names the computation
SCORINGS = (DEDUCT, BONUS, COMPUTED)

# Computations the platform knows (SPEC §4): 1.6 好差评 and 2.5 网上办件.
RULE_RATING_SATISFACTION = "rating_satisfaction"
RULE_ONLINE_PROCESSING = "online_processing"
RULES = (RULE_RATING_SATISFACTION, RULE_ONLINE_PROCESSING)


@dataclass(frozen=True)
class RubricItem:
    """One monthly assessment item, e.g. 1.6 好差评 (15, computed by rule "rating_satisfaction")."""

    id: str
    name: str
    max_points: int
    scoring: str  # DEDUCT | BONUS | COMPUTED
    rule: str | None = None  # only for COMPUTED
    standard: str = ""  # the seed's scoring standard, shown to inspectors
    category: str = ""  # key of the owning category

    @property
    def computed(self) -> bool:
        return self.scoring == COMPUTED

    @property
    def start_points(self) -> int:
        """Points before any inspector entry: the maximum for deductions, 0 for bonus items."""
        return self.max_points if self.scoring == DEDUCT else 0


@dataclass(frozen=True)
class RubricCategory:
    """窗口管理 (60), 工作任务 (60) or 加分项 (0–30); item maxima sum to `max_points`."""

    key: str
    id: str
    name: str
    max_points: int
    items: tuple[RubricItem, ...]


@dataclass(frozen=True)
class Rubric:
    title: str
    categories: tuple[RubricCategory, ...]

    @property
    def items(self) -> tuple[RubricItem, ...]:
        return tuple(item for c in self.categories for item in c.items)

    @property
    def max_total(self) -> int:
        return sum(c.max_points for c in self.categories)

    def item(self, item_id: str) -> RubricItem | None:
        for it in self.items:
            if it.id == item_id:
                return it
        return None

    def item_for_rule(self, rule: str) -> RubricItem | None:
        for it in self.items:
            if it.rule == rule:
                return it
        return None

    def category(self, key: str) -> RubricCategory | None:
        for c in self.categories:
            if c.key == key:
                return c
        return None
