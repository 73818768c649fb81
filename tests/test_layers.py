"""The package's import rules, checked from the code itself.

Each module belongs to one room (docs/architecture.md); a room may import the
rooms below it and never one above. The rules are read off the source with an
AST walk, so a new import that breaks them fails here. Imports under
``if TYPE_CHECKING:`` are annotations only and are not counted.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "src" / "pgwire"

# Room of a module, by the longest matching dotted prefix (without "pgwire.").
# A folder is one room; a module at the top is public unless it is a leaf.
ROOMS: dict[str, str] = {
    "errors": "leaf",
    "conninfo": "leaf",
    "dbapi": "leaf",
    "rows": "leaf",
    "charsets": "leaf",
    "_log": "leaf",
    "accel": "accelerator",
    "types": "types",
    "protocol": "protocol",
    "engine": "query",
    "drivers": "drivers",
    # The public room: the classes users hold and their private bases.
    "_base": "public",
    "_capabilities": "public",
    "_connect": "public",
    "_cursor_base": "public",
    "_flow": "public",
    "_hosts": "public",
    "aio": "public",
    "client_cursor": "public",
    "column": "public",
    "connection": "public",
    "connection_info": "public",
    "copy": "public",
    "cursor": "public",
    "pipeline": "public",
    "postgres": "public",
    "replication": "public",
    "server_cursor": "public",
    "sql": "public",
    "tpc": "public",
    "transaction": "public",
    "": "public",  # pgwire/__init__.py
    "__main__": "tools",
    "pool": "integration",
    "sqlalchemy": "integration",
    "django": "integration",
    "testing": "tools",
}

# What each room may import (besides itself and the standard library).
ALLOWED: dict[str, set[str]] = {
    "leaf": {"leaf"},
    "accelerator": {"leaf"},
    "types": {"leaf", "accelerator"},
    "protocol": {"leaf", "accelerator"},
    "query": {"leaf", "accelerator", "types", "protocol"},
    "drivers": {"leaf", "accelerator", "protocol"},
    "public": {"leaf", "accelerator", "types", "protocol", "query", "drivers"},
    "integration": {"leaf", "types", "query", "public", "integration"},
    "tools": {"leaf", "public", "tools"},
}


# Imports that break the rules today, each a known debt of the layering
# (docs/architecture.md, "Open debts"). The test fails when one is paid off
# too, so that this list stays true.
KNOWN_DEBTS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def room_of(name: str) -> str:
    best = None
    for prefix in ROOMS:
        if name == prefix or name.startswith(prefix + ".") or prefix == "":
            if best is None or len(prefix) > len(best):
                best = prefix
    assert best is not None
    return ROOMS[best]


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def imported_modules(path: Path, module_level_only: bool) -> set[str]:
    """The pgwire modules (without "pgwire.") that ``path`` imports."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not module_level_only:
                    visit(node.body)
                continue
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "pgwire" or alias.name.startswith("pgwire."):
                        found.add(alias.name.removeprefix("pgwire").lstrip("."))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".") if package else []
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                elif node.module and (node.module == "pgwire" or node.module.startswith("pgwire.")):
                    target = node.module.removeprefix("pgwire").lstrip(".")
                else:
                    continue
                if node.module:
                    found.add(target)
                for alias in node.names:
                    found.add(f"{target}.{alias.name}".lstrip("."))
            for field in ("body", "orelse", "finalbody", "handlers"):
                child = getattr(node, field, None)
                if isinstance(child, list):
                    visit([c for c in child if isinstance(c, ast.stmt)])
                    for handler in child:
                        if isinstance(handler, ast.ExceptHandler):
                            visit(handler.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def resolve(imported: str, modules: dict[str, Path]) -> str | None:
    """The module an import names (``from x import name`` may name a module or not)."""
    if imported in modules:
        return imported
    return None


def test_every_import_points_down() -> None:
    modules = all_modules()
    wrong = []
    debts_seen: set[tuple[str, str]] = set()
    for name, path in modules.items():
        room = room_of(name)
        for imported in imported_modules(path, module_level_only=False):
            target = resolve(imported, modules)
            if target is None or target == name:
                continue
            target_room = room_of(target)
            if target_room != room and target_room not in ALLOWED[room]:
                if (name, target) in KNOWN_DEBTS:
                    debts_seen.add((name, target))
                else:
                    wrong.append(f"{name} ({room}) imports {target} ({target_room})")
    assert not wrong, "\n".join(wrong)
    assert debts_seen == KNOWN_DEBTS, f"debts paid off, drop them: {KNOWN_DEBTS - debts_seen}"


def test_no_import_cycles_at_module_level() -> None:
    modules = all_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {resolve(i, modules) for i in imported_modules(path, module_level_only=True)}
        # A package's __init__ importing its own submodules is no cycle.
        graph[name] = {
            t for t in targets if t is not None and t != name and not name.startswith(t + ".")
        }
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    # The package root re-exports its submodules, which import each other
    # through it; only cycles among the submodules themselves count.
    cycles = [c for c in cycles if not c.startswith(" -> ") and "" not in c.split(" -> ")]
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize(
    "heavy",
    [
        "asyncio",
        "sqlalchemy",
        "django",
        # Replication's message classes and the codecs of every server
        # encoding cost each process milliseconds: loaded at first use.
        "pgwire.replication",
        "pgwire.protocol.pgoutput",
        "encodings.big5",
        # dataclasses would bring inspect, ast and dis with it.
        "inspect",
        # Loaded for a TLS session or a password exchange, when one happens.
        "ssl",
        "hashlib",
        # Loaded for the session's time zone when a timestamptz needs it.
        "zoneinfo",
        # For a connection without a user, or client_encoding=auto.
        "getpass",
        "locale",
        # With traceback, linecache and tokenize: for the first message said.
        "logging",
        # With platform: for the first uuid value.
        "uuid",
        # hstore and the catalog's TypeInfo classes, for their first use.
        "pgwire.types.hstore",
        "pgwire.types.typeinfo",
        # For the first inet or cidr value, load_balance_hosts=random, and
        # the first json value.
        "ipaddress",
        "random",
        "json",
        # For SQL.format(), a two-phase commit's Xid, and SCRAM keys given as base64.
        "string",
        "base64",
    ],
)
def test_import_pgwire_loads_no_heavy_module(heavy: str) -> None:
    result = _run_without_site(f"import sys, pgwire; sys.exit({heavy!r} in sys.modules)")
    assert result.returncode == 0, f"import pgwire loads {heavy}: {result.stderr}"


def _run_without_site(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter importing pgwire from the checkout.

    -S: no site, whose .pth files may import anything before pgwire does.
    """
    return subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=PACKAGE_DIR.parent,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_module_has_a_room() -> None:
    # The root prefix "" catches everything; a new top-level module must be
    # placed on purpose, so list the ones the catch-all takes.
    loose = [
        name
        for name in all_modules()
        if name and not any(name == p or name.startswith(p + ".") for p in ROOMS if p)
    ]
    assert not loose, f"modules with no room in ROOMS: {loose}"


def test_modules_imported_at_first_use_are_still_attributes() -> None:
    # As when ``import pgwire`` imported them: pgwire.types.hstore and .typeinfo.
    code = (
        "import sys, pgwire\n"
        "assert 'pgwire.types.hstore' not in sys.modules\n"
        "assert pgwire.types.hstore.register_hstore is pgwire.types.register_hstore\n"
        "assert pgwire.types.typeinfo.TypeInfo is pgwire.types.TypeInfo\n"
        "for missing in ('pgwire.nope', 'pgwire.types.nope'):\n"
        "    try:\n"
        "        eval(missing)\n"
        "    except AttributeError:\n"
        "        pass\n"
        "    else:\n"
        "        raise AssertionError(missing)\n"
    )
    result = _run_without_site(code)
    assert result.returncode == 0, result.stderr
