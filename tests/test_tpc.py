"""Two-phase commit: Xid parsing and formatting, tpc_*() on both connections."""

from __future__ import annotations

import asyncio
import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgwire
from pgwire import Xid


def run_async(func):
    """Run an async test function to completion on a fresh event loop."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return asyncio.run(asyncio.wait_for(func(*args, **kwargs), 60))

    return wrapper


@pytest.fixture
def svc(dsn):
    """An autocommit connection that clears prepared transactions before and after."""
    conn = pgwire.connect(dsn, autocommit=True)

    def clear():
        for (gid,) in conn.execute("SELECT gid FROM pg_prepared_xacts").fetchall():
            conn.execute(f"ROLLBACK PREPARED '{gid}'")

    clear()
    conn.execute("CREATE TABLE IF NOT EXISTS test_tpc (data text)")
    conn.execute("TRUNCATE test_tpc")
    yield conn
    clear()
    conn.close()


def counts(svc):
    xacts = svc.execute("SELECT count(*) FROM pg_prepared_xacts").fetchone()[0]
    rows = svc.execute("SELECT count(*) FROM test_tpc").fetchone()[0]
    return xacts, rows


# --- Xid ------------------------------------------------------------------------------


def test_xid_xa_form():
    xid = Xid.from_parts(42, "gtrid", "bqual")
    assert tuple(xid) == (42, "gtrid", "bqual")
    assert len(xid) == 3
    assert str(xid) == "42_Z3RyaWQ=_YnF1YWw="
    assert Xid.from_string(str(xid)) == xid


def test_xid_plain_gid():
    xid = Xid.from_string("just a gid")
    assert tuple(xid) == (None, "just a gid", None)
    assert str(xid) == "just a gid"
    # Looks like the XA form, but is not base64: stays a plain gid.
    assert Xid.from_string("42_!!_??").gtrid == "42_!!_??"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((42, "g", None), TypeError),
        ((None, "g", "b"), TypeError),
        ((-1, "g", "b"), ValueError),
        ((2**31, "g", "b"), ValueError),
        ((1, "g" * 65, "b"), ValueError),
        ((1, "g", "b" * 65), ValueError),
    ],
)
def test_xid_invalid(args, error):
    with pytest.raises(error):
        Xid.from_parts(*args)


@given(
    st.integers(0, 2**31 - 1),
    st.text(max_size=64),
    st.text(max_size=64),
)
def test_xid_round_trip(format_id, gtrid, bqual):
    xid = Xid.from_parts(format_id, gtrid, bqual)
    assert Xid.from_string(str(xid)) == xid


# --- blocking ----------------------------------------------------------------------------


def test_xid_is_an_immutable_value():
    import pickle

    xid = Xid.from_parts(7, "g", "b")
    same = Xid(7, "g", "b")
    assert xid == same and hash(xid) == hash(same)
    assert xid != Xid(7, "g", "c") and xid != Xid(7, "g", "b", owner="someone")
    assert pickle.loads(pickle.dumps(xid)) == xid
    assert repr(xid).startswith("Xid(format_id=7, gtrid='g', bqual='b'")
    with pytest.raises(AttributeError):
        xid.gtrid = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del xid.bqual


def test_tpc_commit_prepared(dsn, svc):
    conn = pgwire.connect(dsn)
    xid = conn.xid(1, "gtrid", "bqual")
    conn.tpc_begin(xid)
    assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    conn.execute("INSERT INTO test_tpc VALUES ('x')")
    with pytest.raises(pgwire.ProgrammingError):
        conn.commit()
    with pytest.raises(pgwire.ProgrammingError):
        conn.tpc_begin(conn.xid(1, "other", "b"))
    conn.tpc_prepare()
    with pytest.raises(pgwire.ProgrammingError):
        conn.tpc_prepare()
    # Nothing runs to be cancelled until the second phase (as psycopg).
    for cancel in (conn.cancel, conn.cancel_safe):
        with pytest.raises(pgwire.ProgrammingError, match="prepared"):
            cancel()
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    assert counts(svc) == (1, 0)
    conn.tpc_commit()
    assert counts(svc) == (0, 1)
    conn.close()


def test_tpc_one_phase(dsn, svc):
    with pgwire.connect(dsn) as conn:
        conn.tpc_begin("plain-gid")
        conn.execute("INSERT INTO test_tpc VALUES ('x')")
        conn.tpc_commit()  # never prepared: a plain COMMIT
        assert counts(svc) == (0, 1)
        conn.tpc_begin("plain-gid-2")
        conn.execute("INSERT INTO test_tpc VALUES ('y')")
        conn.tpc_rollback()
        assert counts(svc) == (0, 1)


def test_tpc_recover_and_finish(dsn, svc):
    conn = pgwire.connect(dsn)
    xid = conn.xid(7, "recover-me", "q")
    conn.tpc_begin(xid)
    conn.execute("INSERT INTO test_tpc VALUES ('x')")
    conn.tpc_prepare()
    conn.close()  # the prepared transaction outlives its session
    with pgwire.connect(dsn) as conn:
        (recovered,) = [x for x in conn.tpc_recover() if x.gtrid == "recover-me"]
        assert tuple(recovered) == (7, "recover-me", "q")
        assert recovered.owner and recovered.prepared is not None
        assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
        conn.tpc_begin("x")
        with pytest.raises(pgwire.ProgrammingError, match="outside"):
            conn.tpc_commit(recovered)
        conn.tpc_rollback()
    with pgwire.connect(dsn) as conn:
        conn.tpc_rollback(str(recovered))
    assert counts(svc) == (0, 0)


def test_tpc_begin_refused(dsn):
    with pgwire.connect(dsn, autocommit=True) as conn:
        with pytest.raises(pgwire.ProgrammingError, match="autocommit"):
            conn.tpc_begin("x")
    with pgwire.connect(dsn) as conn:
        conn.execute("SELECT 1")
        with pytest.raises(pgwire.ProgrammingError):
            conn.tpc_begin("x")
        with pytest.raises(pgwire.ProgrammingError):
            conn.tpc_prepare()


def test_tpc_prepare_unsupported(make_cluster):
    cluster = make_cluster(settings={"max_prepared_transactions": "0"})
    with pgwire.connect(cluster.dsn) as conn:
        conn.tpc_begin("nope")
        with pytest.raises(pgwire.NotSupportedError):
            conn.tpc_prepare()
        conn.tpc_rollback()
        assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE


# --- asyncio ------------------------------------------------------------------------------


@run_async
async def test_async_tpc(dsn, svc):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    xid = aconn.xid(3, "async", "b")
    await aconn.tpc_begin(xid)
    await aconn.execute("INSERT INTO test_tpc VALUES ('x')")
    with pytest.raises(pgwire.ProgrammingError):
        await aconn.rollback()
    await aconn.tpc_prepare()
    with pytest.raises(pgwire.ProgrammingError, match="prepared"):
        await aconn.cancel()
    with pytest.raises(pgwire.ProgrammingError, match="prepared"):
        aconn.cancel()  # refused at the call, awaited or not (as psycopg's)
    with pytest.raises(pgwire.ProgrammingError, match="prepared"):
        await aconn.cancel_safe()
    assert counts(svc) == (1, 0)
    assert [x for x in await aconn.tpc_recover() if x.gtrid == "async"]
    await aconn.tpc_rollback()
    assert counts(svc) == (0, 0)
    await aconn.tpc_begin("one-phase")
    await aconn.execute("INSERT INTO test_tpc VALUES ('y')")
    await aconn.tpc_commit()
    assert counts(svc) == (0, 1)
    await aconn.close()
