"""psycopg 3's ``capabilities``: which version-dependent features are there.

psycopg answers from the libpq version it runs on; pgwire has no libpq, so
the answer is what pgwire itself implements: the features are there, except
those that are methods of libpq objects, which pgwire does not have.
"""

from __future__ import annotations

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

    def has_full_protocol_version(self, check: bool = False) -> bool:
        """``ConnectionInfo.full_protocol_version``: available."""
        return self._has("has_full_protocol_version", check)

    def has_encrypt_password(self, check: bool = False) -> bool:
        """libpq's ``PGconn.encrypt_password()``: not available."""
        return self._has("has_encrypt_password", check)

    def has_hostaddr(self, check: bool = False) -> bool:
        """``ConnectionInfo.hostaddr``: available."""
        return self._has("has_hostaddr", check)

    def has_pipeline(self, check: bool = False) -> bool:
        """``Connection.pipeline()``: available."""
        return self._has("has_pipeline", check)

    def has_set_trace_flags(self, check: bool = False) -> bool:
        """libpq's ``PGconn.set_trace_flags()``: not available."""
        return self._has("has_set_trace_flags", check)

    def has_used_gssapi(self, check: bool = False) -> bool:
        """libpq's ``PGconn.used_gssapi``: not available."""
        return self._has("has_used_gssapi", check)

    def has_cancel_safe(self, check: bool = False) -> bool:
        """``Connection.cancel_safe()``: available."""
        return self._has("has_cancel_safe", check)

    def has_stream_chunked(self, check: bool = False) -> bool:
        """``Cursor.stream(size=...)`` with a size above 1: available."""
        return self._has("has_stream_chunked", check)

    def has_send_close_prepared(self, check: bool = False) -> bool:
        """libpq's ``PGconn.send_close_prepared()``: not available."""
        return self._has("has_send_close_prepared", check)


capabilities = Capabilities()
"""The capabilities of this pgwire (psycopg's ``psycopg.capabilities``)."""
