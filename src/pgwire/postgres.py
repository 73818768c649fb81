"""PostgreSQL's builtin types and the global adapters, as psycopg has them.

``types`` finds a builtin type's :class:`~pgwire.types.TypeInfo` by name or
OID (``types["int4"].oid``); ``adapters`` is the registry every new
connection starts from (:data:`pgwire.types.default_registry`): what is
registered on it shows in every connection opened afterwards.
"""

from __future__ import annotations

from .types import default_registry
from .types.typeinfo import RegistryTypes

__all__ = ["adapters", "types"]

adapters = default_registry
types: RegistryTypes = default_registry.types
