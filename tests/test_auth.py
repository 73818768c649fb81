"""Authentication against a real server configured for each method (pg_hba)."""

from __future__ import annotations

import pytest

import pgwire

METHODS = ["password", "md5", "scram-sha-256"]


def auth_user(pg_server, method):
    users = getattr(pg_server, "auth_users", None)
    if not users:
        pytest.skip("the server was not prepared with auth users (PGWIRE_TEST_DSN?)")
    return users[method]


@pytest.mark.parametrize("method", METHODS)
def test_right_password(pg_server, method):
    user, password = auth_user(pg_server, method)
    with pgwire.connect(
        host="127.0.0.1", port=pg_server.port, user=user, password=password, dbname="postgres"
    ) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (user,)


@pytest.mark.parametrize("method", METHODS)
def test_wrong_password(pg_server, method):
    user, password = auth_user(pg_server, method)
    wrong = password + "-wrong"
    with pytest.raises(pgwire.OperationalError) as info:
        pgwire.connect(
            host="127.0.0.1", port=pg_server.port, user=user, password=wrong, dbname="postgres"
        )
    exc = info.value
    assert exc.sqlstate == "28P01"
    assert isinstance(exc, pgwire.errors.InvalidPassword)
    for text in (str(exc), repr(exc), repr(exc.diag)):
        assert wrong not in text and password not in text


@pytest.mark.parametrize("method", METHODS)
def test_missing_password(pg_server, method, monkeypatch, tmp_path):
    user, _ = auth_user(pg_server, method)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(pgwire.OperationalError, match="password"):
        pgwire.connect(host="127.0.0.1", port=pg_server.port, user=user, dbname="postgres")


def test_password_from_pgpass(pg_server, monkeypatch, tmp_path):
    user, password = auth_user(pg_server, "scram-sha-256")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_server.port}:*:{user}:{password}\n")
    passfile.chmod(0o600)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    with pgwire.connect(host="127.0.0.1", port=pg_server.port, user=user, dbname="postgres") as c:
        assert c.execute("SELECT current_user").fetchone() == (user,)


def test_unknown_database_carries_sqlstate(pg_server):
    with pytest.raises(pgwire.OperationalError) as info:
        pgwire.connect(pg_server.dsn, dbname="no_such_database")
    assert info.value.sqlstate == "3D000"


def test_rejected_by_hba(make_cluster):
    cluster = make_cluster(hba=["host all nobody_here 127.0.0.1/32 reject"])
    with pytest.raises(pgwire.OperationalError) as info:
        pgwire.connect(cluster.dsn, user="nobody_here")
    assert info.value.sqlstate == "28000"
