"""The Django backend ``pgwire.django``, with psycopg and psycopg2 out of reach.

Each check runs in a process of its own (Django is configured once per
process): ``tests/django_checks/run_checks.py``.  Without Django installed
these tests are skipped, except under CI where that is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest

from pgwire.conninfo import make_params
from pgwire.testing.pytest_plugin import in_ci

CHECKS = pathlib.Path(__file__).resolve().parent / "django_checks"
SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "django"

HIDE = "raise ModuleNotFoundError('hidden: not installed', name=__name__)\n"


@pytest.fixture(scope="module")
def django_available():
    if importlib.util.find_spec("django") is None:
        if in_ci():
            pytest.fail("Django is not installed: the CI must install it (pgwire[django])")
        pytest.skip("Django is not installed")


@pytest.fixture(scope="module")
def hidden_psycopg(tmp_path_factory):
    """A directory that makes psycopg, psycopg2 and psycopg_pool fail to import."""
    path = tmp_path_factory.mktemp("hide")
    for name in ("psycopg", "psycopg2", "psycopg_pool"):
        (path / name).mkdir()
        (path / name / "__init__.py").write_text(HIDE)
    return path


def _env(hidden: pathlib.Path, *extra: pathlib.Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (hidden, *extra, SRC))
    return env


def run_check(dsn, hidden, check, options=None, dbname=None):
    params = make_params(dsn)
    host = params.hosts[0]
    args = [
        sys.executable,
        str(CHECKS / "run_checks.py"),
        check,
        host.host,
        str(host.port),
        params.user,
        dbname or params.dbname,
        json.dumps(options or {}),
    ]
    proc = subprocess.run(
        args, env=_env(hidden, CHECKS), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith(f"ok {check}")


def test_import_pgwire_does_not_import_django():
    code = "import sys, pgwire, pgwire.pool; print('django' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(SRC), capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.fixture
def fresh_db(conn, request):
    """A database of its own for one check (the ORM checks create tables)."""
    name = "django_" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")
    conn.autocommit = True
    conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("server_side_binding", [False, True])
def test_orm_and_contrib_postgres(
    django_available, hidden_psycopg, dsn, fresh_db, server_side_binding
):
    options = {"server_side_binding": server_side_binding}
    run_check(dsn, hidden_psycopg, "orm", options, fresh_db)


def test_hstore(django_available, hidden_psycopg, dsn, fresh_db, conn):
    available = conn.execute(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'hstore'"
    ).fetchone()[0]
    if not available:
        pytest.skip("this PostgreSQL has no hstore extension")
    run_check(dsn, hidden_psycopg, "hstore", {}, fresh_db)


def test_psycopg_migrations_and_bound_code(
    django_available, hidden_psycopg, dsn, fresh_db
):
    run_check(dsn, hidden_psycopg, "migrations", {}, fresh_db)


def test_isolation_level(django_available, hidden_psycopg, dsn):
    run_check(dsn, hidden_psycopg, "isolation", {"isolation_level": 4})


def test_assume_role(django_available, hidden_psycopg, dsn, conn):
    conn.autocommit = True
    conn.execute("DROP ROLE IF EXISTS django_app_role")
    conn.execute("CREATE ROLE django_app_role")
    try:
        run_check(dsn, hidden_psycopg, "role", {"assume_role": "django_app_role"})
    finally:
        conn.execute("DROP ROLE django_app_role")


@pytest.mark.parametrize("use_tz", [True, False])
def test_timezones(django_available, hidden_psycopg, dsn, use_tz):
    run_check(dsn, hidden_psycopg, "timezones", {"USE_TZ": use_tz})


def test_connection_options(django_available, hidden_psycopg, dsn):
    run_check(
        dsn,
        hidden_psycopg,
        "plain",
        {"connect_timeout": 5, "sslmode": "disable", "application_name": "django-check"},
    )


def test_pool(django_available, hidden_psycopg, dsn):
    run_check(dsn, hidden_psycopg, "pool", {"pool": {"min_size": 1, "max_size": 2}})


def test_example_project(django_available, hidden_psycopg, dsn, fresh_db):
    params = make_params(dsn)
    env = _env(hidden_psycopg)
    env.update(
        PGHOST=params.hosts[0].host,
        PGPORT=str(params.hosts[0].port),
        PGUSER=params.user,
        PGDATABASE=fresh_db,
    )
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'tagged django: ["It\'s Django"]' in proc.stdout
    assert "full-text 'protocol': ['Wire protocol']" in proc.stdout
    assert "'3'::jsonb" in proc.stdout  # the value shows in the SQL (client-side binding)


def test_binding_touches_only_djangos_postgresql_modules(django_available):
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed")
    code = (
        "import sys, pgwire.django, psycopg\n"
        "import django.db.backends.postgresql.psycopg_any as any_\n"
        "from pgwire.django.binding import is_bound\n"
        "import pgwire.types.range as pgwire_range\n"
        "assert is_bound(any_) and any_.Range.__module__ == 'psycopg.types.range'\n"
        "assert issubclass(any_.Range, pgwire_range.Range)\n"
        "assert isinstance(pgwire_range.Range(1, 2), any_.Range)\n"
        "assert not isinstance(psycopg.types.range.Range(1, 2), any_.Range)\n"
        "assert psycopg.__file__ and not hasattr(psycopg, 'MODULES')\n"
        "assert sys.modules['psycopg'] is psycopg and 'pgwire' not in repr(psycopg)\n"
        "print('separate')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(SRC), capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "separate"


def test_binding_refuses_to_load_late(django_available):
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed")
    code = "import django.db.backends.postgresql.psycopg_any\nimport pgwire.django\n"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(SRC), capture_output=True, text=True, timeout=60
    )
    assert out.returncode != 0
    assert "ImproperlyConfigured" in out.stderr
    assert 'list "pgwire.django" in INSTALLED_APPS before' in out.stderr
