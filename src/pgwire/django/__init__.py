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
before it.  Migration files written under psycopg load as they are; a
project's own modules that import psycopg can be given pgwire in its place
with :func:`bind`, called in the settings module.
"""

from __future__ import annotations

from .binding import bind, install

install()

__all__ = ["bind", "install"]
