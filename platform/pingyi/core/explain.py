"""Core layer: explanations as data (issue 11) — the steps a result was reached by, and the one table of wording.

An explanation is a tuple of `Step`s. A step names the rule it records (`rule`, a key of `TEMPLATES`) and the
figures it used (`figures`: strings, integers or None, already exact or rounded by the core's half-up functions —
never floats; a list figure holds small dicts of the same, e.g. the complaints counted). Results and snapshots
store steps; pages, PDFs, exports and the JSON APIs turn them into Chinese lines with `render`, so the wording lives
only here and a wording fix changes every past result's rendering without touching its stored data or digest.

Versions stored before explanations became data hold plain lines; `read` takes such a line as a `text` step that
renders as itself (the legacy reader). An unknown rule, or figures a template cannot use, renders a clear fallback
line instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

Scalar: TypeAlias = str | int | None
Part: TypeAlias = Mapping[str, Scalar]
Figure: TypeAlias = Scalar | Sequence[Part]
Template: TypeAlias = str | Callable[[Mapping[str, Any]], str]

TEXT = "text"  # a line stored as prose by a version computed before issue 11 (the legacy reader)


@dataclass(frozen=True)
class Step:
    """One step of an explanation: the rule applied and its figures."""

    rule: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def to_plain(self) -> dict[str, Any]:
        return {"rule": self.rule, "figures": {k: _plain_figure(v) for k, v in self.figures.items()}}

    def __hash__(self) -> int:  # frozen results holding steps stay hashable (figures is a mapping)
        return hash(json.dumps(self.to_plain(), sort_keys=True, ensure_ascii=False))


def step(rule: str, **figures: Figure) -> Step:
    return Step(rule, figures)


def _plain_figure(value: Figure) -> Any:
    if value is None or isinstance(value, (str, int)):
        return value
    return [dict(part) for part in value]


# --------------------------------------------------------------------------------------------- display helpers


def _minus(figure: object) -> str:
    """A signed decimal figure with a real minus sign (the annual explanation's typography)."""
    return str(figure).replace("-", "−")


def _signed(points: int) -> str:
    """+5 / 0 / -5."""
    return f"{points:+d}" if points else "0"


def _joined(parts: Iterable[Mapping[str, Any]], template: str, sep: str = "、") -> str:
    return sep.join(template.format_map(p) for p in parts)


def _refs(parts: Iterable[Mapping[str, Any]]) -> str:
    return "、".join(str(p["ref"]) for p in parts)


def _ref_suffix(f: Mapping[str, Any]) -> str:
    return f"（{f['ref']}）" if f.get("ref") else ""


SERVED_SOURCES = {"import": "办件量导入", "arm": "评价器叫号（服务开始）次数"}


def _band(part: int) -> str:
    return "高于 80%" if part > 0 else ("低于 50%" if part < 0 else "在 50%–80% 之间")


def _complaint(p: Mapping[str, Any]) -> str:
    on = f"认定日期 {p['decided_on']}，" if p.get("decided_on") else ""
    effect = f"造成较坏影响，−{p['points']}" if p.get("serious") else f"−{p['points']}"
    return f"{p['ref']}（{on}{effect}）"


def _substitutes(f: Mapping[str, Any]) -> str:
    if f["substitutes"]:
        return "由 " + _joined(f["substitutes"], "{name}（{code}）") + " 依次递补"
    return "并列第三名的单位已足三名，无需递补"


# --------------------------------------------------------------------------------------------- the one table

TEMPLATES: dict[str, Template] = {
    TEXT: "{text}",
    # ---- annual evaluation (core/scoring.py)
    "annual.not_rated": "无完整评议（没有企业评议该部门），未获评议：不计分、不定级、不排名。",
    "annual.not_rated.complaints": "属实投诉 {count} 件（照常列示）。",
    "annual.not_rated.no_complaints": "无属实投诉。",
    "annual.complaints": lambda f: "计入的属实投诉：" + _joined(f["complaints"], "{code}（认定日期 {decided_on}）"),
    "annual.sections": "{sections} 份完整评议，合计 {sum} 分，平均 {mean} 分",
    "annual.penalty": "属实投诉 {count} 件 × {per} = −{penalty} 分",
    "annual.after_penalty": lambda f: f"扣减后 {_minus(f['unfloored'])} 分（不低于 0）",
    "annual.floored": lambda f: f"扣减后 {_minus(f['unfloored'])} 分，不低于 0，计 0 分",
    "annual.no_penalty": "无属实投诉，不扣分",
    "annual.published": "公布分 {published}（四舍五入保留两位小数），等级 {grade_label}",
    "annual.small_cell": "完整评议少于 {k} 份：照常计分定级，但逐项明细和意见不向部门和公众提供（小样本保护）",
    "annual.rank": "排名第 {rank} 位",
    "annual.rank_tied": "排名第 {rank} 位（与同分部门并列，按部门代码先后列示）",
    # ---- monthly assessment, entry items (core/assessment.py)
    "monthly.deduct.head": "满分 {max_points} 分",
    "monthly.deduct.entry": lambda f: f"扣 {f['points']} 分：{f['reason']}" + _ref_suffix(f),
    "monthly.deduct.none": "无扣分记录",
    "monthly.bonus.head": "从 0 分起，最高 {max_points} 分",
    "monthly.bonus.entry": lambda f: f"加 {f['points']} 分：{f['reason']}" + _ref_suffix(f),
    "monthly.bonus.none": "无加分记录",
    "monthly.entry.score": "得分 {points}",
    "monthly.entry.score_clamped": "得分 {points}（按 0–{max_points} 分取值，未取值前 {raw}）",
    # ---- 1.6 好差评 (rating_satisfaction)
    "monthly.rating.no_served": lambda f: f"参评率：当月无服务人次（{SERVED_SOURCES[f['source']]}为 0），参评部分 0 分",
    "monthly.rating.participation": lambda f: (
        f"参评率：计入评价 {f['counted']} ÷ 服务人次 {f['served']}（{SERVED_SOURCES[f['source']]}）= {f['rate']}%，"
        f"{_band(f['part'])}，参评部分 {_signed(f['part'])} 分"),
    "monthly.rating.channels": lambda f: "其中 " + _joined(f["channels"], "{label} {counted} 次（差评 {bad}）"),
    "monthly.rating.satisfaction": ("满意度：{base} − {per} × 差评 {bad} − {per} × 属实投诉 {general} − "
                                    "{per_serious} × 造成较坏影响的属实投诉 {serious} = {satisfaction} 分"),
    "monthly.rating.bad_refs": lambda f: "计入的差评：" + _refs(f["refs"]),
    "monthly.rating.complaints": lambda f: "计入的投诉：" + "、".join(_complaint(p) for p in f["complaints"]),
    "monthly.rating.import_refs": lambda f: "使用的办件量导入行：" + _refs(f["refs"]),
    "monthly.rating.total": "合计 {total} 分，得分 {points}",
    "monthly.rating.total_clamped": "合计 {total} 分，按 0–{max_points} 分取值，得分 {points}",
    # ---- 2.5 网上办件 (online_processing)
    "monthly.online.none": "当月无网上办件数据：网办率按 0 计，无超时红牌",
    "monthly.online.share": "网办率：网上办件 {online} ÷ 办件总数 {processed} = {rate}%",
    "monthly.online.highest_zero": "当月各单位最高网办率为 0，网办部分均为 0 分",
    "monthly.online.part": "网办部分：本单位网办率 ÷ 最高网办率 {highest}% × {max_part} = {part} 分",
    "monthly.online.monitoring": "监测部分：{base} − {per} × 超时红牌 {red_cards}，不低于 0 = {monitoring} 分",
    "monthly.online.refs": lambda f: "使用的导入行：" + _refs(f["refs"]),
    "monthly.online.score": "得分 {points}",
    # ---- the month's notes: veto, 优秀 / 较差, the ladder
    "monthly.veto_passed_over": lambda f: (f"{f['name']}（{f['code']}）本月被一票否决（{f['reason']}），"
                                           f"不能评为优秀窗口单位；{_substitutes(f)}。"),
    "monthly.no_poor": "本月最低总分已达到优秀窗口单位的分数线，不评较差窗口单位。",
    "monthly.veto": "一票否决：{reason}（取消当月评先评优资格，名次与分数不变）",
    "monthly.excellent": "{award_label}：窗口负责人奖励 {bonus_yuan} 元",
    "monthly.poor": "{award_label}：连续第 {run} 个月，{ladder_label}",
}


def _fallback(s: Step) -> str:
    shown = "，".join(f"{k} = {_plain_figure(v)}" for k, v in s.figures.items())
    return f"（无法显示的说明：规则 {s.rule}" + (f"，数据 {shown}" if shown else "") + "）"


def render(item: Step | str | Mapping[str, Any]) -> str:
    """One step (or a stored form of it) as its Chinese line; never raises."""
    s = read_step(item)
    template = TEMPLATES.get(s.rule)
    if template is None:
        return _fallback(s)
    try:
        return template.format_map(s.figures) if isinstance(template, str) else template(s.figures)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return _fallback(s)


# --------------------------------------------------------------------------------------------- the reader


def read_step(item: Step | str | Mapping[str, Any]) -> Step:
    """A step from what a snapshot stored: a step's plain form {"rule", "figures"}, or a legacy line of prose."""
    if isinstance(item, Step):
        return item
    if isinstance(item, str):
        return Step(TEXT, {"text": item})
    if isinstance(item, Mapping) and isinstance(item.get("rule"), str):
        figures = item.get("figures")
        return Step(item["rule"], {k: _read_figure(v) for k, v in figures.items()} if isinstance(figures, Mapping)
                    else {})
    return Step(TEXT, {"text": str(item)})


def _read_figure(value: Any) -> Any:
    """A stored figure as the core makes it: a list of records becomes a tuple of dicts (anything else as is)."""
    if isinstance(value, list):
        return tuple(dict(p) if isinstance(p, Mapping) else p for p in value)
    return value


def read(items: Iterable[Step | str | Mapping[str, Any]] | None) -> tuple[Step, ...]:
    return tuple(read_step(i) for i in items or ())


def lines(items: Iterable[Step | str | Mapping[str, Any]] | None) -> list[str]:
    """Every step rendered: what pages, PDFs and exports show."""
    return [render(s) for s in read(items)]


def attach(row: Mapping[str, Any], steps_key: str = "explanation_steps",
           lines_key: str = "explanation") -> dict[str, Any]:
    """A stored row with its explanation read now: a row of today carries steps under `steps_key`; a legacy row only
    its lines under `lines_key`. The copy returned has both: `steps_key` (plain steps, legacy lines as `text` steps)
    and `lines_key` (rendered by this module's table)."""
    source = row[steps_key] if steps_key in row else row.get(lines_key)
    steps = read(source)
    return {**row, steps_key: [s.to_plain() for s in steps], lines_key: [render(s) for s in steps]}
