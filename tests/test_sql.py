"""Tests of pgwire.sql: placeholder conversion, literal quoting and composition."""

from __future__ import annotations

import datetime
import re
import uuid
from collections import OrderedDict, UserDict, UserList
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgwire import sql
from pgwire.engine import placeholders
from pgwire.errors import DataError, ProgrammingError
from pgwire.sql import (
    SQL,
    Composed,
    Identifier,
    Literal,
    Placeholder,
    PreparedQuery,
    convert_query,
    quote,
)
from pgwire.types.adapt import AdaptContext, Dumper, Format
from pgwire.types.oids import CHAR_OID, POINT_OID

B = Format.BINARY
T = Format.TEXT

# --------------------------------------------------------------------------
# convert_query: conversions
# --------------------------------------------------------------------------

CONVERSIONS: list[tuple[Any, Any, bytes, list[Any], list[Format | None]]] = [
    ("SELECT 1", (), b"SELECT 1", [], []),
    ("SELECT 1", [], b"SELECT 1", [], []),
    ("SELECT 1", {}, b"SELECT 1", [], []),
    ("SELECT 1", {"unused": 1}, b"SELECT 1", [], []),
    ("SELECT %s", (1,), b"SELECT $1", [1], [None]),
    ("SELECT %s, %s", [1, "a"], b"SELECT $1, $2", [1, "a"], [None, None]),
    ("SELECT %s,%s,%s", (None, 2, 3), b"SELECT $1,$2,$3", [None, 2, 3], [None] * 3),
    ("%s", (1,), b"$1", [1], [None]),
    ("%s%s", (1, 2), b"$1$2", [1, 2], [None, None]),
    ("SELECT %b, %t, %s", (1, 2, 3), b"SELECT $1, $2, $3", [1, 2, 3], [B, T, None]),
    ("SELECT %(a)s", {"a": 1}, b"SELECT $1", [1], [None]),
    ("SELECT %(a)s, %(b)s", {"b": 2, "a": 1}, b"SELECT $1, $2", [1, 2], [None, None]),
    ("SELECT %(b)s, %(a)s", {"a": 1, "b": 2}, b"SELECT $1, $2", [2, 1], [None, None]),
    (
        "SELECT %(a)s, %(b)b, %(a)s, %(c)t",
        {"a": 1, "b": 2, "c": 3, "d": 4},
        b"SELECT $1, $2, $1, $3",
        [1, 2, 3],
        [None, B, T],
    ),
    ("SELECT %(a)b + %(a)b", {"a": 5}, b"SELECT $1 + $1", [5], [B]),
    ("%(x y)s %(é)s", {"x y": 1, "é": 2}, b"$1 $2", [1, 2], [None, None]),
    ("%(a%b)s", {"a%b": 1}, b"$1", [1], [None]),
    # %% is unescaped as soon as parameters are given, placeholders or not.
    ("SELECT 10 %% 3", (), b"SELECT 10 % 3", [], []),
    ("SELECT 10 %% 3", {}, b"SELECT 10 % 3", [], []),
    ("SELECT '%%s', %s", ("x",), b"SELECT '%s', $1", ["x"], [None]),
    ("SELECT %%%s%%", (1,), b"SELECT %$1%", [1], [None]),
    ("%%%%", (), b"%%", [], []),
    ("LIKE 'a%%' AND x = %(x)s", {"x": 1}, b"LIKE 'a%' AND x = $1", [1], [None]),
    # Not an SQL parser: a placeholder inside a string literal is a placeholder.
    ("SELECT '%s'", ("v",), b"SELECT '$1'", ["v"], [None]),
    ("SELECT 'é', %s", (1,), "SELECT 'é', $1".encode(), [1], [None]),
    # bytes in, bytes out
    (b"SELECT %s, %s", (1, 2), b"SELECT $1, $2", [1, 2], [None] * 2),
    (b"SELECT %(x)s", {"x": 1}, b"SELECT $1", [1], [None]),
    ("SELECT %s", UserList([7]), b"SELECT $1", [7], [None]),
    ("SELECT %(k)s", UserDict(k=7), b"SELECT $1", [7], [None]),
    ("SELECT %(k)s", OrderedDict(k=7), b"SELECT $1", [7], [None]),
    ("SELECT %s", range(5, 6), b"SELECT $1", [5], [None]),
]
# Enough placeholders that "$1" and "$10" must not be confused.
CONVERSIONS.append(
    (
        ", ".join(["%s"] * 12),
        tuple(range(12)),
        ", ".join(f"${i}" for i in range(1, 13)).encode(),
        list(range(12)),
        [None] * 12,
    )
)


@pytest.mark.parametrize(("query", "params", "out", "values", "formats"), CONVERSIONS)
def test_convert(
    query: Any, params: Any, out: bytes, values: list[Any], formats: list[Format | None]
) -> None:
    pq = convert_query(query, params)
    assert pq.query == out
    assert pq.params == values
    assert pq.formats == formats
    assert type(pq.params) is list
    assert type(pq.formats) is list


@pytest.mark.parametrize(
    "query",
    ["SELECT '100%'", "SELECT 10 %% 3", "SELECT %s", "%(x)s", "%", "%x", b"SELECT '%'"],
)
def test_no_params_sends_text_unchanged(query: str | bytes) -> None:
    pq = convert_query(query, None)
    expected = query if isinstance(query, bytes) else query.encode()
    assert pq == PreparedQuery(expected, None, None)
    assert pq.params is None and pq.formats is None


def test_encoding() -> None:
    pq = convert_query("SELECT 'é', %s", (1,), "latin-1")
    assert pq.query == b"SELECT '\xe9', $1"
    assert convert_query("SELECT 'é'", None, "latin-1").query == b"SELECT '\xe9'"
    # A named placeholder in an encoded query is decoded with that encoding.
    pq = convert_query(b"SELECT %(\xe9)s", {"é": 3}, "latin-1")
    assert (pq.query, pq.params) == (b"SELECT $1", [3])


def test_bytearray_query() -> None:
    pq = convert_query(bytearray(b"SELECT %s"), (1,))  # type: ignore[arg-type]
    assert pq.query == b"SELECT $1"
    assert type(pq.query) is bytes


def _clear_caches() -> None:
    placeholders._parse_cached.cache_clear()
    placeholders._parse_cached_utf8.cache_clear()
    placeholders._parse_cached_bytes.cache_clear()


def test_cache_hits_and_results_not_shared() -> None:
    _clear_caches()
    q = "SELECT %(a)s, %(b)b /* cache test */"
    first = convert_query(q, {"a": 1, "b": 2})
    first.formats.append("garbage")  # type: ignore[union-attr,arg-type]
    first.params.append("garbage")  # type: ignore[union-attr]
    second = convert_query(q, {"a": 3, "b": 4})
    info = placeholders._parse_cached_utf8.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    # Another encoding is another cache entry.
    convert_query(q, {"a": 3, "b": 4}, "latin-1")
    convert_query(q, {"a": 3, "b": 4}, "latin-1")
    info = placeholders._parse_cached.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    assert second.params == [3, 4]
    assert second.formats == [None, B]


def test_huge_query_is_not_cached() -> None:
    _clear_caches()
    q = "SELECT %s" + " " * (placeholders._CACHE_MAX_LEN + 1)
    assert convert_query(q, (1,)).params == [1]
    assert placeholders._parse_cached_utf8.cache_info().currsize == 0


def test_prepared_query_repr_eq() -> None:
    a = PreparedQuery(b"x", [1], [None])
    assert a == PreparedQuery(b"x", [1], [None])
    assert a != PreparedQuery(b"x", [2], [None])
    assert "params=[1]" in repr(a)
    with pytest.raises(TypeError):
        hash(a)


# --------------------------------------------------------------------------
# convert_query: errors
# --------------------------------------------------------------------------

ERRORS: list[tuple[Any, Any, str]] = [
    ("SELECT %s", (), r"1 placeholder but 0 parameters"),
    ("SELECT %s, %s", (1,), r"2 placeholders but 1 parameter were"),
    ("SELECT 1", (1,), r"0 placeholders but 1 parameter"),
    ("SELECT %s", (1, 2, 3), r"1 placeholder but 3 parameters"),
    ("SELECT %(a)s", {"b": 1}, r"no value for the placeholder %\(a\)s"),
    ("SELECT %(a)s, %(b)s", {}, r"placeholders %\(a\)s, %\(b\)s"),
    ("SELECT %s, %(a)s", {"a": 1}, r"cannot be mixed"),
    ("SELECT %(a)s, %s", (1, 2), r"cannot be mixed"),
    ("SELECT %(a)s", (1,), r"named placeholders.*must be a mapping, got tuple"),
    ("SELECT %(a)s", [], r"must be a mapping, got list"),
    ("SELECT %s", {"a": 1}, r"positional placeholders.*must be a sequence, got dict"),
    ("SELECT %s", {}, r"must be a sequence"),
    ("SELECT %x", (1,), r"unsupported placeholder '%x' at position 7"),
    ("SELECT %d", (1,), r"unsupported placeholder '%d'"),
    ("SELECT '100%'", (), r"unsupported placeholder \"%'\""),
    ("SELECT %(a)x", {"a": 1}, r"unsupported placeholder '%\(a\)x'"),
    ("SELECT %é", (), r"unsupported placeholder '%é'"),
    (b"SELECT %\xc3\xa9", (), r"unsupported placeholder '%é'"),
    ("SELECT 1 %", (), r"ends with a lone '%'"),
    ("%", {}, r"ends with a lone '%'"),
    ("SELECT %(a)", {"a": 1}, r"incomplete placeholder '%\(a\)'"),
    ("SELECT %(abc", {"a": 1}, r"incomplete placeholder '%\(abc'.*closing"),
    ("SELECT %()s", {}, r"empty name"),
    ("SELECT %(a)s, %(a)b", {"a": 1}, r"'a' is used with different formats"),
    ("SELECT %s", "a", r"must be a sequence or a mapping, got str"),
    ("SELECT %s", b"a", r"got bytes"),
    ("SELECT %s", bytearray(b"a"), r"got bytearray"),
    ("SELECT %s", 1, r"must be a sequence or a mapping, got int"),
    ("SELECT %s", {1}, r"got set"),
    ("SELECT %s", iter([1]), r"got list_iterator"),
    (b"SELECT %(\xff)s", {}, r"not valid utf-8"),
    (42, (), r"must be str, bytes or a pgwire.sql.Composable, got int"),
]


@pytest.mark.parametrize(("query", "params", "message"), ERRORS)
def test_errors(query: Any, params: Any, message: str) -> None:
    with pytest.raises(ProgrammingError, match=message):
        convert_query(query, params)


def test_error_is_raised_every_time() -> None:
    # A failed parse must not leave anything usable in the cache.
    for _ in range(2):
        with pytest.raises(ProgrammingError):
            convert_query("SELECT %z", ())


# --------------------------------------------------------------------------
# convert_query: properties
# --------------------------------------------------------------------------

# Text chunks without '%': the generator adds '%%' itself.
_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="%"),
    max_size=8,
)
_fmt = st.sampled_from([("s", None), ("b", B), ("t", T)])


@st.composite
def positional_queries(draw: st.DrawFn) -> tuple[str, list[Any], str, list[Any], list[Any]]:
    """A query with %s/%b/%t and %%, its params, and the expected conversion."""
    query, expected, params, formats = [], [], [], []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["text", "pct", "ph"]))
        if kind == "text":
            chunk = draw(_text)
            query.append(chunk)
            expected.append(chunk)
        elif kind == "pct":
            query.append("%%")
            expected.append("%")
        else:
            letter, fmt = draw(_fmt)
            query.append("%" + letter)
            params.append(draw(st.integers()))
            formats.append(fmt)
            expected.append(f"${len(params)}")
    return "".join(query), params, "".join(expected), params, formats


@given(positional_queries())
def test_positional_property(case: tuple[str, list[Any], str, list[Any], list[Any]]) -> None:
    query, params, expected, values, formats = case
    pq = convert_query(query, tuple(params))
    assert pq.query == expected.encode()
    assert pq.params == values
    assert pq.formats == formats
    # Same text again: served from the cache, same answer.
    assert convert_query(query, list(params)) == pq


_names = st.sampled_from(["a", "b", "long_name", "x y", "é", "n1"])


@st.composite
def named_queries(
    draw: st.DrawFn,
) -> tuple[str, dict[str, Any], str, list[Any], list[Any]]:
    """A query with %(name)x placeholders, its mapping and the expected conversion."""
    query: list[str] = []
    expected: list[str] = []
    numbers: dict[str, int] = {}
    formats: list[Any] = []
    letters: dict[str, tuple[str, Any]] = {}
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["text", "pct", "ph"]))
        if kind == "text":
            chunk = draw(_text)
            query.append(chunk)
            expected.append(chunk)
        elif kind == "pct":
            query.append("%%")
            expected.append("%")
        else:
            name = draw(_names)
            # A name keeps one format letter throughout a query.
            letter, fmt = letters.setdefault(name, draw(_fmt))
            if name not in numbers:
                numbers[name] = len(numbers) + 1
                formats.append(fmt)
            query.append(f"%({name}){letter}")
            expected.append(f"${numbers[name]}")
    mapping = {name: f"value of {name}" for name in ["a", "b", "long_name", "x y", "é", "n1"]}
    values = [mapping[name] for name in numbers]  # dicts keep insertion order
    return "".join(query), mapping, "".join(expected), values, formats


@given(named_queries())
def test_named_property(case: tuple[str, dict[str, Any], str, list[Any], list[Any]]) -> None:
    query, mapping, expected, values, formats = case
    pq = convert_query(query, mapping)
    assert pq.query == expected.encode()
    assert pq.params == values
    assert pq.formats == formats
    # The same query as bytes gives the same result.
    assert convert_query(query.encode(), mapping) == pq


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_percent_round_trip(text: str) -> None:
    escaped = text.replace("%", "%%")
    assert convert_query(escaped, ()).query == text.encode()
    assert convert_query(escaped, {}).query == text.encode()
    # Without parameters nothing is unescaped.
    assert convert_query(escaped, None).query == escaped.encode()


@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes(text: str) -> None:
    # Whatever the text, the outcome is a result or a ProgrammingError.
    try:
        pq = convert_query(text, ())
    except ProgrammingError:
        assert "%" in text
        return
    assert pq.params == []
    assert pq.query == text.replace("%%", "%").encode()


# --------------------------------------------------------------------------
# Literal quoting
# --------------------------------------------------------------------------

LITERALS: list[tuple[Any, str]] = [
    (None, "NULL"),
    (True, "true"),
    (False, "false"),
    (0, "0"),
    (42, "42"),
    (-1, " -1"),
    (10**30, "1000000000000000000000000000000"),
    (1.5, "1.5"),
    (-2.5, " -2.5"),
    (-0.0, " -0.0"),
    (1e100, "1e+100"),
    (float("nan"), "'NaN'::float8"),
    (float("inf"), "'Infinity'::float8"),
    (float("-inf"), "'-Infinity'::float8"),
    (Decimal("1.50"), "1.50"),
    (Decimal("-3"), " -3"),
    (Decimal("1E+3"), "1E+3"),
    (Decimal("NaN"), "'NaN'::numeric"),
    (Decimal("sNaN"), "'NaN'::numeric"),
    (Decimal("Infinity"), "'Infinity'::numeric"),
    (Decimal("-Infinity"), "'-Infinity'::numeric"),
    ("", "''"),
    ("abc", "'abc'"),
    ("it's", "'it''s'"),
    ("''", "''''''"),
    ("a\\b", " E'a\\\\b'"),
    ("a\\'b", " E'a\\\\''b'"),
    ("ünï€😀", "'ünï€😀'"),
    ("50%", "'50%'"),
    ("line\nbreak", "'line\nbreak'"),
    (b"", "'\\x'::bytea"),
    (b"\x00'ab\xff", "'\\x00276162ff'::bytea"),
    (bytearray(b"\x01"), "'\\x01'::bytea"),
    (memoryview(b"\x02"), "'\\x02'::bytea"),
]


@pytest.mark.parametrize(("value", "expected"), LITERALS)
def test_literal(value: Any, expected: str) -> None:
    assert quote(value) == expected
    assert Literal(value).as_string() == expected
    assert Literal(value).as_string(None) == expected


def test_bytes_literal_without_standard_conforming_strings() -> None:
    ctx = AdaptContext()
    ctx.update_parameter("standard_conforming_strings", "off")
    assert quote(b"\x01'", ctx) == " E'\\\\x0127'::bytea"
    assert quote(b"\x01'", _Holder(ctx)) == " E'\\\\x0127'::bytea"
    # Strings never depend on the setting.
    assert quote("a\\b", ctx) == quote("a\\b") == " E'a\\\\b'"


def test_literal_nul_is_an_error() -> None:
    with pytest.raises(DataError):
        quote("a\x00b")


def _unquote_string(literal: str) -> str:
    """Parse back a string constant as the server would (standard_conforming_strings on)."""
    m = re.fullmatch(r"( E)?'(.*)'", literal, re.S)
    assert m is not None, literal
    body = m.group(2)
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "'":
            assert body[i + 1] == "'", literal  # a lone quote would end the constant
            out.append("'")
            i += 2
        elif c == "\\":
            assert m.group(1) == " E", literal  # only E'' strings may hold escapes
            assert body[i + 1] == "\\", literal
            out.append("\\")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00")))
def test_string_literal_round_trip(value: str) -> None:
    assert _unquote_string(quote(value)) == value


@given(st.binary(max_size=40))
def test_bytes_literal_round_trip(value: bytes) -> None:
    m = re.fullmatch(r"'\\x([0-9a-f]*)'::bytea", quote(value))
    assert m is not None
    assert bytes.fromhex(m.group(1)) == value


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.decimals())
def test_number_literal_round_trip(value: Any) -> None:
    text = quote(value).strip()
    if isinstance(value, Decimal) and not value.is_finite():
        assert text.endswith("::numeric")
        return
    assert type(value)(text) == value


def _split_cast(literal: str) -> tuple[str, str]:
    """Split ``'text'::type`` into the unquoted text and the type."""
    m = re.fullmatch(r"((?: E)?'.*')::(.+)", literal, re.S)
    assert m is not None, literal
    return _unquote_string(m.group(1)), m.group(2)


def test_literal_adapts_other_types() -> None:
    # Dates, times, UUIDs... go through the text dumpers and get a cast.
    assert quote(datetime.date(2020, 1, 2)) == "'2020-01-02'::date"
    text, cast = _split_cast(quote(datetime.datetime(2020, 1, 2, 3, 4, 5, 6)))
    assert cast == "timestamp"
    assert datetime.datetime.fromisoformat(text) == datetime.datetime(2020, 1, 2, 3, 4, 5, 6)
    aware = datetime.datetime(2020, 1, 2, 3, 4, tzinfo=datetime.timezone.utc)
    text, cast = _split_cast(quote(aware))
    assert cast == "timestamptz"
    assert datetime.datetime.fromisoformat(text) == aware
    text, cast = _split_cast(quote(datetime.time(1, 2, 3)))
    assert (text, cast) == ("01:02:03", "time")
    assert _split_cast(quote(datetime.timedelta(days=1)))[1] == "interval"
    text, cast = _split_cast(quote(uuid.UUID(int=5)))
    assert (uuid.UUID(text), cast) == (uuid.UUID(int=5), "uuid")
    # Through the composition classes too.
    assert SQL("WHERE d = {}").format(datetime.date(1999, 12, 31)).as_string() == (
        "WHERE d = '1999-12-31'::date"
    )


def test_literal_lists() -> None:
    pytest.importorskip("pgwire.types.array")
    text, cast = _split_cast(quote([1, 2, None]))
    assert text == "{1,2,NULL}"
    assert cast.endswith("[]")
    # A list of str may be left untyped (as a str parameter is): cast or not.
    literal = quote(["a'b", "c"])
    text = _split_cast(literal)[0] if "::" in literal else _unquote_string(literal)
    assert "a'b" in text and "c" in text


class _Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


class _PointDumper(Dumper):
    format = Format.TEXT
    oid = POINT_OID

    def dump(self, obj: Any) -> bytes:
        return f"({obj.x},{obj.y})".encode()


class _OddDumper(Dumper):
    format = Format.TEXT
    oid = 0  # no type: no cast

    def dump(self, obj: Any) -> bytes:
        return b"back\\slash 'and' quote"


class _CharDumper(Dumper):
    format = Format.TEXT
    oid = CHAR_OID

    def dump(self, obj: Any) -> bytes:
        return b"x"


def test_literal_with_registered_dumpers() -> None:
    ctx = AdaptContext()
    ctx.registry.register_dumper(_Point, _PointDumper)
    assert quote(_Point(1, -2), ctx) == "'(1,-2)'::point"
    assert Literal(_Point(3, 4)).as_string(_Holder(ctx)) == "'(3,4)'::point"
    # The dumper lives in this context's registry only.
    with pytest.raises(ProgrammingError, match="_Point"):
        quote(_Point(1, 2))

    class Odd:
        pass

    class Char:
        pass

    ctx.registry.register_dumper(Odd, _OddDumper)
    ctx.registry.register_dumper(Char, _CharDumper)
    assert quote(Odd(), ctx) == " E'back\\\\slash ''and'' quote'"
    # Unquoted, char would be bpchar.
    assert quote(Char(), ctx) == "'x'::\"char\""


def test_literal_unknown_type() -> None:
    class Thing:
        pass

    with pytest.raises(ProgrammingError, match="'Thing'"):
        quote(Thing())


def test_literal_of_basic_subclasses() -> None:
    class MyStr(str):
        pass

    class MyInt(int):
        pass

    assert _unquote_string(quote(MyStr("o'k")).split("::")[0]) == "o'k"
    assert quote(MyInt(-5)).split("::")[0].strip(" '") == "-5"


class _Holder:
    """Something with an adapt_context attribute, as a connection has."""

    def __init__(self, context: AdaptContext) -> None:
        self.adapt_context = context


def test_contexts() -> None:
    ctx = AdaptContext()
    ctx.update_parameter("client_encoding", "LATIN1")
    q = SQL("SELECT {}").format("é")
    assert q.as_string(ctx) == "SELECT 'é'"
    assert q.as_bytes(ctx) == b"SELECT '\xe9'"
    assert q.as_bytes(_Holder(ctx)) == b"SELECT '\xe9'"
    assert q.as_bytes(None) == "SELECT 'é'".encode()
    assert q.as_bytes() == "SELECT 'é'".encode()
    with pytest.raises(TypeError, match="adapt_context"):
        q.as_string(object())  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------

IDENTIFIERS: list[tuple[tuple[str, ...], str]] = [
    (("foo",), '"foo"'),
    (("Foo Bar",), '"Foo Bar"'),
    (('a"b',), '"a""b"'),
    (('"',), '""""'),
    (("",), '""'),
    (("schema", "table"), '"schema"."table"'),
    (("a", 'b"c', "d.e"), '"a"."b""c"."d.e"'),
    (("été", "日本", "😀"), '"été"."日本"."😀"'),
    (("it's",), "\"it's\""),
    (("50%",), '"50%"'),
]


@pytest.mark.parametrize(("strings", "expected"), IDENTIFIERS)
def test_identifier(strings: tuple[str, ...], expected: str) -> None:
    ident = Identifier(*strings)
    assert ident.as_string() == expected
    assert ident.as_bytes() == expected.encode()
    assert ident.strings == strings


@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00")),
        min_size=1,
        max_size=3,
    )
)
def test_identifier_round_trip(strings: list[str]) -> None:
    text = Identifier(*strings).as_string()
    # Split on the dots between quoted names, then undo the quote doubling.
    parts = re.findall(r'"((?:[^"]|"")*)"', text)
    assert [p.replace('""', '"') for p in parts] == strings
    assert text == ".".join(f'"{p}"' for p in parts)


def test_identifier_errors() -> None:
    with pytest.raises(TypeError):
        Identifier()
    with pytest.raises(TypeError):
        Identifier("a", 1)  # type: ignore[arg-type]
    with pytest.raises(DataError):
        Identifier("a\x00").as_string()


def test_sql() -> None:
    assert SQL("SELECT 1").as_string() == "SELECT 1"
    assert SQL("100%").as_string() == "100%"
    assert SQL("x").string == "x"
    with pytest.raises(TypeError):
        SQL(b"x")  # type: ignore[arg-type]


FORMATS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("SELECT {} FROM {}", (Identifier("a"), Identifier("t")), {}, 'SELECT "a" FROM "t"'),
    ("{1}, {0}, {1}", (Identifier("a"), Identifier("b")), {}, '"b", "a", "b"'),
    ("{x} = {y}", (), {"x": Identifier("c"), "y": 5}, '"c" = 5'),
    ("{} = {v}", (Identifier("c"),), {"v": "o'k"}, "\"c\" = 'o''k'"),
    ("{{}} {}", (1,), {}, "{} 1"),
    ("{{x}}", (), {}, "{x}"),
    ("no fields", (), {}, "no fields"),
    ("{}", (None,), {}, "NULL"),
    ("{}", (SQL("raw"),), {}, "raw"),
    ("{}{}", (SQL("a") + SQL("b"), Placeholder()), {}, "ab%s"),
    ("x = {}", (Placeholder("n"),), {}, "x = %(n)s"),
]


@pytest.mark.parametrize(("template", "args", "kwargs", "expected"), FORMATS)
def test_format(
    template: str, args: tuple[Any, ...], kwargs: dict[str, Any], expected: str
) -> None:
    composed = SQL(template).format(*args, **kwargs)
    assert isinstance(composed, Composed)
    assert composed.as_string() == expected


@pytest.mark.parametrize(
    ("template", "args", "kwargs", "error"),
    [
        ("{} {0}", (1, 2), {}, ValueError),
        ("{0} {}", (1, 2), {}, ValueError),
        ("{!r}", (1,), {}, ValueError),
        ("{:>10}", (1,), {}, ValueError),
        ("{a.b}", (), {"a": 1}, ValueError),
        ("{} {}", (1,), {}, IndexError),
        ("{3}", (1,), {}, IndexError),
        ("{x}", (), {}, KeyError),
        ("{", (), {}, ValueError),
    ],
)
def test_format_errors(
    template: str, args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        SQL(template).format(*args, **kwargs)


def test_format_wraps_values_in_literal() -> None:
    composed = SQL("{}").format("x")
    assert composed.seq == [Literal("x")]
    assert repr(composed) == "Composed([Literal('x')])"


def test_join() -> None:
    names = [Identifier("a"), Identifier("b"), Identifier("c")]
    joined = SQL(", ").join(names)
    assert joined.as_string() == '"a", "b", "c"'
    assert SQL(", ").join([]).as_string() == ""
    assert SQL(", ").join([Identifier("x")]).as_string() == '"x"'
    assert SQL(", ").join(iter([1, "a"])).as_string() == "1, 'a'"
    # A Composed is a sequence of its parts.
    assert SQL(" AND ").join(Composed([SQL("p"), SQL("q")])).as_string() == "p AND q"
    assert Composed(names).join(", ").as_string() == '"a", "b", "c"'
    assert Composed(names).join(SQL("|")).as_string() == '"a"|"b"|"c"'
    with pytest.raises(TypeError):
        Composed(names).join(Identifier("x"))  # type: ignore[arg-type]


def test_composed_operators() -> None:
    a, b = SQL("a"), Identifier("b")
    assert (a + b).seq == [a, b]
    assert ((a + b) + (a + b)).seq == [a, b, a, b]
    assert (a + (a + b)).seq == [a, a, b]
    assert ((a + b) + a).seq == [a, b, a]
    assert (a * 3).as_string() == "aaa"
    assert ((a + b) * 2).as_string() == 'a"b"a"b"'
    assert list(a + b) == [a, b]
    assert Composed([1, "x", a]).seq == [Literal(1), Literal("x"), a]
    with pytest.raises(TypeError):
        a + "b"  # type: ignore[operator]


def test_equality_and_repr() -> None:
    assert SQL("x") == SQL("x")
    assert SQL("x") != SQL("y")
    assert SQL("x") != Literal("x")
    assert Identifier("a", "b") == Identifier("a", "b")
    assert Identifier("a", "b") != Identifier("a.b")
    assert Literal(1) == Literal(1)
    assert Placeholder("n") == Placeholder("n")
    assert Placeholder("n") != Placeholder("n", "b")
    assert SQL("a") + SQL("b") == Composed([SQL("a"), SQL("b")])
    assert repr(SQL("x")) == "SQL('x')"
    assert repr(Identifier("a", "b")) == "Identifier('a', 'b')"
    assert repr(Literal(1)) == "Literal(1)"
    assert repr(Placeholder()) == "Placeholder()"
    assert repr(Placeholder("n", "b")) == "Placeholder('n', format=BINARY)"
    assert Literal([1]).wrapped == [1]


@pytest.mark.parametrize(
    ("placeholder", "expected"),
    [
        (Placeholder(), "%s"),
        (Placeholder(format="b"), "%b"),
        (Placeholder(format=Format.TEXT), "%t"),
        (Placeholder("x"), "%(x)s"),
        (Placeholder("x", Format.BINARY), "%(x)b"),
        (Placeholder("a b"), "%(a b)s"),
    ],
)
def test_placeholder(placeholder: Placeholder, expected: str) -> None:
    assert placeholder.as_string() == expected


def test_placeholder_errors() -> None:
    with pytest.raises(ValueError):
        Placeholder("a)")
    with pytest.raises(ValueError):
        Placeholder("")
    with pytest.raises(ValueError):
        Placeholder(format="x")
    with pytest.raises(TypeError):
        Placeholder(1)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Composable queries through convert_query
# --------------------------------------------------------------------------


def test_composed_query_with_placeholders() -> None:
    q = SQL("INSERT INTO {} ({}) VALUES ({})").format(
        Identifier("s", "t"),
        SQL(", ").join([Identifier("a"), Identifier("b")]),
        SQL(", ").join([Placeholder("a"), Placeholder("b", "b")]),
    )
    pq = convert_query(q, {"a": 1, "b": 2})
    assert pq.query == b'INSERT INTO "s"."t" ("a", "b") VALUES ($1, $2)'
    assert pq.params == [1, 2]
    assert pq.formats == [None, B]


def test_composed_percent_in_data_is_not_a_placeholder() -> None:
    q = SQL("SELECT {}, {} FROM t WHERE x LIKE 'a%%' AND y = %s").format(
        Literal("50%s"), Identifier("col%")
    )
    pq = convert_query(q, (7,))
    assert pq.query == b"SELECT '50%s', \"col%\" FROM t WHERE x LIKE 'a%' AND y = $1"
    assert pq.params == [7]
    # Without parameters everything is sent as rendered.
    pq = convert_query(q, None)
    assert pq.query == b"SELECT '50%s', \"col%\" FROM t WHERE x LIKE 'a%%' AND y = %s"
    assert pq.params is None


def test_foreign_composable_subclass() -> None:
    class Raw(sql.Composable):
        def as_string(self, context: Any = None) -> str:
            return f"/* {self._obj} */"

    class Broken(sql.Composable):
        pass

    assert (SQL("SELECT 1 ") + Raw("note")).as_string() == "SELECT 1 /* note */"
    assert convert_query(Raw("x") + SQL(" %s"), (1,)).query == b"/* x */ $1"
    with pytest.raises(NotImplementedError):
        Broken(1).as_string()


def test_composed_query_encoding() -> None:
    pq = convert_query(SQL("SELECT {}").format("é"), None, "latin-1")
    assert pq.query == b"SELECT '\xe9'"
