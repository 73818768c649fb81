"""The app config used when ``"pgwire.django"`` is listed in INSTALLED_APPS.

Listing it (before ``django.contrib.postgres``) only makes sure pgwire's
binding is in place before Django's PostgreSQL modules are imported.
"""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["PgwireConfig"]


class PgwireConfig(AppConfig):  # type: ignore[misc]
    """pgwire's Django backend (no models)."""

    name = "pgwire.django"
    label = "pgwire"
    verbose_name = "pgwire"
