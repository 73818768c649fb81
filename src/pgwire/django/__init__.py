"""Django database backend on pgwire: ``DATABASES = {"default": {"ENGINE": "pgwire.django", ...}}``.

It is Django's own PostgreSQL backend (operations, introspection, schema
editor, features, ``django.contrib.postgres``) running on pgwire instead of
psycopg: see :mod:`pgwire.django.binding` for how, and what that promises.
Neither psycopg nor psycopg2 needs to be installed.

The ``OPTIONS`` are those of Django's PostgreSQL backend: ``server_side_binding``,
``pool`` (pgwire's :class:`~pgwire.pool.ConnectionPool`), ``isolation_level``
(a :class:`pgwire.IsolationLevel`), ``assume_role``, ``prepare_threshold``, and
libpq's connection keywords (``sslmode``, ``connect_timeout``, ``options``...).

With ``django.contrib.postgres``, list ``"pgwire.django"`` in INSTALLED_APPS
before it.
"""

from __future__ import annotations

from .binding import install

install()

__all__ = ["install"]
