"""The shape of the house: ``core`` is a plain library.

``core`` never imports prefect, sqlmodel/``db``, dash or plotly, and only ``core.settings``
reads the environment. Checked on the source (imports at any depth), and by importing every
core module in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"prefect", "sqlmodel", "sqlalchemy", "alembic", "db", "flows", "dash", "plotly", "cli"}


def _core_modules() -> list[Path]:
    return sorted((ROOT / "core").rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_no_framework() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & FORBIDDEN)
        for path in _core_modules()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_settings_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("[cdf]*/**/*.py")
        if path != ROOT / "core" / "settings.py"
        and any(word in path.read_text(encoding="utf-8") for word in ("os.environ", "os.getenv"))
    ]
    assert readers == []


def test_importing_core_loads_no_framework() -> None:
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in _core_modules()
        if path.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_command_line_starts_without_the_heavy_stack() -> None:
    # `ranawatch inspect` on a card must not wait for torch, prefect or dash to load:
    # each command imports those inside its own function.
    code = (
        "import sys, cli.main\n"
        "print(sorted(m for m in ('torch', 'timm', 'torchaudio', 'prefect', 'dash') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
