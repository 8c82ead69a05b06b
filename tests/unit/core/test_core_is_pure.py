"""The domain core imports only the standard library and itself (ARCHITECTURE, example 1); `platform/` is a
source root that never shadows the stdlib `platform` module."""

import ast
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[3]
CORE = REPO / "platform" / "pingyi" / "core"


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.module or "", node.level


def test_core_imports_only_stdlib_and_itself():
    files = sorted(CORE.rglob("*.py"))
    assert files, f"no modules found under {CORE}"
    bad = []
    for path in files:
        for line, module, level in _imports(path):
            if level:  # relative import: must stay inside pingyi.core
                depth = len(path.relative_to(CORE).parts) - 1
                if level - 1 > depth:
                    bad.append(f"{path.name}:{line}: relative import escapes core")
                continue
            top = module.split(".")[0]
            if module == "pingyi.core" or module.startswith("pingyi.core."):
                continue
            if top not in sys.stdlib_module_names:
                bad.append(f"{path.relative_to(REPO)}:{line}: imports {module}")
    assert not bad, "core must import only the standard library:\n" + "\n".join(bad)


def test_source_roots_do_not_shadow_stdlib_platform():
    assert (REPO / "platform").is_dir() and (REPO / "terminals").is_dir()
    assert not (REPO / "platform" / "__init__.py").exists()
    assert not (REPO / "platform.py").exists()
    code = (
        "import platform, uuid, sysconfig\n"
        "assert platform.system()\n"
        "assert platform.__file__ and sysconfig.get_paths()['stdlib'] in platform.__file__, platform.__file__\n"
        "print(platform.system())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
