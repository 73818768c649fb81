"""psycopg 3's ``capabilities``: which version-dependent features are there.

psycopg answers from the libpq version it runs on; pgwire has no libpq, so
the answer is what pgwire itself implements: the features are there, except
those that are methods of libpq objects, which pgwire does not have.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import NotSupportedError

__all__ = ["Capabilities", "capabilities"]

# psycopg's label of each capability, and whether pgwire has it.
_FEATURES: dict[str, tuple[str, bool]] = {
    "has_full_protocol_version": ("pq.PGconn.full_protocol_version()", True),
    "has_encrypt_password": ("pq.PGconn.encrypt_password()", False),
    "has_hostaddr": ("Connection.info.hostaddr", True),
    "has_pipeline": ("Connection.pipeline()", True),
    "has_set_trace_flags": ("PGconn.set_trace_flags()", False),
    "has_used_gssapi": ("PGconn.used_gssapi", False),
    "has_cancel_safe": ("Connection.cancel_safe()", True),
    "has_stream_chunked": ("Cursor.stream() with 'size' parameter greater than 1", True),
    "has_send_close_prepared": ("PGconn.send_close_prepared()", False),
}


def _capability(name: str) -> Callable[[Capabilities, bool], bool]:
    """The ``has_...(check=False)`` method of the capability ``name``."""
    label, present = _FEATURES[name]
    where = "available" if present else "not available (a libpq object's)"

    def method(self: Capabilities, check: bool = False) -> bool:
        return self._has(name, check)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``{label}``: {where}."
    return method


class Capabilities:
    """Whether a feature psycopg ties to the libpq version is available.

    Each ``has_...(check=False)`` method returns a bool; with ``check=True``
    a missing feature raises :class:`~pgwire.NotSupportedError` instead.
    The features that pgwire lacks are those of libpq's own objects
    (``PGconn`` methods): pgwire speaks the protocol without libpq.
    """

    def _has(self, name: str, check: bool) -> bool:
        label, present = _FEATURES[name]
        if not present and check:
            raise NotSupportedError(
                f"the feature '{label}' is not available: pgwire has no libpq objects"
            )
        return present

    has_full_protocol_version = _capability("has_full_protocol_version")
    has_encrypt_password = _capability("has_encrypt_password")
    has_hostaddr = _capability("has_hostaddr")
    has_pipeline = _capability("has_pipeline")
    has_set_trace_flags = _capability("has_set_trace_flags")
    has_used_gssapi = _capability("has_used_gssapi")
    has_cancel_safe = _capability("has_cancel_safe")
    has_stream_chunked = _capability("has_stream_chunked")
    has_send_close_prepared = _capability("has_send_close_prepared")


capabilities = Capabilities()
"""The capabilities of this pgwire (psycopg's ``psycopg.capabilities``)."""
