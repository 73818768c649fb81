"""Registries, contexts, the Transformer, and the dumping errors."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from pgwire.accel import decode_plans
from pgwire.errors import DataError, ProgrammingError
from pgwire.types import (
    AdaptContext,
    Dumper,
    Format,
    Json,
    Jsonb,
    Loader,
    Transformer,
    TypesRegistry,
    default_registry,
    oids,
    python_encoding,
    set_json_dumps,
    set_json_loads,
)
from pgwire.types import json as json_module
from pgwire.types.datetime import DateLoader


class UpperLoader(Loader):
    format = Format.TEXT

    def load(self, data: bytes) -> str:
        return data.decode().upper()


class UpperBinaryLoader(UpperLoader):
    format = Format.BINARY


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


class PointDumper(Dumper):
    format = Format.TEXT
    oid = oids.POINT_OID

    def dump(self, obj: Any) -> bytes:
        return f"({obj.x},{obj.y})".encode()


def test_default_registry_has_builtins() -> None:
    assert default_registry.get_loader(oids.INT4_OID, Format.BINARY) is not None
    assert default_registry.get_loader(oids.INT4_ARRAY_OID, Format.TEXT) is not None
    assert default_registry.get_dumper(bool, Format.TEXT) is not None
    assert default_registry.array_of(oids.INT4_OID) == oids.INT4_ARRAY_OID
    assert default_registry.array_element(oids.INT4_ARRAY_OID) == oids.INT4_OID
    assert default_registry.array_element(oids.INT4_OID) is None


def test_registry_copy_on_write() -> None:
    """``TypesRegistry(template)`` is a copy: later registrations stay on their side (psycopg)."""
    parent = TypesRegistry(default_registry)
    parent.register_loader("text", UpperLoader)
    child = TypesRegistry(parent)
    assert child.get_loader(oids.TEXT_OID, Format.TEXT) is UpperLoader
    parent.register_loader("int4", UpperLoader)
    child.register_loader("float8", UpperLoader)
    assert child.get_loader(oids.INT4_OID, Format.TEXT) is not UpperLoader
    assert parent.get_loader(oids.FLOAT8_OID, Format.TEXT) is not UpperLoader
    assert default_registry.get_loader(oids.INT4_OID, Format.TEXT) is not UpperLoader
    assert default_registry.get_loader(oids.TEXT_OID, Format.TEXT) is not UpperLoader
    # The binary one still comes from the default registry.
    assert child.get_loader(oids.TEXT_OID, Format.BINARY) is not None
    ctx = AdaptContext(parent)
    t = Transformer(ctx)
    assert t.column_loaders([oids.TEXT_OID], [Format.TEXT])[0](b"abc") == "ABC"
    # Arrays of text pick the element loader from the same registry.
    assert t.column_loaders([oids.TEXT_ARRAY_OID], [Format.TEXT])[0](b"{a,b}") == ["A", "B"]


def test_psycopg_shaped_tables_list_and_restore() -> None:
    """psycopg-shaped ``_dumpers``/``_loaders``/``_dumpers_by_oid``: saved, changed, put back."""
    import copy

    from pgwire.types.adapt import PyFormat
    from pgwire.types.typeinfo import TypeInfo

    parent = TypesRegistry(default_registry)
    parent.register_dumper(Point, PointDumper)
    reg = TypesRegistry(parent)
    # A copy lists what it was copied from, as a psycopg map copied from the global one.
    assert reg._dumpers[PyFormat.TEXT][Point] is PointDumper
    assert reg._dumpers[PyFormat.AUTO][Point] is PointDumper
    assert Point not in reg._dumpers[PyFormat.BINARY]
    assert reg._dumpers[PyFormat.AUTO][int] is default_registry.get_dumper(int, None)
    assert reg._dumpers_by_oid[Format.TEXT][oids.POINT_OID] is PointDumper
    assert reg._loaders[Format.BINARY][oids.INT4_OID] is default_registry.get_loader(
        oids.INT4_OID, Format.BINARY
    )

    saved = (
        copy.deepcopy(reg._dumpers),
        copy.deepcopy(reg._dumpers_by_oid),
        copy.deepcopy(reg._loaders),
        list(reg.types),
    )
    reg.register_dumper(Point, type("OtherPointDumper", (PointDumper,), {}))
    reg.register_loader("text", UpperLoader)
    reg.types.add(TypeInfo("thing", 900001, 900002))
    assert reg.types["thing"].oid == 900001
    assert reg.get_dumper_by_oid(oids.POINT_OID, Format.TEXT).__name__ == "OtherPointDumper"

    reg._dumpers, reg._dumpers_by_oid, reg._loaders = saved[0], saved[1], saved[2]
    reg.types.clear()
    for info in saved[3]:
        reg.types.add(info)
    assert reg.get_dumper(Point, Format.TEXT) is PointDumper
    assert reg.get_dumper_by_oid(oids.POINT_OID, Format.TEXT) is PointDumper
    assert reg.get_loader(oids.TEXT_OID, Format.TEXT) is not UpperLoader
    assert reg.types.get("thing") is None
    assert list(reg.types) == []


def test_transformer_and_dumper_contexts() -> None:
    """No context means the defaults; a connection-like owner gives its own context."""
    tx = Transformer()
    assert tx.context.encoding == "utf-8"
    assert tx.get_dumper(5, Format.BINARY).dump(5)[-1:] == b"\x05"
    assert tx.get_loader(oids.INT4_OID, Format.TEXT).load(b"42") == 42

    ctx = AdaptContext()
    ctx.update_parameter("client_encoding", "LATIN1")

    class Owner:
        adapt_context = ctx

    class Child:
        connection = Owner()

    assert Transformer(Owner()).context is ctx
    assert Transformer(Child()).context is ctx
    assert Dumper(str, Owner()).context is ctx
    reg = TypesRegistry(default_registry)
    assert Transformer(reg).registry is reg
    with pytest.raises(TypeError, match="context must be"):
        Transformer(object())


def test_register_loader_by_name() -> None:
    reg = TypesRegistry(default_registry)
    reg.register_loader("double precision", UpperLoader)
    assert reg.get_loader(oids.FLOAT8_OID, Format.TEXT) is UpperLoader
    with pytest.raises(KeyError):
        reg.register_loader("no_such_type", UpperLoader)


def test_oids_lookup() -> None:
    assert oids.lookup("int4") == oids.lookup("integer") == 23
    assert oids.lookup("integer[]") == oids.lookup("_int4") == 1007
    assert oids.lookup('"char"') == oids.CHAR_OID
    assert oids.lookup("char") == oids.BPCHAR_OID
    assert oids.lookup("timestamp with time zone") == oids.TIMESTAMPTZ_OID


def test_get_dumper_follows_mro() -> None:
    class MyInt(int):
        pass

    class Color(enum.IntEnum):
        RED = 1

    t = Transformer(AdaptContext())
    assert t.dump_params([MyInt(5)], [Format.TEXT]) == ([oids.INT2_OID], [Format.TEXT], [b"5"])
    assert t.dump_params([Color.RED], [Format.TEXT])[2] == [b"1"]
    # bool is an int, but has its own dumper.
    assert t.dump_params([True], [Format.TEXT]) == ([oids.BOOL_OID], [Format.TEXT], [b"t"])
    # datetime is a date, but has its own dumper.
    assert t.dump_params([dt.datetime(2020, 1, 1)])[0] == [oids.TIMESTAMP_OID]


def test_register_dumper_per_connection_and_by_name() -> None:
    conn_reg = TypesRegistry(default_registry)
    t = Transformer(AdaptContext(conn_reg))
    with pytest.raises(ProgrammingError, match="Point"):
        t.dump_params([Point(1, 2)])
    conn_reg.register_dumper(f"{__name__}.Point", PointDumper)
    assert t.dump_params([Point(1, 2)]) == ([oids.POINT_OID], [Format.TEXT], [b"(1,2)"])
    # Not visible from other connections.
    with pytest.raises(ProgrammingError):
        Transformer(AdaptContext()).dump_params([Point(1, 2)])


def test_per_cursor_registry() -> None:
    ctx = AdaptContext()
    cursor_reg = TypesRegistry(ctx.registry)
    cursor_reg.register_loader(oids.INT4_OID, UpperLoader)
    t_cursor = Transformer(ctx, cursor_reg)
    t_plain = Transformer(ctx)
    assert t_cursor.column_loaders([oids.INT4_OID], [Format.TEXT])[0](b"1") == "1"
    assert t_plain.column_loaders([oids.INT4_OID], [Format.TEXT])[0](b"1") == 1
    # The cursor's text loader makes text the preferred format there.
    assert t_cursor.preferred_result_format(oids.INT4_OID) == Format.TEXT
    assert t_plain.preferred_result_format(oids.INT4_OID) == Format.BINARY
    # Session facts reach loaders made through the per-cursor registry.
    ctx.update_parameter("TimeZone", "Asia/Tokyo")
    load = t_cursor.column_loaders([oids.TIMESTAMPTZ_OID], [Format.TEXT])[0]
    assert load(b"2020-01-01 00:00:00+00").hour == 9


def test_pinned_transformers_share_their_loaders_not_what_comes_after() -> None:
    """Cursors made one after the other reuse the loaders; each keeps the adapters of its making."""
    ctx = AdaptContext()
    first, second = Transformer(ctx, pinned=True), Transformer(ctx, pinned=True)
    fields = [_Field(oids.INT4_OID, Format.TEXT)]
    loaders = first.fields_loaders(fields)
    assert second.fields_loaders(fields) is loaders
    assert Transformer(ctx, pinned=True).column_loaders([oids.INT4_OID], [0])[0] is loaders[0]
    # Registered after they were made: not for them, for the next one.
    ctx.registry.register_loader(oids.INT4_OID, UpperLoader)
    third = Transformer(ctx, pinned=True)
    assert third.fields_loaders(fields)[0](b"7") == "7"
    assert first.fields_loaders(fields)[0](b"7") == 7
    assert second.column_loaders([oids.INT4_OID], [0])[0](b"7") == 7
    # A cursor's own registry is its own.
    own = Transformer(ctx, TypesRegistry(ctx.registry))
    assert own.fields_loaders(fields) is not third.fields_loaders(fields)
    # A session fact reaches them all.
    ctx.update_parameter("TimeZone", "Asia/Tokyo")
    for tx in (first, second, third, Transformer(ctx, pinned=True)):
        load = tx.column_loaders([oids.TIMESTAMPTZ_OID], [Format.TEXT])[0]
        assert load(b"2020-01-01 00:00:00+00").hour == 9


class _Field:
    def __init__(self, type_oid: int, format: int) -> None:
        self.type_oid, self.format = type_oid, format


@pytest.mark.parametrize(
    "oid, fmt",
    [
        (oids.INT2_OID, Format.BINARY),
        (oids.INT4_OID, Format.BINARY),
        (oids.INT8_OID, Format.BINARY),
        (oids.OID_OID, Format.BINARY),
        (oids.BOOL_OID, Format.BINARY),
        (oids.BYTEA_OID, Format.BINARY),
        (oids.UUID_OID, Format.BINARY),
        (oids.INTERVAL_OID, Format.BINARY),
        (oids.INT4_ARRAY_OID, Format.BINARY),
        (oids.UUID_ARRAY_OID, Format.BINARY),
        (oids.NUMERIC_OID, Format.TEXT),
        (oids.NUMERIC_ARRAY_OID, Format.TEXT),
        (oids.FLOAT4_OID, Format.TEXT),
        (oids.TEXT_OID, Format.TEXT),
        (oids.VARCHAR_OID, Format.TEXT),
        (oids.JSON_OID, Format.TEXT),
        (oids.JSONB_OID, Format.TEXT),
        (oids.XID_OID, Format.TEXT),
        (oids.REGPROC_OID, Format.TEXT),
        (oids.POINT_ARRAY_OID, Format.TEXT),
        (999999, Format.TEXT),
        (oids.INET_OID, Format.TEXT),
        (oids.INT4RANGE_OID, Format.BINARY),
        (oids.NUMRANGE_OID, Format.TEXT),
        (oids.INT4RANGE_ARRAY_OID, Format.BINARY),
    ],
)
def test_preferred_result_format(oid: int, fmt: Format) -> None:
    assert Transformer(AdaptContext()).preferred_result_format(oid) == fmt


#: The types the compiled row reader is asked in binary (see asked_for_when_compiled).
_READ_FASTER_IN_BINARY = [
    oids.FLOAT8_OID,
    oids.DATE_OID,
    oids.TIMESTAMP_OID,
    oids.TIMESTAMPTZ_OID,
]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "pure"])
@pytest.mark.parametrize("oid", _READ_FASTER_IN_BINARY)
def test_compiled_reader_asks_fixed_width_values_in_binary(
    monkeypatch: pytest.MonkeyPatch, oid: int, compiled: bool
) -> None:
    monkeypatch.setattr(decode_plans, "speedups", object() if compiled else None)
    want = Format.BINARY if compiled else Format.TEXT
    assert Transformer(AdaptContext()).preferred_result_format(oid) == want


@pytest.mark.parametrize(
    "oid",
    [
        oids.TIME_OID,
        oids.NUMERIC_OID,
        oids.FLOAT4_OID,
        oids.JSONB_OID,
        oids.TEXT_OID,
        # Arrays are read by their loaders, not by fixed-width decoders.
        oids.FLOAT8_ARRAY_OID,
        oids.DATE_ARRAY_OID,
        oids.TIMESTAMPTZ_ARRAY_OID,
    ],
)
def test_compiled_reader_leaves_other_types_in_text(
    monkeypatch: pytest.MonkeyPatch, oid: int
) -> None:
    monkeypatch.setattr(decode_plans, "speedups", object())
    assert Transformer(AdaptContext()).preferred_result_format(oid) == Format.TEXT


def test_own_text_loader_keeps_its_type_in_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode_plans, "speedups", object())
    ctx = AdaptContext()
    reg = TypesRegistry(ctx.registry)
    reg.register_loader(oids.FLOAT8_OID, UpperLoader)
    reg.register_loader(oids.DATE_OID, UpperLoader)
    t = Transformer(ctx, reg)
    assert t.preferred_result_format(oids.FLOAT8_OID) == Format.TEXT
    assert t.preferred_result_format(oids.DATE_OID) == Format.TEXT
    # A stock text loader registered again is still a stock one.
    reg.register_loader(oids.DATE_OID, DateLoader)
    assert t.preferred_result_format(oids.DATE_OID) == Format.BINARY
    # A binary loader of one's own, registered last, is binary as registered.
    reg.register_loader(oids.FLOAT8_OID, UpperBinaryLoader)
    assert t.preferred_result_format(oids.FLOAT8_OID) == Format.BINARY


def test_preferred_result_format_follows_datestyle(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rows read in Python: the text formats the compiled reader skips stay in play.
    monkeypatch.setattr(decode_plans, "speedups", None)
    ctx = AdaptContext()
    t = Transformer(ctx)
    ctx.update_parameter("DateStyle", "SQL, DMY")
    # Text timestamps are read in ISO only: ask for binary.
    assert t.preferred_result_format(oids.TIMESTAMPTZ_OID) == Format.BINARY
    assert t.preferred_result_format(oids.TIMESTAMP_ARRAY_OID) == Format.BINARY
    assert t.preferred_result_format(oids.TSTZRANGE_OID) == Format.BINARY
    assert t.preferred_result_format(oids.DATE_OID) == Format.TEXT


def test_loaders_picked_again_after_session_change() -> None:
    ctx = AdaptContext()
    t = Transformer(ctx)
    (load,) = t.column_loaders([oids.TIMESTAMPTZ_OID], [Format.BINARY])
    assert t.column_loaders([oids.TIMESTAMPTZ_OID], [Format.BINARY]) == [load]
    ctx.update_parameter("TimeZone", "America/New_York")
    (load2,) = t.column_loaders([oids.TIMESTAMPTZ_OID], [Format.BINARY])
    value = load2(b"\x00\x00\x00\x00\x00\x00\x00\x00")
    assert value.tzinfo is ctx.timezone and value.hour == 19


def test_loaders_picked_again_after_registration() -> None:
    reg = TypesRegistry(default_registry)
    t = Transformer(AdaptContext(reg))
    assert t.column_loaders([oids.TEXT_OID], [Format.TEXT])[0](b"a") == "a"
    reg.register_loader(oids.TEXT_OID, UpperLoader)
    assert t.column_loaders([oids.TEXT_OID], [Format.TEXT])[0](b"a") == "A"


def test_column_loaders_unknown_and_mixed_formats() -> None:
    t = Transformer(AdaptContext())
    loads = t.column_loaders([oids.INT4_OID, 999999, 999999], [1, 0, 1])
    assert [f(v) for f, v in zip(loads, [b"\x00\x00\x00\x07", b"x", b"x"], strict=True)] == [
        7,
        "x",
        b"x",
    ]
    assert t.load_row(loads, [None, b"y", None]) == (None, "y", None)


def test_context_parameters() -> None:
    ctx = AdaptContext()
    assert (ctx.encoding, ctx.timezone) == ("utf-8", dt.timezone.utc)
    gen = ctx.generation
    ctx.update_parameter("client_encoding", "LATIN1")
    ctx.update_parameter("standard_conforming_strings", "off")
    ctx.update_parameter("IntervalStyle", "iso_8601")
    assert ctx.encoding == "iso8859_1"
    assert ctx.standard_conforming_strings is False
    assert ctx.intervalstyle == "iso_8601"
    assert ctx.parameters["client_encoding"] == "LATIN1"
    assert ctx.generation == gen + 3


@pytest.mark.parametrize(
    "pg, py",
    [
        ("UTF8", "utf-8"),
        ("SQL_ASCII", "ascii"),
        ("WIN1252", "cp1252"),
        ("EUC_JP", "euc_jp"),
        # No Python codec: one that takes ASCII only (see test_psycopg_behaviour).
        ("BOGUS", "pgwire_unsupported_bogus"),
    ],
)
def test_python_encoding(pg: str, py: str) -> None:
    assert python_encoding(pg) == py


def test_str_dump_uses_client_encoding() -> None:
    ctx = AdaptContext()
    ctx.update_parameter("client_encoding", "LATIN1")
    t = Transformer(ctx)
    assert t.dump_params(["café"])[2] == [b"caf\xe9"]
    with pytest.raises(DataError, match="encode"):
        t.dump_params(["€"])


# -- dumping ----------------------------------------------------------------------------------


def test_dump_params_none_and_formats() -> None:
    t = Transformer(AdaptContext())
    oids_, fmts, values = t.dump_params(
        [None, 1, "a", None], [None, Format.TEXT, None, Format.BINARY]
    )
    assert oids_ == [0, oids.INT2_OID, 0, 0]
    assert fmts == [Format.TEXT, Format.TEXT, Format.TEXT, Format.TEXT]
    assert values == [None, b"1", b"a", None]
    with pytest.raises(ProgrammingError):
        t.dump_params([1, 2], [None])


def test_unadaptable_type_names_it() -> None:
    class Unknown:
        pass

    t = Transformer(AdaptContext())
    with pytest.raises(ProgrammingError, match="Unknown"):
        t.dump_params([1, Unknown()])
    with pytest.raises(ProgrammingError, match="Unknown"):
        t.dump_params([[Unknown()]])
    with pytest.raises(ProgrammingError, match="'object'"):
        t.dump_params([object()])
    with pytest.raises(ProgrammingError, match="complex"):
        t.dump_params([1j], [Format.BINARY])


@pytest.mark.parametrize("fmt", [None, Format.TEXT, Format.BINARY])
def test_nul_in_str(fmt: Format | None) -> None:
    t = Transformer(AdaptContext())
    with pytest.raises(DataError, match="NUL"):
        t.dump_params(["a\x00b"], [fmt])
    with pytest.raises(DataError, match="NUL"):
        t.dump_params([["ok", "a\x00b"]], [fmt])


@pytest.mark.parametrize("fmt", [None, Format.TEXT, Format.BINARY])
@pytest.mark.parametrize(
    "obj, kind",
    [
        ([[1, 2], [3]], "lengths"),
        ([[1, 2], 3], "depths"),
        ([1, [2]], "depths"),
        ([None, [1]], "depths"),
        ([[[1]], [2]], "depths"),
        ([[], [1]], "lengths|depths"),
        ([[None], None], "depths"),
    ],
)
def test_ragged_lists(fmt: Format | None, obj: list[Any], kind: str) -> None:
    with pytest.raises(DataError, match=f"nested lists have inconsistent ({kind})"):
        Transformer(AdaptContext()).dump_params([obj], [fmt])


@pytest.mark.parametrize("fmt", [None, Format.TEXT, Format.BINARY])
@pytest.mark.parametrize(
    "obj",
    [
        [1, "a"],
        [True, 2],
        [dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)],
        [1.5, Decimal(1)],
    ],
)
def test_mixed_lists(fmt: Format | None, obj: list[Any]) -> None:
    with pytest.raises(DataError, match="different types"):
        Transformer(AdaptContext()).dump_params([obj], [fmt])


def test_list_of_int_subclasses_share_a_size() -> None:
    class Color(enum.IntEnum):
        RED = 1

    t = Transformer(AdaptContext())
    assert t.dump_params([[Color.RED, 2**40]], [Format.TEXT]) == (
        [oids.INT8_ARRAY_OID],
        [Format.TEXT],
        [b"{1,1099511627776}"],
    )


def test_time_with_zone_but_no_offset() -> None:
    from zoneinfo import ZoneInfo

    t = Transformer(AdaptContext())
    with pytest.raises(DataError, match="offset"):
        t.dump_params([dt.time(1, 2, tzinfo=ZoneInfo("Europe/Rome"))])


def test_dumper_dump_without_upgrade() -> None:
    # A caller may use a dumper's dump() directly: lists still work.
    ctx = AdaptContext()
    dcls = ctx.registry.get_dumper(list, Format.TEXT)
    assert dcls is not None
    assert dcls(list, ctx).dump([1, None]) == b"{1,NULL}"


def test_uuid_text_dump() -> None:
    u = UUID("c1b7e2a4-2b5e-4a3f-9d2f-0b1d6f2e7a11")
    t = Transformer(AdaptContext())
    assert t.dump_params([u], [Format.TEXT]) == (
        [oids.UUID_OID],
        [Format.TEXT],
        [b"c1b7e2a42b5e4a3f9d2f0b1d6f2e7a11"],
    )


def test_uuid_is_imported_by_its_first_value_and_dumped_after_pgwire(
    isolated_script: Callable[..., Any],
) -> None:
    code = """
        import sys
        import pgwire
        from pgwire.types import AdaptContext, Format, Transformer, oids
        assert "uuid" not in sys.modules
        ctx = AdaptContext()
        loader = Transformer(ctx).get_loader(oids.UUID_OID, Format.BINARY)
        assert "uuid" in sys.modules  # the loader's first use brought it
        import uuid

        class Mine(uuid.UUID):
            pass

        u = uuid.UUID("c1b7e2a4-2b5e-4a3f-9d2f-0b1d6f2e7a11")
        got = loader.load(u.bytes)
        assert type(got) is uuid.UUID and got == u and got.is_safe is uuid.SafeUUID.unknown
        t = Transformer(ctx)
        for value in (u, Mine(str(u))):
            assert t.dump_params([value], [Format.BINARY]) == (
                [oids.UUID_OID], [Format.BINARY], [u.bytes]
            )
        print("ok")
    """
    result = isolated_script(code)
    assert result.stdout == "ok\n", result.stderr


# -- json configuration ----------------------------------------------------------------------


@pytest.fixture
def restore_json() -> Iterator[None]:
    # Through __dict__: the staticmethod objects themselves.
    dumps = json_module._BaseJsonDumper.__dict__["dumps"]
    loads = json_module._BaseJsonLoader.__dict__["loads"]
    yield
    json_module._BaseJsonDumper.dumps = dumps
    json_module._BaseJsonLoader.loads = loads


def test_json_wrappers() -> None:
    t = Transformer(AdaptContext())
    assert t.dump_params([Json({"a": 1})]) == ([oids.JSON_OID], [Format.TEXT], [b'{"a": 1}'])
    assert t.dump_params([Jsonb([1])], [Format.BINARY]) == (
        [oids.JSONB_OID],
        [Format.BINARY],
        [b"\x01[1]"],
    )
    compact = Json({"a": 1}, dumps=lambda o: json.dumps(o, separators=(",", ":")))
    assert t.dump_params([compact])[2] == [b'{"a":1}']
    assert repr(Json([1])) == "Json([1])"
    assert Jsonb(1) == Jsonb(1) and Jsonb(1) != Json(1)


def test_set_json_dumps_global(restore_json: None) -> None:
    set_json_dumps(lambda o: "42")
    t = Transformer(AdaptContext())
    assert t.dump_params([{"a": 1}, Json(1)])[2] == [b"42", b"42"]


def test_set_json_loads_per_context(restore_json: None) -> None:
    ctx = AdaptContext()
    other = Transformer(AdaptContext())
    set_json_loads(lambda s: ("custom", bytes(s) if not isinstance(s, str) else s.encode()), ctx)
    t = Transformer(ctx)
    for oid in (oids.JSON_OID, oids.JSONB_OID):
        assert t.column_loaders([oid], [Format.TEXT])[0](b"[1]") == ("custom", b"[1]")
    assert t.column_loaders([oids.JSONB_OID], [Format.BINARY])[0](b"\x01[1]") == ("custom", b"[1]")
    assert other.column_loaders([oids.JSONB_OID], [Format.TEXT])[0](b"[1]") == [1]
    # Text stays the preferred format after the per-context registration.
    assert t.preferred_result_format(oids.JSONB_OID) == Format.TEXT


def test_set_json_dumps_per_object_with_adapters(restore_json: None) -> None:
    class FakeConnection:
        def __init__(self) -> None:
            self.adapters = TypesRegistry(default_registry)

    conn = FakeConnection()
    set_json_dumps(lambda o: b"[]", conn)
    t = Transformer(AdaptContext(conn.adapters))
    assert t.dump_params([{"x": 1}])[2] == [b"[]"]
    assert Transformer(AdaptContext()).dump_params([{"x": 1}])[2] == [b'{"x": 1}']
    with pytest.raises(TypeError):
        set_json_dumps(json.dumps, object())


def test_json_with_nul_from_custom_dumps() -> None:
    t = Transformer(AdaptContext())
    with pytest.raises(DataError, match="NUL"):
        t.dump_params([Json(1, dumps=lambda o: "\x00")])


def test_global_adapters_where_psycopg_keeps_them() -> None:
    import pgwire
    from pgwire import postgres

    assert pgwire.adapters is default_registry
    assert postgres.adapters is default_registry
    assert postgres.types["int4"].oid == oids.INT4_OID
    assert postgres.types["text"].array_oid == oids.TEXT_ARRAY_OID
    with pytest.raises(KeyError):
        postgres.types["no_such_type"]
