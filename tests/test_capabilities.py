"""``pgwire.capabilities``: psycopg's version-dependent features, as pgwire has them."""

from __future__ import annotations

import pytest

import pgwire
from pgwire._capabilities import _FEATURES

AVAILABLE = [
    "has_full_protocol_version",
    "has_hostaddr",
    "has_pipeline",
    "has_cancel_safe",
    "has_stream_chunked",
]
LIBPQ_ONLY = [
    "has_encrypt_password",
    "has_set_trace_flags",
    "has_used_gssapi",
    "has_send_close_prepared",
]


def test_every_psycopg_capability_is_answered():
    assert sorted(_FEATURES) == sorted(AVAILABLE + LIBPQ_ONLY)


@pytest.mark.parametrize("name", AVAILABLE)
def test_available(name):
    method = getattr(pgwire.capabilities, name)
    assert method() is True and method(check=True) is True


@pytest.mark.parametrize("name", LIBPQ_ONLY)
def test_libpq_objects_are_not_available(name):
    method = getattr(pgwire.Capabilities(), name)
    assert method() is False
    with pytest.raises(pgwire.NotSupportedError, match=r"'.*PGconn\..*' is not available"):
        method(check=True)


def test_available_features_work(conn):
    """What the answers promise is there (the libpq-free part)."""
    assert conn.info.full_protocol_version >= 30000
    assert conn.info.hostaddr
    with conn.pipeline():
        cur = conn.execute("SELECT 1")
    assert cur.fetchone() == (1,)
    assert len(list(conn.cursor().stream("SELECT generate_series(1, 5)", size=2))) == 5
    conn.cancel_safe()
