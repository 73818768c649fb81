"""Types defined in the database: TypeInfo, composites, records, enums, hstore,
multiranges, domains and custom ranges, against a real server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgwire
from pgwire import errors, sql
from pgwire.errors import DataError, ProgrammingError
from pgwire.types import (
    AdaptContext,
    CompositeInfo,
    DomainInfo,
    EnumInfo,
    Format,
    Multirange,
    MultirangeInfo,
    Range,
    RangeInfo,
    Transformer,
    TypeInfo,
    TypesRegistry,
    default_registry,
    oids,
    register_composite,
    register_enum,
    register_hstore,
    register_multirange,
    register_range,
    registry_of,
)
from pgwire.types.composite import parse_record
from pgwire.types.typeinfo import fetch_query, info_from_rows

S = "pgwire_custom"  # the schema holding this module's types
QS = '"Pgwire Quoted"'  # a schema whose name needs quoting
# What a text value can hold: no NUL, no lone surrogate.
CHARS = st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])

SETUP = f"""
DROP SCHEMA IF EXISTS {S} CASCADE;
DROP SCHEMA IF EXISTS {QS} CASCADE;
CREATE SCHEMA {S};
CREATE SCHEMA {QS};
CREATE TYPE {S}.mood AS ENUM ('sad', 'ok', 'happy', 'in progress', 'say "hi"', 'a,b', 'NULL', '');
CREATE DOMAIN {S}.pos AS int CHECK (VALUE > 0);
CREATE DOMAIN {S}.pos2 AS {S}.pos;
CREATE DOMAIN {S}.dates AS daterange;
CREATE DOMAIN {S}.ints AS int[];
CREATE TYPE {S}.card AS (
    value int, suit text, n numeric, flag bool, tags text[], p {S}.pos, m {S}.mood);
CREATE TYPE {S}.hand AS (owner text, cards {S}.card[], top {S}.card);
CREATE TYPE {S}.pair AS (a text, b text);
CREATE TYPE {S}.single AS (x int);
CREATE TYPE {S}.nofields AS ();
CREATE TYPE {S}.floatrange AS RANGE (subtype = float8);
CREATE TYPE {S}.accent AS ENUM ('é', 'a');
CREATE TYPE {QS}."My Type" AS ("my field" int, "class" text, "1st" text);
CREATE TABLE {S}.cards (id serial PRIMARY KEY, c {S}.card);
"""


@pytest.fixture(scope="module")
def types_dsn(dsn: str) -> Iterator[str]:
    """The server with this module's types created (and dropped at the end)."""
    with pgwire.connect(dsn, autocommit=True) as setup:
        setup.execute(SETUP)
        try:
            yield dsn
        finally:
            setup.execute(f"DROP SCHEMA {S} CASCADE; DROP SCHEMA {QS} CASCADE")


@pytest.fixture
def tconn(types_dsn: str) -> Iterator[Any]:
    """An autocommit connection to the server holding this module's types."""
    conn = pgwire.connect(types_dsn, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def fetch(conn: Any, name: Any) -> TypeInfo:
    info = TypeInfo.fetch(conn, name)
    assert info is not None, name
    return info


def q(query: str, binary: bool) -> str:
    """`query` with its ``%s`` placeholders asking for binary parameters if `binary`."""
    return query.replace("%s", "%b") if binary else query


def one(conn: Any, query: str, params: Any = None, binary: bool = False) -> Any:
    """The value (or the values) of the one row of `query`.

    With `binary` both the parameters and the results go in binary format
    (a parameter without a binary dumper still goes in text).
    """
    row = conn.execute(q(query, binary), params, binary=binary).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def regtype_oid(conn: Any, name: str) -> int:
    return int(one(conn, "SELECT %s::regtype::oid", [name]))


# -- TypeInfo.fetch ---------------------------------------------------------------------------


def test_fetch_each_kind(tconn: Any) -> None:
    card = fetch(tconn, f"{S}.card")
    assert type(card) is CompositeInfo
    assert card.typtype == "c"
    assert card.name == "card"
    assert card.regtype == f"{S}.card"
    assert card.oid == regtype_oid(tconn, f"{S}.card")
    assert card.array_oid == regtype_oid(tconn, f"{S}.card[]")
    assert card.field_names == ["value", "suit", "n", "flag", "tags", "p", "m"]
    pos, mood = regtype_oid(tconn, f"{S}.pos"), regtype_oid(tconn, f"{S}.mood")
    declared = [oids.INT4_OID, oids.TEXT_OID, oids.NUMERIC_OID, oids.BOOL_OID]
    declared += [oids.TEXT_ARRAY_OID, pos, mood]
    assert card.field_types == declared
    # Domains are replaced by their base type, for loading.
    assert card.field_base_types == declared[:5] + [oids.INT4_OID, mood]

    mood_info = fetch(tconn, f"{S}.mood")
    assert type(mood_info) is EnumInfo
    assert mood_info.labels == ["sad", "ok", "happy", "in progress", 'say "hi"', "a,b", "NULL", ""]

    pos2 = fetch(tconn, f"{S}.pos2")
    assert type(pos2) is DomainInfo
    assert pos2.base_oid == oids.INT4_OID  # through the domain it is declared over
    assert fetch(tconn, f"{S}.dates").base_oid == oids.DATERANGE_OID

    fr = fetch(tconn, f"{S}.floatrange")
    assert type(fr) is RangeInfo
    assert fr.subtype_oid == oids.FLOAT8_OID
    if tconn.info.server_version >= 140000:
        assert fr.multirange_oid == regtype_oid(tconn, f"{S}.floatmultirange")
        assert fr.multirange_array_oid == regtype_oid(tconn, f"{S}.floatmultirange[]")
        fmr = fetch(tconn, f"{S}.floatmultirange")
        assert type(fmr) is MultirangeInfo
        assert (fmr.range_oid, fmr.subtype_oid) == (fr.oid, oids.FLOAT8_OID)
        assert fmr.array_oid == fr.multirange_array_oid

    builtin = fetch(tconn, "integer")
    assert type(builtin) is TypeInfo
    assert (builtin.name, builtin.oid, builtin.array_oid) == ("int4", 23, 1007)
    assert (builtin.regtype, builtin.delimiter, builtin.typtype) == ("integer", ",", "b")
    assert fetch(tconn, "box").delimiter == ";"
    arr = fetch(tconn, "int4[]")
    assert (arr.oid, arr.element_oid, arr.array_oid) == (1007, 23, 0)
    assert fetch(tconn, "record").typtype == "p"


def test_fetch_names_quoting_oid_and_missing(tconn: Any) -> None:
    mine = fetch(tconn, f'{QS}."My Type"')
    assert mine.name == "My Type"
    assert mine.regtype == f'{QS}."My Type"'
    assert mine.field_names == ["my field", "class", "1st"]
    # The same type by OID and by composable identifier.
    assert fetch(tconn, mine.oid).regtype == mine.regtype
    assert fetch(tconn, sql.Identifier("Pgwire Quoted", "My Type")).oid == mine.oid
    # Case matters inside quotes; unknown names and schemas give None.
    assert TypeInfo.fetch(tconn, '"pgwire quoted"."my type"') is None
    assert TypeInfo.fetch(tconn, f'{QS}."My type"') is None
    assert TypeInfo.fetch(tconn, "no_such_type") is None
    assert TypeInfo.fetch(tconn, "no_such_schema.card") is None
    assert TypeInfo.fetch(tconn, 4000000000) is None
    with pytest.raises(TypeError):
        TypeInfo.fetch(tconn, 1.5)


def test_fetch_on_a_cursor(tconn: Any) -> None:
    with tconn.cursor() as cur:
        assert fetch(cur, f"{S}.mood").labels[0] == "sad"


def test_subclass_fetch_checks_kind(tconn: Any) -> None:
    info = EnumInfo.fetch(tconn, f"{S}.mood")
    assert type(info) is EnumInfo
    assert CompositeInfo.fetch(tconn, "no_such_type") is None
    with pytest.raises(ProgrammingError, match="enum type, not a composite"):
        CompositeInfo.fetch(tconn, f"{S}.mood")
    with pytest.raises(ProgrammingError, match="base type, not a range"):
        RangeInfo.fetch(tconn, "int4")


def test_fetch_leaves_the_transaction_as_found(types_dsn: str) -> None:
    with pgwire.connect(types_dsn) as conn:
        assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
        fetch(conn, f"{S}.card")
        # No transaction left open behind the caller's back.
        assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
        conn.execute("CREATE TEMP TABLE t (a int)")
        conn.execute("INSERT INTO t VALUES (1)")
        fetch(conn, f"{S}.card")
        assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
        # A name the server cannot even parse: an error (or None on servers
        # that do not raise), and the transaction survives either way.
        try:
            assert TypeInfo.fetch(conn, "a.b.c.d") is None
        except errors.Error:
            pass
        assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
        assert one(conn, "SELECT count(*) FROM t") == 1


def test_fetch_async(types_dsn: str) -> None:
    async def main() -> None:
        aconn = await pgwire.AsyncConnection.connect(types_dsn)
        try:
            info = await TypeInfo.fetch(aconn, f"{S}.card")
            assert isinstance(info, CompositeInfo)
            assert info.field_names[:2] == ["value", "suit"]
            assert await TypeInfo.fetch(aconn, "no_such_type") is None
            assert aconn.info.transaction_status == pgwire.TransactionStatus.IDLE
            mood = await EnumInfo.fetch(aconn, f"{S}.mood")
            register_enum(mood, aconn)
            register_composite(info, aconn)
            cur = await aconn.execute(
                f"SELECT (1, 'a', 1.5, true, '{{x}}', 3, 'ok')::{S}.card, %s", [mood.enum.happy]
            )
            row = await cur.fetchone()
            assert row == (
                info.python_type(1, "a", Decimal("1.5"), True, ["x"], 3, mood.enum.ok),
                mood.enum.happy,
            )
        finally:
            await aconn.close()

    asyncio.run(asyncio.wait_for(main(), 60))


def test_query_builder_and_rows(tconn: Any) -> None:
    # Servers before 14 have no multiranges: the query must not mention them.
    old = fetch_query(130000)
    assert "rngmultitypid" not in old
    assert "rngmultitypid" in fetch_query(150000)
    assert "int8" in fetch_query(150000, by_oid=True)
    # The old query runs on a newer server too (and finds no multirange).
    rows = tconn.execute(old, [f"{S}.floatrange"]).fetchall()
    info = info_from_rows(rows)
    assert isinstance(info, RangeInfo)
    assert (info.subtype_oid, info.multirange_oid) == (oids.FLOAT8_OID, 0)
    assert info_from_rows([]) is None


def test_registry_of() -> None:
    reg = TypesRegistry(default_registry)
    ctx = AdaptContext(reg)
    assert registry_of(reg) is reg
    assert registry_of(ctx) is reg
    assert registry_of(Transformer(ctx)) is reg
    assert registry_of(None) is default_registry
    with pytest.raises(TypeError, match="object"):
        registry_of(object())


# -- composites -------------------------------------------------------------------------------

CARD_SQL = f"(7, 'a b', 1.50, true, ARRAY['x', NULL, 'y,z'], 3, 'in progress')::{S}.card"


@pytest.fixture
def mood(tconn: Any) -> TypeInfo:
    """mood registered on `tconn` with an enum made for it (``mood.enum``)."""
    info = fetch(tconn, f"{S}.mood")
    register_enum(info, tconn)
    return info


@pytest.fixture
def card(tconn: Any, mood: TypeInfo) -> TypeInfo:
    """card registered on `tconn` (with its enum field's enum)."""
    info = fetch(tconn, f"{S}.card")
    register_composite(info, tconn)
    return info


def mood_of(conn: Any) -> Any:
    return fetch(conn, f"{S}.mood")


@pytest.mark.parametrize("binary", [False, True])
def test_composite_unregistered_loads_as_text(tconn: Any, binary: bool) -> None:
    v = one(tconn, f"SELECT {CARD_SQL}", binary=binary)
    if binary:
        assert isinstance(v, bytes)
    else:
        assert v == '(7,"a b",1.50,t,"{x,NULL,""y,z""}",3,"in progress")'


@pytest.mark.parametrize("binary", [False, True])
def test_composite_load(tconn: Any, card: TypeInfo, mood: TypeInfo, binary: bool) -> None:
    Card, M = card.python_type, mood.enum
    expected = Card(7, "a b", Decimal("1.50"), True, ["x", None, "y,z"], 3, M("in progress"))
    row = tconn.execute(
        f"SELECT {CARD_SQL}, NULL::{S}.card, (NULL, NULL, NULL, NULL, NULL, NULL, NULL)::{S}.card,"
        f" ARRAY[{CARD_SQL}, NULL], (0, '', NULL, NULL, '{{}}', NULL, '')::{S}.card",
        binary=binary,
    ).fetchone()
    assert row[0] == expected
    assert type(row[0]) is Card
    assert row[0].suit == "a b" and row[0].m is M("in progress")
    assert row[1] is None
    assert row[2] == Card(*[None] * 7)
    assert row[3] == [expected, None]
    assert row[4] == Card(0, "", None, None, [], None, M(""))


@pytest.mark.parametrize("binary", [False, True])
def test_composite_nested(tconn: Any, card: TypeInfo, mood: TypeInfo, binary: bool) -> None:
    hand = fetch(tconn, f"{S}.hand")
    register_composite(hand, tconn)
    Card, Hand = card.python_type, hand.python_type
    c1 = Card(1, "x", None, False, None, 2, mood.enum('say "hi"'))
    c2 = Card(2, "(y)", Decimal(0), True, ["\\"], None, None)
    h = Hand('own"er', [c1, None, c2], c1)
    got = one(tconn, f"SELECT %s::{S}.hand", [h], binary=binary)
    assert got == h
    assert type(got.cards[0]) is Card
    # The server agrees on the parts.
    assert one(tconn, "SELECT ((%s).top).m::text, ((%s).cards[3]).tags[1]", [h, h]) == (
        'say "hi"',
        "\\",
    )


@pytest.mark.parametrize("fmt", [Format.TEXT, Format.BINARY, None])
def test_composite_dump(tconn: Any, card: TypeInfo, mood: TypeInfo, fmt: Format | None) -> None:
    Card = card.python_type
    v = Card(-5, 'a,"b"\\(c)', Decimal("-1.25"), False, ["p q", None, ""], 9, mood.enum("a,b"))
    t = Transformer(tconn.adapt_context)
    (oid,), (sent_fmt,), _ = t.dump_params([v], [fmt])
    assert oid == card.oid
    assert sent_fmt == (fmt if fmt is not None else Format.TEXT)
    ph = {Format.TEXT: "%t", Format.BINARY: "%b", None: "%s"}[fmt]
    query = "SELECT %s, (%s).value, (%s).suit, (%s).tags, (%s).m::text, pg_typeof(%s)::text"
    row = tconn.execute(query.replace("%s", ph), [v] * 6, binary=fmt == Format.BINARY).fetchone()
    assert row == (v, -5, 'a,"b"\\(c)', ["p q", None, ""], "a,b", f"{S}.card")
    # Lists of them dump as the array type.
    assert one(tconn, "SELECT pg_typeof(%s)::text, %s", [[v, None], [v, None]]) == (
        f"{S}.card[]",
        [v, None],
    )


def test_composite_binary_falls_back_to_text(tconn: Any, card: TypeInfo) -> None:
    Card = card.python_type
    t = Transformer(tconn.adapt_context)
    # Ints are sent at the field's width; a float has no binary numeric form.
    exact = Card(1, "s", Decimal(1), True, None, 2**20, None)
    assert t.dump_params([exact], [Format.BINARY])[1] == [Format.BINARY]
    loose = Card(1, "s", 1.5, True, None, 1, None)
    assert t.dump_params([loose], [Format.BINARY])[1] == [Format.TEXT]
    assert one(tconn, "SELECT (%s).n", [loose], binary=True) == Decimal("1.5")
    # A value out of the field's range goes in text too, and the server says no.
    big = Card(2**40, "s", None, None, None, None, None)
    assert t.dump_params([big], [Format.BINARY])[1] == [Format.TEXT]
    with pytest.raises(errors.NumericValueOutOfRange):
        tconn.execute("SELECT %b", [big], binary=True)


def test_composite_domain_check_applies(tconn: Any, card: TypeInfo) -> None:
    bad = card.python_type(1, "s", None, None, None, 0, None)
    for binary in (False, True):
        with pytest.raises(errors.CheckViolation):
            tconn.execute(q("SELECT %s", binary), [bad], binary=binary)


def test_composite_wrong_values(tconn: Any, card: TypeInfo) -> None:
    short = tuple.__new__(card.python_type, (1, 2))  # a namedtuple cut short
    with pytest.raises(DataError, match="7 fields, got 2"):
        tconn.execute("SELECT %s", [short])
    t = Transformer(tconn.adapt_context)
    for fmt in (Format.TEXT, Format.BINARY):
        with pytest.raises(DataError, match="7 fields"):
            t.dump_params([short], [fmt])


QUOTING_EDGES = [
    "",
    " ",
    "  lead and trail  ",
    ",",
    '"',
    '""',
    "\\",
    "\\\\",
    "(",
    ")",
    "()",
    "NULL",
    "null",
    'a"b\\c,(d)',
    "tab\there",
    "line\nbreak",
    "é ü 中",
    "{}",
    "{a,b}",
]


@pytest.mark.parametrize("binary", [False, True])
def test_composite_quoting_edges(tconn: Any, binary: bool) -> None:
    info = fetch(tconn, f"{S}.pair")
    register_composite(info, tconn)
    Pair = info.python_type
    values = [Pair(a, b) for a in QUOTING_EDGES + [None] for b in ("x", None, "")]
    cur = tconn.cursor()
    for ph in ("%t", "%b"):
        assert cur.execute(f"SELECT {ph}", [values], binary=binary).fetchone()[0] == values
    # NULL and empty string stay apart on the server's side.
    assert cur.execute(
        "SELECT (%s).a IS NULL, (%s).a = '', (%s).b IS NULL",
        [Pair(None, ""), Pair("", None), Pair(None, None)],
    ).fetchone() == (True, True, True)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    a=st.none() | st.text(CHARS, max_size=12),
    tags=st.none() | st.lists(st.none() | st.text(CHARS, max_size=6)),
    binary=st.booleans(),
)
def test_composite_roundtrip_hypothesis(
    tconn: Any, card: TypeInfo, a: str | None, tags: list[str | None] | None, binary: bool
) -> None:
    v = card.python_type(1, a, None, None, tags, None, None)
    got = one(tconn, "SELECT %s, (%s).suit, (%s).tags", [v, v, v], binary=binary)
    assert got == (v, a, tags)


def test_composite_factory_function_and_dataclass(tconn: Any) -> None:
    info = fetch(tconn, f"{S}.pair")
    register_composite(info, tconn, lambda a, b: {"a": a, "b": b})
    assert one(tconn, f"SELECT ('x', NULL)::{S}.pair") == {"a": "x", "b": None}
    # A function gives no dumper: a dict would dump as jsonb, not as pair.
    assert one(tconn, "SELECT pg_typeof(%s)::text", [{"a": "x"}]) == "jsonb"

    @dataclasses.dataclass
    class PairObj:
        a: str | None
        b: str | None

    # Not a sequence: as in psycopg, warned about, and refused when dumped.
    register_composite(info, tconn, PairObj)
    assert info.python_type is PairObj
    with pytest.raises(TypeError, match="PairObj.*make_sequence.*register_composite"):
        one(tconn, "SELECT %s", [PairObj("p, q", None)])
    # make_sequence says which values go in which field.
    register_composite(info, tconn, PairObj, make_sequence=lambda obj, info: [obj.a, obj.b])
    for binary in (False, True):
        v = one(tconn, "SELECT %s", [PairObj("p, q", None)], binary=binary)
        assert v == PairObj("p, q", None)
        assert one(tconn, "SELECT (%s).a", [PairObj("p, q", None)], binary=binary) == "p, q"


def test_composite_names_made_identifiers(tconn: Any) -> None:
    info = fetch(tconn, f'{QS}."My Type"')
    register_composite(info, tconn)
    T = info.python_type
    assert T.__name__ == "My_Type"
    assert T._fields == ("my_field", "class_", "f1st")
    v = one(tconn, f"""SELECT (1, 'c', '1')::{QS}."My Type" """)
    assert (v.my_field, v.class_, v.f1st) == (1, "c", "1")
    assert one(tconn, "SELECT %s", [v], binary=True) == v


def test_composite_one_field_and_no_field(tconn: Any) -> None:
    single = fetch(tconn, f"{S}.single")
    nofields = fetch(tconn, f"{S}.nofields")
    register_composite(single, tconn)
    register_composite(nofields, tconn)
    S1, N0 = single.python_type, nofields.python_type
    for binary in (False, True):
        # "()" is one NULL field for single, no field for nofields.
        assert one(tconn, f"SELECT ROW(NULL)::{S}.single", binary=binary) == S1(None)
        assert one(tconn, f"SELECT ROW(5)::{S}.single", binary=binary) == S1(5)
        assert one(tconn, f"SELECT ROW()::{S}.nofields", binary=binary) == N0()
        assert one(tconn, "SELECT %s", [S1(None)], binary=binary) == S1(None)


def test_composite_changed_type_is_reported(tconn: Any) -> None:
    # An info claiming fewer fields than the server sends.
    card = fetch(tconn, f"{S}.card")
    stale = CompositeInfo(
        "card", card.oid, card.array_oid, field_names=["value"], field_types=[oids.INT4_OID]
    )
    register_composite(stale, tconn)
    for binary in (False, True):
        cur = tconn.execute(f"SELECT {CARD_SQL}", binary=binary)
        with pytest.raises(DataError, match="has 1 fields, got 7"):
            cur.fetchone()


def test_register_composite_checks_info(tconn: Any) -> None:
    with pytest.raises(TypeError, match="not a composite"):
        register_composite(fetch(tconn, "int4"), tconn)
    with pytest.raises(TypeError, match="no type info"):
        register_composite(None, tconn)  # type: ignore[arg-type]


def test_register_contexts(tconn: Any, types_dsn: str) -> None:
    info = fetch(tconn, f"{S}.pair")
    query = f"SELECT ('a', 'b')::{S}.pair"
    # A cursor, an AdaptContext and a TypesRegistry all find the registry.
    with tconn.cursor() as cur:
        register_composite(info, cur)
        assert cur.execute(query).fetchone()[0] == ("a", "b")
    register_composite(info, tconn.adapt_context, lambda a, b: [a, b])
    assert one(tconn, query) == ["a", "b"]
    reg = TypesRegistry(tconn.adapters)
    register_composite(info, reg, lambda a, b: a + b)
    t = Transformer(tconn.adapt_context, reg)
    assert t.get_loader(info.oid, Format.TEXT).load(b"(a,b)") == "ab"
    # Other connections are not affected.
    with pgwire.connect(types_dsn) as other:
        assert one(other, query) == "(a,b)"


# -- anonymous records ------------------------------------------------------------------------

RECORD_QUERIES = [
    "SELECT (1, 'a')",
    "SELECT ROW(1, 'x y', NULL, '', 'q\"x', 'back\\slash', '(p)', 'c,d', 'NULL')",
    "SELECT ROW()",
    "SELECT ROW(NULL)",
    "SELECT ROW(NULL, NULL)",
    "SELECT ARRAY[ROW(1, 2), NULL, ROW(3, NULL)]",
    "SELECT ROW(ROW(1, 'a b'), ARRAY[1, 2])",
    "SELECT ROW(1.5::numeric, now()::date > '2000-01-01', 'é'::text)",
]


@pytest.mark.parametrize("query", RECORD_QUERIES)
def test_records_match_psycopg(tconn: Any, types_dsn: str, query: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(types_dsn, autocommit=True) as pconn:
        expected = pconn.execute(query).fetchone()
    assert tconn.execute(query).fetchone() == expected


def test_records_binary_load_typed(tconn: Any) -> None:
    assert tconn.execute(
        "SELECT ROW(1, 'x'::text, NULL, 1.5::numeric, ARRAY[1,2]), ROW(), ROW(NULL)", binary=True
    ).fetchone() == ((1, "x", None, Decimal("1.5"), [1, 2]), (), (None,))


def test_parse_record() -> None:
    assert parse_record(b"()") == []
    assert parse_record(b"(,)") == [None, None]
    assert parse_record(b'(1,"",,"a""b","c\\\\d",e\\,f)') == [
        b"1",
        b"",
        None,
        b'a"b',
        b"c\\d",
        b"e,f",
    ]
    assert parse_record(b'("a"b"c",x)') == [b"abc", b"x"]
    for bad in (b"", b"1,2", b"(1,2", b'("a,1)', b"(a\\)"):
        with pytest.raises(DataError):
            parse_record(bad)


def test_tuple_params(tconn: Any, card: TypeInfo, mood: TypeInfo) -> None:
    # A tuple goes as a record literal of unknown type: the context types it.
    assert one(tconn, "SELECT %s::text", [(1, "a b", None, "", '"', [1, 2])]) == (
        '(1,"a b",,"","""","{1,2}")'
    )
    row = (3, "s", Decimal("2"), None, ["t"], 4, mood.enum.ok)
    tconn.execute(f"INSERT INTO {S}.cards (c) VALUES (%s) RETURNING id", [row])
    got = one(tconn, f"SELECT c FROM {S}.cards WHERE (c).suit = 's'")
    assert got == card.python_type(*row)


# -- enums ------------------------------------------------------------------------------------

ENUM_SQL = f"SELECT 'ok'::{S}.mood, ARRAY['sad', NULL, 'a,b', 'say \"hi\"', '', 'NULL']::{S}.mood[]"


def test_enum_unregistered(tconn: Any) -> None:
    assert tconn.execute(ENUM_SQL).fetchone() == ("ok", '{sad,NULL,"a,b","say \\"hi\\"","","NULL"}')
    assert tconn.execute(ENUM_SQL, binary=True).fetchone()[0] == b"ok"
    # info.register: arrays as lists of what the enum loads as (as in psycopg:
    # str in text, the bytes in binary; register_enum chooses more).
    mood_of(tconn).register(tconn)
    labels = ["sad", None, "a,b", 'say "hi"', "", "NULL"]
    assert tconn.execute(ENUM_SQL).fetchone() == ("ok", labels)
    assert tconn.execute(ENUM_SQL, binary=True).fetchone() == (
        b"ok",
        [None if x is None else x.encode() for x in labels],
    )


class Plain(enum.Enum):
    sad = 1
    happy = 2


class Number(enum.IntEnum):
    ONE = 1


class Word(str, enum.Enum):
    OK = "ok"


def test_enum_python_unregistered_dumps(tconn: Any) -> None:
    t = Transformer(tconn.adapt_context)
    # A pure Enum by name, typed unknown, so the server can read it as an enum or text.
    assert t.dump_params([Plain.happy]) == ([0], [Format.TEXT], [b"happy"])
    assert t.dump_params([Plain.happy], [Format.BINARY])[0] == [0]
    assert one(tconn, f"SELECT %s::{S}.mood, %s", [Plain.happy, Plain.sad]) == ("happy", "sad")
    # Mixed-in enums dump as their mix-in type.
    assert t.dump_params([Number.ONE])[0] == [oids.INT2_OID]
    assert one(tconn, "SELECT %s + 1, %s", [Number.ONE, Word.OK]) == (2, "ok")
    assert one(tconn, f"SELECT %s::{S}.mood[]", [[Plain.sad, None, Plain.happy]]) == (
        "{sad,NULL,happy}"
    )


@pytest.mark.parametrize("binary", [False, True])
def test_enum_registered_default(tconn: Any, mood: TypeInfo, binary: bool) -> None:
    M = mood.enum
    assert [m.value for m in M] == mood.labels
    # Named after the labels, but where a label cannot name a member.
    assert M["in progress"] is M("in progress")
    assert M.label_7 is M("")
    assert tconn.execute(ENUM_SQL, binary=binary).fetchone() == (
        M.ok,
        [M.sad, None, M("a,b"), M('say "hi"'), M(""), M("NULL")],
    )
    members = [M(""), M("NULL"), M('say "hi"'), None, M("a,b")]
    got = one(
        tconn,
        "SELECT %s, %s, pg_typeof(%s)::text, pg_typeof(%s)::text",
        [M.happy, members, M.happy, members],
        binary=binary,
    )
    assert got == (M.happy, members, f"{S}.mood", f"{S}.mood[]")
    # The server reads the labels (NULL stays NULL, "NULL" stays a label).
    assert one(tconn, "SELECT array_to_string(%s, '|', '<null>')", [members]) == (
        '|NULL|say "hi"|<null>|a,b'
    )


class Feeling(enum.Enum):
    SAD = "s"
    FINE = "f"
    HAPPY = "h"


def test_enum_registered_with_mapping(tconn: Any) -> None:
    info = mood_of(tconn)
    register_enum(info, tconn, Feeling, mapping={Feeling.SAD: "sad", Feeling.FINE: "ok"})
    assert info.enum is Feeling
    assert one(tconn, f"SELECT 'ok'::{S}.mood, 'sad'::{S}.mood") == (Feeling.FINE, Feeling.SAD)
    assert one(tconn, f"SELECT 'ok'::{S}.mood", binary=True) == Feeling.FINE
    assert one(tconn, "SELECT %s::text, %s", [Feeling.FINE, [Feeling.SAD]]) == ("ok", [Feeling.SAD])
    # A label with no member; a member with no label.
    with pytest.raises(DataError, match="in progress"):
        tconn.execute(f"SELECT 'in progress'::{S}.mood").fetchone()
    with pytest.raises(errors.InvalidTextRepresentation):
        tconn.execute("SELECT %s", [Feeling.HAPPY])  # its name, HAPPY, is no label
    # Mapping as pairs works the same.
    register_enum(info, tconn, Feeling, mapping=[(Feeling.HAPPY, "happy")])
    assert one(tconn, "SELECT %s::text", [Feeling.HAPPY]) == "happy"


def test_register_enum_checks_info(tconn: Any) -> None:
    with pytest.raises(TypeError, match="not an enum"):
        register_enum(fetch(tconn, f"{S}.card"), tconn)


# -- hstore -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hstore_oid(types_dsn: str) -> int:
    """The hstore extension in the test database, or a skip if the server lacks it."""
    with pgwire.connect(types_dsn, autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS hstore")
        except (
            errors.UndefinedFile,
            errors.FeatureNotSupported,
            errors.InsufficientPrivilege,
            errors.UndefinedObject,
        ) as ex:
            pytest.skip(f"hstore not available on this server: {ex}")
        return int(one(conn, "SELECT 'hstore'::regtype::oid"))


@pytest.fixture
def hconn(tconn: Any, hstore_oid: int) -> Any:
    info = fetch(tconn, "hstore")
    assert info.oid == hstore_oid
    register_hstore(info, tconn)
    return tconn


HSTORE_EDGES: dict[str, str | None] = {
    "a": "1",
    "null": None,
    "NULL": "NULL",
    "": "",
    " sp ace ": " ",
    'q"uote': 'v"al',
    "back\\slash": "\\",
    "=>": ",",
    "é": "中",
    "multi\nline": "tab\t",
}


@pytest.mark.parametrize("binary", [False, True])
def test_hstore(hconn: Any, hstore_oid: int, binary: bool) -> None:
    row = hconn.execute(
        "SELECT 'a=>1, b=>NULL'::hstore, ''::hstore, NULL::hstore, ARRAY['x=>y'::hstore, NULL, '']",
        binary=binary,
    ).fetchone()
    assert row == ({"a": "1", "b": None}, {}, None, [{"x": "y"}, None, {}])
    t = Transformer(hconn.adapt_context)
    fmt = Format.BINARY if binary else Format.TEXT
    assert t.dump_params([HSTORE_EDGES], [fmt])[:2] == ([hstore_oid], [fmt])
    got = one(
        hconn,
        "SELECT %s, %s -> 'back\\slash', %s ? 'null', pg_typeof(%s)::text",
        [HSTORE_EDGES] * 4,
        binary=binary,
    )
    assert got == (HSTORE_EDGES, "\\", True, "hstore")
    assert one(hconn, "SELECT %s", [[HSTORE_EDGES, {}, None]], binary=binary) == [
        HSTORE_EDGES,
        {},
        None,
    ]


def test_hstore_only_where_registered(hconn: Any, types_dsn: str) -> None:
    with pgwire.connect(types_dsn) as other:
        assert one(other, "SELECT pg_typeof(%s)::text", [{"a": "1"}]) == "jsonb"
        assert one(other, "SELECT 'a=>1'::hstore") == '"a"=>"1"'
    with pytest.raises(DataError, match="str"):
        hconn.execute("SELECT %s", [{"a": 1}])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    d=st.dictionaries(
        st.text(CHARS, max_size=8),
        st.none() | st.text(CHARS, max_size=8),
        max_size=6,
    ),
    binary=st.booleans(),
)
def test_hstore_roundtrip_hypothesis(hconn: Any, d: dict[str, str | None], binary: bool) -> None:
    got = one(hconn, "SELECT %s, %s::text::hstore = %s, akeys(%s)", [d] * 4, binary=binary)
    assert got[0] == d
    assert got[1] is True
    assert sorted(got[2]) == sorted(d)


# -- multiranges ------------------------------------------------------------------------------

needs_multiranges = pytest.mark.usefixtures("multiranges")


@pytest.fixture
def multiranges(tconn: Any) -> None:
    if tconn.info.server_version < 140000:
        pytest.skip("multiranges need PostgreSQL 14")


D = dt.date
UTC = dt.timezone.utc


@needs_multiranges
@pytest.mark.parametrize("binary", [False, True])
def test_multirange_load_builtins(tconn: Any, binary: bool) -> None:
    tconn.execute("SET TimeZone TO 'UTC'")
    row = tconn.execute(
        "SELECT '{[1,3), [5,7]}'::int4multirange, '{(,10)}'::int8multirange, '{}'::int4multirange,"
        " '{[1.5,2.5], (3,)}'::nummultirange,"
        " '{[2020-01-01,2020-02-01), [2020-03-01,)}'::datemultirange,"
        ' \'{["2020-01-01 10:00","2020-01-02")}\'::tsmultirange,'
        " '{[\"2020-01-01 10:00+00\",)}'::tstzmultirange,"
        " NULL::int4multirange, ARRAY['{[1,2)}'::int4multirange, NULL, '{}']",
        binary=binary,
    ).fetchone()
    assert row == (
        Multirange([Range(1, 3), Range(5, 8)]),
        Multirange([Range(None, 10)]),
        Multirange(),
        Multirange([Range(Decimal("1.5"), Decimal("2.5"), "[]"), Range(Decimal(3), None, "()")]),
        Multirange([Range(D(2020, 1, 1), D(2020, 2, 1)), Range(D(2020, 3, 1), None)]),
        Multirange([Range(dt.datetime(2020, 1, 1, 10), dt.datetime(2020, 1, 2))]),
        Multirange([Range(dt.datetime(2020, 1, 1, 10, tzinfo=UTC), None)]),
        None,
        [Multirange([Range(1, 2)]), None, Multirange()],
    )
    assert [
        d.type_code
        for d in tconn.cursor()
        .execute(
            "SELECT '{}'::int4multirange, '{}'::int8multirange, '{}'::nummultirange,"
            " '{}'::datemultirange, '{}'::tsmultirange, '{}'::tstzmultirange"
        )
        .description
    ] == [4451, 4536, 4532, 4535, 4533, 4534]


@needs_multiranges
@pytest.mark.parametrize("fmt", [Format.TEXT, Format.BINARY, None])
def test_multirange_dump(tconn: Any, fmt: Format | None) -> None:
    tconn.execute("SET TimeZone TO 'UTC'")
    t = Transformer(tconn.adapt_context)
    cases = [
        (Multirange([Range(D(2020, 1, 1), D(2020, 2, 1))]), oids.DATEMULTIRANGE_OID),
        (Multirange([Range(Decimal(1), Decimal(2), "[]")]), oids.NUMMULTIRANGE_OID),
        (Multirange([Range(None, dt.datetime(2020, 1, 1))]), oids.TSMULTIRANGE_OID),
        (Multirange([Range(dt.datetime(2020, 1, 1, tzinfo=UTC), None)]), oids.TSTZMULTIRANGE_OID),
        # Ints and boundless ranges: the server types them from context.
        (Multirange([Range(1, 4), Range(10, 2**40)]), 0),
        (Multirange([Range(None, None)]), 0),
        (Multirange(), 0),
    ]
    for mr, oid in cases:
        sent_oids, sent_fmts, _ = t.dump_params([mr], [fmt])
        assert sent_oids == [oid], mr
        if fmt is not None:
            # Binary needs a type: without one the multirange goes in text.
            assert sent_fmts == [fmt if oid else Format.TEXT], mr
        if oid:
            assert one(tconn, "SELECT %s", [mr], binary=fmt == Format.BINARY) == mr
    assert one(
        tconn,
        "SELECT %s::int8multirange, %s::int4multirange, %s::datemultirange",
        [cases[4][0], cases[5][0], cases[6][0]],
        binary=fmt == Format.BINARY,
    ) == (cases[4][0], cases[5][0], Multirange())
    mrs = [cases[0][0], None, Multirange([Range(D(2021, 1, 1), D(2021, 1, 2))])]
    assert one(tconn, "SELECT %s, pg_typeof(%s)::text", [mrs, mrs]) == (mrs, "datemultirange[]")


@needs_multiranges
def test_multirange_server_normalises(tconn: Any) -> None:
    mr = Multirange([Range(5, 7), Range(1, 3, "[]"), Range(2, 4), Range(empty=True)])
    assert one(tconn, "SELECT %s::int4multirange", [mr]) == Multirange([Range(1, 4), Range(5, 7)])


@needs_multiranges
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    bounds=st.lists(
        st.tuples(
            st.none() | st.integers(-1000, 1000),
            st.none() | st.integers(-1000, 1000),
            st.sampled_from(["[)", "(]", "[]", "()"]),
        ),
        max_size=5,
    ),
    binary=st.booleans(),
)
def test_multirange_roundtrip_hypothesis(
    tconn: Any, bounds: list[tuple[int | None, int | None, str]], binary: bool
) -> None:
    ranges = [
        Range(lo, up, b) if lo is None or up is None or lo <= up else Range(up, lo, b)
        for lo, up, b in bounds
    ]
    mr = Multirange(ranges)
    got = one(tconn, "SELECT %s::int8multirange", [mr], binary=binary)
    # What comes back is the server's normal form: the same set, and stable.
    assert one(tconn, "SELECT %s::int8multirange = %s::int8multirange", [mr, got]) is True
    assert one(tconn, "SELECT %s::int8multirange", [got], binary=not binary) == got
    assert all(r.bounds in ("[)", "()") for r in got)
    # The same with dates, which go with a type of their own.
    dmr = Multirange(
        Range(
            None if r.lower is None else D(2000, 1, 1) + dt.timedelta(r.lower),
            None if r.upper is None else D(2000, 1, 1) + dt.timedelta(r.upper),
            r.bounds,
        )
        for r in got
    )
    assert one(tconn, "SELECT %s::datemultirange", [dmr], binary=binary) == dmr


def test_multirange_object() -> None:
    a, b = Range(1, 2), Range(3, 4)
    mr = Multirange([a])
    mr.append(b)
    assert list(mr) == [a, b]
    assert len(mr) == 2 and mr[1] == b and mr[-1] == b
    assert mr[0:1] == Multirange([a])
    assert isinstance(mr[0:1], Multirange)
    mr[0] = b
    mr[1:] = [a]
    assert mr == Multirange([b, a])
    del mr[0]
    mr.insert(0, b)
    assert mr == Multirange([b, a])
    assert mr != [b, a]  # a list is not a multirange
    assert Multirange([a]) < Multirange([b])
    assert repr(Multirange([a])) == "Multirange([Range(1, 2, '[)')])"
    assert str(Multirange([a, b])) == "{[1, 2), [3, 4)}"
    with pytest.raises(TypeError):
        Multirange([1])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        mr.append((1, 2))  # type: ignore[arg-type]


def test_multirange_malformed() -> None:
    t = Transformer(AdaptContext())
    load = t.get_loader(oids.INT4MULTIRANGE_OID, Format.TEXT).load
    assert load(b"{[1,2),[3,4)}") == Multirange([Range(1, 2), Range(3, 4)])
    tz = t.get_loader(oids.TSMULTIRANGE_OID, Format.TEXT).load
    assert tz(b'{["2020-01-01 00:00:00","2020-01-02 00:00:00")}') == Multirange(
        [Range(dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2))]
    )
    for bad in (b"", b"{", b"[1,2)", b"{[1,2)", b"{[1,2),}", b"{[1,2)[3,4)}", b"{x}"):
        with pytest.raises(DataError):
            load(bad)


# -- domains ----------------------------------------------------------------------------------


def test_domain_columns_report_the_base_type(tconn: Any) -> None:
    cur = tconn.cursor()
    for binary in (False, True):
        cur.execute(f"SELECT 5::{S}.pos, 6::{S}.pos2, '{{1,2}}'::{S}.ints", binary=binary)
        assert [d.type_code for d in cur.description] == [23, 23, 1007]
        assert cur.fetchone() == (5, 6, [1, 2])


DOMAIN_ARRAYS = (
    f"SELECT ARRAY[5, NULL]::{S}.pos[], ARRAY[6::{S}.pos2],"
    f" ARRAY['[2020-01-01,2020-01-03)'::{S}.dates], ARRAY['{{1,2}}'::{S}.ints]"
)


def test_domain_arrays(tconn: Any) -> None:
    cur = tconn.cursor()
    cur.execute(DOMAIN_ARRAYS)
    pos_array = regtype_oid(tconn, f"{S}.pos[]")
    assert cur.description[0].type_code == pos_array != oids.INT4_ARRAY_OID
    # Unknown array types load as text.
    assert cur.fetchone()[0] == "{5,NULL}"
    for name in ("pos", "pos2", "dates", "ints"):
        fetch(tconn, f"{S}.{name}").register(tconn)
    # The cursor made before keeps the adapters it was made with (as in psycopg).
    assert cur.execute(DOMAIN_ARRAYS).fetchone()[0] == "{5,NULL}"
    cur = tconn.cursor()
    expected = ([5, None], [6], [Range(D(2020, 1, 1), D(2020, 1, 3))], [[1, 2]])
    for binary in (False, True):
        # In binary the elements carry the domain's OID.
        assert cur.execute(DOMAIN_ARRAYS, binary=binary).fetchone() == expected
    # Declaring the domains changed nothing about dumping lists and ranges.
    assert one(
        tconn,
        "SELECT pg_typeof(%s)::text, pg_typeof(%s)::text",
        [[1, 2], Range(D(2020, 1, 1), D(2020, 2, 1))],
    ) == ("smallint[]", "daterange")


def test_domain_info_register_checks(tconn: Any) -> None:
    with pytest.raises(TypeError, match="not a domain"):
        DomainInfo("d", 1, 0).register(tconn)


# -- custom ranges ----------------------------------------------------------------------------

FLOATRANGE_SQL = f"SELECT '[1.5,2.5)'::{S}.floatrange, ARRAY['(,0]'::{S}.floatrange, NULL, 'empty']"


@pytest.mark.parametrize("binary", [False, True])
def test_custom_range(tconn: Any, binary: bool) -> None:
    info = fetch(tconn, f"{S}.floatrange")
    assert one(tconn, FLOATRANGE_SQL, binary=False)[0] == "[1.5,2.5)"
    register_range(info, tconn)
    assert tconn.execute(FLOATRANGE_SQL, binary=binary).fetchone() == (
        Range(1.5, 2.5),
        [Range(None, 0.0, "(]"), None, Range(empty=True)],
    )
    r = Range(-1.25, 1e300, "(]")
    assert one(tconn, "SELECT %s, pg_typeof(%s)::text", [r, r], binary=binary) == (
        r,
        f"{S}.floatrange",
    )
    if tconn.info.server_version >= 140000:
        mr = Multirange([Range(0.5, 1.0), Range(2.0, None)])
        assert one(tconn, "SELECT %s, pg_typeof(%s)::text", [mr, mr], binary=binary) == (
            mr,
            f"{S}.floatmultirange",
        )
        assert one(tconn, f"SELECT ARRAY['{{[1,2)}}'::{S}.floatmultirange]", binary=binary) == [
            Multirange([Range(1.0, 2.0)])
        ]


def test_custom_multirange_alone(tconn: Any, multiranges: None) -> None:
    # Registering the multirange declares its range too.
    register_multirange(fetch(tconn, f"{S}.floatmultirange"), tconn)
    assert one(tconn, f"SELECT '{{[1,2)}}'::{S}.floatmultirange, '[3,4)'::{S}.floatrange") == (
        Multirange([Range(1.0, 2.0)]),
        Range(3.0, 4.0),
    )
    with pytest.raises(TypeError, match="not a multirange"):
        register_multirange(fetch(tconn, f"{S}.floatrange"), tconn)
    with pytest.raises(TypeError, match="not a range"):
        register_range(fetch(tconn, "int4"), tconn)


def test_info_register_generic(tconn: Any) -> None:
    # TypeInfo.register records the type and loads its arrays as lists; the
    # values themselves load as before (text), as in psycopg.
    for name in ("floatrange", "card", "mood"):
        info = fetch(tconn, f"{S}.{name}")
        info.register(tconn)
        assert tconn.adapters.types[info.oid] is info
        assert tconn.adapters.types[info.array_oid] is info
    row = tconn.execute(
        f"SELECT '[1,2)'::{S}.floatrange, ARRAY['[1,2)'::{S}.floatrange], 'sad'::{S}.mood"
    ).fetchone()
    assert row == ("[1,2)", ["[1,2)"], "sad")


# -- client encoding SQL_ASCII ----------------------------------------------------------------

# A UTF-8 'é' the query text itself need not hold (it is sent in ASCII).
E_ACUTE = "convert_from('\\xc3a9'::bytea, 'UTF8')"

# Expressions, and whether pgwire's binary results read as psycopg's text ones.
SQL_ASCII_EXPRS = [
    (f"to_json({E_ACUTE})", True),
    (f"to_jsonb({E_ACUTE})", True),
    (f"ARRAY[jsonb_build_object('k', {E_ACUTE})]", True),
    (f"ROW({E_ACUTE}, 1, NULL)", False),
    ("'x'::\"char\"", True),
    ("''::\"char\"", True),
    (f'{E_ACUTE}::"char"', True),
    (f"ARRAY[{E_ACUTE}::\"char\", 'a', '']", True),
    (f"({E_ACUTE} || ' x')::name", True),
    (f"ARRAY[{E_ACUTE}, NULL]::varchar[]", True),
    (f"('<a>' || {E_ACUTE} || '</a>')::xml", True),
    ("1.5::money", False),
    (f"'ok'::{S}.mood", False),
]


@pytest.mark.parametrize(("expr", "binary_same"), SQL_ASCII_EXPRS)
def test_sql_ascii_matches_psycopg(types_dsn: str, expr: str, binary_same: bool) -> None:
    """Text values as bytes, json parsed as UTF-8: what psycopg's text cursor returns."""
    psycopg = pytest.importorskip("psycopg")
    sql = f"SELECT {expr}"
    modes: list[dict[str, Any]] = [{}, {"prepare": True}, {"prepare": True}]
    if binary_same:
        modes.append({"binary": True})
    with (
        psycopg.connect(types_dsn, autocommit=True) as pconn,
        pgwire.connect(types_dsn, autocommit=True) as conn,
    ):
        for c in (pconn, conn):
            c.execute("SET client_encoding TO SQL_ASCII")
        try:
            expected = pconn.execute(sql).fetchone()[0]
        except psycopg.errors.FeatureNotSupported:
            # e.g. xml on a server built without libxml: the same refusal for both.
            with pytest.raises(pgwire.errors.FeatureNotSupported):
                conn.execute(sql)
            return
        for kwargs in modes:
            got = conn.execute(sql, **kwargs).fetchone()[0]
            assert got == expected and type(got) is type(expected), (kwargs, got, expected)


def test_sql_ascii_type_info_and_enum(types_dsn: str) -> None:
    """The catalog's names are read as UTF-8; an enum's labels load as their members."""
    with pgwire.connect(types_dsn, autocommit=True) as conn:
        conn.execute("SET client_encoding TO SQL_ASCII")
        info = fetch(conn, f"{S}.accent")
        assert isinstance(info, EnumInfo)
        assert (info.name, info.typtype, info.delimiter) == ("accent", "e", ",")
        assert info.labels == ["é", "a"] and info.regtype == f"{S}.accent"
        card = fetch(conn, f"{S}.card")
        assert card.field_names[:2] == ["value", "suit"]
        sql = f"SELECT {E_ACUTE}::{S}.accent, ARRAY['a', {E_ACUTE}]::{S}.accent[]"
        # Unregistered: the label's bytes, as any text.
        assert conn.execute(sql).fetchone() == (b"\xc3\xa9", b"{a,\xc3\xa9}")
        register_enum(info, conn)
        members = info.enum
        for binary in (False, True):
            assert conn.execute(sql, binary=binary).fetchone() == (
                members("é"),
                [members.a, members("é")],
            )


def test_info_from_rows_decodes_bytes() -> None:
    """Rows read under SQL_ASCII hold bytes: TypeInfo gets str."""
    row = (
        b"mood", 16000, 16001, b"s.mood", b",", b"e", 0, 0, 0, 0, 0, 0, None, None, None,
        [b"sad", b"\xc3\xa9"],
    )  # fmt: skip
    info = info_from_rows([row])
    assert isinstance(info, EnumInfo)
    assert (info.name, info.regtype, info.delimiter, info.labels) == (
        "mood",
        "s.mood",
        ",",
        ["sad", "é"],
    )
    with pytest.raises(DataError, match="cannot decode"):
        info_from_rows([(b"\xff", *row[1:])])


# -- typed ranges and multiranges (psycopg's Int4Range... Int4Multirange...) --------------

_TYPED_RANGE_CASES = [
    ("Int4Range", "int4range", 1, 10),
    ("Int8Range", "int8range", 1, 10),
    ("NumericRange", "numrange", 1, 10),
    ("NumericRange", "numrange", Decimal("1.5"), Decimal("2.5")),
    ("DateRange", "daterange", dt.date(2020, 1, 1), dt.date(2020, 2, 1)),
    ("TimestampRange", "tsrange", dt.datetime(2020, 1, 1), dt.datetime(2020, 2, 1)),
    (
        "TimestamptzRange",
        "tstzrange",
        dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
        dt.datetime(2020, 2, 1, tzinfo=dt.timezone.utc),
    ),
]


@pytest.mark.parametrize("placeholder", ["%s", "%t", "%b"])
@pytest.mark.parametrize(("cls_name", "pgtype", "lower", "upper"), _TYPED_RANGE_CASES)
def test_typed_range_sent_as_its_type(
    conn: Any, placeholder: str, cls_name: str, pgtype: str, lower: Any, upper: Any
) -> None:
    from pgwire.types import multirange as mr_module
    from pgwire.types import range as range_module

    cls = getattr(range_module, cls_name)
    for value in (cls(lower, upper), cls(lower, None, "[]"), cls(None, None), cls(empty=True)):
        row = conn.execute(
            f"SELECT pg_typeof({placeholder})::text, {placeholder}", [value, value]
        ).fetchone()
        assert row[0] == pgtype
        assert row[1] == Range(value.lower, value.upper, value.bounds or "[)", empty=value.isempty)
        assert isinstance(row[1], Range)
    mr_cls = getattr(mr_module, cls_name.replace("Range", "Multirange"))
    multi = mr_cls([Range(lower, upper)])
    row = conn.execute(f"SELECT pg_typeof({placeholder})::text, {placeholder}", [multi, multi])
    assert row.fetchone() == (
        pgtype.replace("range", "multirange"),
        Multirange([Range(lower, upper)]),
    )
    empty = mr_cls()
    row = conn.execute(f"SELECT pg_typeof({placeholder})::text, {placeholder}", [empty, empty])
    assert row.fetchone() == (pgtype.replace("range", "multirange"), Multirange())
    assert repr(cls(lower, upper)).startswith(cls_name + "(")


def test_ranges_are_generic_in_annotations() -> None:
    assert Range[int].__origin__ is Range
    assert Multirange[dt.date].__origin__ is Multirange


def test_composite_make_object_and_make_sequence(tconn: Any) -> None:
    class Point3:
        def __init__(self, *, x: int, y: int, label: str) -> None:
            self.x, self.y, self.label = x, y, label

    tconn.execute("DROP TYPE IF EXISTS kwpoint; CREATE TYPE kwpoint AS (x int, y int, label text)")
    info = CompositeInfo.fetch(tconn, "kwpoint")
    seen: list[Any] = []

    def make_object(values: Any, info: Any) -> Point3:
        return Point3(**dict(zip(info.field_names, values, strict=True)))

    def make_sequence(obj: Point3, info: Any) -> list[Any]:
        seen.append(obj)
        return [obj.x, obj.y, obj.label]

    register_composite(
        info, tconn, factory=Point3, make_object=make_object, make_sequence=make_sequence
    )
    assert info.python_type is Point3
    for binary in (False, True):
        got = one(tconn, "SELECT ROW(1, 2, 'a')::kwpoint", binary=binary)
        assert isinstance(got, Point3) and (got.x, got.y, got.label) == (1, 2, "a")
        arr = one(tconn, "SELECT ARRAY[ROW(3, 4, 'b')::kwpoint]", binary=binary)
        assert [(p.x, p.y, p.label) for p in arr] == [(3, 4, "b")]
    for placeholder in ("%s", "%t", "%b"):
        row = tconn.execute(
            f"SELECT pg_typeof({placeholder})::text, ({placeholder}).y",
            [Point3(x=5, y=6, label="c")] * 2,
        ).fetchone()
        assert row == ("kwpoint", 6)
    assert seen  # the sequence came from make_sequence, not from attributes


@pytest.mark.parametrize("name", ["a-b", "\u20ac", "order"])
def test_str_ranges_take_a_range_type_registered_over_text(conn: Any, name: str) -> None:
    # There is no builtin range of text: a registered one types str ranges.
    assert sql.Literal(Range("a", "z", "[]")).as_string(conn) == "'[a,z]'"
    conn.execute(f'CREATE TYPE "{name}" AS RANGE (subtype = text)')
    register_range(fetch(conn, f'"{name}"'), conn)
    obj = Range("a", "z", "[]")
    assert sql.Literal(obj).as_string(conn) == f"'[a,z]'::\"{name}\""
    assert one(conn, sql.SQL("SELECT {}").format(obj)) == obj
    quoting = "SELECT ascii(lower(%(r)s)) = %(lo)s AND ascii(upper(%(r)s)) = %(up)s"
    for i in (1, 9, 10, 32, 34, 44, 92, 93, 200):
        bounds = {"r": Range(chr(i), chr(i + 1)), "lo": i, "up": i + 1}
        assert one(conn, quoting, bounds) is True, i
    if conn.info.server_version >= 140000:
        conn.execute(f'CREATE TYPE "{name}2" AS RANGE (subtype = text)')
        register_multirange(fetch(conn, f'"{name}2_multirange"'), conn)  # its range too
        multi = Multirange([Range("a", "z", "[]")])
        spelled = f"{name}2_multirange"
        spelled = spelled if spelled.isascii() and spelled.isidentifier() else f'"{spelled}"'
        assert sql.Literal(multi).as_string(conn) == f"'{{[a,z]}}'::{spelled}"
        assert one(conn, sql.SQL("SELECT {}").format(multi)) == multi
    conn.rollback()


def test_multirange_ordering() -> None:
    low = Multirange([Range(9, 20), Range(30, 40)])
    mid = Multirange([Range(10, 20), Range(30, 40)])
    high = Multirange([Range(11, 20), Range(30, 40)])
    assert low < mid < high
    assert mid <= mid and mid >= mid and not mid < mid and not mid > mid
    assert high > mid >= low
    assert sorted([high, low, mid]) == [low, mid, high]


def test_multirange_slice_assignment() -> None:
    mr = Multirange([Range(10, 20), Range(30, 40), Range(50, 60)])
    mr[1:3] = [Range(31, 41)]
    assert mr == Multirange([Range(10, 20), Range(31, 41)])
    with pytest.raises(TypeError, match="iterable of Range"):
        mr[0:1] = Range(1, 2)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="Range objects"):
        mr[0:1] = [(1, 2)]  # type: ignore[list-item]
    assert mr == Multirange([Range(10, 20), Range(31, 41)])
