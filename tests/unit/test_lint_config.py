"""Unit tests for the lint and type gates (docs/architecture.md, "Gates"): the configuration they run from stays."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
RUFF = Path(sys.executable).with_name("ruff")
# The contexts that must pass mypy --strict, as soon as their folder exists.
STRICT_CONTEXTS = ["platform/pingyi/core", "platform/pingyi/hall"]


def config() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))


def _covers(selectors: list[str], code: str) -> bool:
    """True when a ruff selector list (prefixes such as "A" or "A00") reaches `code`."""
    return any(selector == "ALL" or code.startswith(selector) for selector in selectors)


def test_ruff_selects_a005_and_no_setting_drops_it():
    lint = config()["tool"]["ruff"]["lint"]
    selected = lint.get("select", []) + lint.get("extend-select", [])
    assert _covers(selected, "A005"), selected
    assert not _covers(lint.get("ignore", []) + lint.get("extend-ignore", []), "A005")
    for pattern, codes in lint.get("per-file-ignores", {}).items():
        assert not _covers(codes, "A005"), pattern
    # Without strict checking, A005 judges the dotted path (pingyi.x.queue), so no module inside a package
    # would ever be flagged.
    assert lint["flake8-builtins"]["strict-checking"] is True


def test_ruff_flags_a_module_named_like_the_standard_library(tmp_path):
    """The project's configuration, applied to a package module called queue.py, reports A005."""
    module = tmp_path / "pingyi" / "x" / "queue.py"
    module.parent.mkdir(parents=True)
    for init in (tmp_path / "pingyi" / "__init__.py", module.parent / "__init__.py"):
        init.write_text('"""Package."""\n', encoding="utf-8")
    module.write_text('"""A module whose name shadows the standard library."""\n', encoding="utf-8")
    proc = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--config", str(PYPROJECT), "--output-format", "concise", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "queue.py:1:1: A005" in proc.stdout, proc.stdout


def test_mypy_is_strict_on_core_and_every_strict_context_that_exists():
    mypy = config()["tool"]["mypy"]
    assert mypy["strict"] is True
    files = mypy["files"]
    assert "platform/pingyi/core" in files
    for folder in STRICT_CONTEXTS:
        if (ROOT / folder).is_dir():
            assert folder in files, f"{folder} exists but [tool.mypy] files does not list it"
    # No per-module override may switch a check (or all errors) off for pingyi's own modules.
    for override in mypy.get("overrides", []):
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        if any(m == "*" or m.startswith("pingyi") for m in modules):
            assert not override.get("ignore_errors"), override
            relaxed = [key for key, value in override.items()
                       if value is False and key.startswith(("disallow_", "warn_", "strict_", "check_"))]
            assert not relaxed, override


def test_the_readme_test_command_runs_both_gates_before_pytest():
    script = (ROOT / "tests" / "run.sh").read_text(encoding="utf-8")
    ruff_at = script.index('"$root/.venv/bin/ruff" check')
    mypy_at = script.index('"$root/.venv/bin/mypy"')
    pytest_at = script.index("-m pytest")
    assert ruff_at < pytest_at and mypy_at < pytest_at
