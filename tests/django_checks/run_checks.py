"""Django on pgwire.django, checked in a process of its own.

Usage: run_checks.py CHECK HOST PORT USER DBNAME [OPTIONS_JSON]

Prints "ok CHECK" when every assertion of CHECK holds.  psycopg, psycopg2
and psycopg_pool must not be importable (the caller hides them).
"""

import datetime as dt
import json
import sys

import django
from django.conf import settings

check, host, port, user, dbname = sys.argv[1:6]
options = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
use_tz = options.pop("USE_TZ", True)

if check == "migrations":
    import pgwire.django

    # rangeapp.services names psycopg's exceptions, as code written for psycopg does.
    pgwire.django.bind("rangeapp.services")

settings.configure(
    DEBUG=True,
    USE_TZ=use_tz,
    TIME_ZONE="America/New_York",
    INSTALLED_APPS=[
        "pgwire.django",
        "django.contrib.postgres",
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "checkapp",
        *(["hstoreapp"] if check == "hstore" else []),
        *(["rangeapp"] if check == "migrations" else []),
    ],
    DATABASES={
        "default": {
            "ENGINE": "pgwire.django",
            "NAME": dbname,
            "USER": user,
            "HOST": host,
            "PORT": port,
            "OPTIONS": options,
        }
    },
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.contrib.postgres.search import SearchQuery, SearchVector  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange, NumericRange  # noqa: E402

import pgwire  # noqa: E402
from pgwire.client_cursor import ClientCursorMixin  # noqa: E402


def orm():
    from checkapp.models import Item

    call_command("migrate", run_syncdb=True, verbosity=0)
    start = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)
    with transaction.atomic():
        item = Item.objects.create(
            name="it's",
            count=3,
            tags=["a", "b"],
            data={"k": [1, 2]},
            span=NumericRange(1, 10),
            during=DateTimeTZRange(start, start + dt.timedelta(hours=1)),
            when=start,
        )
        with transaction.atomic():  # a savepoint
            Item.objects.create(name="otter", tags=["c"])
    Item.objects.update(search=SearchVector("name"))
    assert Item.objects.filter(tags__contains=["b"]).get().pk == item.pk
    assert Item.objects.filter(data__k__1=2).count() == 1
    assert Item.objects.filter(span__contains=5).count() == 1
    assert Item.objects.filter(during__contains=start).count() == 1
    assert Item.objects.filter(search=SearchQuery("otter")).count() == 1
    got = Item.objects.get(pk=item.pk)
    assert got.span == NumericRange(1, 10), got.span
    assert got.data == {"k": [1, 2]}
    assert got.when == start and got.when.tzinfo is not None
    assert [i.name for i in Item.objects.order_by("pk").iterator(chunk_size=1)] == ["it's", "otter"]
    with transaction.atomic():
        Item.objects.select_for_update().get(pk=item.pk)
    assert connection.vendor == "postgresql"
    assert isinstance(connection.connection, pgwire.Connection)
    cursor = connection.cursor().cursor
    client = isinstance(cursor, ClientCursorMixin)
    assert client is not bool(options.get("server_side_binding")), type(cursor).__mro__
    Item.objects.filter(name="it's").count()
    last = connection.queries[-1]["sql"]
    assert "'it''s'" in last, last  # the values are shown in both modes


def hstore():
    from hstoreapp.models import Attrs

    # Before Django connects: its connections learn the hstore OIDs once.
    with pgwire.connect(host=host, port=port, user=user, dbname=dbname) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS hstore")
    call_command("migrate", run_syncdb=True, verbosity=0)
    Attrs.objects.create(attrs={"a": "1", "b": None})
    assert Attrs.objects.get(attrs__a="1").attrs == {"a": "1", "b": None}
    assert Attrs.objects.filter(attrs__has_key="b").count() == 1


def isolation():
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SHOW transaction_isolation")
        assert cur.fetchone()[0] == "serializable"


def role():
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone()[0] == options["assume_role"]


def timezones():
    with connection.cursor() as cur:
        cur.execute("SELECT %s::timestamptz", ["2024-06-01 12:00:00+00"])
        value = cur.fetchone()[0]
    if use_tz:
        assert value == dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc), value
    else:
        assert value == dt.datetime(2024, 6, 1, 8), value  # naive New York time


def pool():
    from pgwire.pool import ConnectionPool

    assert isinstance(connection.pool, ConnectionPool)
    for _ in range(3):
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
        pid = connection.connection.info.backend_pid
        connection.close()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        assert cur.fetchone()[0] == pid  # the same server connection, reused
    connection.close()
    connection.close_pool()


def plain():
    with connection.cursor() as cur:
        cur.execute("SELECT %s, %s", [1, "x"])
        assert cur.fetchone() == (1, "x")
        # The libpq keywords in OPTIONS reach the connection.
        cur.execute(
            "SELECT ssl, current_setting('application_name') FROM pg_stat_ssl"
            " WHERE pid = pg_backend_pid()"
        )
        ssl, app = cur.fetchone()
    assert app == options["application_name"], app
    assert ssl is (options["sslmode"] != "disable"), ssl
    assert connection.connection._params.connect_timeout == options["connect_timeout"]


def migrations():
    from django.db.backends.postgresql.psycopg_any import Range
    from django.db.migrations.writer import MigrationWriter
    from rangeapp import services
    from rangeapp.models import Booking

    from pgwire.django.binding import is_bound

    # rangeapp's migration was written by Django on psycopg: it imports psycopg.types.range.
    call_command("migrate", "rangeapp", verbosity=0)
    migration = sys.modules["rangeapp.migrations.0001_initial"]
    assert is_bound(migration)
    call_command("makemigrations", "rangeapp", check=True, dry_run=True, verbosity=0)
    assert services.book("A1") is True
    assert services.book("A1") is False  # psycopg.errors.UniqueViolation, as pgwire's
    seats = Booking.objects.get(code="A1").seats
    assert seats == Range(1, 10) and isinstance(seats, Range), seats
    # What a new migration writes: psycopg's spelling, which loads on either backend.
    text, imports = MigrationWriter.serialize(Booking._meta.get_field("seats"))
    assert "import psycopg.types.range" in imports, imports
    assert "default=psycopg.types.range.Range(1, 10, '[)')" in text, text
    written = eval(text, dict(vars(migration)))  # in a migration module, as Django loads it
    assert written.default == Range(1, 10), written.default


{
    "migrations": migrations,
    "orm": orm,
    "hstore": hstore,
    "isolation": isolation,
    "role": role,
    "timezones": timezones,
    "pool": pool,
    "plain": plain,
}[check]()
assert "psycopg" not in sys.modules and "psycopg2" not in sys.modules
print("ok", check)
