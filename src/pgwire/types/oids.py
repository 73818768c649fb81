"""OIDs of the builtin PostgreSQL types (stable across server versions).

Constants are named after the type: ``INT4_OID`` for ``int4``, ``INT4_ARRAY_OID``
for ``int4[]``. :data:`BUILTIN_TYPES` holds ``(name, oid, array_oid,
delimiter)`` rows (``array_oid`` 0 when the type has no array type) and
:func:`lookup` turns a type name (``"int4"``, ``"integer"``, ``"int4[]"``,
``"_int4"``) into its OID.
"""

from __future__ import annotations

INVALID_OID = 0

BOOL_OID = 16
BOOL_ARRAY_OID = 1000
BYTEA_OID = 17
BYTEA_ARRAY_OID = 1001
CHAR_OID = 18
CHAR_ARRAY_OID = 1002
NAME_OID = 19
NAME_ARRAY_OID = 1003
INT8_OID = 20
INT8_ARRAY_OID = 1016
INT2_OID = 21
INT2_ARRAY_OID = 1005
INT2VECTOR_OID = 22
INT2VECTOR_ARRAY_OID = 1006
INT4_OID = 23
INT4_ARRAY_OID = 1007
REGPROC_OID = 24
REGPROC_ARRAY_OID = 1008
TEXT_OID = 25
TEXT_ARRAY_OID = 1009
OID_OID = 26
OID_ARRAY_OID = 1028
TID_OID = 27
TID_ARRAY_OID = 1010
XID_OID = 28
XID_ARRAY_OID = 1011
CID_OID = 29
CID_ARRAY_OID = 1012
OIDVECTOR_OID = 30
OIDVECTOR_ARRAY_OID = 1013
JSON_OID = 114
JSON_ARRAY_OID = 199
XML_OID = 142
XML_ARRAY_OID = 143
POINT_OID = 600
POINT_ARRAY_OID = 1017
LSEG_OID = 601
LSEG_ARRAY_OID = 1018
PATH_OID = 602
PATH_ARRAY_OID = 1019
BOX_OID = 603
BOX_ARRAY_OID = 1020
POLYGON_OID = 604
POLYGON_ARRAY_OID = 1027
LINE_OID = 628
LINE_ARRAY_OID = 629
CIDR_OID = 650
CIDR_ARRAY_OID = 651
FLOAT4_OID = 700
FLOAT4_ARRAY_OID = 1021
FLOAT8_OID = 701
FLOAT8_ARRAY_OID = 1022
UNKNOWN_OID = 705
CIRCLE_OID = 718
CIRCLE_ARRAY_OID = 719
MACADDR8_OID = 774
MACADDR8_ARRAY_OID = 775
MONEY_OID = 790
MONEY_ARRAY_OID = 791
MACADDR_OID = 829
MACADDR_ARRAY_OID = 1040
INET_OID = 869
INET_ARRAY_OID = 1041
ACLITEM_OID = 1033
ACLITEM_ARRAY_OID = 1034
BPCHAR_OID = 1042
BPCHAR_ARRAY_OID = 1014
VARCHAR_OID = 1043
VARCHAR_ARRAY_OID = 1015
DATE_OID = 1082
DATE_ARRAY_OID = 1182
TIME_OID = 1083
TIME_ARRAY_OID = 1183
TIMESTAMP_OID = 1114
TIMESTAMP_ARRAY_OID = 1115
TIMESTAMPTZ_OID = 1184
TIMESTAMPTZ_ARRAY_OID = 1185
INTERVAL_OID = 1186
INTERVAL_ARRAY_OID = 1187
TIMETZ_OID = 1266
TIMETZ_ARRAY_OID = 1270
BIT_OID = 1560
BIT_ARRAY_OID = 1561
VARBIT_OID = 1562
VARBIT_ARRAY_OID = 1563
NUMERIC_OID = 1700
NUMERIC_ARRAY_OID = 1231
REFCURSOR_OID = 1790
REFCURSOR_ARRAY_OID = 2201
REGPROCEDURE_OID = 2202
REGPROCEDURE_ARRAY_OID = 2207
REGOPER_OID = 2203
REGOPER_ARRAY_OID = 2208
REGOPERATOR_OID = 2204
REGOPERATOR_ARRAY_OID = 2209
REGCLASS_OID = 2205
REGCLASS_ARRAY_OID = 2210
REGTYPE_OID = 2206
REGTYPE_ARRAY_OID = 2211
RECORD_OID = 2249
RECORD_ARRAY_OID = 2287
CSTRING_OID = 2275
CSTRING_ARRAY_OID = 1263
ANYARRAY_OID = 2277
VOID_OID = 2278
UUID_OID = 2950
UUID_ARRAY_OID = 2951
TXID_SNAPSHOT_OID = 2970
TXID_SNAPSHOT_ARRAY_OID = 2949
PG_LSN_OID = 3220
PG_LSN_ARRAY_OID = 3221
TSVECTOR_OID = 3614
TSVECTOR_ARRAY_OID = 3643
TSQUERY_OID = 3615
TSQUERY_ARRAY_OID = 3645
GTSVECTOR_OID = 3642
GTSVECTOR_ARRAY_OID = 3644
REGCONFIG_OID = 3734
REGCONFIG_ARRAY_OID = 3735
REGDICTIONARY_OID = 3769
REGDICTIONARY_ARRAY_OID = 3770
JSONB_OID = 3802
JSONB_ARRAY_OID = 3807
INT4RANGE_OID = 3904
INT4RANGE_ARRAY_OID = 3905
NUMRANGE_OID = 3906
NUMRANGE_ARRAY_OID = 3907
TSRANGE_OID = 3908
TSRANGE_ARRAY_OID = 3909
TSTZRANGE_OID = 3910
TSTZRANGE_ARRAY_OID = 3911
DATERANGE_OID = 3912
DATERANGE_ARRAY_OID = 3913
INT8RANGE_OID = 3926
INT8RANGE_ARRAY_OID = 3927
JSONPATH_OID = 4072
JSONPATH_ARRAY_OID = 4073
REGNAMESPACE_OID = 4089
REGNAMESPACE_ARRAY_OID = 4090
REGROLE_OID = 4096
REGROLE_ARRAY_OID = 4097
REGCOLLATION_OID = 4191
REGCOLLATION_ARRAY_OID = 4192
INT4MULTIRANGE_OID = 4451
INT4MULTIRANGE_ARRAY_OID = 6150
NUMMULTIRANGE_OID = 4532
NUMMULTIRANGE_ARRAY_OID = 6151
TSMULTIRANGE_OID = 4533
TSMULTIRANGE_ARRAY_OID = 6152
TSTZMULTIRANGE_OID = 4534
TSTZMULTIRANGE_ARRAY_OID = 6153
DATEMULTIRANGE_OID = 4535
DATEMULTIRANGE_ARRAY_OID = 6155
INT8MULTIRANGE_OID = 4536
INT8MULTIRANGE_ARRAY_OID = 6157
PG_SNAPSHOT_OID = 5038
PG_SNAPSHOT_ARRAY_OID = 5039
XID8_OID = 5069
XID8_ARRAY_OID = 271

#: ``(name, oid, array_oid, delimiter)`` for every builtin type with an array type.
BUILTIN_TYPES: tuple[tuple[str, int, int, str], ...] = (
    ("bool", 16, 1000, ","),
    ("bytea", 17, 1001, ","),
    ("char", 18, 1002, ","),
    ("name", 19, 1003, ","),
    ("int8", 20, 1016, ","),
    ("int2", 21, 1005, ","),
    ("int2vector", 22, 1006, ","),
    ("int4", 23, 1007, ","),
    ("regproc", 24, 1008, ","),
    ("text", 25, 1009, ","),
    ("oid", 26, 1028, ","),
    ("tid", 27, 1010, ","),
    ("xid", 28, 1011, ","),
    ("cid", 29, 1012, ","),
    ("oidvector", 30, 1013, ","),
    ("json", 114, 199, ","),
    ("xml", 142, 143, ","),
    ("point", 600, 1017, ","),
    ("lseg", 601, 1018, ","),
    ("path", 602, 1019, ","),
    ("box", 603, 1020, ";"),
    ("polygon", 604, 1027, ","),
    ("line", 628, 629, ","),
    ("cidr", 650, 651, ","),
    ("float4", 700, 1021, ","),
    ("float8", 701, 1022, ","),
    ("unknown", 705, 0, ","),
    ("circle", 718, 719, ","),
    ("macaddr8", 774, 775, ","),
    ("money", 790, 791, ","),
    ("macaddr", 829, 1040, ","),
    ("inet", 869, 1041, ","),
    ("aclitem", 1033, 1034, ","),
    ("bpchar", 1042, 1014, ","),
    ("varchar", 1043, 1015, ","),
    ("date", 1082, 1182, ","),
    ("time", 1083, 1183, ","),
    ("timestamp", 1114, 1115, ","),
    ("timestamptz", 1184, 1185, ","),
    ("interval", 1186, 1187, ","),
    ("timetz", 1266, 1270, ","),
    ("bit", 1560, 1561, ","),
    ("varbit", 1562, 1563, ","),
    ("numeric", 1700, 1231, ","),
    ("refcursor", 1790, 2201, ","),
    ("regprocedure", 2202, 2207, ","),
    ("regoper", 2203, 2208, ","),
    ("regoperator", 2204, 2209, ","),
    ("regclass", 2205, 2210, ","),
    ("regtype", 2206, 2211, ","),
    ("record", 2249, 2287, ","),
    ("cstring", 2275, 1263, ","),
    ("anyarray", 2277, 0, ","),
    ("void", 2278, 0, ","),
    ("uuid", 2950, 2951, ","),
    ("txid_snapshot", 2970, 2949, ","),
    ("pg_lsn", 3220, 3221, ","),
    ("tsvector", 3614, 3643, ","),
    ("tsquery", 3615, 3645, ","),
    ("gtsvector", 3642, 3644, ","),
    ("regconfig", 3734, 3735, ","),
    ("regdictionary", 3769, 3770, ","),
    ("jsonb", 3802, 3807, ","),
    ("int4range", 3904, 3905, ","),
    ("numrange", 3906, 3907, ","),
    ("tsrange", 3908, 3909, ","),
    ("tstzrange", 3910, 3911, ","),
    ("daterange", 3912, 3913, ","),
    ("int8range", 3926, 3927, ","),
    ("jsonpath", 4072, 4073, ","),
    ("regnamespace", 4089, 4090, ","),
    ("regrole", 4096, 4097, ","),
    ("regcollation", 4191, 4192, ","),
    ("int4multirange", 4451, 6150, ","),
    ("nummultirange", 4532, 6151, ","),
    ("tsmultirange", 4533, 6152, ","),
    ("tstzmultirange", 4534, 6153, ","),
    ("datemultirange", 4535, 6155, ","),
    ("int8multirange", 4536, 6157, ","),
    ("pg_snapshot", 5038, 5039, ","),
    ("xid8", 5069, 271, ","),
)

#: SQL spellings accepted besides the catalog names.
ALIASES: dict[str, str] = {
    "boolean": "bool",
    "smallint": "int2",
    "integer": "int4",
    "int": "int4",
    "bigint": "int8",
    "real": "float4",
    "double precision": "float8",
    "decimal": "numeric",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "bit varying": "varbit",
}

#: oid -> catalog name.
OID_TO_NAME: dict[int, str] = {oid: name for name, oid, _, _ in BUILTIN_TYPES}
OID_TO_NAME.update({arr: name + "[]" for name, _, arr, _ in BUILTIN_TYPES if arr})

#: array oid -> element oid.
ARRAY_TO_ELEMENT: dict[int, int] = {arr: oid for _, oid, arr, _ in BUILTIN_TYPES if arr}

#: element oid -> array oid.
ELEMENT_TO_ARRAY: dict[int, int] = {oid: arr for _, oid, arr, _ in BUILTIN_TYPES if arr}

#: name -> oid, for catalog names, ``name[]`` and ``_name`` array spellings.
NAME_TO_OID: dict[str, int] = {}
for _name, _oid, _arr, _ in BUILTIN_TYPES:
    NAME_TO_OID[_name] = _oid
    if _arr:
        NAME_TO_OID[_name + "[]"] = _arr
        NAME_TO_OID["_" + _name] = _arr
del _name, _oid, _arr


def lookup(name: str) -> int:
    """Return the OID of the builtin type called `name`.

    Accepts catalog names (``int4``), SQL spellings (``integer``, ``double
    precision``), and array spellings (``int4[]``, ``integer[]``, ``_int4``).
    Raises :class:`KeyError` for an unknown name.
    """
    key = " ".join(name.lower().split())
    suffix = ""
    if key.endswith("[]"):
        key, suffix = key[:-2].rstrip(), "[]"
    if '"' in key:
        # A quoted name is the catalog name itself ('"char"' is not 'char').
        key = key.replace('"', "")
    else:
        key = ALIASES.get(key, key)
    try:
        return NAME_TO_OID[key + suffix]
    except KeyError:
        raise KeyError(f"unknown builtin type name: {name!r}") from None
