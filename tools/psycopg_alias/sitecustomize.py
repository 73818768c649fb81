"""Makes ``import psycopg`` (and ``psycopg_pool``) load pgwire, for running
psycopg 3's own test suite against pgwire (see ``tools/psycopg_suite.py``).

Installed through ``PYTHONPATH`` so that subprocesses started by the tests
get the same aliasing.  Three kinds of module come out of it:

* a **proxy** of a pgwire module (``psycopg.rows`` -> ``pgwire.rows``): every
  attribute pgwire has is the very pgwire object; a name pgwire lacks is a
  :class:`Missing` placeholder that raises :class:`MissingAPI` when used, so
  that the test fails *because of* that name and the runner can say which;
* a **harness stub** for libpq-only modules the fixtures import (``psycopg.pq``,
  ``psycopg.crdb``): only what the fixture code needs to load, see
  ``HARNESS`` below;
* an **empty proxy** for a psycopg module pgwire has no counterpart of
  (every name Missing).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

#: psycopg module -> pgwire module, where the names differ.
MODULE_MAP = {
    "psycopg": "pgwire",
    "psycopg.adapt": "pgwire.types.adapt",
    "psycopg.dbapi20": "pgwire.dbapi",
    "psycopg.client_cursor": "pgwire.client_cursor",
    "psycopg.raw_cursor": "pgwire.client_cursor",
    "psycopg.server_cursor": "pgwire.server_cursor",
    "psycopg.cursor": "pgwire.cursor",
    "psycopg.cursor_async": "pgwire.aio",
    "psycopg.connection": "pgwire.connection",
    "psycopg.connection_async": "pgwire.aio",
    "psycopg.types.string": "pgwire.types.text",
    "psycopg.types.numeric": "pgwire.types.numeric",
    "psycopg.types.datetime": "pgwire.types.datetime",
    "psycopg._oids": "pgwire.types.oids",
    "psycopg_pool": "pgwire.pool",
    "psycopg_pool.base": "pgwire.pool",
}

#: Modules that only exist in psycopg because of libpq or its own internals;
#: a test failing on one of their names is counted as libpq-internal.
INTERNAL_MODULES = (
    "psycopg.pq",
    "psycopg.generators",
    "psycopg.waiting",
    "psycopg._cmodule",
    "psycopg._psycopg",
    "psycopg_c",
    "psycopg.crdb",
)


class MissingAPI(AttributeError):
    """A psycopg name that pgwire does not provide was used."""


class Missing:
    """Stands for a psycopg name that pgwire lacks; any use raises MissingAPI."""

    def __init__(self, qualname: str) -> None:
        object.__setattr__(self, "_qualname", qualname)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise MissingAPI(f"pgwire lacks psycopg name {self._qualname}")

    def __getattr__(self, name: str) -> Any:
        # Chained, so that module-level uses (decorator arguments) still
        # collect; the test fails where the value is actually used.
        if name.startswith("__"):
            raise AttributeError(name)
        return Missing(f"{self._qualname}.{name}")

    __call__ = _fail
    __getitem__ = _fail
    __iter__ = _fail
    __enter__ = _fail
    __aenter__ = _fail
    __bool__ = _fail
    __str__ = _fail
    __format__ = _fail
    __int__ = _fail
    __index__ = _fail
    __mro_entries__ = _fail
    __instancecheck__ = _fail
    __len__ = _fail
    __contains__ = _fail
    __float__ = _fail
    __eq__ = _fail
    __ne__ = _fail
    __lt__ = _fail
    __le__ = _fail
    __gt__ = _fail
    __ge__ = _fail
    # Hashable all the same: a placeholder may be a dict key at import time.
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<missing {self._qualname}>"


class ProxyModule(types.ModuleType):
    """A psycopg module name backed by a pgwire module (or by nothing)."""

    def __init__(self, name: str, target: types.ModuleType | None) -> None:
        super().__init__(name)
        self.__dict__["_target"] = target

    def __getattr__(self, name: str) -> Any:
        target = self.__dict__["_target"]
        if target is not None:
            try:
                return getattr(target, name)
            except AttributeError:
                pass
        if name.startswith("__"):
            raise AttributeError(name)
        if self.__name__.startswith("psycopg.types."):
            # pgwire keeps the public names of its type modules in pgwire.types
            # (EnumInfo, RangeInfo...): a different module path, not a gap.
            types_pkg = importlib.import_module("pgwire.types")
            if hasattr(types_pkg, name):
                return getattr(types_pkg, name)
        submodule = f"{self.__name__}.{name}"
        if submodule in HARNESS or _target_exists(_target_name(submodule)):
            return importlib.import_module(submodule)
        return Missing(f"{self.__name__}.{name}")

    def __dir__(self) -> list[str]:
        target = self.__dict__["_target"]
        return dir(target) if target is not None else []


def _pipeline_is_supported() -> bool:
    return True


def _make_pq() -> types.ModuleType:
    # psycopg.pq holds the libpq wrapper (not in pgwire) and a few enums that
    # psycopg's public API returns (conn.info.transaction_status...): those
    # map to pgwire's enums when it has them.
    import pgwire
    from pgwire.types.adapt import Format

    mod = ProxyModule("psycopg.pq", None)
    mod.__dict__.update(
        __impl__="pgwire",
        __build_version__=180000,
        version=lambda: 180000,
        Format=Format,
        TransactionStatus=pgwire.TransactionStatus,
    )
    for name in ("ConnStatus", "PipelineStatus", "ExecStatus"):
        if hasattr(pgwire, name):
            mod.__dict__[name] = getattr(pgwire, name)
    mod.__path__ = []  # type: ignore[attr-defined]
    return mod


def _make_crdb() -> types.ModuleType:
    # pgwire never talks to CockroachDB: the fixtures only ask "is it crdb?".
    mod = ProxyModule("psycopg.crdb", None)

    class CrdbConnection:
        @staticmethod
        def is_crdb(conn: Any) -> bool:
            return False

    mod.__dict__["CrdbConnection"] = CrdbConnection
    return mod


#: Harness stubs: libpq-only modules imported by the fixture code.
HARNESS = {"psycopg.pq": _make_pq, "psycopg.crdb": _make_crdb}


def _target_name(name: str) -> str:
    """The pgwire module standing for psycopg module ``name``."""
    if name in MODULE_MAP:
        return MODULE_MAP[name]
    if name.startswith("psycopg_pool."):
        return "pgwire.pool." + name.split(".", 1)[1]
    return "pgwire" + name[len("psycopg") :]


def _target_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        name = spec.name
        if name in HARNESS:
            return HARNESS[name]()
        target_name = _target_name(name)
        target: types.ModuleType | None
        try:
            target = importlib.import_module(target_name)
        except ImportError:
            target = None
        mod = ProxyModule(name, target)
        if target is not None and hasattr(target, "__path__") or target is None:
            mod.__path__ = []  # type: ignore[attr-defined]
        if name == "psycopg" and not hasattr(target, "Pipeline"):
            # The fixtures skip every test when this says False; with pgwire
            # lacking pipelines the tests should fail, not skip.
            mod.__dict__["Pipeline"] = types.SimpleNamespace(is_supported=_pipeline_is_supported)
        return mod

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in ("psycopg", "psycopg_pool") or fullname.startswith(
            ("psycopg.", "psycopg_pool.")
        ):
            return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)
        return None


sys.meta_path.insert(0, _Finder())

# The proxy psycopg's connection-failure tests put in between (pproxy) installs
# uvloop when it can import it, and then asks for an event loop the way
# uvloop no longer allows: the proxy dies at start and those tests fail for
# no fault of the driver. The proxy's own process runs without uvloop.
if sys.argv and sys.argv[0].endswith("pproxy_fix.py"):
    sys.modules["uvloop"] = None  # type: ignore[assignment]
