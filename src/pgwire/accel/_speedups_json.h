/*
 * pgw_json.h -- fast decoder for the JSON text PostgreSQL sends for json and
 * jsonb values.
 *
 * Include after <Python.h>.  Every function here is static, so the file can be
 * #included into one extension module C file.
 *
 * The contract is deliberately narrow: for every input this decoder accepts it
 * must return exactly what json.loads(p[0:n].decode()) returns with default
 * arguments.  Whenever an input is unusual (anything json.loads would reject,
 * NaN/Infinity, integers of 20+ digits, very deep nesting, invalid UTF-8) the
 * decoder gives up and returns NULL *without* an exception, and the caller
 * falls back to json.loads, which then produces the real result or the proper
 * error message.  So the fast path never has to imitate json's error reporting.
 *
 *   PyObject *pgw_json_decode(const char *p, Py_ssize_t n);
 *       New reference; NULL without exception = "fall back"; NULL with an
 *       exception = real failure (MemoryError).  Must be called with the GIL
 *       held and with no exception pending.
 *
 * Compile-time switches: PGW_JSON_NO_KEYCACHE disables the key cache (see
 * below); PGW_JSON_NO_CLINGER disables the exact float fast path.
 */
#ifndef PGW_JSON_H
#define PGW_JSON_H

#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#  define PGW_JSON_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define PGW_JSON_UNLIKELY(x) (x)
#endif

/* json.loads' C scanner counts every nesting level against the interpreter's
   recursion limit (default 1000) and raises RecursionError beyond it.  Staying
   far below that means we never return a value where json.loads would have
   failed. */
#define PGW_JSON_MAX_DEPTH 200

/* Array items are collected on one value stack shared by all nesting levels,
   so each list is created once with its final size instead of growing by
   PyList_Append.  Most documents fit in the inline part. */
#define PGW_JSON_STACK_INLINE 64

/* Escaped strings with \u escapes or non-ASCII text are decoded into a UCS4
   scratch buffer first; short ones use this much stack space. */
#define PGW_JSON_SCRATCH_INLINE 128

/* The key cache: a direct-mapped table of recently seen ASCII object keys.
   Row-shaped results repeat the same few keys over and over; reusing the str
   objects saves the allocation and, because str caches its hash, the hashing
   in PyDict_SetItem.  Identity of keys is not observable in json.loads'
   results (it only guarantees equal strs), so sharing is safe.
   Under free-threading a global table would need locking; just disable it.
   The table is process-wide: a module that supports several interpreters
   (subinterpreters) should define PGW_JSON_NO_KEYCACHE. */
#if !defined(Py_GIL_DISABLED) && !defined(PGW_JSON_NO_KEYCACHE)
#  define PGW_JSON_KEYCACHE 1
#  define PGW_JSON_KEYCACHE_SIZE 512 /* power of two */
#  define PGW_JSON_KEYCACHE_MAXLEN 48
static PyObject *pgw_json_keycache[PGW_JSON_KEYCACHE_SIZE];
#else
#  define PGW_JSON_KEYCACHE 0
#endif

/* Byte classes inside a string literal: anything not 0 needs a closer look. */
#define PGW_JSON_SC_PLAIN 0
#define PGW_JSON_SC_QUOTE 1
#define PGW_JSON_SC_BACKSLASH 2
#define PGW_JSON_SC_CTRL 3
#define PGW_JSON_SC_HIGH 4

#define PGW_JSON_ROW(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char pgw_json_strclass[256] = {
    PGW_JSON_ROW(3), PGW_JSON_ROW(3),                 /* 0x00-0x1f */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x20-0x2f: '"' */
    PGW_JSON_ROW(0), PGW_JSON_ROW(0),                 /* 0x30-0x4f */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,   /* 0x50-0x5f: '\\' */
    PGW_JSON_ROW(0), PGW_JSON_ROW(0),                 /* 0x60-0x7f */
    PGW_JSON_ROW(4), PGW_JSON_ROW(4), PGW_JSON_ROW(4), PGW_JSON_ROW(4),
    PGW_JSON_ROW(4), PGW_JSON_ROW(4), PGW_JSON_ROW(4), PGW_JSON_ROW(4),
};
#undef PGW_JSON_ROW

#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0 \
        && !defined(PGW_JSON_NO_CLINGER)
#  define PGW_JSON_CLINGER 1
/* Exactly representable powers of ten for the exact float fast path. */
static const double pgw_json_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
#else
#  define PGW_JSON_CLINGER 0
#endif

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
    PyObject **stack;           /* pending array items (owned references) */
    Py_ssize_t top;
    Py_ssize_t cap;
    PyObject *inline_stack[PGW_JSON_STACK_INLINE];
} pgw_json_parser;

static PyObject *pgw_json_value(pgw_json_parser *ps, int depth);

static inline const unsigned char *
pgw_json_skip_ws(const unsigned char *p, const unsigned char *end)
{
    /* Exactly json's whitespace set; e.g. \f or \v must not be skipped. */
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int
pgw_json_push(pgw_json_parser *ps, PyObject *v)
{
    if (PGW_JSON_UNLIKELY(ps->top == ps->cap)) {
        Py_ssize_t ncap = ps->cap * 2;
        PyObject **ns;
        if ((size_t)ncap > PY_SSIZE_T_MAX / sizeof(PyObject *)) {
            PyErr_NoMemory();
            return -1;
        }
        if (ps->stack == ps->inline_stack) {
            ns = (PyObject **)PyMem_Malloc((size_t)ncap * sizeof(PyObject *));
            if (ns != NULL)
                memcpy(ns, ps->stack, (size_t)ps->top * sizeof(PyObject *));
        }
        else {
            ns = (PyObject **)PyMem_Realloc(ps->stack,
                                            (size_t)ncap * sizeof(PyObject *));
        }
        if (ns == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        ps->stack = ns;
        ps->cap = ncap;
    }
    ps->stack[ps->top++] = v;
    return 0;
}

/* ---------------------------------------------------------------- strings */

static PyObject *
pgw_json_ascii_str(const unsigned char *s, Py_ssize_t len)
{
    PyObject *u;
    if (len == 1)
        return PyUnicode_FromOrdinal(s[0]);  /* CPython's 1-char singletons */
    u = PyUnicode_New(len, 127);
    if (u != NULL)
        memcpy(PyUnicode_1BYTE_DATA(u), s, (size_t)len);
    return u;
}

#if PGW_JSON_KEYCACHE
static inline uint32_t
pgw_json_load32(const unsigned char *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return v;
}

static PyObject *
pgw_json_cached_key(const unsigned char *s, Py_ssize_t len)
{
    uint32_t a, b, c, h;
    Py_ssize_t i;
    PyObject *k, *old;

    /* Hashing only the head, middle and tail keeps this O(1); keys that
       collide merely evict each other, they are never confused (the full
       comparison below decides). */
    if (len >= 4) {
        a = pgw_json_load32(s);
        b = pgw_json_load32(s + len / 2 - 2);
        c = pgw_json_load32(s + len - 4);
    }
    else if (len > 0) {
        a = s[0];
        b = s[len / 2];
        c = s[len - 1];
    }
    else {
        return PyUnicode_New(0, 0);     /* the empty-string singleton */
    }
    h = (a * 0x9E3779B1u) ^ (b * 0x85EBCA77u) ^ (c * 0xC2B2AE3Du)
        ^ (uint32_t)len;
    h ^= h >> 15;
    h = (h * 0x2C1B3C6Du) >> 16;
    h &= PGW_JSON_KEYCACHE_SIZE - 1;

    k = pgw_json_keycache[h];
    if (k != NULL && PyUnicode_GET_LENGTH(k) == len) {
        /* Short keys: a plain loop beats a call to memcmp. */
        const unsigned char *d = PyUnicode_1BYTE_DATA(k);
        for (i = 0; i < len; i++) {
            if (d[i] != s[i])
                break;
        }
        if (i == len) {
            Py_INCREF(k);
            return k;
        }
    }
    k = pgw_json_ascii_str(s, len);
    if (k == NULL)
        return NULL;
    /* Only compact ASCII strs are stored: the lookup above relies on it. */
    Py_INCREF(k);
    old = pgw_json_keycache[h];
    pgw_json_keycache[h] = k;
    /* A str's dealloc runs no Python code, so the table cannot be re-entered
       between the store above and this point. */
    Py_XDECREF(old);
    return k;
}
#endif

static inline int
pgw_json_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Four hex digits at s; the caller guarantees s[0..3] are readable or that a
   byte which cannot be a hex digit (the closing quote) comes first. */
static inline long
pgw_json_hex4(const unsigned char *s)
{
    int a, b, c, d;
    if ((a = pgw_json_hexval(s[0])) < 0 || (b = pgw_json_hexval(s[1])) < 0
            || (c = pgw_json_hexval(s[2])) < 0
            || (d = pgw_json_hexval(s[3])) < 0)
        return -1;
    return (a << 12) | (b << 8) | (c << 4) | d;
}

/* Strict UTF-8 (what bytes.decode('utf-8') accepts): no overlong forms, no
   encoded surrogates, nothing above U+10FFFF.  The caller guarantees the
   sequence is followed by the closing quote, which is never a continuation
   byte, so the short-circuiting checks never read past it.  Returns the
   number of bytes consumed, or 0 for invalid input. */
static inline int
pgw_json_utf8_char(const unsigned char *s, Py_UCS4 *out)
{
    unsigned char c0 = s[0];
    if (c0 >= 0xC2 && c0 <= 0xDF) {
        if ((s[1] & 0xC0) != 0x80)
            return 0;
        *out = ((Py_UCS4)(c0 & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c0 >= 0xE0 && c0 <= 0xEF) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (c0 == 0xE0)
            lo = 0xA0;                  /* overlong */
        else if (c0 == 0xED)
            hi = 0x9F;                  /* surrogates */
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        *out = ((Py_UCS4)(c0 & 0x0F) << 12) | ((Py_UCS4)(s[1] & 0x3F) << 6)
               | (s[2] & 0x3F);
        return 3;
    }
    if (c0 >= 0xF0 && c0 <= 0xF4) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (c0 == 0xF0)
            lo = 0x90;                  /* overlong */
        else if (c0 == 0xF4)
            hi = 0x8F;                  /* > U+10FFFF */
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80
                || (s[3] & 0xC0) != 0x80)
            return 0;
        *out = ((Py_UCS4)(c0 & 0x07) << 18) | ((Py_UCS4)(s[1] & 0x3F) << 12)
               | ((Py_UCS4)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

/* The common escaped string from PostgreSQL: ASCII text with \" \\ \n
   and the like, but no \u escapes and no non-ASCII bytes.  Its length is
   known up front, so it is written straight into an ASCII str, copying the
   runs between backslashes in bulk. */
static PyObject *
pgw_json_simple_escaped_str(const unsigned char *s, const unsigned char *close,
                            Py_ssize_t nesc)
{
    PyObject *u = PyUnicode_New((close - s) - nesc, 127);
    Py_UCS1 *d;
    if (u == NULL)
        return NULL;
    d = PyUnicode_1BYTE_DATA(u);
    while (s < close) {
        const unsigned char *bs = (const unsigned char *)
            memchr(s, '\\', (size_t)(close - s));
        if (bs == NULL)
            bs = close;
        memcpy(d, s, (size_t)(bs - s));
        d += bs - s;
        if (bs == close)
            break;
        switch (bs[1]) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        default:
            Py_DECREF(u);
            return NULL;       /* not a JSON escape: json.loads rejects it */
        }
        s = bs + 2;
    }
    return u;
}

/* Strings containing backslash escapes.  s is the first byte after the
   opening quote, q the first backslash, high says whether a byte >= 0x80
   came before it.  The general case (\u escapes, non-ASCII text) favours
   clarity over speed: decode into a UCS4 buffer, then copy into a str of the
   narrowest kind. */
static PyObject *
pgw_json_escaped_str(pgw_json_parser *ps, const unsigned char *s,
                     const unsigned char *q, int high)
{
    const unsigned char *end = ps->end, *close;
    Py_UCS4 inline_buf[PGW_JSON_SCRATCH_INLINE];
    Py_UCS4 *buf = inline_buf, maxchar = 0;
    Py_ssize_t n = 0, i, nesc = 0;
    int simple = !high;
    PyObject *res = NULL;

    /* Find the closing quote; every escape is at least two bytes long. */
    while (q < end) {
        unsigned char c = *q;
        if (c == '"')
            break;
        if (c == '\\') {
            if (end - q < 2)
                return NULL;
            if (q[1] == 'u')
                simple = 0;
            nesc++;
            q += 2;
        }
        else if (c < 0x20) {
            return NULL;       /* json.loads rejects raw control characters */
        }
        else {
            if (c >= 0x80)
                simple = 0;
            q++;
        }
    }
    if (q >= end)
        return NULL;
    close = q;

    if (simple) {
        res = pgw_json_simple_escaped_str(s, close, nesc);
        if (res != NULL)
            ps->p = close + 1;
        return res;
    }

    /* Each decoded code point consumes at least one input byte. */
    if (close - s > PGW_JSON_SCRATCH_INLINE) {
        buf = (Py_UCS4 *)PyMem_Malloc((size_t)(close - s) * sizeof(Py_UCS4));
        if (buf == NULL)
            return PyErr_NoMemory();
    }

    q = s;
    while (q < close) {
        unsigned char c = *q;
        Py_UCS4 ch;
        if (c < 0x80) {
            if (c != '\\') {
                ch = c;
                q++;
            }
            else {
                switch (q[1]) {
                case '"': ch = '"'; q += 2; break;
                case '\\': ch = '\\'; q += 2; break;
                case '/': ch = '/'; q += 2; break;
                case 'b': ch = '\b'; q += 2; break;
                case 'f': ch = '\f'; q += 2; break;
                case 'n': ch = '\n'; q += 2; break;
                case 'r': ch = '\r'; q += 2; break;
                case 't': ch = '\t'; q += 2; break;
                case 'u': {
                    long v, v2;
                    /* The closing quote stops pgw_json_hex4 before the end,
                       since '"' is not a hex digit. */
                    if ((v = pgw_json_hex4(q + 2)) < 0)
                        goto done;
                    q += 6;
                    /* json.loads joins a high surrogate with an immediately
                       following \u low surrogate, and otherwise keeps lone
                       surrogates as they are. */
                    if (v >= 0xD800 && v <= 0xDBFF && q + 1 < close
                            && q[0] == '\\' && q[1] == 'u'
                            && (v2 = pgw_json_hex4(q + 2)) >= 0xDC00
                            && v2 <= 0xDFFF) {
                        v = 0x10000 + ((v - 0xD800) << 10) + (v2 - 0xDC00);
                        q += 6;
                    }
                    ch = (Py_UCS4)v;
                    break;
                }
                default:
                    goto done;
                }
            }
        }
        else {
            int k = pgw_json_utf8_char(q, &ch);
            if (k == 0)
                goto done;
            q += k;
        }
        if (ch > maxchar)
            maxchar = ch;
        buf[n++] = ch;
    }

    res = PyUnicode_New(n, maxchar);
    if (res == NULL)
        goto done;
    switch (PyUnicode_KIND(res)) {
    case PyUnicode_1BYTE_KIND: {
        Py_UCS1 *d = PyUnicode_1BYTE_DATA(res);
        for (i = 0; i < n; i++)
            d[i] = (Py_UCS1)buf[i];
        break;
    }
    case PyUnicode_2BYTE_KIND: {
        Py_UCS2 *d = PyUnicode_2BYTE_DATA(res);
        for (i = 0; i < n; i++)
            d[i] = (Py_UCS2)buf[i];
        break;
    }
    default:
        memcpy(PyUnicode_4BYTE_DATA(res), buf, (size_t)n * sizeof(Py_UCS4));
        break;
    }
    ps->p = close + 1;

done:
    if (buf != inline_buf)
        PyMem_Free(buf);
    return res;
}

/* Nonzero if any of the 8 bytes in w is '"', '\\' or a control character.
   Each test is the classic "some byte is zero / below n" bit trick; they
   are exact as yes/no answers, which is all the scan loop needs.  Bytes
   >= 0x80 never trigger them. */
static inline uint64_t
pgw_json_word_stops(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t xq = w ^ (ones * '"'), xb = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((xq - ones) & ~xq)
            | ((xb - ones) & ~xb)) & (ones * 0x80);
}

/* ps->p is just past the opening quote. */
static PyObject *
pgw_json_string(pgw_json_parser *ps, int is_key)
{
    const unsigned char *s = ps->p, *q = s, *end = ps->end;
    uint64_t highbits = 0;
    int high = 0;
    Py_ssize_t len;
    PyObject *u;

    for (;;) {
        /* Long text values are common; skip plain bytes a word at a time. */
        while (end - q >= 8) {
            uint64_t w;
            memcpy(&w, q, 8);
            if (pgw_json_word_stops(w))
                break;
            highbits |= w;
            q += 8;
        }
        while (q < end && pgw_json_strclass[*q] == PGW_JSON_SC_PLAIN)
            q++;
        if (PGW_JSON_UNLIKELY(q >= end))
            return NULL;
        switch (pgw_json_strclass[*q]) {
        case PGW_JSON_SC_HIGH:
            high = 1;
            q++;
            continue;
        case PGW_JSON_SC_QUOTE:
            break;
        case PGW_JSON_SC_BACKSLASH:
            return pgw_json_escaped_str(
                ps, s, q, high || (highbits & 0x8080808080808080ULL));
        default:
            return NULL;       /* json.loads rejects raw control characters */
        }
        break;
    }

    len = q - s;
    if (!high && !(highbits & 0x8080808080808080ULL)) {
#if PGW_JSON_KEYCACHE
        if (is_key && len <= PGW_JSON_KEYCACHE_MAXLEN)
            u = pgw_json_cached_key(s, len);
        else
#endif
            u = pgw_json_ascii_str(s, len);
    }
    else {
        /* CPython's UTF-8 decoder is both fast and exactly as strict as the
           bytes.decode() the caller would do before json.loads. */
        u = PyUnicode_DecodeUTF8((const char *)s, len, NULL);
        if (u == NULL) {
            if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
                PyErr_Clear();
            return NULL;
        }
    }
    (void)is_key;
    if (u != NULL)
        ps->p = q + 1;
    return u;
}

/* ---------------------------------------------------------------- numbers */

/* The run of digits at *pp (at least one), appended to *m while it fits in
   64 bits (else *exact is cleared); *pp moves past it.  Returns its length. */
static Py_ssize_t
pgw_json_digits(const unsigned char **pp, const unsigned char *end, uint64_t *m, int *exact)
{
    const unsigned char *p = *pp;
    do {
        if (*m <= (UINT64_MAX - 9) / 10)
            *m = *m * 10 + (uint64_t)(*p - '0');
        else
            *exact = 0;
        p++;
    } while (p < end && *p >= '0' && *p <= '9');
    Py_ssize_t n = p - *pp;
    *pp = p;
    return n;
}

/* The exponent after an 'e' at *pp (sign, then digits; capped, not
   overflowing): 1 with *pp past it, 0 if no digit follows. */
static int
pgw_json_exponent(const unsigned char **pp, const unsigned char *end, long *expo)
{
    const unsigned char *p = *pp;
    int eneg = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        eneg = (*p == '-');
        p++;
    }
    if (!(p < end && *p >= '0' && *p <= '9'))
        return 0;
    long e = 0;
    do {
        if (e < 100000)
            e = e * 10 + (*p - '0');
        p++;
    } while (p < end && *p >= '0' && *p <= '9');
    *expo = eneg ? -e : e;
    *pp = p;
    return 1;
}

static PyObject *
pgw_json_number(pgw_json_parser *ps)
{
    const unsigned char *start = ps->p, *p = start, *end = ps->end;
    uint64_t m = 0;             /* all significant digits, if they fit */
    int neg = 0, exact = 1, is_float = 0;
    Py_ssize_t nint = 0, nfrac = 0;
    long expo = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p < end && *p == '0') {
        p++;
        nint = 1;
    }
    else if (p < end && *p >= '1' && *p <= '9') {
        nint = pgw_json_digits(&p, end, &m, &exact);
    }
    else {
        return NULL;           /* "-", "-Infinity", ... */
    }

    if (p < end && *p == '.') {
        p++;
        if (!(p < end && *p >= '0' && *p <= '9'))
            return NULL;       /* "1." */
        is_float = 1;
        nfrac = pgw_json_digits(&p, end, &m, &exact);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (!pgw_json_exponent(&p, end, &expo))
            return NULL;       /* "1e", "1e+" */
        is_float = 1;
    }
    ps->p = p;

    if (!is_float) {
        /* json.loads uses int(token).  Up to 19 digits fit in uint64; longer
           ones go back to Python so its own rules (int_max_str_digits) apply. */
        if (nint > 19)
            return NULL;
        if (!neg)
            return PyLong_FromUnsignedLongLong(m);
        if (m <= (uint64_t)LLONG_MAX)
            return PyLong_FromLongLong(-(long long)m);
        if (m == (uint64_t)LLONG_MAX + 1)
            return PyLong_FromLongLong(LLONG_MIN);
        {
            PyObject *pos = PyLong_FromUnsignedLongLong(m), *r;
            if (pos == NULL)
                return NULL;
            r = PyNumber_Negative(pos);
            Py_DECREF(pos);
            return r;
        }
    }

#if PGW_JSON_CLINGER
    /* Clinger's fast path: if the digits fit in the 53-bit mantissa and the
       power of ten is itself exact, one IEEE multiply or divide gives the
       correctly rounded result, which is what float() produces too.  Not
       valid with x87 extended precision, hence the FLT_EVAL_METHOD check. */
    if (exact && m <= ((uint64_t)1 << 53)
            && expo - nfrac >= -22 && expo - nfrac <= 22) {
        Py_ssize_t e10 = (Py_ssize_t)expo - nfrac;
        double d = (double)m;
        if (e10 < 0)
            d /= pgw_json_pow10[-e10];
        else
            d *= pgw_json_pow10[e10];
        return PyFloat_FromDouble(neg ? -d : d);
    }
#else
    (void)exact;
    (void)nfrac;
#endif

    /* Anything else: the very routine float(str) uses, on a NUL-terminated
       copy of the token (the input buffer need not be NUL-terminated). */
    {
        char inline_num[64], *num = inline_num, *numend;
        Py_ssize_t len = p - start;
        double d;
        if (len >= (Py_ssize_t)sizeof(inline_num)) {
            num = (char *)PyMem_Malloc((size_t)len + 1);
            if (num == NULL)
                return PyErr_NoMemory();
        }
        memcpy(num, start, (size_t)len);
        num[len] = '\0';
        d = PyOS_string_to_double(num, &numend, NULL);
        if (d == -1.0 && PyErr_Occurred()) {
            if (num != inline_num)
                PyMem_Free(num);
            if (PyErr_ExceptionMatches(PyExc_ValueError))
                PyErr_Clear();  /* cannot happen for grammar-checked text */
            return NULL;
        }
        if (numend != num + len) {
            if (num != inline_num)
                PyMem_Free(num);
            return NULL;
        }
        if (num != inline_num)
            PyMem_Free(num);
        return PyFloat_FromDouble(d);
    }
}

/* ------------------------------------------------------------- containers */

/* After a container's item: past the ',' and the spaces after it to the next
   item (1), past the closing byte (0, ps->p updated), or not JSON (-1). */
static int
pgw_json_after_item(pgw_json_parser *ps, const unsigned char **pp, unsigned char closer)
{
    const unsigned char *end = ps->end;
    const unsigned char *p = pgw_json_skip_ws(ps->p, end);
    if (p >= end)
        return -1;
    if (*p == ',') {
        p = pgw_json_skip_ws(p + 1, end);
        if (p >= end)
            return -1;
        *pp = p;
        return 1;
    }
    if (*p != closer)
        return -1;
    ps->p = p + 1;
    return 0;
}

/* ps->p is at '['. */
static PyObject *
pgw_json_array(pgw_json_parser *ps, int depth)
{
    const unsigned char *p, *end = ps->end;
    Py_ssize_t base = ps->top, n, i;
    PyObject *list;

    if (depth > PGW_JSON_MAX_DEPTH)
        return NULL;
    p = pgw_json_skip_ws(ps->p + 1, end);
    if (p >= end)
        return NULL;
    if (*p == ']') {
        ps->p = p + 1;
        return PyList_New(0);
    }
    for (;;) {
        PyObject *v;
        ps->p = p;
        v = pgw_json_value(ps, depth);
        /* On failure, items already pushed are released by pgw_json_decode. */
        if (v == NULL)
            return NULL;
        if (pgw_json_push(ps, v) < 0) {
            Py_DECREF(v);
            return NULL;
        }
        int more = pgw_json_after_item(ps, &p, ']');
        if (more < 0)
            return NULL;
        if (more == 0)
            break;
    }

    n = ps->top - base;
    list = PyList_New(n);
    if (list == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        PyList_SET_ITEM(list, i, ps->stack[base + i]);
    ps->top = base;
    return list;
}

/* ps->p is at '{'. */
static PyObject *
pgw_json_object(pgw_json_parser *ps, int depth)
{
    const unsigned char *p, *end = ps->end;
    PyObject *dict;

    if (depth > PGW_JSON_MAX_DEPTH)
        return NULL;
    p = pgw_json_skip_ws(ps->p + 1, end);
    if (p >= end)
        return NULL;
    dict = PyDict_New();
    if (dict == NULL)
        return NULL;
    if (*p == '}') {
        ps->p = p + 1;
        return dict;
    }
    for (;;) {
        PyObject *key, *val;
        int r;
        if (*p != '"')
            goto fail;
        ps->p = p + 1;
        key = pgw_json_string(ps, 1);
        if (key == NULL)
            goto fail;
        p = pgw_json_skip_ws(ps->p, end);
        if (p >= end || *p != ':') {
            Py_DECREF(key);
            goto fail;
        }
        p = pgw_json_skip_ws(p + 1, end);
        if (p >= end) {
            Py_DECREF(key);
            goto fail;
        }
        ps->p = p;
        val = pgw_json_value(ps, depth);
        if (val == NULL) {
            Py_DECREF(key);
            goto fail;
        }
        /* Plain assignment gives json.loads' duplicate-key behaviour: the
           last value wins, the key keeps its first position. */
        r = PyDict_SetItem(dict, key, val);
        Py_DECREF(key);
        Py_DECREF(val);
        if (r < 0)
            goto fail;
        int more = pgw_json_after_item(ps, &p, '}');
        if (more < 0)
            goto fail;
        if (more == 0)
            break;
    }
    return dict;

fail:
    Py_DECREF(dict);
    return NULL;
}

/* true, false or null (word[0:len] at ps->p, with `left` bytes there). */
static PyObject *
pgw_json_literal(pgw_json_parser *ps, Py_ssize_t left, const char *word, Py_ssize_t len,
                 PyObject *value)
{
    if (left < len || memcmp(ps->p, word, (size_t)len) != 0)
        return NULL;
    ps->p += len;
    Py_INCREF(value);
    return value;
}

/* ps->p is at the first byte of a value; the caller checked ps->p < end. */
static PyObject *
pgw_json_value(pgw_json_parser *ps, int depth)
{
    const unsigned char *p = ps->p;
    Py_ssize_t left = ps->end - p;

    switch (*p) {
    case '"':
        ps->p = p + 1;
        return pgw_json_string(ps, 0);
    case '{':
        return pgw_json_object(ps, depth + 1);
    case '[':
        return pgw_json_array(ps, depth + 1);
    case 't':
        return pgw_json_literal(ps, left, "true", 4, Py_True);
    case 'f':
        return pgw_json_literal(ps, left, "false", 5, Py_False);
    case 'n':
        return pgw_json_literal(ps, left, "null", 4, Py_None);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return pgw_json_number(ps);
    default:
        return NULL;           /* includes NaN and Infinity */
    }
}

/* ------------------------------------------------------------ entry points */

static PyObject *
pgw_json_decode(const char *data, Py_ssize_t n)
{
    pgw_json_parser ps;
    PyObject *res = NULL;

    ps.p = (const unsigned char *)data;
    ps.end = ps.p + n;
    ps.stack = ps.inline_stack;
    ps.top = 0;
    ps.cap = PGW_JSON_STACK_INLINE;

    ps.p = pgw_json_skip_ws(ps.p, ps.end);
    if (ps.p < ps.end) {
        res = pgw_json_value(&ps, 0);
        if (res != NULL && pgw_json_skip_ws(ps.p, ps.end) != ps.end)
            Py_CLEAR(res);     /* trailing garbage */
    }

    /* Items of arrays left unfinished by a failure. */
    while (ps.top > 0) {
        ps.top--;
        Py_DECREF(ps.stack[ps.top]);
    }
    if (ps.stack != ps.inline_stack)
        PyMem_Free(ps.stack);
    return res;
}

#endif /* PGW_JSON_H */
