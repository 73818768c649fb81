"""PostgreSQL's encoding names and Python's codecs, both ways.

The server names the session's encoding (``client_encoding``, ``UTF8``); text
is decoded with the Python codec of that name.  ``client_encoding=auto`` goes
the other way: the locale's Python codec names the encoding to ask for.
"""

from __future__ import annotations

import codecs
import functools
from typing import Any

from .errors import NotSupportedError

__all__ = ["PG_TO_PYTHON", "pg_encoding", "python_encoding"]

#: PostgreSQL encoding names (as ``client_encoding`` reports them) -> Python codecs.
PG_TO_PYTHON: dict[str, str] = {
    "BIG5": "big5",
    "EUC_CN": "gb2312",
    "EUC_JIS_2004": "euc_jis_2004",
    "EUC_JP": "euc_jp",
    "EUC_KR": "euc_kr",
    "GB18030": "gb18030",
    "GBK": "gbk",
    "ISO_8859_5": "iso8859_5",
    "ISO_8859_6": "iso8859_6",
    "ISO_8859_7": "iso8859_7",
    "ISO_8859_8": "iso8859_8",
    "JOHAB": "johab",
    "KOI8R": "koi8_r",
    "KOI8U": "koi8_u",
    "LATIN1": "iso8859_1",
    "LATIN2": "iso8859_2",
    "LATIN3": "iso8859_3",
    "LATIN4": "iso8859_4",
    "LATIN5": "iso8859_9",
    "LATIN6": "iso8859_10",
    "LATIN7": "iso8859_13",
    "LATIN8": "iso8859_14",
    "LATIN9": "iso8859_15",
    "LATIN10": "iso8859_16",
    "SHIFT_JIS_2004": "shift_jis_2004",
    "SJIS": "shift_jis",
    "SQL_ASCII": "ascii",
    "UHC": "cp949",
    "UNICODE": "utf-8",
    "UTF8": "utf-8",
    "WIN866": "cp866",
    "WIN874": "cp874",
    "WIN1250": "cp1250",
    "WIN1251": "cp1251",
    "WIN1252": "cp1252",
    "WIN1253": "cp1253",
    "WIN1254": "cp1254",
    "WIN1255": "cp1255",
    "WIN1256": "cp1256",
    "WIN1257": "cp1257",
    "WIN1258": "cp1258",
}

# Where several PostgreSQL names share a codec, the one libpq picks for the
# locale; and Windows' code page 932, which PostgreSQL calls SJIS too.
_PREFERRED = {"utf-8": "UTF8", "cp932": "SJIS"}


@functools.cache
def _python_to_pg() -> dict[str, str]:
    # Built at the first use, not at import: looking every codec up imports
    # each one's module (some forty, the CJK tables among them).
    return {
        **{codecs.lookup(codec).name: pg for pg, codec in PG_TO_PYTHON.items()},
        **_PREFERRED,
    }


def python_encoding(pgenc: str) -> str:
    """Return the Python codec name for a PostgreSQL encoding name (``UTF8`` -> ``utf-8``).

    Unknown names that Python knows anyway are used as they are. An encoding
    Python has no codec for (``EUC_TW``, ``MULE_INTERNAL``) gets a codec that
    takes ASCII text only (every PostgreSQL encoding is ASCII below 0x80) and
    raises NotSupportedError for anything else: text read or written in
    another encoding than the server's would be silently wrong, but a
    session can still run ``SET client_encoding`` to leave it.
    """
    key = pgenc.strip().upper().replace("-", "_")
    if key in PG_TO_PYTHON:
        return PG_TO_PYTHON[key]
    try:
        return codecs.lookup(pgenc).name
    except LookupError:
        return _UNSUPPORTED + key.lower()


# Codec names standing for a PostgreSQL encoding Python can't handle.
_UNSUPPORTED = "pgwire_unsupported_"


def _refusing_codec(name: str) -> codecs.CodecInfo | None:
    """The codec of an encoding Python has none for: every use raises NotSupportedError."""
    if not name.startswith(_UNSUPPORTED):
        return None
    pgenc = name[len(_UNSUPPORTED) :].upper()

    def ascii_only(data: Any, errors: str = "strict") -> tuple[Any, int]:
        try:
            if isinstance(data, str):
                return data.encode("ascii"), len(data)
            return bytes(data).decode("ascii"), len(data)
        except UnicodeError:
            raise NotSupportedError(
                f"the client encoding {pgenc} has no Python codec, and the text is not"
                " ASCII: set another client_encoding"
            ) from None

    return codecs.CodecInfo(ascii_only, ascii_only, name=name)


codecs.register(_refusing_codec)


def pg_encoding(codec: str) -> str | None:
    """The PostgreSQL encoding name of a Python codec (any spelling), or None if it has none."""
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return None
    return _python_to_pg().get(name)
