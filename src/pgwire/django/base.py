"""The module Django loads for ``ENGINE = "pgwire.django"``: its ``DatabaseWrapper``.

It is Django's own PostgreSQL ``DatabaseWrapper``, loaded with pgwire bound
in psycopg's place (:mod:`pgwire.django.binding`).
"""

from __future__ import annotations

from . import binding

binding.install()

from django.db.backends.postgresql.base import DatabaseWrapper  # noqa: E402

__all__ = ["DatabaseWrapper"]
