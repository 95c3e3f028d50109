"""The shape of the house: ``core`` is a plain library.

``core`` never imports prefect, sqlmodel/``db``, dash or plotly, and only ``core.settings``
reads the environment. Checked on the source (imports at any depth), and by importing every
core module in a fresh interpreter. Inside ``core`` the subpackages depend one way:
audio <- metadata <- model <- training <- demo; reports never load torch, and reading audio
or metadata never loads torch, pandas or openpyxl (``ranawatch inspect`` stays quick).
Above ``core`` the layers depend one way too: ``cli`` -> ``flows``, ``dashboard`` -> ``db``;
each flow file holds one flow, runs directly, and has no command line of its own.
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


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def _imported_roots(path: Path) -> set[str]:
    return {module.split(".")[0] for module in _imported_modules(path)}


# For each core subpackage: the other core subpackages it may import, and the heavy
# third-party packages it must not. core.errors and core.settings are open to all.
# matplotlib draws the evaluation report's figures, in core.training and nowhere else.
LAYERS: dict[str, tuple[set[str], set[str]]] = {
    "audio": (set(), {"torch", "torchaudio", "timm", "pandas", "openpyxl", "matplotlib"}),
    "metadata": (
        {"audio"},
        {"torch", "torchaudio", "timm", "pandas", "openpyxl", "matplotlib"},
    ),
    "model": ({"audio", "metadata", "report"}, {"pandas", "openpyxl", "matplotlib"}),
    "report": ({"metadata"}, {"torch", "torchaudio", "timm", "matplotlib"}),
    "training": ({"audio", "metadata", "model"}, {"pandas", "openpyxl"}),
    "demo": ({"audio", "metadata", "model", "training"}, {"pandas", "openpyxl", "matplotlib"}),
}


def test_core_subpackages_depend_one_way() -> None:
    offenders: dict[str, list[str]] = {}
    for package, (allowed, heavy) in LAYERS.items():
        for path in sorted((ROOT / "core" / package).rglob("*.py")):
            bad = []
            for module in _imported_modules(path):
                parts = module.split(".")
                if parts[0] in heavy:
                    bad.append(module)
                elif parts[0] == "core" and len(parts) > 1:
                    sub = parts[1]
                    if sub not in {package, "errors", "settings"} | allowed:
                        bad.append(module)
            if bad:
                offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_model_uses_only_the_report_formatters() -> None:
    # The detector formats Times Heard with the report's own span formatter (one format
    # everywhere); nothing else of the report layer belongs in the model.
    used = {
        module
        for path in (ROOT / "core" / "model").rglob("*.py")
        for module in _imported_modules(path)
        if module.startswith("core.report")
    }
    assert used <= {"core.report.cells"}


# What each layer above core must not import: the layers above it, and the command-line
# libraries (one command line, ``cli/``; flows and the dashboard are driven by parameters).
UPPER_LAYERS: dict[str, set[str]] = {
    "db": {"cli", "flows", "dashboard", "prefect", "dash", "typer", "argparse"},
    "flows": {"cli", "dashboard", "dash", "typer", "argparse"},
    "dashboard": {"cli", "flows", "typer", "argparse"},
}


def test_layers_above_core_depend_one_way() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & forbidden)
        for package, forbidden in UPPER_LAYERS.items()
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_each_flow_file_holds_one_flow_that_runs_directly() -> None:
    flow_files = []
    for path in sorted((ROOT / "flows").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        flows = [
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", None) == "flow"
                for d in node.decorator_list
            )
        ]
        if not flows:
            continue
        flow_files.append(path.name)
        assert len(flows) == 1, (path.name, flows)
        mains = [
            node
            for node in tree.body
            if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"
        ]
        assert len(mains) == 1, path.name
    assert {"ingest.py", "detect.py", "report.py", "dataset.py", "train.py"} <= set(flow_files)


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


def test_training_loads_matplotlib_only_to_draw() -> None:
    # the figures import matplotlib inside their functions: training, detection and the
    # dashboard never pay for it
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in sorted((ROOT / "core").rglob("*.py"))
        if path.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_the_command_line_starts_without_the_heavy_stack() -> None:
    # `ranawatch inspect` on a card must not wait for torch, prefect or dash to load:
    # each command imports those inside its own function.
    code = (
        "import sys, cli.main\n"
        "print(sorted(m for m in ('torch', 'timm', 'torchaudio', 'prefect', 'dash', "
        "'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
