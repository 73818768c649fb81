"""Python rows turned into COPY FROM data, text or binary, in one growing buffer.

A :class:`RowEncoder` appends rows to :attr:`RowEncoder.data`, a bytearray the
COPY object sends as one CopyData message whenever it has grown past a chunk.
Each value goes through the dumper registered for its type, looked up once per
type (and column type, in binary): later values of that type call the cached
function straight away.

With the compiled accelerator, rows go to its ``CopyWriter``, which encodes in
C the rows shaped like the row its plan was learned from; a row that does not
fit is encoded here (which raises the errors) and teaches a new plan. The
bytes are the same either way. Without it, text rows of int, float and str
go through a line encoder made for their shape (see :func:`_line_encoder`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Sequence
from struct import Struct
from typing import Any

from ..accel.encode_plans import plan_copy_values
from ..accel.selection import speedups
from ..errors import BadCopyFileFormat, DataError, ProgrammingError
from ..protocol.copy_ops import BINARY_HEADER, TEXT_ESCAPES, format_text_row
from ..types import Format, Transformer
from ..types import oids as type_oids
from ..types.adapt import _never_upgrades as never_upgrades
from ..types.array import dump_binary_array
from ..types.binary import JSON_TARGETS, TargetDumpers
from ..types.numeric import FloatDumper, _IntTextDumper
from ..types.text import StrDumperUnknown

__all__ = ["CHUNK_SIZE", "RowEncoder"]

CHUNK_SIZE = 1 << 16
"""Encoded bytes past which the rows are worth sending as one CopyData message."""

ValueFunc = Callable[[Any], bytes]

_pack_count = Struct("!h").pack
_pack_len = Struct("!i").pack
_NULL_TEXT = b"\\N"
_NULL_BINARY = b"\xff\xff\xff\xff"

_INT_SIZES = {type_oids.INT2_OID: 2, type_oids.INT4_OID: 4, type_oids.INT8_OID: 8}

# Encodings in which a byte below 0x80 is always that ASCII character: COPY's
# escapes can be written on the encoded bytes. Others (SJIS, BIG5, GBK...)
# may hide a backslash inside a multibyte character, so they go through str.
_ASCII_SAFE = frozenset(
    {
        "utf-8",
        "ascii",
        "iso8859-1",
        "iso8859-2",
        "iso8859-5",
        "iso8859-15",
        "cp1252",
        "euc_jp",
        "euc_kr",
        "koi8-r",
        "koi8-u",
        "cp1251",
        "cp1250",
        "cp866",
    }
)


# TEXT_ESCAPES, looked for in a str and in its encoded bytes (ASCII-safe encodings).
_RESERVED_STR = re.compile("[" + re.escape("".join(TEXT_ESCAPES)) + "]")
_RESERVED = re.compile(_RESERVED_STR.pattern.encode())
_ESCAPES = {char.encode(): escape.encode() for char, escape in TEXT_ESCAPES.items()}


def _escape_match(match: re.Match[bytes]) -> bytes:
    return _ESCAPES[match.group()]


def _escape_bytes(data: bytes) -> bytes:
    """``data`` with COPY text's reserved bytes backslash-escaped."""
    if _RESERVED.search(data) is None:
        return data
    return _RESERVED.sub(_escape_match, data)


def _int_text(obj: Any) -> bytes:
    return b"%d" % obj


# --- rows of int, float and str written as one str (pure Python, text format) ---

#: How each kind of value is checked and turned into its text in a line
#: encoder: the value's exact type is checked, None written as NULL, and
#: anything else (another type, a str needing escapes) makes the encoder
#: return None, for the row to be written value by value.
_LINE_CODE = {
    "int": (
        "    if type(v{j}) is not int:\n"
        "        if v{j} is not None: return None\n"
        "        v{j} = NULL\n"
    ),
    "float": (
        "    if type(v{j}) is float:\n"
        "        v{j} = float_repr(v{j})\n"
        # A finite float's repr ends with a digit; inf, -inf and nan don't.
        "        if v{j}[-1] in 'fn': v{j} = FLOAT_SPECIAL[v{j}]\n"
        "    elif v{j} is None: v{j} = NULL\n"
        "    else: return None\n"
    ),
    "str": (
        "    if type(v{j}) is not str:\n"
        "        if v{j} is not None: return None\n"
        "        v{j} = NULL\n"
        "    elif reserved(v{j}) is not None: return None\n"
    ),
    None: "    if v{j} is not None: return None\n    v{j} = NULL\n",
}
_LINE_NAMESPACE = {
    "NULL": "\\N",
    "float_repr": float.__repr__,
    "FLOAT_SPECIAL": {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"},
    "reserved": re.compile(_RESERVED_STR.pattern[:-1] + "\\x00]").search,
}
#: The exact type of the values of each kind a line encoder writes.
_LINE_TYPES = {"int": int, "float": float, "str": str}


def _plain_text_kind(used: Any, stable: bool) -> str | None:
    """What a text dumper writes plainly: "int" (the digits), "float" (repr()), "str" (the str).

    None for any other dumper. ``stable``: the dumper is the one registered
    for the type, whatever the value (a float's is asked for that).
    """
    if isinstance(used, _IntTextDumper) and type(used).dump is _IntTextDumper.dump:
        # int2/int4/int8 are picked by value, and all write the digits.
        return "int"
    if stable and type(used) is FloatDumper:
        return "float"
    if type(used).dump is StrDumperUnknown.dump:
        return "str"
    return None


#: Line encoders made for one COPY at most (column kinds changing row after row).
_MAX_LINE_ENCODERS = 8


def _line_encoder(kinds: Sequence[str | None], encoding: str) -> Callable[[Any], bytes | None]:
    """A function writing a row of these kinds of values as one COPY text line, or None.

    Made from source, as :mod:`dataclasses` makes its methods: one function
    per row shape checks, converts and joins the values with no call per
    value, which is what makes the pure Python path as fast as it gets.
    The source is made of the fixed snippets of :data:`_LINE_CODE` only.
    """
    names = [f"v{j}" for j in range(len(kinds))]
    body = "".join(_LINE_CODE[kind].format(j=j) for j, kind in enumerate(kinds))
    line = "\\t".join("{" + name + "}" for name in names)
    source = (
        f"def encode_line(row):\n    {', '.join(names)}, = row\n{body}"
        f"    return f'{line}\\n'.encode({encoding!r})\n"
    )
    namespace: dict[str, Any] = dict(_LINE_NAMESPACE)
    exec(source, namespace)  # noqa: S102 - fixed snippets, see above
    encode_line: Callable[[Any], bytes | None] = namespace["encode_line"]
    return encode_line


class RowEncoder:
    """Encodes rows of one COPY FROM into :attr:`data` (text or binary format).

    ``types`` are the column type OIDs (needed by the binary format);
    ``ncolumns`` the number of columns the server expects. ``ncolumns`` None
    is a COPY with no server to ask (data for a file): rows of any length,
    and in binary without types each value in its own type's binary format.
    """

    def __init__(
        self,
        tx: Transformer,
        encoding: str,
        *,
        binary: bool,
        ncolumns: int | None,
        types: Sequence[int] | None,
    ) -> None:
        if binary and types is None and ncolumns is not None:
            raise ProgrammingError("binary COPY FROM needs set_types() before write_row()")
        if types is not None and ncolumns is not None and len(types) != ncolumns:
            raise ProgrammingError(
                f"set_types() got {len(types)} types for a COPY of {ncolumns} columns"
            )
        if ncolumns is None:
            ncolumns = len(types) if types is not None else None
        self._tx = tx
        self._encoding = encoding
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            name = encoding
        self._ascii_safe = name in _ASCII_SAFE
        self._binary = binary
        self._ncolumns = ncolumns
        # None: each value in its own type (binary with no types and no server).
        self._types: tuple[int, ...] | None = (
            tuple(types) if types is not None else None if binary else (0,) * (ncolumns or 0)
        )
        # Per column: value type -> the function writing its bytes (escaped, in text).
        self._funcs: list[dict[type, ValueFunc]] = [{} for _ in range(ncolumns or 0)]
        # Per column: value type -> its kind in a line encoder (int, float,
        # str: the types whose dumpers write what str() or repr() gives).
        self._line_kinds: list[dict[type, str]] = [{} for _ in range(ncolumns or 0)]
        self._line: Callable[[Any], bytes | None] | None = None
        self._line_shape: tuple[str | None, ...] | None = None
        self._lines_made = 0
        # Text rows of a known width go through a line encoder, in pure
        # Python only: the compiled writer takes them otherwise.
        self._lines = (
            not binary and self._ascii_safe and ncolumns is not None and speedups is None
        )
        self._line_encoding = tx.adapt_context.write_encoding
        # Writes values as the binary format of their column types.
        self._targets = TargetDumpers(tx.adapt_context)
        #: The COPY data encoded so far (the binary header first).
        self.data = bytearray(BINARY_HEADER if binary else b"")
        self._learning = True
        if speedups is not None and self._ascii_safe and ncolumns is not None:
            # The compiled writer takes the rows; the ones its plan doesn't fit
            # come back to _add_and_learn. Its methods replace ours.
            writer = speedups.CopyWriter(binary, self.data, self._add_and_learn, CHUNK_SIZE)
            self.add_row = writer.add_row  # type: ignore[method-assign]
            self.add_rows = writer.add_rows  # type: ignore[method-assign]
            self._writer: Any = writer
        else:
            self._writer = None

    # --- the whole-row paths ---------------------------------------------------

    def add_row(self, row: Sequence[Any]) -> bool:
        """Append one row; return True once :attr:`data` holds a chunk worth sending."""
        data = self.data
        data += self._encode_row(row)
        return len(data) >= CHUNK_SIZE

    def row_writer(
        self, on_full: Callable[[], Any] | None, idle: Any = None
    ) -> Callable[[Sequence[Any]], Any] | None:
        """The compiled ``write_row(row)``, None without the compiled writer.

        It appends a row; once a chunk is held it calls ``on_full()`` and
        returns its result, otherwise it returns ``idle``. ``on_full`` None
        detaches it.
        """
        if self._writer is None:
            return None
        self._writer.on_full = on_full
        self._writer.idle = idle
        return self._writer.write_row  # type: ignore[no-any-return]

    def add_rows(self, rows: Sequence[Sequence[Any]]) -> bool:
        """Append the rows of a list or tuple; return True once :attr:`data` holds a chunk."""
        data = self.data
        encode_row = self._encode_row
        for row in rows:
            data += encode_row(row)
        return len(data) >= CHUNK_SIZE

    def _add_and_learn(self, row: Sequence[Any]) -> None:
        """Append a row the compiled plan doesn't fit; plan the writer after it."""
        self.data += self._encode_row(row)
        # The compiled writer is only made for a COPY with known columns.
        assert self._types is not None
        if not self._learning:
            return
        fmt = Format.BINARY if self._binary else Format.TEXT
        plan = plan_copy_values(
            row,
            self._tx.param_dumpers(row, [fmt] * len(row)),
            self._types,
            binary=self._binary,
            previous=self._writer.plan,
        )
        if plan is None:
            # Values whose dumper is chosen per value: Python it is, for good.
            self._learning = False
        self._writer.plan = plan

    # --- one row in Python -------------------------------------------------------

    def _encode_row(self, row: Sequence[Any]) -> bytes:
        if len(row) != self._ncolumns:
            if self._ncolumns is not None:
                # What the server would answer, raised before the row is sent.
                raise BadCopyFileFormat(
                    f"a row of {len(row)} values for a COPY of {self._ncolumns} columns"
                )
            self._funcs.extend({} for _ in range(len(row) - len(self._funcs)))
        funcs = self._funcs
        if self._binary:
            parts = [_pack_count(len(row))]
            for j, obj in enumerate(row):
                if obj is None:
                    parts.append(_NULL_BINARY)
                    continue
                func = funcs[j].get(type(obj)) or self._value_func(j, obj)
                value = func(obj)
                if value is None:  # a dumper may write NULL
                    parts.append(_NULL_BINARY)
                    continue
                parts.append(_pack_len(len(value)))
                parts.append(value)
            return b"".join(parts)
        if self._line is not None:
            try:
                line = self._line(row)
            except UnicodeEncodeError:
                line = None  # raised below, in the dumper's words
            if line is not None:
                return line
        texts = []
        for j, obj in enumerate(row):
            if obj is None:
                texts.append(_NULL_TEXT)
            else:
                texts.append((funcs[j].get(type(obj)) or self._value_func(j, obj))(obj))
        if self._lines:
            self._learn_line(row)
        return b"\t".join(texts) + b"\n"

    def _learn_line(self, row: Sequence[Any]) -> None:
        """After a row written value by value: a line encoder for rows shaped like it."""
        previous = self._line_shape or (None,) * len(row)
        shape = []
        for j, obj in enumerate(row):
            if obj is None:
                shape.append(previous[j])
                continue
            kind = self._line_kinds[j].get(type(obj))
            if kind is None:
                return  # a value of no line kind: value by value
            shape.append(kind)
        if tuple(shape) == self._line_shape:
            return  # the row did not fit for its values (escapes), not its shape
        if self._lines_made >= _MAX_LINE_ENCODERS:
            self._lines = False
            self._line = None
            return
        self._lines_made += 1
        self._line_shape = tuple(shape)
        self._line = _line_encoder(shape, self._line_encoding)

    def _value_func(self, column: int, obj: Any) -> ValueFunc:
        """The function writing values of ``obj``'s type in ``column``, cached for the type."""
        tx = self._tx
        fmt = Format.BINARY if self._binary else Format.TEXT
        target = self._types[column] if self._types else 0
        if not self._binary and target in JSON_TARGETS and type(obj) not in (str, bytes):
            # set_types() named a json column: the value is written as JSON
            # (a list as a JSON array, not as a PostgreSQL array literal).
            dcls = tx.registry.get_dumper_by_oid(target, Format.TEXT)
            func = self._text_func(obj, dcls(type(obj), tx.adapt_context), True)
            self._funcs[column][type(obj)] = func
            self._lines = False  # JSON is no line kind (see below)
            return func
        if self._binary and target in JSON_TARGETS:
            # Any value is a JSON document there: its class needs no dumper of its own.
            func = self._typed_func(target, obj, None, True)
            self._funcs[column][type(obj)] = func
            return func
        used = tx.get_dumper(obj, fmt)
        pair = tx.param_dumpers([obj], [fmt])[0]
        stable = pair is not None and pair[0] is used and never_upgrades(used)
        if self._binary:
            func = self._binary_func(column, obj, used, stable)
        else:
            func = self._text_func(obj, used, stable)
            if self._lines:
                kind = self._line_kind(obj, used, stable)
                if kind is None:
                    # Rows holding this type go value by value; the line
                    # encoder made so far still takes the rows it fits.
                    self._lines = False
                else:
                    self._line_kinds[column][type(obj)] = kind
        self._funcs[column][type(obj)] = func
        return func

    def _line_kind(self, obj: Any, used: Any, stable: bool) -> str | None:
        """The kind of ``obj`` in a line encoder, if its dumper writes what the encoder would."""
        kind = _plain_text_kind(used, stable)
        if kind is None or type(obj) is not _LINE_TYPES[kind]:
            return None
        if kind == "str" and not (stable and used._encoding == self._line_encoding):
            return None
        return kind

    def _text_func(self, obj: Any, used: Any, stable: bool) -> ValueFunc:
        if used.format != Format.TEXT:
            name = type(obj).__name__
            raise DataError(f"text COPY: a {name} has no text dumper to write it with")
        kind = _plain_text_kind(used, stable)
        if kind == "int":
            return _int_text
        if kind == "float":
            return used.dump  # type: ignore[no-any-return]
        if stable:
            dump = used.dump
        else:
            get_dumper = self._tx.get_dumper

            def dump(v: Any) -> bytes:
                return get_dumper(v, Format.TEXT).dump(v)  # type: ignore[no-any-return]

        if self._ascii_safe:
            if kind == "str":
                # The reserved characters are looked for in the str: no
                # second pass over the bytes when (as is usual) there are none.
                def dump_str(v: Any) -> bytes:
                    if _RESERVED_STR.search(v) is not None:
                        return _RESERVED.sub(_escape_match, dump(v))
                    return dump(v)  # type: ignore[no-any-return]

                return dump_str

            def dump_escaped(v: Any) -> bytes:
                data = dump(v)
                return _NULL_TEXT if data is None else _escape_bytes(data)

            return dump_escaped
        encoding = self._encoding

        def dump_reencoded(v: Any) -> bytes:
            data = dump(v)
            if data is None:  # a dumper may write NULL
                return _NULL_TEXT
            return format_text_row([data.decode(encoding)])[:-1].encode(encoding)

        return dump_reencoded

    def _binary_func(self, column: int, obj: Any, used: Any, stable: bool) -> ValueFunc:
        if self._types is None:
            # No column types: each value as its own type's binary format.
            get_dumper = self._tx.get_dumper

            def dump_natural(v: Any) -> bytes:
                dumper = used if stable else get_dumper(v, Format.BINARY)
                if dumper.format != Format.BINARY:
                    raise DataError(f"binary COPY: a {type(v).__name__} has no binary format")
                return dumper.dump(v)  # type: ignore[no-any-return]

            return dump_natural
        return self._typed_func(self._types[column], obj, used, stable)

    def _typed_func(self, oid: int, obj: Any, used: Any, stable: bool) -> ValueFunc:
        """The function writing values like ``obj`` as the binary format of type ``oid``."""
        elem_oid = self._tx.registry.array_element(oid) if isinstance(obj, list) else None
        if elem_oid:
            return self._array_func(elem_oid)
        if type(obj) is int and oid in _INT_SIZES:
            size = _INT_SIZES[oid]

            def dump_int(v: Any) -> bytes:
                try:
                    return v.to_bytes(size, "big", signed=True)  # type: ignore[no-any-return]
                except OverflowError:
                    raise DataError(f"{v} does not fit the column's type") from None

            return dump_int
        targets = self._targets
        if stable:
            fixed = targets.get(obj, oid)
            if fixed is None:
                raise _no_binary_form(obj, oid)
            if never_upgrades(fixed):
                return fixed.dump  # type: ignore[no-any-return]

        def dump(v: Any) -> bytes:
            dumper = targets.get(v, oid)
            if dumper is None:
                raise _no_binary_form(v, oid)
            return dumper.dump(v)  # type: ignore[no-any-return]

        return dump

    def _array_func(self, elem_oid: int) -> ValueFunc:
        """Lists as binary arrays of ``elem_oid``, each element written as that type."""
        funcs: dict[type, ValueFunc] = {}
        get_dumper = self._tx.get_dumper

        def dump_element(v: Any) -> bytes:
            func = funcs.get(type(v))
            if func is None:
                func = funcs[type(v)] = self._typed_func(
                    elem_oid, v, get_dumper(v, Format.BINARY), False
                )
            return func(v)

        return lambda v: dump_binary_array(v, elem_oid, dump_element)


def _no_binary_form(obj: Any, oid: int) -> DataError:
    """The error for a value that has no binary form of the column type ``oid``."""
    name = type_oids.OID_TO_NAME.get(oid, str(oid))
    return DataError(f"binary COPY: a {type(obj).__name__} can't be written to a {name} column")
