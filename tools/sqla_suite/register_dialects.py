"""A pytest plugin (``-p register_dialects``) naming pgwire's dialects to SQLAlchemy.

For running SQLAlchemy's own test tree from a pgwire checkout whose entry
points are not installed. It also makes ``--requirements`` stick: SQLAlchemy
applies that option while parsing the command line, then replaces it with
setup.cfg's ``requirement_cls`` once configuration is done.
"""

from __future__ import annotations

import sys

import pytest
from sqlalchemy.dialects import registry

registry.register("postgresql.pgwire", "pgwire.sqlalchemy", "PGDialect_pgwire")
registry.register("postgresql.pgwire_async", "pgwire.sqlalchemy", "PGDialectAsync_pgwire")


def requirements_argument(args: list[str]) -> str | None:
    """The value of the last ``--requirements`` option among the command-line arguments."""
    found = None
    for i, arg in enumerate(args):
        if arg == "--requirements" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--requirements="):
            found = arg.split("=", 1)[1]
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Write the ``--requirements`` class over setup.cfg's before SQLAlchemy loads it."""
    # SQLAlchemy's own test tree loads its plugin by file, under this name.
    plugin_base = sys.modules.get("sqla_plugin_base")
    if plugin_base is None:
        from sqlalchemy.testing.plugin import plugin_base
    requirement_cls = requirements_argument(list(session.config.invocation_params.args))
    if requirement_cls and plugin_base.file_config is not None:
        plugin_base.file_config.set("sqla_testing", "requirement_cls", requirement_cls)
