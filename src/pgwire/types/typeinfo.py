"""What the server's catalog says about a type, and registering types found there.

Types created by users or extensions (composites, enums, domains, ranges,
hstore...) have OIDs known only at run time. :meth:`TypeInfo.fetch` reads
them from ``pg_type`` (with ``pg_range``, ``pg_attribute`` and ``pg_enum``)
for a type name, with a blocking or an asyncio connection::

    info = TypeInfo.fetch(conn, "myschema.mytype")        # None if not found
    info = await TypeInfo.fetch(aconn, '"My Type"')

and :meth:`TypeInfo.register` makes the type and its array type load as
well as they can without Python-side choices (a domain as its base type, an
enum as str, a range as Range, a composite as a namedtuple). The
``register_*`` functions of :mod:`pgwire.types` take an info and the
choices (``register_composite(info, conn, factory)``,
``register_enum(info, conn, MyEnum)``...).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from ..errors import ProgrammingError
from .adapt import Format, TypesRegistry, decode_error, registry_of

__all__ = [
    "CompositeInfo",
    "DomainInfo",
    "EnumInfo",
    "MultirangeInfo",
    "RangeInfo",
    "TypeInfo",
    "fetch_query",
    "info_from_rows",
]

# The first server version with multirange types (and pg_range.rngmultitypid).
_MULTIRANGE_VERSION = 140000

# The OID a type reduces to once domains are replaced by their base type,
# however deep the chain of domains; {oid} is the SQL expression of the start.
_BASE_OF = """(
    WITH RECURSIVE chain(oid, typtype, base) AS (
        SELECT x.oid, x.typtype, x.typbasetype FROM pg_catalog.pg_type x WHERE x.oid = {oid}
        UNION ALL
        SELECT y.oid, y.typtype, y.typbasetype
        FROM pg_catalog.pg_type y JOIN chain ON y.oid = chain.base
        WHERE chain.typtype = 'd')
    SELECT chain.oid FROM chain WHERE chain.typtype <> 'd')"""

_QUERY = """\
SELECT
    t.typname::text, t.oid, t.typarray, t.oid::pg_catalog.regtype::text,
    t.typdelim::text, t.typtype::text,
    CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END,
    CASE WHEN t.typtype = 'd' THEN {base_of_domain} ELSE 0 END,
    {subtype}, {multirange}, {multirange_array}, {range},
    f.names, f.types, f.bases, e.labels
FROM pg_catalog.pg_type t
LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
{multirange_joins}
LEFT JOIN LATERAL (
    SELECT
        pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) AS names,
        pg_catalog.array_agg(a.atttypid ORDER BY a.attnum) AS types,
        pg_catalog.array_agg({base_of_field} ORDER BY a.attnum) AS bases
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
) f ON t.typtype = 'c'
LEFT JOIN LATERAL (
    SELECT pg_catalog.array_agg(l.enumlabel::text ORDER BY l.enumsortorder) AS labels
    FROM pg_catalog.pg_enum l WHERE l.enumtypid = t.oid
) e ON t.typtype = 'e'
WHERE t.oid = {target}"""

_MULTIRANGE_JOINS = """\
LEFT JOIN pg_catalog.pg_type mt ON mt.oid = r.rngmultitypid
LEFT JOIN pg_catalog.pg_range mr ON mr.rngmultitypid = t.oid"""


def fetch_query(server_version: int, by_oid: bool = False) -> str:
    """Return the catalog query behind :meth:`TypeInfo.fetch`, with one ``%s`` parameter.

    The parameter is a type name as SQL spells it (``"integer"``,
    ``'myschema."My Type"'``, ``"int4[]"``) or, with `by_oid`, a type OID.
    The query returns one row per type found (none or one); turn them into a
    TypeInfo with :func:`info_from_rows`.
    """
    modern = server_version == 0 or server_version >= _MULTIRANGE_VERSION
    return _QUERY.format(
        base_of_domain=_BASE_OF.format(oid="t.typbasetype"),
        base_of_field=_BASE_OF.format(oid="a.atttypid"),
        subtype="coalesce(r.rngsubtype, mr.rngsubtype, 0)" if modern else "r.rngsubtype",
        multirange="coalesce(r.rngmultitypid, 0)" if modern else "0",
        multirange_array="coalesce(mt.typarray, 0)" if modern else "0",
        range="coalesce(mr.rngtypid, 0)" if modern else "0",
        multirange_joins=_MULTIRANGE_JOINS if modern else "",
        target="%s::pg_catalog.int8::pg_catalog.oid" if by_oid else "pg_catalog.to_regtype(%s)",
    )


class TypeInfo:
    """A PostgreSQL type as the catalog describes it.

    Every kind of type has :attr:`name`, :attr:`oid`, :attr:`array_oid`
    (0 if none), :attr:`regtype` (the SQL spelling, schema-qualified when the
    schema is not in the search path), :attr:`delimiter` (of array elements)
    and :attr:`typtype` (``b`` base, ``c`` composite, ``d`` domain, ``e``
    enum, ``r`` range, ``m`` multirange, ``p`` pseudo-type). The other
    attributes describe one kind and are empty for the others.

    :meth:`fetch` returns the subclass for the kind found
    (:class:`CompositeInfo`, :class:`EnumInfo`, :class:`RangeInfo`,
    :class:`MultirangeInfo`, :class:`DomainInfo`); called on a subclass it
    accepts only that kind.
    """

    #: The typtype a subclass stands for ("" for any).
    kind: ClassVar[str] = ""

    def __init__(
        self,
        name: str,
        oid: int,
        array_oid: int = 0,
        *,
        regtype: str = "",
        delimiter: str = ",",
        typtype: str | None = None,
        element_oid: int = 0,
        base_oid: int = 0,
        subtype_oid: int = 0,
        multirange_oid: int = 0,
        multirange_array_oid: int = 0,
        range_oid: int = 0,
        field_names: Sequence[str] = (),
        field_types: Sequence[int] = (),
        field_base_types: Sequence[int] | None = None,
        labels: Sequence[str] = (),
    ) -> None:
        """Describe a type; usually built by :meth:`fetch`."""
        #: The type name, without schema (``pg_type.typname``).
        self.name = name
        #: The type OID.
        self.oid = oid
        #: The OID of its array type, 0 if it has none.
        self.array_oid = array_oid
        #: The name as SQL spells it, schema-qualified where needed.
        self.regtype = regtype or name
        #: The separator of the elements in the text form of its arrays.
        self.delimiter = delimiter
        #: The kind of type: b, c, d, e, r, m or p.
        self.typtype = typtype if typtype is not None else (self.kind or "b")
        #: Array types: the element type OID.
        self.element_oid = element_oid
        #: Domains: the type the domain reduces to (domains over domains followed).
        self.base_oid = base_oid
        #: Ranges and multiranges: the OID of the bounds' type.
        self.subtype_oid = subtype_oid
        #: Ranges: the OID of their multirange type (PostgreSQL 14+).
        self.multirange_oid = multirange_oid
        #: Ranges: the OID of the array type of their multirange type.
        self.multirange_array_oid = multirange_array_oid
        #: Multiranges: the OID of their range type.
        self.range_oid = range_oid
        #: Composites: the names of the fields, in order.
        self.field_names = list(field_names)
        #: Composites: the declared type OIDs of the fields (domains included).
        self.field_types = list(field_types)
        #: Composites: the field types with domains replaced by their base types.
        self.field_base_types = (
            list(field_base_types) if field_base_types is not None else list(field_types)
        )
        #: Enums: the labels, in the enum's order.
        self.labels = list(labels)
        #: Composites: the class (or factory) values load as, once registered.
        self.python_type: Any = None
        #: Composites: what gives a registered object's field values, if not its items
        #: or attributes (``register_composite(make_sequence=...)``).
        self.make_sequence: Any = None
        #: Enums: the Python enum its values load as, once registered.
        self.enum: Any = None

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.regtype!r} oid={self.oid}"
            f" array_oid={self.array_oid} typtype={self.typtype!r}>"
        )

    # -- fetching -------------------------------------------------------------

    @staticmethod
    def _has_to_regtype_function(conn: Any) -> bool:
        """Whether fetch() looks names up with ``to_regtype()`` (psycopg's hook): always.

        Every server pgwire supports has it, so a name that is not a type
        gives None without an error inside the lookup's transaction block.
        """
        return True

    @classmethod
    def fetch(cls, conn: Any, name: Any) -> Any:
        """Look up the type called `name` with `conn`; None if there is none.

        `name` is a type name as SQL spells it (``"myschema.mytype"``,
        ``'"My Type"'``, ``"integer"``), a composable such as
        ``sql.Identifier("myschema", "mytype")``, or a type OID. With a
        blocking connection (or cursor) the info is returned; with an asyncio
        one a coroutine is, to be awaited. The query runs in a transaction
        block of its own (a savepoint inside a transaction), so the connection
        is left in the state it was found in.
        """
        import inspect  # here: each process's import of pgwire would pay for it

        conn = _connection_of(conn)
        if inspect.iscoroutinefunction(getattr(type(conn), "execute", None)):
            return cls._fetch_async(conn, name)
        return cls._fetch_sync(conn, name)

    @classmethod
    def _prepare(cls, conn: Any, name: Any) -> tuple[str, tuple[Any, ...]]:
        if hasattr(name, "as_string"):
            name = name.as_string(conn)
        by_oid = isinstance(name, int) and not isinstance(name, bool)
        if not by_oid and not isinstance(name, str):
            raise TypeError(f"a type name or OID is needed, not {type(name).__name__}")
        info = getattr(conn, "info", None)
        version = getattr(info, "server_version", 0) or 0
        return fetch_query(version, by_oid), (name,)

    @classmethod
    def _fetch_sync(cls, conn: Any, name: Any) -> TypeInfo | None:
        sql, params = cls._prepare(conn, name)
        with conn.transaction():
            rows = conn.execute(sql, params).fetchall()
        return info_from_rows(rows, cls, name)

    @classmethod
    async def _fetch_async(cls, conn: Any, name: Any) -> TypeInfo | None:
        sql, params = cls._prepare(conn, name)
        async with conn.transaction():
            cur = await conn.execute(sql, params)
            rows = await cur.fetchall()
        return info_from_rows(rows, cls, name)

    # -- registering ----------------------------------------------------------

    def register(self, context: Any = None) -> None:
        """Record the type in `context` and load its array type as a list.

        As in psycopg, the type's own values keep the loader they have
        (enums, composites and ranges load as text: :func:`register_enum`,
        :func:`register_composite`, :func:`register_range` choose more); the
        elements of its arrays load as the type does. A domain loads as its
        base type (which must be known to `context` already): the server
        reports the base type for domain columns, so this only changes its
        arrays and composite fields. `context` is a connection, a cursor, an
        AdaptContext or a TypesRegistry (None: every connection).
        """
        reg = registry_of(context)
        reg.add_type(self)
        if self.typtype == "d":
            _register_domain(self, reg)
        elif self.element_oid:
            # Lists keep dumping as the element's own array type (not as
            # int2vector for int2, say).
            reg.register_array(self.oid, self.element_oid, self.delimiter, dump=False)
        register_array_of(self, reg)


class CompositeInfo(TypeInfo):
    """A composite type (``CREATE TYPE ... AS (...)``, or a table's row type)."""

    kind = "c"


class EnumInfo(TypeInfo):
    """An enum type (``CREATE TYPE ... AS ENUM (...)``)."""

    kind = "e"


class RangeInfo(TypeInfo):
    """A range type (``CREATE TYPE ... AS RANGE (subtype = ...)``)."""

    kind = "r"


class MultirangeInfo(TypeInfo):
    """A multirange type (PostgreSQL 14+, made along with each range type)."""

    kind = "m"


class DomainInfo(TypeInfo):
    """A domain (``CREATE DOMAIN ... AS basetype``)."""

    kind = "d"


_KINDS: dict[str, type[TypeInfo]] = {
    c.kind: c for c in (CompositeInfo, EnumInfo, RangeInfo, MultirangeInfo, DomainInfo)
}

_KIND_NAMES = {
    "b": "base",
    "c": "composite",
    "d": "domain",
    "e": "enum",
    "m": "multirange",
    "p": "pseudo",
    "r": "range",
}


def info_from_rows(
    rows: Sequence[Sequence[Any]], cls: type[TypeInfo] = TypeInfo, name: Any = None
) -> TypeInfo | None:
    """Turn the rows of :func:`fetch_query` into a TypeInfo (None for no row).

    The info is of the subclass matching the type's kind. When `cls` is a
    subclass the type must be of its kind, else ProgrammingError.
    """
    if not rows:
        return None
    (
        typname,
        oid,
        array_oid,
        regtype,
        delimiter,
        typtype,
        element_oid,
        base_oid,
        subtype_oid,
        multirange_oid,
        multirange_array_oid,
        range_oid,
        field_names,
        field_types,
        field_bases,
        labels,
    ) = rows[0]
    typname, regtype, delimiter, typtype = map(_as_str, (typname, regtype, delimiter, typtype))
    field_names = [_as_str(x) for x in field_names or ()]
    labels = [_as_str(x) for x in labels or ()]
    klass = _KINDS.get(typtype, TypeInfo)
    if cls.kind and cls.kind != typtype:
        what = _KIND_NAMES.get(typtype, typtype)
        raise ProgrammingError(
            f"{name if name is not None else regtype!r} is a {what} type,"
            f" not a {_KIND_NAMES[cls.kind]} type"
        )
    if cls is not TypeInfo and issubclass(cls, klass):
        klass = cls
    return klass(
        typname,
        int(oid),
        int(array_oid),
        regtype=regtype,
        delimiter=delimiter,
        typtype=typtype,
        element_oid=int(element_oid or 0),
        base_oid=int(base_oid or 0),
        subtype_oid=int(subtype_oid or 0),
        multirange_oid=int(multirange_oid or 0),
        multirange_array_oid=int(multirange_array_oid or 0),
        range_oid=int(range_oid or 0),
        field_names=field_names or (),
        field_types=[int(x) for x in field_types or ()],
        field_base_types=[int(x) for x in field_bases or ()],
        labels=labels or (),
    )


def _as_str(value: Any) -> Any:
    # Under SQL_ASCII text comes as bytes: the catalog's names are taken as
    # UTF-8, as psycopg reads them.
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as ex:
            raise decode_error(ex) from None
    return value


def _connection_of(obj: Any) -> Any:
    # A cursor runs the query on its connection.
    if not hasattr(obj, "transaction") and hasattr(obj, "connection"):
        return obj.connection
    return obj


class RegistryTypes:
    """The types a registry knows, as :class:`TypeInfo`, by name or OID (``registry.types``).

    psycopg's ``TypesRegistry`` of an adapters map: the types added to the
    registry (``register_hstore``, ``info.register()``...) and, in the
    default registry and the registries made from it, the builtin types.
    ``TypesRegistry(registry.types)`` makes a copy of the registry.
    """

    def __init__(self, registry: TypesRegistry) -> None:
        self._registry = registry

    def __getitem__(self, key: str | int) -> TypeInfo:
        """The type called `key` (an SQL or catalog name) or of OID `key`; KeyError if unknown."""
        return self._registry[key]  # type: ignore[no-any-return]

    def get(self, key: str | int) -> TypeInfo | None:
        """Like ``[key]``, but None for an unknown type."""
        return self._registry.get(key)  # type: ignore[no-any-return]

    def get_oid(self, name: str) -> int:
        """The OID of the type called `name` (its array type's for ``name[]``)."""
        return self._registry.get_oid(name)

    def get_by_subtype(self, cls: type, subtype: int | str) -> Any:
        """The `cls` info (a RangeInfo, a MultirangeInfo) whose subtype is `subtype`, or None."""
        return self._registry.get_by_subtype(cls, subtype)

    def add(self, info: TypeInfo) -> None:
        """Remember `info` (psycopg's ``adapters.types.add``)."""
        self._registry.add(info)

    def __iter__(self) -> Iterator[TypeInfo]:
        """The types added to the registry (the builtin types are not listed)."""
        return iter(self._registry)

    def clear(self) -> None:
        """Forget the types added to the registry."""
        self._registry.clear_types()


def register_array_of(info: TypeInfo, registry: TypesRegistry) -> None:
    """Load ``info``'s array type as a list of what ``info``'s type loads as."""
    if info.array_oid:
        registry.register_array(info.array_oid, info.oid, info.delimiter)


def _register_domain(info: TypeInfo, reg: TypesRegistry) -> None:
    """Load a domain's values as its base type's.

    Results report the base type for domain columns; the domain's own OID
    shows up in arrays of the domain and in composite fields (binary), and the
    domain's array type has an OID of its own.
    """
    base = info.base_oid
    if not base:
        raise TypeError(f"{info.name!r} is not a domain")
    # Structured base types: declare the domain as one of the same shape, without
    # making it the type lists or ranges are dumped as.
    elem = reg.array_element(base)
    if elem is not None:
        reg.register_array(info.oid, elem, reg.array_delimiter(base).decode(), dump=False)
        return
    sub = reg.range_subtype(base)
    if sub is not None:
        reg.register_range(info.oid, sub, dump=False)
        return
    rng = reg.multirange_range(base)
    if rng is not None:
        reg.register_multirange(info.oid, rng, dump=False)
        return
    # The preferred format of the base last: it stays the preferred one.
    pref = reg.preferred_format(base)
    order = (Format.BINARY, Format.TEXT) if pref != Format.BINARY else (Format.TEXT, Format.BINARY)
    for fmt in order:
        lcls = reg.get_loader(base, fmt)
        if lcls is not None:
            reg.register_loader(info.oid, lcls)
