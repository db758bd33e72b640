"""The package's layers, enforced by walking every import (AST): one direction only.

    text  ->  catalog  ->  engine  ->  checks        (pure: no Flask, Twilio, requests)
                           storage  (beside: only the engine's guards and outcomes)
    web (the Flask edge)  ->  cli, testing (on top)

``errors`` and ``settings`` are the base every layer may use. An import inside a function
counts like any other; one under ``if TYPE_CHECKING:`` too, so no cycle hides there.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voiceline"
BASE = {"errors", "settings"}
# What each layer may import of the package (besides itself and the base).
ALLOWED = {
    "text": set(),
    "catalog": {"text"},
    "engine": {"catalog", "text"},
    "checks": {"engine", "catalog", "text"},
    "storage": {"engine"},
    "web": {"checks", "engine", "catalog", "text", "storage"},
    "cli": {"web", "testing", "checks", "engine", "catalog", "text", "storage"},
    "testing": {"web", "checks", "engine", "catalog", "text", "storage"},
    "base": set(),
    # voiceline/__init__.py: create_app, loaded lazily, with the simulator's browser phone
    "top": {"web", "testing"},
}
PURE = ("text", "catalog", "engine", "checks", "storage", "base")
EDGE_LIBRARIES = {"flask", "werkzeug", "twilio", "requests"}
# storage may import only these of the engine
STORAGE_USES = {"voiceline.engine.guards", "voiceline.engine.outcomes"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "top"
    return "base" if parts[1] in BASE else parts[1]


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names), wherever the import stands."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # "from . import gsm" imports a module; "from .gsm import septets", a name
            for alias in node.names:
                candidate = f"{origin}.{alias.name}"
                where = PACKAGE.parent / candidate.replace(".", "/")
                found.add(candidate if where.with_suffix(".py").exists() or where.is_dir()
                          else origin)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))
           if "migrations/versions" not in p.as_posix()}
GRAPH = {name: {i for i in imports_of(path) if i == "voiceline" or i.startswith("voiceline.")}
         for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_imports_only_the_layers_below_it(module):
    layer = layer_of(module)
    allowed = ALLOWED[layer] | {layer} | {"base"}
    for imported in GRAPH[module]:
        if imported == "voiceline" and module.count(".") > 1:
            pytest.fail(f"{module} imports the package root (it loads the web layer)")
        target = layer_of(imported)
        assert target in allowed, f"{module} ({layer}) imports {imported} ({target})"
        if layer == "storage" and target == "engine":
            assert imported in STORAGE_USES, f"{module} imports {imported}"


@pytest.mark.parametrize("module", [m for m in sorted(MODULES) if layer_of(m) in PURE])
def test_the_pure_layers_never_import_the_web_libraries(module):
    libraries = {name.split(".")[0] for name in imports_of(MODULES[module])}
    assert not libraries & EDGE_LIBRARIES, f"{module} imports {libraries & EDGE_LIBRARIES}"


def test_there_is_no_import_cycle_anywhere_in_the_package():
    def modules_of(name: str) -> set[str]:
        # "voiceline.catalog" is its __init__; a name that is not a module is its package
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        return {name} if name else set()

    edges = {m: {t for i in GRAPH[m] for t in modules_of(i) if t != m} for m in MODULES}
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(MODULES):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("module", ["voiceline.text.gsm", "voiceline.catalog",
                                    "voiceline.engine.call", "voiceline.checks",
                                    "voiceline.engine.texts"])
def test_importing_a_pure_part_loads_neither_flask_nor_the_database(module):
    probe = (f"import sys, {module}; "
             "print(sorted(m for m in ('flask', 'sqlalchemy', 'twilio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", f"import {module} loaded {out}"


def test_a_worker_loads_only_what_serving_needs(tmp_path):
    # Each costs every worker megabytes: Alembic (with Mako and Pygments) is for
    # migrating, requests for the first "text me this", PostgreSQL's dialect for PostgreSQL.
    from voiceline.storage.store import SqlStore

    url = f"sqlite:///{tmp_path / 'line.sqlite3'}"
    SqlStore(url).upgrade()
    probe = ("import sys; from voiceline import create_app; create_app(); "
             "print(sorted(m for m in ('alembic', 'mako', 'pygments', 'requests', "
             "'sqlalchemy.dialects.postgresql') if m in sys.modules))")
    started = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             timeout=60, check=True,
                             env={**os.environ, "DATABASE_URL": url, "VOICELINE_DEV_MODE": "1",
                                  "VOICELINE_HASH_SECRET": "0" * 64})
    assert started.stdout.strip() == "[]", started.stderr
