"""How Django's PostgreSQL code is made to run on pgwire, and exactly what that touches.

Django's ``django.db.backends.postgresql`` package and ``django.contrib.postgres``
import ``psycopg`` (or ``psycopg2``) by name.  :func:`install` puts a finder in
front of :data:`sys.meta_path` that loads the modules of those two packages
(and nothing else) with their own builtins, whose ``__import__`` answers
``psycopg``, ``psycopg.*`` and ``psycopg_pool`` with
:mod:`pgwire.django.psycopg_facade` and refuses ``psycopg2``.  The
migration modules of installed apps are loaded that way too, so migration
files written under psycopg (``import psycopg.types.range`` for a range
default) load without psycopg; and :func:`bind` adds packages of a project's
own that name psycopg (``except psycopg.errors.UniqueViolation``...).

What this promises:

* ``sys.modules["psycopg"]`` is never set or replaced: any other code that
  imports psycopg gets the real one, or ImportError if it is not installed.
* Django's modules (and the migrations and packages above) are loaded from
  their own files, unchanged; only the name ``psycopg`` resolves differently
  inside them.
* Ranges are written into migrations as ``psycopg.types.range.Range(...)``,
  as psycopg's backend writes them: the same migration file loads on either
  backend.
* In a process where ``pgwire.django`` is loaded, Django's PostgreSQL modules
  run on pgwire, whichever ENGINE names them: an alias configured with
  ``django.db.backends.postgresql`` then runs on pgwire too.
* The finder must be in place before those modules are first imported.  The
  ENGINE setting loads it in time unless ``django.contrib.postgres`` is
  installed: then list ``"pgwire.django"`` in INSTALLED_APPS before it.  If
  Django's PostgreSQL modules were imported earlier, :func:`install` raises
  ImproperlyConfigured rather than mixing psycopg and pgwire.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from . import psycopg_facade

__all__ = ["BOUND_PACKAGES", "bind", "install", "is_bound"]

#: The packages whose modules see the stand-in under psycopg's names.
BOUND_PACKAGES = ("django.db.backends.postgresql", "django.contrib.postgres")

_STAND_IN_ROOTS = ("psycopg", "psycopg_pool")

#: Packages of the project's own added by :func:`bind`.
_bound_by_user: list[str] = []


def _in_packages(fullname: str, packages: Sequence[str]) -> bool:
    return any(fullname == p or fullname.startswith(p + ".") for p in packages)


def _migration_packages() -> set[str]:
    """The migration packages of the installed apps, once Django's app registry is ready."""
    registry = getattr(sys.modules.get("django.apps"), "apps", None)
    conf = sys.modules.get("django.conf")
    if registry is None or conf is None or not registry.apps_ready:
        return set()  # no app is loaded yet, so no migration either
    packages = {f"{config.name}.migrations" for config in registry.get_app_configs()}
    packages.update(m for m in conf.settings.MIGRATION_MODULES.values() if m)
    return packages


def _is_migration(fullname: str) -> bool:
    parent = fullname.rpartition(".")[0]
    return bool(parent) and parent in _migration_packages()


def _bound_name(fullname: str) -> bool:
    return (
        _in_packages(fullname, BOUND_PACKAGES)
        or _in_packages(fullname, _bound_by_user)
        or _is_migration(fullname)
    )


def _stand_in_name(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in _STAND_IN_ROOTS)


def _import(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    fromlist: Sequence[str] | None = (),
    level: int = 0,
) -> ModuleType:
    """``__import__`` of the bound modules: psycopg's names give the stand-in."""
    if level == 0:
        if _stand_in_name(name):
            module = psycopg_facade.find(name)
            return module if fromlist else psycopg_facade.find(name.partition(".")[0])
        if name == "psycopg2" or name.startswith("psycopg2."):
            raise ModuleNotFoundError(
                "psycopg2 is not used by Django's PostgreSQL backend on pgwire", name=name
            )
    return builtins.__import__(name, globals, locals, fromlist or (), level)


_BUILTINS = {**builtins.__dict__, "__import__": _import}


class _BindingLoader(importlib.machinery.SourceFileLoader):
    """Loads a module from its source file with the builtins of :func:`_import`."""

    def exec_module(self, module: ModuleType) -> None:
        """Run the module's code with the stand-in reachable as psycopg."""
        module.__dict__["__builtins__"] = _BUILTINS
        super().exec_module(module)


class _BindingFinder(importlib.abc.MetaPathFinder):
    """Finds the bound modules where the normal path finder does, with our loader."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """The spec of a bound module, loaded by :class:`_BindingLoader`; None for others."""
        if not _bound_name(fullname):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = _BindingLoader(spec.loader.name, spec.loader.path)
        return spec


_finder = _BindingFinder()


def is_bound(module: ModuleType) -> bool:
    """True if `module` was loaded with the stand-in as psycopg."""
    return module.__dict__.get("__builtins__") is _BUILTINS


def bind(*packages: str) -> None:
    """Load `packages` (dotted names, with their submodules) with pgwire standing in for psycopg.

    For a project's own code written for Django on psycopg, such as
    ``isinstance(exc.__cause__, psycopg.errors.UniqueViolation)``: call it in
    the settings module, before those packages are imported.  Raises
    ImproperlyConfigured if one of them is already imported.
    """
    install()
    early = sorted(
        name
        for name, module in list(sys.modules.items())
        if module is not None and _in_packages(name, packages) and not is_bound(module)
    )
    if early:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"pgwire.django.bind() must come before these modules are imported: {', '.join(early)}"
        )
    _bound_by_user.extend(p for p in packages if p not in _bound_by_user)


def install() -> None:
    """Put the finder in place (once); refuse if Django's modules came in before it."""
    if _finder in sys.meta_path:
        return
    early = [
        name
        for name, module in list(sys.modules.items())
        if _bound_name(name)
        and module is not None
        and getattr(module, "__file__", None)
        and not name.endswith(("postgresql", "postgres"))  # the packages' empty __init__
        and not is_bound(module)
    ]
    if early:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "pgwire.django must be loaded before Django's PostgreSQL modules "
            f'({", ".join(sorted(early))} were imported first): list "pgwire.django" '
            'in INSTALLED_APPS before "django.contrib.postgres"'
        )
    sys.meta_path.insert(0, _finder)
