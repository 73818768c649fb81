"""Tests for pgwire.conninfo: DSN and URI parsing, environment, defaults, pgpass."""

from __future__ import annotations

import getpass
import ipaddress
import locale
import os
import pathlib
import urllib.parse
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgwire import conninfo
from pgwire.conninfo import (
    KEYWORDS,
    ConnectParams,
    HostSpec,
    make_conninfo,
    make_params,
    parse_dsn,
    read_pgpass,
)
from pgwire.errors import ProgrammingError

SECRET = "s3cr3t-Pa55"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> pathlib.Path:
    """Isolate every test from the machine's PG* variables, home and sockets."""
    for name in list(os.environ):
        if name.startswith("PG"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PGSYSCONFDIR", str(tmp_path / "sysconf"))
    monkeypatch.setattr(conninfo, "DEFAULT_SOCKET_DIRS", (str(tmp_path / "no-such-dir"),))
    monkeypatch.setattr(getpass, "getuser", lambda: "osuser")
    return home


def write_private(path: pathlib.Path, text: str, mode: int = 0o600) -> str:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return str(path)


# --------------------------------------------------------------------------
# Keyword/value strings


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("", {}),
        ("  \t\n ", {}),
        ("host=h", {"host": "h"}),
        ("host = h   port=5432", {"host": "h", "port": "5432"}),
        ("host=h\tport=1\n", {"host": "h", "port": "1"}),
        ("password='a b'", {"password": "a b"}),
        (r"password='it\'s'", {"password": "it's"}),
        (r"password='back\\slash'", {"password": "back\\slash"}),
        (r"password='\x'", {"password": "x"}),
        ("password=''", {"password": ""}),
        (r"password=a\ b", {"password": "a b"}),
        (r"password=it\'s", {"password": "it's"}),
        ("options='-c search_path=x,y'", {"options": "-c search_path=x,y"}),
        ("host=h host=k", {"host": "k"}),
        ("user=", {"user": ""}),
        # libpq skips blanks after "=", so the next pair becomes the value.
        ("user= dbname=x", {"user": "dbname=x"}),
        ("dbname='a'host=b", {"dbname": "a", "host": "b"}),
        ("application_name=été€", {"application_name": "été€"}),
        ("application_name='日本 語'", {"application_name": "日本 語"}),
        ("dbname=a=b", {"dbname": "a=b"}),
        ("host=h1,h2 port=5432,5433", {"host": "h1,h2", "port": "5432,5433"}),
        ("sslcert=/x/y.crt keepalives=1", {"sslcert": "/x/y.crt", "keepalives": "1"}),
    ],
)
def test_parse_keyword_dsn(dsn: str, expected: dict[str, str]) -> None:
    result = parse_dsn(dsn)
    assert result == expected


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("host", 'missing "=" after "host"'),
        ("host h", 'missing "=" after "host"'),
        ("host=h junk", 'missing "=" after the word at offset 7'),
        ("=x", "empty keyword"),
        ("password='abc", "unterminated quoted string"),
        ("password='abc\\'", "unterminated quoted string"),
        ("foo=1 host=h bar=2", 'invalid connection options: "foo", "bar"'),
        ("foo=1", 'invalid connection option: "foo"'),
        ("database=x", '"database"'),
    ],
)
def test_parse_keyword_dsn_errors(dsn: str, message: str) -> None:
    with pytest.raises(ProgrammingError) as excinfo:
        parse_dsn(dsn)
    assert message in str(excinfo.value)


def test_unquoted_password_with_space_is_not_echoed() -> None:
    with pytest.raises(ProgrammingError) as excinfo:
        parse_dsn(f"user=u password=abc {SECRET}")
    assert SECRET not in str(excinfo.value)
    assert "quoted" in str(excinfo.value)


def test_unterminated_password_is_not_echoed() -> None:
    with pytest.raises(ProgrammingError) as excinfo:
        parse_dsn(f"password='{SECRET}")
    assert SECRET not in str(excinfo.value)


def test_parse_dsn_rejects_non_str() -> None:
    with pytest.raises(ProgrammingError, match="must be a str"):
        parse_dsn(b"host=h")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# URIs


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("postgresql://", {}),
        ("postgres://h", {"host": "h"}),
        ("postgresql://u@h", {"user": "u", "host": "h"}),
        (
            "postgresql://u:pw@h:5433/db",
            {"user": "u", "password": "pw", "host": "h", "port": "5433", "dbname": "db"},
        ),
        ("postgresql://u:@h", {"user": "u", "host": "h"}),
        ("postgresql://:pw@h", {"password": "pw", "host": "h"}),
        (
            "postgresql://us%40er:p%3As%2Fs@h",
            {"user": "us@er", "password": "p:s/s", "host": "h"},
        ),
        (
            "postgresql://u:p@ss@h/db",
            {"user": "u", "password": "p@ss", "host": "h", "dbname": "db"},
        ),
        (
            "postgresql://h1:5432,h2:5433/db",
            {"host": "h1,h2", "port": "5432,5433", "dbname": "db"},
        ),
        ("postgresql://h1,h2:5433/db", {"host": "h1,h2", "port": ",5433", "dbname": "db"}),
        ("postgresql://h1,h2/db", {"host": "h1,h2", "dbname": "db"}),
        ("postgresql://[::1]:5432/db", {"host": "::1", "port": "5432", "dbname": "db"}),
        ("postgresql://[2001:db8::1],h2/db", {"host": "2001:db8::1,h2", "dbname": "db"}),
        (
            "postgresql://[fe80::1%25eth0]:6000",
            {"host": "fe80::1%eth0", "port": "6000"},
        ),
        (
            "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
            {"host": "/var/run/postgresql", "dbname": "db"},
        ),
        ("postgresql:///db?host=/tmp", {"dbname": "db", "host": "/tmp"}),
        ("postgresql:///db?host=%2Ftmp", {"dbname": "db", "host": "/tmp"}),
        ("postgresql://:5433/db", {"port": "5433", "dbname": "db"}),
        (
            "postgresql://h/db?sslmode=require&connect_timeout=10",
            {"host": "h", "dbname": "db", "sslmode": "require", "connect_timeout": "10"},
        ),
        (
            "postgresql://h?application_name=a%20b%2Bc+d",
            {"host": "h", "application_name": "a b+c+d"},
        ),
        ("postgresql://h/?ssl=true", {"host": "h", "sslmode": "require"}),
        ("postgresql://h/", {"host": "h"}),
        ("postgresql://h/my%2Fdb", {"host": "h", "dbname": "my/db"}),
        ("postgresql://h/a/b", {"host": "h", "dbname": "a/b"}),
        ("postgresql://us%C3%A9r@h/d%C3%A9", {"user": "usér", "host": "h", "dbname": "dé"}),
        ("postgresql://usér@h", {"user": "usér", "host": "h"}),
        ("postgresql://h/db?", {"host": "h", "dbname": "db"}),
        (
            "postgresql://h/db?&&sslmode=disable&",
            {"host": "h", "dbname": "db", "sslmode": "disable"},
        ),
        ("postgresql://h:5432?dbname=x", {"host": "h", "port": "5432", "dbname": "x"}),
        (
            "postgresql://h/db?options=-c%20search_path%3Dx",
            {"host": "h", "dbname": "db", "options": "-c search_path=x"},
        ),
        ("postgresql://h/db?host=other", {"host": "other", "dbname": "db"}),
        (
            "postgresql://h/db?application_name=",
            {"host": "h", "dbname": "db", "application_name": ""},
        ),
    ],
)
def test_parse_uri(uri: str, expected: dict[str, str]) -> None:
    assert parse_dsn(uri) == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("postgresql://[::1/db", 'matching "]"'),
        ("postgresql://[]/db", "may not be empty"),
        ("postgresql://[::1]x/db", 'unexpected character "x"'),
        ("postgresql://h/db?sslmode", 'missing key/value separator "="'),
        ("postgresql://h/db?sslmode=a=b", 'extra key/value separator "="'),
        ("postgresql://h/db?foo=1&bar=2", 'invalid connection options: "foo", "bar"'),
        ("postgresql://h/db?ssl=false", '"ssl"'),
        ("postgresql://h/%zz", "invalid percent-encoded token in the URI's database name"),
        ("postgresql://h/db%2", "invalid percent-encoded token"),
        ("postgresql://h/%00", "forbidden value %00"),
        ("postgresql://h/%ff", "not valid UTF-8"),
    ],
)
def test_parse_uri_errors(uri: str, message: str) -> None:
    with pytest.raises(ProgrammingError) as excinfo:
        parse_dsn(uri)
    assert message in str(excinfo.value)


@pytest.mark.parametrize(
    "uri",
    [
        f"postgresql://u:{SECRET}%zz@h/db",
        f"postgresql://u:{SECRET}%00@h/db",
        f"postgresql://u:{SECRET}%ff@h/db",
    ],
)
def test_uri_password_errors_do_not_echo_password(uri: str) -> None:
    with pytest.raises(ProgrammingError) as excinfo:
        parse_dsn(uri)
    assert SECRET not in str(excinfo.value)
    assert "password" in str(excinfo.value)


def test_uri_scheme_is_case_sensitive_like_libpq() -> None:
    # Not a URI, so parsed as keywords: the whole thing is a word without "=".
    with pytest.raises(ProgrammingError, match="missing"):
        parse_dsn("POSTGRESQL://h/db")


# Lone surrogates cannot be UTF-8 encoded, so a URI cannot carry them.
uri_text = st.text(
    st.characters(codec="utf-8", blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
)


@given(user=uri_text, password=uri_text, host=uri_text, dbname=uri_text, app=uri_text)
def test_uri_percent_encoding_round_trip(
    user: str, password: str, host: str, dbname: str, app: str
) -> None:
    def q(s: str) -> str:
        return urllib.parse.quote(s, safe="")

    uri = (
        f"postgresql://{q(user)}:{q(password)}@{q(host)}:5432/{q(dbname)}?application_name={q(app)}"
    )
    assert parse_dsn(uri) == {
        "user": user,
        "password": password,
        "host": host,
        "port": "5432",
        "dbname": dbname,
        "application_name": app,
    }


@given(st.text(max_size=60))
def test_uri_parser_only_raises_programming_error(tail: str) -> None:
    try:
        result = parse_dsn("postgresql://" + tail)
    except ProgrammingError:
        return
    assert set(result) <= set(KEYWORDS)


@given(st.text(alphabet=st.sampled_from(list("ab =' \\\t\nhostuser")), max_size=40))
def test_keyword_parser_only_raises_programming_error(text: str) -> None:
    try:
        result = parse_dsn(text)
    except ProgrammingError:
        return
    assert set(result) <= set(KEYWORDS)


# --------------------------------------------------------------------------
# make_conninfo


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"host": "h"}, "host=h"),
        ({"password": ""}, "password=''"),
        ({"password": "a b"}, "password='a b'"),
        ({"password": "it's"}, r"password='it\'s'"),
        ({"password": "back\\slash"}, r"password='back\\slash'"),
        ({"password": "tab\there"}, "password='tab\there'"),
        ({"application_name": "été"}, "application_name=été"),
        ({"application_name": "nb\u00a0sp"}, "application_name='nb\u00a0sp'"),
        ({"options": "-c x=1"}, "options='-c x=1'"),
        ({"port": 5432}, "port=5432"),
        ({"connect_timeout": 2.5}, "connect_timeout=2.5"),
        ({"keepalives": True}, "keepalives=1"),
        ({"keepalives": False}, "keepalives=0"),
        ({"sslcert": pathlib.PurePosixPath("/a/b.crt")}, "sslcert=/a/b.crt"),
        ({"database": "d"}, "dbname=d"),
        ({"host": "h", "user": None}, "host=h"),
    ],
)
def test_make_conninfo_rendering(kwargs: dict[str, object], expected: str) -> None:
    assert make_conninfo("", **kwargs) == expected


def test_make_conninfo_without_kwargs_returns_dsn_unchanged() -> None:
    uri = "postgresql://u@h/db?sslmode=require"
    assert make_conninfo(uri) == uri
    assert make_conninfo(uri, password=None) == uri
    assert make_conninfo() == ""


def test_make_conninfo_kwargs_override_dsn() -> None:
    result = make_conninfo("host=h port=1 dbname=d", port=2, user="u")
    assert result == "host=h port=2 dbname=d user=u"
    assert parse_dsn(result) == {"host": "h", "port": "2", "dbname": "d", "user": "u"}


def test_make_conninfo_renders_uri_as_keywords() -> None:
    result = make_conninfo("postgresql://u:p%20w@h:5433/db", application_name="x")
    assert parse_dsn(result) == {
        "user": "u",
        "password": "p w",
        "host": "h",
        "port": "5433",
        "dbname": "db",
        "application_name": "x",
    }


def test_make_conninfo_errors() -> None:
    with pytest.raises(ProgrammingError, match='"foo", "bar"'):
        make_conninfo("foo=1", bar=2)
    with pytest.raises(ProgrammingError, match="NUL"):
        make_conninfo(host="a\x00b")
    with pytest.raises(ProgrammingError, match="not bytes"):
        make_conninfo(host=b"h")
    with pytest.raises(ProgrammingError, match="dbname or database"):
        make_conninfo(dbname="a", database="b")


keyword_values = st.text(
    st.one_of(
        st.sampled_from(list(" \t\n\r\f\v'\\=\"é€😀,:@\u00a0\u2028\x85")),
        st.characters(blacklist_characters="\x00"),
    ),
    max_size=30,
)


@given(st.dictionaries(st.sampled_from(sorted(KEYWORDS)), keyword_values, min_size=1))
def test_make_conninfo_round_trip(values: dict[str, str]) -> None:
    assert parse_dsn(make_conninfo(**values)) == values


@given(
    st.dictionaries(st.sampled_from(sorted(KEYWORDS)), keyword_values, min_size=1),
    st.dictionaries(st.sampled_from(sorted(KEYWORDS)), keyword_values, min_size=1),
)
def test_make_conninfo_merge_round_trip(first: dict[str, str], second: dict[str, str]) -> None:
    merged = make_conninfo(make_conninfo(**first), **second)
    assert parse_dsn(merged) == {**first, **second}


# --------------------------------------------------------------------------
# make_params: defaults


def test_defaults_without_socket_dir() -> None:
    params = make_params()
    assert params.hosts == [HostSpec("localhost", 5432)]
    assert params.user == "osuser"
    assert params.dbname == "osuser"
    assert params.password is None
    assert params.sslmode == "prefer"
    assert params.connect_timeout is None
    assert params.target_session_attrs == "any"
    assert params.load_balance_hosts == "disable"
    assert params.application_name is None
    assert params.options is None
    assert params.server_settings == {}
    assert params.extra == {}
    assert params.passfile == os.path.join(os.environ["HOME"], ".pgpass")


def test_default_host_is_first_existing_socket_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    first, second = tmp_path / "run", tmp_path / "tmp"
    second.mkdir()
    monkeypatch.setattr(conninfo, "DEFAULT_SOCKET_DIRS", (str(first), str(second)))
    params = make_params()
    assert params.hosts == [HostSpec(str(second), 5432)]
    assert params.hosts[0].is_unix
    first.mkdir()
    assert make_params().hosts == [HostSpec(str(first), 5432)]


@pytest.mark.parametrize("dsn", ["host=''", "host='' port=''", "user='' dbname=''"])
def test_empty_values_mean_default(dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "envhost")
    monkeypatch.setenv("PGUSER", "envuser")
    params = make_params(dsn)
    # An empty value is still "given": it hides the environment, then defaults.
    if "host" in dsn:
        assert params.hosts == [HostSpec("localhost", 5432)]
    else:
        assert params.user == "osuser"
        assert params.dbname == "osuser"


def test_os_user_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> str:
        raise OSError("no user")

    monkeypatch.setattr(getpass, "getuser", fail)
    with pytest.raises(ProgrammingError, match="user="):
        make_params()
    assert make_params(user="u").user == "u"


def test_dbname_defaults_to_resolved_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGUSER", "envuser")
    assert make_params().dbname == "envuser"
    assert make_params(user="kw").dbname == "kw"


# --------------------------------------------------------------------------
# make_params: precedence


def test_precedence_kwargs_over_dsn_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "envhost")
    monkeypatch.setenv("PGPORT", "1111")
    monkeypatch.setenv("PGUSER", "envuser")
    monkeypatch.setenv("PGDATABASE", "envdb")
    params = make_params("host=dsnhost user=dsnuser", user="kwuser")
    assert params.hosts == [HostSpec("dsnhost", 1111)]
    assert params.user == "kwuser"
    assert params.dbname == "envdb"


def test_none_kwargs_mean_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "envhost")
    params = make_params("user=u", host=None, user=None, password=None)
    assert params.hosts[0].host == "envhost"
    assert params.user == "u"
    assert params.password is None


def test_database_alias() -> None:
    assert make_params(database="d").dbname == "d"
    assert make_params("dbname=x", database="d").dbname == "d"
    with pytest.raises(ProgrammingError, match="not both"):
        make_params(database="d", dbname="e")


@pytest.mark.parametrize(
    ("envvar", "value", "getter", "expected"),
    [
        ("PGHOST", "envhost", lambda p: p.hosts[0].host, "envhost"),
        ("PGHOSTADDR", "10.0.0.1", lambda p: p.hosts[0].hostaddr, "10.0.0.1"),
        ("PGPORT", "6543", lambda p: p.hosts[0].port, 6543),
        ("PGUSER", "envuser", lambda p: p.user, "envuser"),
        ("PGPASSWORD", "envpw", lambda p: p.password, "envpw"),
        ("PGDATABASE", "envdb", lambda p: p.dbname, "envdb"),
        ("PGSSLMODE", "require", lambda p: p.sslmode, "require"),
        ("PGCONNECT_TIMEOUT", "10", lambda p: p.connect_timeout, 10.0),
        ("PGAPPNAME", "app", lambda p: p.application_name, "app"),
        ("PGAPPNAME", "app", lambda p: p.server_settings["application_name"], "app"),
        ("PGPASSFILE", "/x/pgpass", lambda p: p.passfile, "/x/pgpass"),
        ("PGOPTIONS", "-c geqo=off", lambda p: p.options, "-c geqo=off"),
        ("PGOPTIONS", "-c geqo=off", lambda p: p.server_settings["options"], "-c geqo=off"),
        ("PGTARGETSESSIONATTRS", "read-write", lambda p: p.target_session_attrs, "read-write"),
        ("PGLOADBALANCEHOSTS", "random", lambda p: p.load_balance_hosts, "random"),
        ("PGCLIENTENCODING", "LATIN1", lambda p: p.server_settings["client_encoding"], "LATIN1"),
        ("PGDATESTYLE", "ISO, DMY", lambda p: p.server_settings["datestyle"], "ISO, DMY"),
        ("PGTZ", "Europe/Paris", lambda p: p.server_settings["timezone"], "Europe/Paris"),
        ("PGGEQO", "off", lambda p: p.server_settings["geqo"], "off"),
        ("PGSSLCERT", "/c.crt", lambda p: p.extra["sslcert"], "/c.crt"),
        ("PGSSLKEY", "/c.key", lambda p: p.extra["sslkey"], "/c.key"),
        ("PGSSLROOTCERT", "/root.crt", lambda p: p.extra["sslrootcert"], "/root.crt"),
        ("PGCHANNELBINDING", "require", lambda p: p.extra["channel_binding"], "require"),
        ("PGGSSENCMODE", "disable", lambda p: p.extra["gssencmode"], "disable"),
        ("PGREQUIREAUTH", "scram-sha-256", lambda p: p.extra["require_auth"], "scram-sha-256"),
    ],
)
def test_environment_variables(
    monkeypatch: pytest.MonkeyPatch, envvar: str, value: str, getter: object, expected: object
) -> None:
    monkeypatch.setenv(envvar, value)
    params = make_params()
    assert callable(getter)
    assert getter(params) == expected


def test_environment_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_params().user == "osuser"
    monkeypatch.setenv("PGUSER", "later")
    assert make_params().user == "later"


@pytest.mark.parametrize("value", ["default", "DEFAULT", ""])
def test_env_startup_settings_default_is_not_sent(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PGTZ", value)
    monkeypatch.setenv("PGDATESTYLE", value)
    assert make_params().server_settings == {}


def test_env_does_not_override_explicit_sslmode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    assert make_params("sslmode=disable").sslmode == "disable"
    assert make_params(sslmode="allow").sslmode == "allow"


# --------------------------------------------------------------------------
# make_params: hosts and ports


def test_multi_host_with_one_port_each() -> None:
    params = make_params("host=h1,h2,/tmp port=5432,5433,5434")
    assert params.hosts == [HostSpec("h1", 5432), HostSpec("h2", 5433), HostSpec("/tmp", 5434)]
    assert [h.is_unix for h in params.hosts] == [False, False, True]


def test_multi_host_single_port_applies_to_all() -> None:
    params = make_params(host="h1,h2", port=6000)
    assert params.hosts == [HostSpec("h1", 6000), HostSpec("h2", 6000)]


def test_multi_host_uri_preserves_order() -> None:
    params = make_params("postgresql://b:1,a:2,[::1]:3/db")
    assert [(h.host, h.port) for h in params.hosts] == [("b", 1), ("a", 2), ("::1", 3)]
    assert params.dbname == "db"


def test_multi_host_uri_without_ports_uses_pgport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPORT", "7000")
    params = make_params("postgresql://h1,h2/db")
    assert [h.port for h in params.hosts] == [7000, 7000]


def test_empty_host_entry_gets_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    sock = tmp_path / "sock"
    sock.mkdir()
    monkeypatch.setattr(conninfo, "DEFAULT_SOCKET_DIRS", (str(sock),))
    params = make_params("host=,h2 port=1,")
    assert params.hosts == [HostSpec(str(sock), 1), HostSpec("h2", 5432)]


def test_port_count_mismatch() -> None:
    with pytest.raises(ProgrammingError, match="could not match 3 port numbers to 2 hosts"):
        make_params("host=h1,h2 port=1,2,3")


def test_hostaddr() -> None:
    params = make_params("host=db.example.com,h2 hostaddr=192.0.2.1,::1 port=5432")
    assert params.hosts == [
        HostSpec("db.example.com", 5432, "192.0.2.1"),
        HostSpec("h2", 5432, "::1"),
    ]
    alone = make_params(hostaddr="192.0.2.7,", host="/tmp,/tmp")
    assert alone.hosts[0] == HostSpec("/tmp", 5432, "192.0.2.7")
    assert not alone.hosts[0].is_unix
    assert alone.hosts[1] == HostSpec("/tmp", 5432, None)
    assert alone.hosts[1].is_unix


def test_hostaddr_without_host() -> None:
    params = make_params(hostaddr="192.0.2.1,192.0.2.2", port="1,2")
    assert params.hosts == [HostSpec("", 1, "192.0.2.1"), HostSpec("", 2, "192.0.2.2")]


def test_hostaddr_errors() -> None:
    with pytest.raises(ProgrammingError, match="could not match 1 host names to 2 hostaddr"):
        make_params(host="h", hostaddr="192.0.2.1,192.0.2.2")
    with pytest.raises(ProgrammingError, match="could not parse network address"):
        make_params(hostaddr="not-an-ip")
    with pytest.raises(ProgrammingError, match='could not parse network address "fe80::1%"'):
        make_params(hostaddr="fe80::1%")
    assert make_params(hostaddr="fe80::1%eth0").hosts == [HostSpec("", 5432, "fe80::1%eth0")]


def _address_texts() -> st.SearchStrategy[str]:
    """Numeric addresses, with or without a zone, and near misses of them."""
    addresses = st.ip_addresses().map(str)
    zoned = st.tuples(st.ip_addresses(v=6).map(str), st.text("ab0%/", max_size=3)).map("%".join)
    near = st.text(alphabet="0123456789abcdefABCDEF:.%/ x\x00", max_size=45)
    return addresses | zoned | near


@given(_address_texts())
def test_numeric_hosts_are_told_apart_as_ipaddress_tells_them(text: str) -> None:
    # The socket module's parser stands in for ipaddress (not imported by pgwire).
    try:
        ipaddress.ip_address(text)
        expected = True
    except ValueError:
        expected = False
    assert conninfo._is_ip_address(text) is expected


@pytest.mark.parametrize(
    ("port", "expected"),
    [("5433", 5433), (" 5433 ", 5433), ("+5433", 5433), ("", 5432), (1, 1), (65535, 65535)],
)
def test_valid_ports(port: object, expected: int) -> None:
    assert make_params(host="h", port=port).hosts[0].port == expected


@pytest.mark.parametrize("port", ["abc", "0", "65536", "-1", "5432x", "1.5", "٣"])
def test_invalid_ports(port: str) -> None:
    with pytest.raises(ProgrammingError, match="port"):
        make_params(host="h", port=port, password=SECRET)


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        ("10", 10.0),
        (" 10 ", 10.0),
        ("1", 2.0),
        ("0", None),
        ("-5", None),
        ("", None),
        ("2.5", 2.5),
        ("0.5", 2.0),
        (3, 3.0),
        (7.5, 7.5),
    ],
)
def test_connect_timeout(timeout: object, expected: float | None) -> None:
    assert make_params(connect_timeout=timeout).connect_timeout == expected


@pytest.mark.parametrize("timeout", ["abc", "inf", "nan", "1s", "1e"])
def test_invalid_connect_timeout(timeout: str) -> None:
    with pytest.raises(ProgrammingError, match="connect_timeout"):
        make_params(connect_timeout=timeout)


# --------------------------------------------------------------------------
# make_params: enumerations and other validations


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sslmode", "required"),
        ("sslmode", ""),
        ("target_session_attrs", "master"),
        ("load_balance_hosts", "yes"),
        ("channel_binding", "maybe"),
        ("gssencmode", "on"),
        ("sslcertmode", "x"),
        ("sslnegotiation", "tls"),
        ("ssl_min_protocol_version", "SSLv3"),
        ("keepalives_idle", "ten"),
    ],
)
def test_invalid_enumerated_values(key: str, value: str) -> None:
    with pytest.raises(ProgrammingError, match=key):
        make_params(**{key: value})


@pytest.mark.parametrize(
    "mode", ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
)
def test_valid_sslmodes(mode: str) -> None:
    assert make_params(sslmode=mode).sslmode == mode


@pytest.mark.parametrize(
    "attrs", ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"]
)
def test_valid_target_session_attrs(attrs: str) -> None:
    assert make_params(target_session_attrs=attrs).target_session_attrs == attrs


def test_sslrootcert_system_defaults_to_verify_full() -> None:
    params = make_params(sslrootcert="system")
    assert params.sslmode == "verify-full"
    assert params.extra["sslrootcert"] == "system"
    with pytest.raises(ProgrammingError, match="weak sslmode"):
        make_params(sslrootcert="system", sslmode="require")


def test_sslnegotiation_direct_needs_strong_sslmode() -> None:
    with pytest.raises(ProgrammingError, match="sslnegotiation=direct"):
        make_params(sslnegotiation="direct")
    assert make_params(sslnegotiation="direct", sslmode="require").extra == {
        "sslnegotiation": "direct"
    }


def test_tls_versions_are_case_insensitive() -> None:
    params = make_params(ssl_min_protocol_version="tlsv1.2", ssl_max_protocol_version="")
    assert params.extra["ssl_min_protocol_version"] == "tlsv1.2"


def test_unknown_keywords_are_all_named() -> None:
    with pytest.raises(ProgrammingError) as excinfo:
        make_params("foo=1 host=h", bar=2, autocommit=True)
    message = str(excinfo.value)
    for name in ("foo", "bar", "autocommit"):
        assert f'"{name}"' in message


def test_extra_keeps_recognised_keywords_verbatim() -> None:
    params = make_params(
        "sslcert=/c.crt keepalives=1",
        sslkey="/c.key",
        keepalives_idle=30,
        sslsni="0",
        krbsrvname="pg",
        service=None,
    )
    assert params.extra == {
        "sslcert": "/c.crt",
        "keepalives": "1",
        "sslkey": "/c.key",
        "keepalives_idle": "30",
        "sslsni": "0",
        "krbsrvname": "pg",
    }


def test_every_libpq_keyword_is_accepted() -> None:
    for key in KEYWORDS:
        assert key in parse_dsn(f"{key}=x")


def test_nul_rejected_in_values() -> None:
    with pytest.raises(ProgrammingError, match="NUL"):
        make_params(user="a\x00b")


# --------------------------------------------------------------------------
# make_params: startup parameters


def test_server_settings_order_and_content(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGTZ", "UTC")
    monkeypatch.setenv("PGDATESTYLE", "ISO")
    params = make_params(
        options="-c work_mem=1MB",
        application_name="app",
        client_encoding="UTF8",
        replication="database",
    )
    assert list(params.server_settings.items()) == [
        ("replication", "database"),
        ("options", "-c work_mem=1MB"),
        ("application_name", "app"),
        ("client_encoding", "UTF8"),
        ("datestyle", "ISO"),
        ("timezone", "UTC"),
    ]
    assert "user" not in params.server_settings
    assert "database" not in params.server_settings


def test_fallback_application_name(monkeypatch: pytest.MonkeyPatch) -> None:
    params = make_params(fallback_application_name="fb")
    assert params.application_name == "fb"
    assert params.server_settings == {"application_name": "fb"}
    assert make_params(fallback_application_name="fb", application_name="a").application_name == "a"
    monkeypatch.setenv("PGAPPNAME", "env")
    assert make_params(fallback_application_name="fb").application_name == "env"


def test_explicit_empty_application_name_suppresses_fallback() -> None:
    params = make_params(application_name="", fallback_application_name="fb")
    assert params.application_name is None
    assert "application_name" not in params.server_settings


def test_empty_options_not_sent() -> None:
    params = make_params(options="")
    assert params.options is None
    assert params.server_settings == {}


@pytest.mark.parametrize(
    ("locale_encoding", "expected"),
    [("UTF-8", "UTF8"), ("ISO-8859-1", "LATIN1"), ("cp1252", "WIN1252"), ("mbcs-unknown", None)],
)
def test_client_encoding_auto(
    monkeypatch: pytest.MonkeyPatch, locale_encoding: str, expected: str | None
) -> None:
    monkeypatch.setattr(
        locale, "getpreferredencoding", lambda do_setlocale: locale_encoding
    )
    params = make_params(client_encoding="auto")
    assert params.server_settings.get("client_encoding") == expected


# --------------------------------------------------------------------------
# HostSpec


def test_hostspec_socket_path() -> None:
    assert HostSpec("/var/run/postgresql", 5432).socket_path() == (
        "/var/run/postgresql/.s.PGSQL.5432"
    )
    assert HostSpec("/tmp/", 6000).socket_path() == "/tmp/.s.PGSQL.6000"
    assert HostSpec("/", 1).socket_path() == "/.s.PGSQL.1"
    abstract = HostSpec("@pg", 5432)
    assert abstract.is_unix
    assert abstract.socket_path() == "@pg/.s.PGSQL.5432"


def test_hostspec_tcp() -> None:
    spec = HostSpec("localhost", 5432)
    assert not spec.is_unix
    assert not HostSpec("::1", 5432).is_unix
    with pytest.raises(ProgrammingError):
        spec.socket_path()


def test_hostspec_is_frozen() -> None:
    spec = HostSpec("h", 1)
    with pytest.raises(AttributeError):
        spec.port = 2  # type: ignore[misc]


# --------------------------------------------------------------------------
# Secrets


def test_repr_masks_secrets() -> None:
    params = make_params(f"password={SECRET}", sslpassword=SECRET + "x", user="u")
    text = repr(params)
    assert SECRET not in text
    assert "password='***'" in text
    assert "'sslpassword': '***'" in text
    assert "user='u'" in text
    assert params.password == SECRET
    assert params.extra["sslpassword"] == SECRET + "x"
    assert "password=None" in repr(make_params())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"port": "nope"},
        {"sslmode": "bad"},
        {"connect_timeout": "x"},
        {"hostaddr": "bad"},
        {"foo": "1"},
        {"host": "a,b", "port": "1,2,3"},
    ],
)
def test_errors_never_show_the_password(kwargs: dict[str, str]) -> None:
    with pytest.raises(ProgrammingError) as excinfo:
        make_params(f"password='{SECRET}'", **kwargs)
    assert SECRET not in str(excinfo.value)
    assert SECRET not in repr(excinfo.value)


# --------------------------------------------------------------------------
# Service file


def test_service_file(clean_env: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".pg_service.conf").write_text(
        "# comment\n[other]\nhost=wrong\n\n[svc]\n  host=svchost  \nport=6000\nuser=svcuser\n"
        "[later]\nport=1\n"
    )
    monkeypatch.setenv("PGUSER", "envuser")
    monkeypatch.setenv("PGDATABASE", "envdb")
    params = make_params("service=svc", user="kwuser")
    # explicit > service > environment
    assert params.hosts == [HostSpec("svchost", 6000)]
    assert params.user == "kwuser"
    assert params.dbname == "envdb"
    assert "service" not in params.extra


def test_service_from_env_and_servicefile(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "services.conf"
    path.write_text("[s]\ndbname=fromfile\n")
    monkeypatch.setenv("PGSERVICE", "s")
    assert make_params(servicefile=str(path)).dbname == "fromfile"
    monkeypatch.setenv("PGSERVICEFILE", str(path))
    assert make_params().dbname == "fromfile"


def test_service_system_file(tmp_path: pathlib.Path) -> None:
    sysconf = tmp_path / "sysconf"
    sysconf.mkdir()
    (sysconf / "pg_service.conf").write_text("[sys]\nport=7777\n")
    assert make_params(service="sys", host="h").hosts == [HostSpec("h", 7777)]


def test_service_errors(clean_env: pathlib.Path) -> None:
    with pytest.raises(ProgrammingError, match='definition of service "nope" not found'):
        make_params(service="nope")
    (clean_env / ".pg_service.conf").write_text("[bad]\nnot a pair\n[nested]\nservice=x\n")
    with pytest.raises(ProgrammingError, match="syntax error in service file"):
        make_params(service="bad")
    with pytest.raises(ProgrammingError, match="nested"):
        make_params(service="nested")


# --------------------------------------------------------------------------
# Password file


PGPASS = r"""# host:port:db:user:password
first:5432:db:u:one
first:5432:db:u:shadowed
*:5432:db:wild:two
host\:with\:colons:5432:db:u:three
back\\slash:*:*:*:four
localhost:5432:db:u:local
/srv/sock:5432:db:u:sockpw
esc:*:*:*:pa\:ss\\w\rd
trailing:*:*:*:pw:extra:fields
short:5432:db
empty:*:*:*:
"""


@pytest.fixture
def pgpass(tmp_path: pathlib.Path) -> str:
    return write_private(tmp_path / "pgpass", PGPASS)


@pytest.mark.parametrize(
    ("host", "port", "dbname", "user", "expected"),
    [
        ("first", 5432, "db", "u", "one"),
        ("first", 5433, "db", "u", None),
        ("first", 5432, "db2", "u", None),
        ("first", 5432, "db", "u2", None),
        ("anything", 5432, "db", "wild", "two"),
        ("anything", 5433, "db", "wild", None),
        ("host:with:colons", 5432, "db", "u", "three"),
        ("back\\slash", 1, "x", "y", "four"),
        ("localhost", 5432, "db", "u", "local"),
        ("", 5432, "db", "u", "local"),
        ("/srv/sock", 5432, "db", "u", "sockpw"),
        ("esc", 1, "d", "u", "pa:ss\\wrd"),
        ("trailing", 1, "d", "u", "pw"),
        ("short", 5432, "db", "u", None),
        ("empty", 1, "d", "u", ""),
        ("nomatch", 5432, "db", "u", None),
        ("firs", 5432, "db", "u", None),
        ("firstx", 5432, "db", "u", None),
    ],
)
def test_read_pgpass_matching(
    pgpass: str, host: str, port: int, dbname: str, user: str, expected: str | None
) -> None:
    assert read_pgpass(pgpass, host, port, dbname, user) == expected


def test_read_pgpass_default_socket_dir_is_localhost(
    pgpass: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conninfo, "DEFAULT_SOCKET_DIRS", ("/var/run/postgresql", "/tmp"))
    assert read_pgpass(pgpass, "/var/run/postgresql", 5432, "db", "u") == "local"
    assert read_pgpass(pgpass, "/tmp/", 5432, "db", "u") == "local"
    # Any other socket directory is matched literally.
    assert read_pgpass(pgpass, "/srv/sock", 5432, "db", "u") == "sockpw"
    assert read_pgpass(pgpass, "/elsewhere", 5432, "db", "u") is None


def test_read_pgpass_wildcard_must_be_whole_field(tmp_path: pathlib.Path) -> None:
    path = write_private(tmp_path / "p", "h*:*:*:*:a\n\\*:*:*:*:b\n")
    assert read_pgpass(path, "hx", 1, "d", "u") is None
    assert read_pgpass(path, "h*", 1, "d", "u") == "a"
    assert read_pgpass(path, "*", 1, "d", "u") == "b"


def test_read_pgpass_crlf_and_non_ascii(tmp_path: pathlib.Path) -> None:
    path = write_private(tmp_path / "p", "h:*:*:*:pw1\r\nhé:*:*:ü:mot de passe€\r\n")
    assert read_pgpass(path, "h", 1, "d", "u") == "pw1"
    assert read_pgpass(path, "hé", 1, "d", "ü") == "mot de passe€"


def test_read_pgpass_comment_needs_hash_in_first_column(tmp_path: pathlib.Path) -> None:
    path = write_private(tmp_path / "p", "#h:*:*:*:commented\n #h:*:*:*:not-a-comment\n")
    assert read_pgpass(path, "h", 1, "d", "u") is None
    assert read_pgpass(path, "#h", 1, "d", "u") is None
    assert read_pgpass(path, " #h", 1, "d", "u") == "not-a-comment"


def test_read_pgpass_missing_file(tmp_path: pathlib.Path) -> None:
    assert read_pgpass(str(tmp_path / "absent"), "h", 1, "d", "u") is None
    assert read_pgpass("", "h", 1, "d", "u") is None


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission check")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o700 | 0o010])
def test_read_pgpass_insecure_permissions(tmp_path: pathlib.Path, mode: int) -> None:
    path = write_private(tmp_path / "p", "*:*:*:*:pw\n", mode)
    with pytest.warns(UserWarning, match="group or world access"):
        assert read_pgpass(path, "h", 1, "d", "u") is None


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission check")
@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_read_pgpass_private_permissions(tmp_path: pathlib.Path, mode: int) -> None:
    path = write_private(tmp_path / "p", "*:*:*:*:pw\n", mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_pgpass(path, "h", 1, "d", "u") == "pw"


@pytest.mark.skipif(os.name == "nt", reason="POSIX file type check")
def test_read_pgpass_not_a_regular_file(tmp_path: pathlib.Path) -> None:
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.warns(UserWarning, match="not a plain file"):
        assert read_pgpass(str(directory), "h", 1, "d", "u") is None


def test_password_for_uses_pgpass_per_host(clean_env: pathlib.Path) -> None:
    write_private(
        clean_env / ".pgpass",
        "h1:5432:db:u:pw1\nh2:5433:db:u:pw2\n192.0.2.9:5432:db:u:byaddr\n",
    )
    params = make_params("host=h1,h2,h3 port=5432,5433,5432 dbname=db user=u")
    assert [params.password_for(h) for h in params.hosts] == ["pw1", "pw2", None]
    assert repr(params).count("pw1") == 0
    addr_only = make_params(hostaddr="192.0.2.9", dbname="db", user="u")
    assert addr_only.password_for(addr_only.hosts[0]) == "byaddr"


def test_password_for_default_host_is_localhost(
    clean_env: pathlib.Path, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    sock = tmp_path / "sockdir"
    sock.mkdir()
    monkeypatch.setattr(conninfo, "DEFAULT_SOCKET_DIRS", (str(sock),))
    write_private(clean_env / ".pgpass", "localhost:5432:*:*:localpw\n")
    params = make_params()
    assert params.hosts[0].host == str(sock)
    assert params.password_for(params.hosts[0]) == "localpw"


def test_explicit_password_wins_over_pgpass(
    clean_env: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_private(clean_env / ".pgpass", "*:*:*:*:filepw\n")
    params = make_params(host="h", password="kwpw")
    assert params.password_for(params.hosts[0]) == "kwpw"
    monkeypatch.setenv("PGPASSWORD", "envpw")
    params = make_params(host="h")
    assert params.password_for(params.hosts[0]) == "envpw"
    # An empty password counts as none, so the file is consulted (libpq).
    params = make_params(host="h", password="")
    assert params.password_for(params.hosts[0]) == "filepw"


def test_passfile_keyword_and_env(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = write_private(tmp_path / "custom", "*:*:*:*:custompw\n")
    params = make_params(host="h", passfile=custom)
    assert params.passfile == custom
    assert params.password_for(params.hosts[0]) == "custompw"
    monkeypatch.setenv("PGPASSFILE", custom)
    params = make_params(host="h")
    assert params.password_for(params.hosts[0]) == "custompw"


def test_connect_params_has_the_contract_fields() -> None:
    params = make_params(host="h")
    assert isinstance(params, ConnectParams)
    expected = {
        "hosts",
        "user",
        "dbname",
        "password",
        "passfile",
        "connect_timeout",
        "sslmode",
        "application_name",
        "options",
        "target_session_attrs",
        "load_balance_hosts",
        "server_settings",
        "extra",
    }
    assert set(ConnectParams.__slots__) == expected
    assert all(hasattr(params, name) for name in expected)
