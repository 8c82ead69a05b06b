"""The house rule on imports between contexts (docs/architecture.md "Imports"), derived from the source with ast.

Layers of platform/pingyi:
- core: pure rules (tests/unit/core/test_core_is_pure.py checks it imports only the standard library);
- infrastructure: db, settings, cli, clock, workcalendar, catalog, piccolo_conf, web/, render/ — may use core and
  each other, never a context;
- contexts: audit, hall, accounts, evaluation, ratings, assessment, complaints, publication — each may use core,
  the infrastructure and the contexts listed for it in ALLOWED; no two contexts import each other (no loops);
- composition: app, __main__, ops/, wiring — wire everything; nothing else imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "platform" / "pingyi"

INFRASTRUCTURE = {"db", "settings", "cli", "clock", "workcalendar", "datafiles", "catalog", "piccolo_conf", "web",
                  "render"}
COMPOSITION = {"app", "__main__", "ops", "wiring"}  # wiring: what app and __main__ both bind
BASE = {"audit", "hall", "accounts"}
# context → the other contexts it may import
ALLOWED: dict[str, set[str]] = {
    "audit": set(),
    "hall": {"audit"},
    "accounts": {"audit", "hall"},
    "evaluation": BASE,
    "ratings": BASE,
    "assessment": BASE | {"ratings", "complaints"},
    "complaints": BASE,
    "followup": BASE | {"ratings", "assessment"},
    "publication": BASE | {"evaluation", "ratings", "assessment", "complaints", "followup"},
}
CONTEXTS = set(ALLOWED)


def _unit(module: str) -> str:
    """pingyi.hall.repository → hall; pingyi.db → db."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "pingyi"


def _imports(path: Path) -> set[str]:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    here = ".".join(rel.parts[:-1]) if path.name != "__init__.py" else ".".join(rel.parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("pingyi."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("pingyi."):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
            elif target == "pingyi":
                found.update(f"pingyi.{a.name}" for a in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    """unit → the other units it imports (migrations excluded: they import only Piccolo)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "piccolo_migrations" in path.parts:
            continue
        rel = path.relative_to(PACKAGE)
        unit = rel.parts[0].removesuffix(".py") if len(rel.parts) == 1 else rel.parts[0]
        if unit == "__init__":
            continue
        targets = {_unit(m) for m in _imports(path)} - {unit, "pingyi"}
        # `from pingyi.hall import repository` names the hall unit, not a unit called repository
        known = {t for t in targets if (PACKAGE / t).is_dir() or (PACKAGE / f"{t}.py").exists()}
        graph.setdefault(unit, set()).update(known)
    return graph


def violations(graph: dict[str, set[str]]) -> list[str]:
    problems: list[str] = []
    for unit, targets in sorted(graph.items()):
        for t in sorted(targets):
            if t in COMPOSITION and unit not in COMPOSITION:
                problems.append(f"{unit} imports {t}: nothing imports the composition layer")
            elif unit == "core" and t != "core":
                problems.append(f"core imports {t}: core is pure")
            elif unit in INFRASTRUCTURE and t in CONTEXTS:
                problems.append(f"{unit} (infrastructure) imports the context {t}")
            elif unit in CONTEXTS and t in CONTEXTS and t not in ALLOWED[unit]:
                problems.append(f"{unit} imports {t}: not allowed (allowed: {sorted(ALLOWED[unit]) or 'none'})")
            elif unit not in CONTEXTS | INFRASTRUCTURE | COMPOSITION | {"core"}:
                problems.append(f"{unit}: a unit the house rule does not know; add it to a layer")
    problems.extend(f"import loop: {' → '.join(c)}" for c in cycles(graph))
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_the_source_keeps_the_house_rule():
    graph = import_graph()
    assert {"hall", "ratings", "evaluation", "complaints", "publication", "accounts", "audit"} <= set(graph)
    assert violations(graph) == []


def test_every_context_has_the_same_rooms():
    rooms = {"tables.py", "repository.py", "service.py", "controllers.py", "schemas.py", "cli.py", "piccolo_app.py"}
    for context in sorted(CONTEXTS):
        folder = PACKAGE / context
        if not folder.exists():  # a context not built yet (assessment) has no folder at all
            continue
        missing = sorted(r for r in rooms if not (folder / r).exists())
        assert missing == [], f"{context}/ lacks {missing}"


@pytest.mark.parametrize("graph, expected", [
    ({"hall": {"ratings"}, "ratings": {"hall"}}, "ratings: not allowed"),
    ({"evaluation": {"complaints"}}, "evaluation imports complaints"),
    ({"hall": {"publication"}}, "hall imports publication"),
    ({"web": {"evaluation"}}, "web (infrastructure) imports the context evaluation"),
    ({"complaints": {"ops"}}, "complaints imports ops"),
    ({"accounts": {"hall"}, "hall": {"accounts"}}, "import loop: accounts → hall → accounts"),
])
def test_the_checker_catches_each_kind_of_break(graph, expected):
    """The checker itself: each rule fires on a graph that breaks it."""
    assert any(expected in v for v in violations(graph)), violations(graph)


def test_relative_and_absolute_imports_are_both_seen(tmp_path):
    assert "pingyi.hall.repository" in _imports(PACKAGE / "ratings" / "service.py")
    assert any(m.startswith("pingyi.ratings") for m in _imports(PACKAGE / "ratings" / "cli.py"))
