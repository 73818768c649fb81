/*
 * pgwire.accel._speedups: compiled hot paths of pgwire, with the same
 * behaviour as the pure-Python code they replace (stub: _speedups.pyi).
 *
 * read_data_rows() frames DataRow messages and builds rows.  Each column has
 * a plan, computed once per result by the planner given to setup_rows()
 * (pgwire/accel/decode_plans.py: plan_columns) from the column's loader, and
 * cached by loader identity (clear_plans() forgets them; plan_codes() shows
 * them): common types are decoded here; anything the decoder does not
 * recognise as the ordinary output of the server (and every other type)
 * goes to the Python loader, so results and errors stay those of the
 * loaders.
 *
 * take_response() takes the whole plain answer to one statement (rows, tag,
 * ReadyForQuery) in one call, or leaves the buffer untouched for the Python
 * loop; known_answer() is the operation running a prepared statement again
 * (a generator-like object: it queues the Bind, then takes the answer as
 * take_response() does, and leaves anything else to a Python generator);
 * count_commands() and copy_chunks() consume runs of command answers and of
 * CopyData.
 *
 * bind() builds a Bind message (setup_bind() gives its Python fallback),
 * bind_many() the Bind messages of executemany from a parameter plan, and
 * CopyWriter the rows of COPY FROM from a plan (pgwire/accel/encode_plans.py
 * makes both); DONE is what an asyncio COPY's compiled write_row() returns
 * to be awaited while no chunk is full.  Inputs that are not the ordinary
 * ones (non-bytes values, out-of-range formats, values a plan does not
 * fit...) are handed to the Python implementation, which raises what it
 * raises.
 *
 * recv_wait() waits in the kernel's recv() for what the server sends and
 * adds it to a ReadBuffer before returning, so that no interruption can
 * fall between the bytes leaving the kernel and their reaching the buffer;
 * recv_now() is the same read without the wait, and send_now() the write
 * that never waits, which deletes what it sent.  OperationState is the
 * base of the drivers' Operation: resume() steps a generator with
 * PyIter_Send(), and KnownAnswer's am_send ends without a StopIteration.
 *
 * Attributes read and written by name, and no others:
 *   a ReadBuffer (buf):          reads data and pos, writes pos (recv_wait(), recv_now():
 *                                reads _chunks, writes data);
 *   a Protocol (take_response,   reads buf, out and pending_ready, writes
 *   known_answer):               pending_ready and transaction_status,
 *                                appends to out, calls command_completed()
 *                                (known_answer: for the noted tags only);
 *   values:                      a session tzinfo's fromutc(), an aware
 *                                datetime's utcoffset(), the int and is_safe
 *                                slots of a new UUID, the append of the rows
 *                                list given to read_data_rows().
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <structmember.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifndef _WIN32
#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>
#endif
/* recv_wait() needs a socket that blocks, whose other reads say MSG_DONTWAIT. */
#if !defined(_WIN32) && defined(MSG_DONTWAIT)
#define HAVE_RECV_WAIT 1
#endif
#include "_speedups_json.h"

/* Column codes; exported to Python under the same names without CODE_. */
enum {
    CODE_PY = 0,      /* call the loader */
    CODE_INT_TEXT,    /* int(data) */
    CODE_INT2_BIN,
    CODE_INT4_BIN,
    CODE_INT8_BIN,
    CODE_OID_BIN,
    CODE_FLOAT_TEXT,  /* float(data) */
    CODE_FLOAT8_BIN,
    CODE_BOOL_TEXT,
    CODE_BOOL_BIN,
    CODE_UTF8,        /* data.decode("utf-8") */
    CODE_BYTES,       /* bytes(data) */
    CODE_BYTEA_TEXT,  /* hex format */
    CODE_NUMERIC_TEXT,/* extra: the Decimal class */
    CODE_DATE_TEXT,
    CODE_DATE_BIN,
    CODE_TS_TEXT,
    CODE_TS_BIN,
    CODE_TSTZ_TEXT,   /* extra: the session tzinfo */
    CODE_TSTZ_BIN,    /* extra: the session tzinfo */
    CODE_UUID_TEXT,   /* extra: (UUID class, SafeUUID.unknown) */
    CODE_UUID_BIN,    /* extra: (UUID class, SafeUUID.unknown) */
    CODE_TIME_TEXT,
    CODE_JSON_TEXT,   /* extra: the decoder's scan_once(str, idx) */
    CODE_JSONB_BIN,   /* extra: as JSON_TEXT, after the version byte */
    CODE_COUNT
};

static const char *const code_names[CODE_COUNT] = {
    "PY", "INT_TEXT", "INT2_BIN", "INT4_BIN", "INT8_BIN", "OID_BIN",
    "FLOAT_TEXT", "FLOAT8_BIN", "BOOL_TEXT", "BOOL_BIN", "UTF8", "BYTES",
    "BYTEA_TEXT", "NUMERIC_TEXT", "DATE_TEXT", "DATE_BIN", "TS_TEXT", "TS_BIN",
    "TSTZ_TEXT", "TSTZ_BIN", "UUID_TEXT", "UUID_BIN", "TIME_TEXT", "JSON_TEXT",
    "JSONB_BIN",
};

/* Set by setup_rows() / setup_bind(). */
static PyObject *rows_fallback;   /* the pure-Python read_data_rows */
static PyObject *violation;       /* ProtocolViolation */
static PyObject *planner;         /* loaders -> [(code, extra), ...] */
static PyObject *bind_fallback;   /* the pure-Python bind */

static PyObject *str_data, *str_pos, *str_append, *str_fromutc, *str_int, *str_is_safe;
static PyObject *str_utcoffset, *str_buf, *str_pending_ready, *str_transaction_status;
static PyObject *str_out, *str_throw, *str_close, *str_command_completed;
static PyObject *str_chunks;
static PyObject *str_owner;
static PyObject *empty_tuple, *one;

/* PostgreSQL counts days from 2000-01-01; Python ordinals from 0001-01-01. */
#define PG_EPOCH_ORDINAL 730120
#define UNIX_EPOCH_ORDINAL 719163
#define MAX_ORDINAL 3652059 /* 9999-12-31 */
#define USECS_PER_DAY 86400000000LL

/* --- plans ------------------------------------------------------------------ */

typedef struct {
    PyObject *loader;
    PyObject *extra;
    int code;
} Column;

typedef struct {
    PyObject_VAR_HEAD
    Column cols[1];
} PlanObject;

static void
plan_dealloc(PlanObject *self)
{
    for (Py_ssize_t i = 0; i < Py_SIZE(self); i++) {
        Py_XDECREF(self->cols[i].loader);
        Py_XDECREF(self->cols[i].extra);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject PlanType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pgwire.accel._speedups._Plan",
    .tp_basicsize = offsetof(PlanObject, cols),
    .tp_itemsize = sizeof(Column),
    .tp_dealloc = (destructor)plan_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "How each column of a result is decoded.",
};

/* A few recent plans: a result is usually read in many calls, one per
 * network read, and results of different cursors may interleave. */
#define PLAN_CACHE 16
static PlanObject *plan_cache[PLAN_CACHE];
static int plan_cache_next;

static int
plan_matches(PlanObject *plan, PyObject **items, Py_ssize_t n)
{
    if (plan == NULL || Py_SIZE(plan) != n)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (plan->cols[i].loader != items[i])
            return 0;
    }
    return 1;
}

/* Return a new reference to the plan of these loaders (a list or tuple). */
static PlanObject *
get_plan(PyObject *loaders)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(loaders);
    PyObject **items = PySequence_Fast_ITEMS(loaders);
    for (int k = 0; k < PLAN_CACHE; k++) {
        if (plan_matches(plan_cache[k], items, n)) {
            Py_INCREF(plan_cache[k]);
            return plan_cache[k];
        }
    }
    PlanObject *plan = PyObject_NewVar(PlanObject, &PlanType, n);
    if (plan == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(items[i]);
        plan->cols[i].loader = items[i];
        plan->cols[i].extra = NULL;
        plan->cols[i].code = CODE_PY;
    }
    PyObject *res = PyObject_CallOneArg(planner, loaders);
    if (res == NULL)
        goto error;
    PyObject *seq = PySequence_Fast(res, "the column planner must return a sequence");
    Py_DECREF(res);
    if (seq == NULL)
        goto error;
    if (PySequence_Fast_GET_SIZE(seq) != n) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_RuntimeError, "the column planner returned a wrong count");
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_RuntimeError, "the column planner must give (code, extra)");
            goto error;
        }
        long code = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
        if (code == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            goto error;
        }
        if (code < 0 || code >= CODE_COUNT)
            code = CODE_PY;
        PyObject *extra = PyTuple_GET_ITEM(item, 1);
        /* Check what the decoders rely on, so a bad plan can only be slow. */
        if ((code == CODE_UUID_TEXT || code == CODE_UUID_BIN) &&
            !(PyTuple_Check(extra) && PyTuple_GET_SIZE(extra) == 2 &&
              PyType_Check(PyTuple_GET_ITEM(extra, 0))))
            code = CODE_PY;
        if ((code == CODE_TSTZ_TEXT || code == CODE_TSTZ_BIN) && !PyTZInfo_Check(extra))
            code = CODE_PY;
        if ((code == CODE_NUMERIC_TEXT || code == CODE_JSON_TEXT || code == CODE_JSONB_BIN) &&
            !PyCallable_Check(extra))
            code = CODE_PY;
        plan->cols[i].code = (int)code;
        Py_INCREF(extra);
        plan->cols[i].extra = extra;
    }
    Py_DECREF(seq);
    int k = plan_cache_next;
    plan_cache_next = (k + 1) % PLAN_CACHE;
    PlanObject *old = plan_cache[k];
    Py_INCREF(plan);
    plan_cache[k] = plan;
    Py_XDECREF(old);
    return plan;
error:
    Py_DECREF(plan);
    return NULL;
}

/* --- small parsers ------------------------------------------------------- */

static inline uint32_t
be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint16_t
be16(const unsigned char *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

static inline uint64_t
be64(const unsigned char *p)
{
    return ((uint64_t)be32(p) << 32) | be32(p + 4);
}

static inline int
dec_digit(unsigned char c)
{
    return (c >= '0' && c <= '9') ? c - '0' : -1;
}

static inline int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* n decimal digits at p, or -1. */
static inline int
digits(const unsigned char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        int d = dec_digit(p[i]);
        if (d < 0)
            return -1;
        v = v * 10 + d;
    }
    return v;
}

/* [-]digits, at most 18 of them: fits in a long long. */
static int
parse_int(const unsigned char *p, Py_ssize_t n, long long *out)
{
    int neg = 0;
    if (n > 0 && p[0] == '-') {
        neg = 1;
        p++;
        n--;
    }
    if (n < 1 || n > 18)
        return 0;
    long long v = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int d = dec_digit(p[i]);
        if (d < 0)
            return 0;
        v = v * 10 + d;
    }
    *out = neg ? -v : v;
    return 1;
}

static int
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : dim[m];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long
days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The date of a day count since 1970-01-01. */
static void
civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = mm;
    *d = dd;
}

static inline long long
floor_div(long long a, long long b)
{
    long long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

typedef struct {
    int y, mo, d, h, mi, s, us;
} Fields;

/* YYYY-MM-DD, valid: 1 else 0. */
static int
parse_date_text(const unsigned char *p, Py_ssize_t n, Fields *f)
{
    if (n < 10 || p[4] != '-' || p[7] != '-')
        return 0;
    f->y = digits(p, 4);
    f->mo = digits(p + 5, 2);
    f->d = digits(p + 8, 2);
    if (f->y < 1 || f->mo < 1 || f->mo > 12 || f->d < 1 || f->d > days_in_month(f->y, f->mo))
        return 0;
    return 1;
}

static Py_ssize_t parse_time_text(const unsigned char *p, Py_ssize_t n, Fields *f);

/* YYYY-MM-DD HH:MM:SS[.f{1,6}]: the length parsed, else 0. */
static Py_ssize_t
parse_timestamp_text(const unsigned char *p, Py_ssize_t n, Fields *f)
{
    if (n < 19 || !parse_date_text(p, n, f) || p[10] != ' ')
        return 0;
    Py_ssize_t i = parse_time_text(p + 11, n - 11, f);
    return i ? 11 + i : 0;
}

/* HH:MM:SS[.f{1,6}] (hours 0-23): the length parsed, else 0. */
static Py_ssize_t
parse_time_text(const unsigned char *p, Py_ssize_t n, Fields *f)
{
    if (n < 8 || p[2] != ':' || p[5] != ':')
        return 0;
    f->h = digits(p, 2);
    f->mi = digits(p + 3, 2);
    f->s = digits(p + 6, 2);
    if (f->h < 0 || f->h > 23 || f->mi < 0 || f->mi > 59 || f->s < 0 || f->s > 59)
        return 0;
    f->us = 0;
    Py_ssize_t i = 8;
    if (i < n && p[i] == '.') {
        i++;
        int nd = 0, us = 0;
        while (i < n && nd < 7 && dec_digit(p[i]) >= 0) {
            us = us * 10 + dec_digit(p[i]);
            i++;
            nd++;
        }
        if (nd < 1 || nd > 6)
            return 0;
        for (; nd < 6; nd++)
            us *= 10;
        f->us = us;
    }
    return i;
}

/* +HH[:MM[:SS]] to the end: seconds east of UTC in *off, 1 if valid. */
static int
parse_offset_text(const unsigned char *p, Py_ssize_t n, int *off)
{
    if (n != 3 && n != 6 && n != 9)
        return 0;
    if (p[0] != '+' && p[0] != '-')
        return 0;
    int h = digits(p + 1, 2), m = 0, s = 0;
    if (h < 0 || h > 23)
        return 0;
    if (n >= 6) {
        if (p[3] != ':' || (m = digits(p + 4, 2)) < 0 || m > 59)
            return 0;
    }
    if (n == 9) {
        if (p[6] != ':' || (s = digits(p + 7, 2)) < 0 || s > 59)
            return 0;
    }
    int secs = h * 3600 + m * 60 + s;
    *off = p[0] == '-' ? -secs : secs;
    return 1;
}

/* --- value decoders ---------------------------------------------------------- */

static PyObject *
call_loader(PyObject *loader, const char *p, Py_ssize_t n)
{
    PyObject *b = PyBytes_FromStringAndSize(p, n);
    if (b == NULL)
        return NULL;
    PyObject *res = PyObject_CallOneArg(loader, b);
    Py_DECREF(b);
    return res;
}

static PyObject *
new_datetime(int y, int mo, int d, int h, int mi, int s, int us, PyObject *tz)
{
    return PyDateTimeAPI->DateTime_FromDateAndTime(y, mo, d, h, mi, s, us, tz,
                                                   PyDateTimeAPI->DateTimeType);
}

/* The fields of a count of microseconds since 2000-01-01; 0 when out of
 * Python's range. */
static int
pg_usecs_fields(long long us, Fields *f)
{
    long long days = floor_div(us, USECS_PER_DAY);
    long long rem = us - days * USECS_PER_DAY;
    long long ordinal = days + PG_EPOCH_ORDINAL;
    if (ordinal < 1 || ordinal > MAX_ORDINAL)
        return 0;
    civil_from_days(ordinal - UNIX_EPOCH_ORDINAL, &f->y, &f->mo, &f->d);
    long long secs = rem / 1000000;
    f->h = (int)(secs / 3600);
    f->mi = (int)(secs / 60 % 60);
    f->s = (int)(secs % 60);
    f->us = (int)(rem % 1000000);
    return 1;
}

/* An aware datetime in the session zone from its UTC fields, as
 * datetime.astimezone() makes it.  NULL without an exception: use the loader. */
static PyObject *
to_zone(int y, int mo, int d, int h, int mi, int s, int us, PyObject *tz)
{
    PyObject *dt = new_datetime(y, mo, d, h, mi, s, us, tz);
    if (dt == NULL || tz == PyDateTime_TimeZone_UTC)
        return dt;
    /* What astimezone() does once the value is in UTC. */
    PyObject *res = PyObject_CallMethodOneArg(tz, str_fromutc, dt);
    Py_DECREF(dt);
    if (res == NULL)
        PyErr_Clear(); /* the loader decides what that means */
    return res;
}

static PyObject *
uuid_from_bytes(const unsigned char *b16, PyObject *extra)
{
    PyObject *cls = PyTuple_GET_ITEM(extra, 0);
    PyObject *unknown = PyTuple_GET_ITEM(extra, 1);
    PyObject *value;
#if PY_VERSION_HEX >= 0x030D0000
    value = PyLong_FromUnsignedNativeBytes(
        b16, 16, Py_ASNATIVEBYTES_BIG_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER);
#else
    value = _PyLong_FromByteArray(b16, 16, 0, 0);
#endif
    if (value == NULL)
        return NULL;
    /* object.__new__(UUID) and object.__setattr__, as the loader does. */
    PyObject *u = PyBaseObject_Type.tp_new((PyTypeObject *)cls, empty_tuple, NULL);
    if (u == NULL) {
        Py_DECREF(value);
        return NULL;
    }
    int rc = PyObject_GenericSetAttr(u, str_int, value);
    Py_DECREF(value);
    if (rc < 0 || PyObject_GenericSetAttr(u, str_is_safe, unknown) < 0) {
        Py_DECREF(u);
        return NULL;
    }
    return u;
}

static int
is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* float(text) for a plain decimal (sign, digits, point, exponent) whose
   digits fit the 53-bit mantissa and whose power of ten is within 10^22:
   1 with *out set, 0 for any other text (PyOS_string_to_double reads it).
   Both operands are exact, so the one IEEE multiply or divide is correctly
   rounded, as float() is (Clinger's fast path, as the JSON reader's): no
   x87 control word to set and restore for each value. */
static int
decimal_to_double(const unsigned char *p, Py_ssize_t n, double *out)
{
#if PGW_JSON_CLINGER
    const unsigned char *end = p + n;
    int neg = 0, exact = 1, digits = 0;
    uint64_t m = 0;
    Py_ssize_t nfrac = 0;
    long expo = 0;
    if (p < end && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    if (p < end && *p >= '0' && *p <= '9') {
        pgw_json_digits(&p, end, &m, &exact);
        digits = 1;
    }
    if (p < end && *p == '.') {
        p++;
        if (p < end && *p >= '0' && *p <= '9') {
            nfrac = pgw_json_digits(&p, end, &m, &exact);
            digits = 1;
        }
    }
    if (!digits)
        return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (!pgw_json_exponent(&p, end, &expo))
            return 0;
    }
    long e10 = expo - (long)nfrac;
    if (p != end || !exact || m > ((uint64_t)1 << 53) || e10 < -22 || e10 > 22)
        return 0;
    double d = (double)m;
    d = e10 < 0 ? d / pgw_json_pow10[-e10] : d * pgw_json_pow10[e10];
    *out = neg ? -d : d;
    return 1;
#else
    (void)p;
    (void)n;
    (void)out;
    return 0;
#endif
}

/* A whole JSON document through the decoder's scanner; NULL without an error
   set when the loader should be called instead (it reports what is wrong). */
static PyObject *
load_json(PyObject *scan_once, const char *cp, Py_ssize_t n)
{
    /* Our decoder handles what PostgreSQL sends; anything it is not sure
       to read as json.loads would goes to the decoder's scanner. */
    PyObject *fast = pgw_json_decode(cp, n);
    if (fast != NULL || PyErr_Occurred())
        return fast;
    Py_ssize_t start = 0, end = n;
    while (start < end && is_json_space(cp[start]))
        start++;
    while (end > start && is_json_space(cp[end - 1]))
        end--;
    if (start == end)
        return NULL;
    PyObject *s = PyUnicode_DecodeUTF8(cp + start, end - start, NULL);
    if (s == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *args[2] = {s, NULL};
    args[1] = PyLong_FromLong(0);
    if (args[1] == NULL) {
        Py_DECREF(s);
        return NULL;
    }
    PyObject *res = PyObject_Vectorcall(scan_once, args, 2, NULL);
    Py_DECREF(args[1]);
    Py_ssize_t len = PyUnicode_GET_LENGTH(s);
    Py_DECREF(s);
    if (res == NULL) {
        /* StopIteration or a decode error: the loader says it properly. */
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            return NULL;
        PyErr_Clear();
        return NULL;
    }
    if (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 2) {
        Py_DECREF(res);
        return NULL;
    }
    Py_ssize_t stop = PyLong_AsSsize_t(PyTuple_GET_ITEM(res, 1));
    if (stop != len) {
        /* Extra data after the document (or a bad index): the loader's error. */
        PyErr_Clear();
        Py_DECREF(res);
        return NULL;
    }
    PyObject *obj = Py_NewRef(PyTuple_GET_ITEM(res, 0));
    Py_DECREF(res);
    return obj;
}

static PyObject *
load_value(Column *col, const char *cp, Py_ssize_t n)
{
    const unsigned char *p = (const unsigned char *)cp;
    switch (col->code) {
    case CODE_INT_TEXT: {
        long long v;
        if (parse_int(p, n, &v))
            return PyLong_FromLongLong(v);
        break;
    }
    case CODE_INT2_BIN:
        if (n == 2)
            return PyLong_FromLong((int16_t)be16(p));
        break;
    case CODE_INT4_BIN:
        if (n == 4)
            return PyLong_FromLong((int32_t)be32(p));
        break;
    case CODE_INT8_BIN:
        if (n == 8)
            return PyLong_FromLongLong((long long)(int64_t)be64(p));
        break;
    case CODE_OID_BIN:
        if (n == 4)
            return PyLong_FromUnsignedLong(be32(p));
        break;
    case CODE_FLOAT_TEXT: {
        double quick;
        if (decimal_to_double(p, n, &quick))
            return PyFloat_FromDouble(quick);
        char tmp[64];
        if (n < 1 || n >= (Py_ssize_t)sizeof(tmp))
            break;
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        char *end;
        double v = PyOS_string_to_double(tmp, &end, NULL);
        if (v == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            break;
        }
        if (end != tmp + n)
            break;
        return PyFloat_FromDouble(v);
    }
    case CODE_FLOAT8_BIN:
        if (n == 8) {
            union {
                uint64_t i;
                double d;
            } u;
            u.i = be64(p);
            return PyFloat_FromDouble(u.d);
        }
        break;
    case CODE_BOOL_TEXT:
        return Py_NewRef(n == 1 && p[0] == 't' ? Py_True : Py_False);
    case CODE_BOOL_BIN:
        return Py_NewRef(n == 1 && p[0] == 0 ? Py_False : Py_True);
    case CODE_UTF8:
        return PyUnicode_DecodeUTF8(cp, n, NULL);
    case CODE_BYTES:
        return PyBytes_FromStringAndSize(cp, n);
    case CODE_BYTEA_TEXT: {
        if (n < 2 || p[0] != '\\' || p[1] != 'x' || (n & 1))
            break;
        Py_ssize_t len = (n - 2) / 2;
        PyObject *res = PyBytes_FromStringAndSize(NULL, len);
        if (res == NULL)
            return NULL;
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(res);
        for (Py_ssize_t i = 0; i < len; i++) {
            int hi = hexval(p[2 + 2 * i]), lo = hexval(p[3 + 2 * i]);
            if (hi < 0 || lo < 0) {
                Py_DECREF(res);
                return call_loader(col->loader, cp, n);
            }
            out[i] = (unsigned char)(hi << 4 | lo);
        }
        return res;
    }
    case CODE_NUMERIC_TEXT: {
        PyObject *s = PyUnicode_DecodeASCII(cp, n, NULL);
        if (s == NULL)
            return NULL;
        PyObject *res = PyObject_CallOneArg(col->extra, s);
        Py_DECREF(s);
        return res;
    }
    case CODE_DATE_TEXT: {
        Fields f;
        if (n == 10 && parse_date_text(p, n, &f))
            return PyDateTimeAPI->Date_FromDate(f.y, f.mo, f.d, PyDateTimeAPI->DateType);
        break;
    }
    case CODE_DATE_BIN:
        if (n == 4) {
            long long ordinal = (long long)(int32_t)be32(p) + PG_EPOCH_ORDINAL;
            if (ordinal >= 1 && ordinal <= MAX_ORDINAL) {
                int y, mo, d;
                civil_from_days(ordinal - UNIX_EPOCH_ORDINAL, &y, &mo, &d);
                return PyDateTimeAPI->Date_FromDate(y, mo, d, PyDateTimeAPI->DateType);
            }
        }
        break;
    case CODE_TS_TEXT: {
        Fields f;
        if (n >= 19 && parse_timestamp_text(p, n, &f) == n)
            return new_datetime(f.y, f.mo, f.d, f.h, f.mi, f.s, f.us, Py_None);
        break;
    }
    case CODE_TS_BIN:
        if (n == 8) {
            Fields f;
            if (pg_usecs_fields((long long)(int64_t)be64(p), &f))
                return new_datetime(f.y, f.mo, f.d, f.h, f.mi, f.s, f.us, Py_None);
        }
        break;
    case CODE_TSTZ_TEXT: {
        Fields f;
        int off;
        Py_ssize_t i = parse_timestamp_text(p, n, &f);
        if (i == 0 || !parse_offset_text(p + i, n - i, &off))
            break;
        long long secs = (days_from_civil(f.y, f.mo, f.d) + UNIX_EPOCH_ORDINAL) * 86400LL +
                         f.h * 3600 + f.mi * 60 + f.s - off;
        long long ordinal = floor_div(secs, 86400);
        if (ordinal < 1 || ordinal > MAX_ORDINAL)
            break;
        long long rem = secs - ordinal * 86400;
        int y, mo, d;
        civil_from_days(ordinal - UNIX_EPOCH_ORDINAL, &y, &mo, &d);
        PyObject *res = to_zone(y, mo, d, (int)(rem / 3600), (int)(rem / 60 % 60),
                                (int)(rem % 60), f.us, col->extra);
        if (res != NULL || PyErr_Occurred())
            return res;
        break;
    }
    case CODE_TSTZ_BIN:
        if (n == 8) {
            Fields f;
            if (pg_usecs_fields((long long)(int64_t)be64(p), &f)) {
                PyObject *res = to_zone(f.y, f.mo, f.d, f.h, f.mi, f.s, f.us, col->extra);
                if (res != NULL || PyErr_Occurred())
                    return res;
            }
        }
        break;
    case CODE_UUID_TEXT: {
        if (n != 36)
            break;
        unsigned char b16[16];
        int k = 0, hi = -1, ok = 1;
        for (int i = 0; i < 36 && ok; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                ok = p[i] == '-';
                continue;
            }
            int v = hexval(p[i]);
            if (v < 0)
                ok = 0;
            else if (hi < 0)
                hi = v;
            else {
                b16[k++] = (unsigned char)(hi << 4 | v);
                hi = -1;
            }
        }
        if (ok)
            return uuid_from_bytes(b16, col->extra);
        break;
    }
    case CODE_UUID_BIN:
        if (n == 16)
            return uuid_from_bytes(p, col->extra);
        break;
    case CODE_TIME_TEXT: {
        Fields f;
        if (n >= 8 && parse_time_text(p, n, &f) == n)
            return PyDateTimeAPI->Time_FromTime(f.h, f.mi, f.s, f.us, Py_None,
                                                PyDateTimeAPI->TimeType);
        break;
    }
    case CODE_JSON_TEXT:
    case CODE_JSONB_BIN: {
        /* jsonb's binary form is a version byte (1) before the text. */
        Py_ssize_t skip = col->code == CODE_JSONB_BIN;
        if (skip && (n < 1 || p[0] != 1))
            break;
        PyObject *res = load_json(col->extra, cp + skip, n - skip);
        if (res != NULL || PyErr_Occurred())
            return res;
        break;
    }
    default:
        break;
    }
    return call_loader(col->loader, cp, n);
}

/* --- read_data_rows ------------------------------------------------------------ */

static PyObject *
call_fallback(PyObject *func, PyObject *const *args, Py_ssize_t nargs)
{
    if (func == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "pgwire.accel._speedups is not set up");
        return NULL;
    }
    return PyObject_Vectorcall(func, args, nargs, NULL);
}

/* The tuple (a, b), both references taken (either may be NULL: an error
   set, the other released). */
static PyObject *
pair_of(PyObject *a, PyObject *b)
{
    PyObject *t = a != NULL && b != NULL ? PyTuple_New(2) : NULL;
    if (t == NULL) {
        Py_XDECREF(a);
        Py_XDECREF(b);
        return NULL;
    }
    PyTuple_SET_ITEM(t, 0, a);
    PyTuple_SET_ITEM(t, 1, b);
    return t;
}

static int
set_pos(PyObject *buf, Py_ssize_t pos)
{
    PyObject *v = PyLong_FromSsize_t(pos);
    if (v == NULL)
        return -1;
    int rc = PyObject_SetAttr(buf, str_pos, v);
    Py_DECREF(v);
    return rc;
}

/* Whether `v` can never be tracked by the collector: not a container, or a
   tuple that is not tracked (as CPython's _PyObject_GC_MAY_BE_TRACKED). */
static int
may_not_be_tracked(PyObject *v)
{
    if (!PyObject_IS_GC(v))
        return 1;
    return PyTuple_CheckExact(v) && !PyObject_GC_IsTracked(v);
}

/* The row of the DataRow framed at d[pos:end] (its column count checked), made
   with make_row unless as_tuple; NULL with an exception on failure. */
static PyObject *
decode_row(const unsigned char *d, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t ncols,
           PlanObject *plan, int as_tuple, PyObject *make_row)
{
    Py_ssize_t p = pos + 7;
    PyObject *row = as_tuple ? PyTuple_New(ncols) : PyList_New(ncols);
    if (row == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < ncols; i++) {
        if (p + 4 > end) {
            PyErr_SetString(violation, "DataRow length does not match its values");
            goto error;
        }
        int32_t vlen = (int32_t)be32(d + p);
        p += 4;
        PyObject *v;
        if (vlen < 0) {
            v = Py_NewRef(Py_None);
        }
        else {
            if (p + vlen > end) {
                PyErr_SetString(violation, "DataRow value runs past the message");
                goto error;
            }
            v = load_value(&plan->cols[i], (const char *)d + p, vlen);
            if (v == NULL)
                goto error;
            p += vlen;
        }
        if (as_tuple)
            PyTuple_SET_ITEM(row, i, v);
        else
            PyList_SET_ITEM(row, i, v);
    }
    if (p != end) {
        PyErr_SetString(violation, "DataRow length does not match its values");
        goto error;
    }
    if (!as_tuple)
        Py_SETREF(row, PyObject_CallOneArg(make_row, row));
    else {
        /* A row of values that hold no references (numbers, text, dates...)
           can't be part of a cycle: the collector need not visit it, as it
           would find out on its first pass anyway.  The test is CPython's
           own for tuples: any other container, even one not tracked yet (a
           dict of numbers from JSON), may come to hold the row. */
        Py_ssize_t i = 0;
        while (i < ncols && may_not_be_tracked(PyTuple_GET_ITEM(row, i)))
            i++;
        if (i == ncols)
            PyObject_GC_UnTrack(row);
    }
    return row;
error:
    Py_DECREF(row);
    return NULL;
}

PyDoc_STRVAR(read_data_rows_doc,
"read_data_rows(buf, loaders, make_row, rows) -> None\n\n"
"Turn every complete DataRow at the front of buf into a row appended to rows,\n"
"as pgwire.protocol.datarows.read_data_rows_py does.");

static PyObject *
read_data_rows(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || planner == NULL)
        return call_fallback(rows_fallback, args, nargs);
    PyObject *buf = args[0], *loaders = args[1], *make_row = args[2], *rows = args[3];
    if (!PyList_CheckExact(loaders) && !PyTuple_CheckExact(loaders))
        return call_fallback(rows_fallback, args, nargs);

    PyObject *data = PyObject_GetAttr(buf, str_data);
    if (data == NULL)
        return NULL;
    PyObject *posobj = PyObject_GetAttr(buf, str_pos);
    if (posobj == NULL) {
        Py_DECREF(data);
        return NULL;
    }
    Py_ssize_t pos = PyLong_CheckExact(posobj) ? PyLong_AsSsize_t(posobj) : -1;
    Py_DECREF(posobj);
    if (!PyBytes_CheckExact(data) || pos < 0) {
        /* Not what a ReadBuffer holds: the Python code decides. */
        PyErr_Clear();
        Py_DECREF(data);
        return call_fallback(rows_fallback, args, nargs);
    }

    const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t size = PyBytes_GET_SIZE(data);
    Py_ssize_t ncols = PySequence_Fast_GET_SIZE(loaders);
    int as_tuple = make_row == (PyObject *)&PyTuple_Type;
    PyObject *append = NULL;
    PlanObject *plan = NULL;
    PyObject *row = NULL;
    /* What buf.pos would be in the Python code: written back on the way out. */
    Py_ssize_t bufpos = pos;
    int failed = 0;

    if (!PyList_CheckExact(rows)) {
        append = PyObject_GetAttr(rows, str_append);
        if (append == NULL) {
            Py_DECREF(data);
            return NULL;
        }
    }

    while (size - pos >= 7 && d[pos] == 'D') {
        int32_t length = (int32_t)be32(d + pos + 1);
        int16_t count = (int16_t)be16(d + pos + 5);
        Py_ssize_t end = pos + 1 + (Py_ssize_t)length;
        if (end > size)
            break;
        if (count != ncols) {
            PyErr_Format(violation, "DataRow with %d columns where %zd were described",
                         (int)count, ncols);
            goto error;
        }
        bufpos = pos;
        /* Python code would see Ctrl-C between rows; so must this loop, or a
         * signal could be handled (and lost) in a garbage collector callback. */
        if (PyErr_CheckSignals() < 0)
            goto error;
        if (plan == NULL && (plan = get_plan(loaders)) == NULL)
            goto error;
        row = decode_row(d, pos, end, ncols, plan, as_tuple, make_row);
        if (row == NULL)
            goto error;
        int rc;
        if (append == NULL)
            rc = PyList_Append(rows, row);
        else {
            PyObject *r = PyObject_CallOneArg(append, row);
            rc = r == NULL ? -1 : 0;
            Py_XDECREF(r);
        }
        Py_CLEAR(row);
        if (rc < 0)
            goto error;
        pos = end;
    }
    bufpos = pos;
    goto done;

error:
    failed = 1;
    Py_CLEAR(row);
done:
    Py_XDECREF(plan);
    Py_XDECREF(append);
    Py_DECREF(data);
    if (failed) {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        if (set_pos(buf, bufpos) < 0) {
            Py_XDECREF(et);
            Py_XDECREF(ev);
            Py_XDECREF(tb);
            return NULL;
        }
        PyErr_Restore(et, ev, tb);
        return NULL;
    }
    if (set_pos(buf, bufpos) < 0)
        return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(setup_rows_doc,
"setup_rows(fallback, violation, planner) -> None\n\n"
"Set the pure-Python read_data_rows (used for unusual input), the\n"
"ProtocolViolation class and the column planner: called with a list of\n"
"loaders, it returns one (code, extra) per loader.");

static PyObject *
setup_rows(PyObject *module, PyObject *args)
{
    PyObject *fb, *viol, *plan;
    if (!PyArg_ParseTuple(args, "OOO:setup_rows", &fb, &viol, &plan))
        return NULL;
    if (!PyCallable_Check(fb) || !PyCallable_Check(plan) || !PyExceptionClass_Check(viol)) {
        PyErr_SetString(PyExc_TypeError, "setup_rows(callable, exception class, callable)");
        return NULL;
    }
    Py_XSETREF(rows_fallback, Py_NewRef(fb));
    Py_XSETREF(violation, Py_NewRef(viol));
    Py_XSETREF(planner, Py_NewRef(plan));
    for (int k = 0; k < PLAN_CACHE; k++)
        Py_CLEAR(plan_cache[k]);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(clear_plans_doc,
"clear_plans() -> None\n\nForget the cached column plans.");

static PyObject *
clear_plans(PyObject *module, PyObject *unused)
{
    for (int k = 0; k < PLAN_CACHE; k++)
        Py_CLEAR(plan_cache[k]);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(plan_codes_doc,
"plan_codes(loaders) -> list[int]\n\nThe decoder codes chosen for these loaders.");

static PyObject *
plan_codes(PyObject *module, PyObject *loaders)
{
    if (planner == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "pgwire.accel._speedups is not set up");
        return NULL;
    }
    if (!PyList_CheckExact(loaders) && !PyTuple_CheckExact(loaders)) {
        PyErr_SetString(PyExc_TypeError, "loaders must be a list or a tuple");
        return NULL;
    }
    PlanObject *plan = get_plan(loaders);
    if (plan == NULL)
        return NULL;
    PyObject *res = PyList_New(Py_SIZE(plan));
    if (res != NULL) {
        for (Py_ssize_t i = 0; i < Py_SIZE(plan); i++) {
            PyObject *c = PyLong_FromLong(plan->cols[i].code);
            if (c == NULL) {
                Py_CLEAR(res);
                break;
            }
            PyList_SET_ITEM(res, i, c);
        }
    }
    Py_DECREF(plan);
    return res;
}

/* --- bind ------------------------------------------------------------------------ */

/* Int16 format codes of a list or tuple of ints: count, any non-zero; 0 if unusual. */
static int
read_formats(PyObject *seq, int16_t *out, Py_ssize_t cap, Py_ssize_t *n, int *any)
{
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq))
        return 0;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    if (len > cap)
        return 0;
    *any = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyLong_Check(item))
            return 0;
        long v = PyLong_AsLong(item);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        if (v < INT16_MIN || v > INT16_MAX)
            return 0;
        out[i] = (int16_t)v;
        if (v)
            *any = 1;
    }
    *n = len;
    return 1;
}

static inline unsigned char *
put16(unsigned char *w, int v)
{
    w[0] = (unsigned char)((v >> 8) & 0xFF);
    w[1] = (unsigned char)(v & 0xFF);
    return w + 2;
}

static inline unsigned char *
put32(unsigned char *w, int64_t v)
{
    uint32_t u = (uint32_t)v;
    w[0] = (unsigned char)(u >> 24);
    w[1] = (unsigned char)(u >> 16);
    w[2] = (unsigned char)(u >> 8);
    w[3] = (unsigned char)u;
    return w + 4;
}

#define MAX_FORMATS 64

PyDoc_STRVAR(bind_doc,
"bind(portal, statement, param_formats, values, result_formats) -> bytes\n\n"
"The Bind message, as pgwire.protocol.messages.bind_py builds it.");

static PyObject *
bind_message(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5)
        return call_fallback(bind_fallback, args, nargs);
    PyObject *portal = args[0], *statement = args[1], *values = args[3];
    int16_t pf[MAX_FORMATS], rf[MAX_FORMATS];
    Py_ssize_t npf, nrf;
    int pf_any, rf_any;
    if (!PyBytes_CheckExact(portal) || !PyBytes_CheckExact(statement) ||
        memchr(PyBytes_AS_STRING(portal), 0, PyBytes_GET_SIZE(portal)) ||
        memchr(PyBytes_AS_STRING(statement), 0, PyBytes_GET_SIZE(statement)) ||
        !read_formats(args[2], pf, MAX_FORMATS, &npf, &pf_any) ||
        !read_formats(args[4], rf, MAX_FORMATS, &nrf, &rf_any) ||
        (!PyList_CheckExact(values) && !PyTuple_CheckExact(values)))
        return call_fallback(bind_fallback, args, nargs);
    Py_ssize_t nv = PySequence_Fast_GET_SIZE(values);
    PyObject **items = PySequence_Fast_ITEMS(values);
    if (nv > INT16_MAX)
        return call_fallback(bind_fallback, args, nargs);

    /* Body: portal\0 statement\0 formats values result-formats. */
    int64_t body = PyBytes_GET_SIZE(portal) + 1 + PyBytes_GET_SIZE(statement) + 1;
    body += (npf && pf_any) ? 2 + 2 * npf : 2;
    body += 2;
    for (Py_ssize_t i = 0; i < nv; i++) {
        PyObject *v = items[i];
        if (v == Py_None)
            body += 4;
        else if (PyBytes_CheckExact(v) && PyBytes_GET_SIZE(v) <= INT32_MAX)
            body += 4 + PyBytes_GET_SIZE(v);
        else
            return call_fallback(bind_fallback, args, nargs);
    }
    body += nrf == 1 ? 4 : (nrf && rf_any) ? 2 + 2 * nrf : 2;
    if (body + 4 > INT32_MAX)
        return call_fallback(bind_fallback, args, nargs);

    PyObject *res = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(body + 5));
    if (res == NULL)
        return NULL;
    unsigned char *w = (unsigned char *)PyBytes_AS_STRING(res);
    *w++ = 'B';
    w = put32(w, body + 4);
    memcpy(w, PyBytes_AS_STRING(portal), PyBytes_GET_SIZE(portal) + 1);
    w += PyBytes_GET_SIZE(portal) + 1;
    memcpy(w, PyBytes_AS_STRING(statement), PyBytes_GET_SIZE(statement) + 1);
    w += PyBytes_GET_SIZE(statement) + 1;
    if (npf && pf_any) {
        w = put16(w, (int)npf);
        for (Py_ssize_t i = 0; i < npf; i++)
            w = put16(w, pf[i]);
    }
    else
        w = put16(w, 0);
    w = put16(w, (int)nv);
    for (Py_ssize_t i = 0; i < nv; i++) {
        PyObject *v = items[i];
        if (v == Py_None)
            w = put32(w, -1);
        else {
            Py_ssize_t len = PyBytes_GET_SIZE(v);
            w = put32(w, len);
            memcpy(w, PyBytes_AS_STRING(v), len);
            w += len;
        }
    }
    if (nrf == 1) {
        w = put16(w, 1);
        w = put16(w, rf[0]);
    }
    else if (nrf && rf_any) {
        w = put16(w, (int)nrf);
        for (Py_ssize_t i = 0; i < nrf; i++)
            w = put16(w, rf[i]);
    }
    else
        w = put16(w, 0);
    return res;
}

PyDoc_STRVAR(setup_bind_doc,
"setup_bind(fallback) -> None\n\nSet the pure-Python bind, used for unusual input.");

static PyObject *
setup_bind(PyObject *module, PyObject *fb)
{
    if (!PyCallable_Check(fb)) {
        PyErr_SetString(PyExc_TypeError, "setup_bind needs a callable");
        return NULL;
    }
    Py_XSETREF(bind_fallback, Py_NewRef(fb));
    Py_RETURN_NONE;
}

/* --- bind_many: the Bind messages of executemany ----------------------------------- */

/* How a parameter is encoded; exported to Python with the ENC_ prefix. */
enum {
    ENC_PY = 0,   /* extra(obj) must return bytes */
    ENC_NULL,     /* None */
    ENC_INT_TEXT, /* int in decimal; the smallest of int2/int4/int8 must be the plan's oid */
    ENC_INT_BIN,  /* int in 2, 4 or 8 bytes, by the plan's oid (the smallest that holds it) */
    ENC_FLOAT8_BIN,
    ENC_UTF8,     /* str without NUL, as UTF-8 */
    ENC_TS_BIN,   /* naive datetime: microseconds since 2000-01-01 */
    ENC_TSTZ_BIN, /* aware datetime: microseconds since 2000-01-01 UTC */
    ENC_FLOAT_TEXT, /* float as repr() writes it, NaN and infinities as the server does */
    ENC_COUNT
};

#define OID_INT2 21
#define OID_INT4 23
#define OID_INT8 20

typedef struct {
    PyObject *type;
    PyObject *extra;
    long oid;
    int code;
} ParamPlan;

/* Bytes being written: memory of its own, or (ba set) a bytearray grown in
   place, which over-allocates so that small appends stay amortized.  Memory
   of its own may start in the caller's `stack` array (p == stack): the one
   Bind of a query then needs no allocation. */
typedef struct {
    char *p;
    size_t len, cap;
    PyObject *ba;
    char *stack;
} OutBuf;

static int
out_reserve(OutBuf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    if (b->ba != NULL) {
        if (b->len + more > (size_t)PY_SSIZE_T_MAX - 1024) {
            PyErr_NoMemory();
            return -1;
        }
        /* Some room beyond: one resize serves a whole row of small values
           (the caller trims the bytearray to what was written). */
        size_t cap = b->len + more + 1024;
        if (PyByteArray_Resize(b->ba, (Py_ssize_t)cap) < 0)
            return -1;
        b->p = PyByteArray_AS_STRING(b->ba);
        b->cap = cap;
        return 0;
    }
    int from_stack = b->p != NULL && b->p == b->stack;
    size_t cap = b->cap && !from_stack ? b->cap : 65536;
    while (cap < b->len + more) {
        if (cap > ((size_t)PY_SSIZE_T_MAX) / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    char *np = from_stack ? PyMem_Malloc(cap) : PyMem_Realloc(b->p, cap);
    if (np != NULL && from_stack)
        memcpy(np, b->p, b->len);
    if (np == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

static int
out_put(OutBuf *b, const void *data, size_t n)
{
    if (out_reserve(b, n) < 0)
        return -1;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

/* A value with its length prefix; -1 on error. */
static int
out_value(OutBuf *b, const void *data, size_t n)
{
    unsigned char len[4];
    put32(len, (int64_t)n);
    if (out_reserve(b, n + 4) < 0)
        return -1;
    memcpy(b->p + b->len, len, 4);
    memcpy(b->p + b->len + 4, data, n);
    b->len += n + 4;
    return 0;
}

static long
smallest_int_oid(long long v)
{
    if (v >= INT16_MIN && v <= INT16_MAX)
        return OID_INT2;
    if (v >= INT32_MIN && v <= INT32_MAX)
        return OID_INT4;
    return OID_INT8;
}

static void
be64_put(unsigned char *w, uint64_t u)
{
    for (int i = 7; i >= 0; i--) {
        w[i] = (unsigned char)(u & 0xFF);
        u >>= 8;
    }
}

/* Microseconds since 2000-01-01 of the datetime's wall time (its fields). */
static long long
wall_usecs(PyObject *dt)
{
    long long days = days_from_civil(PyDateTime_GET_YEAR(dt), PyDateTime_GET_MONTH(dt),
                                     PyDateTime_GET_DAY(dt)) +
                     UNIX_EPOCH_ORDINAL - PG_EPOCH_ORDINAL;
    long long secs = days * 86400LL + PyDateTime_DATE_GET_HOUR(dt) * 3600LL +
                     PyDateTime_DATE_GET_MINUTE(dt) * 60LL + PyDateTime_DATE_GET_SECOND(dt);
    return secs * 1000000LL + PyDateTime_DATE_GET_MICROSECOND(dt);
}

/* A dumper's dump(obj) as a new bytes reference in *out: 1 done, 0 the Python
   path should do this row (an error there, which it raises again with its
   context, or not bytes), -1 an error that must propagate now. */
static int
call_dump(PyObject *dump, PyObject *obj, PyObject **out)
{
    PyObject *res = PyObject_CallOneArg(dump, obj);
    if (res == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            return -1;
        PyErr_Clear();
        return 0;
    }
    if (!PyBytes_CheckExact(res)) {
        Py_DECREF(res);
        return 0;
    }
    *out = res;
    return 1;
}

/* Encode one value: 1 done, 0 the plan does not fit it (let Python do this row), -1 error. */
static int
encode_param(OutBuf *b, ParamPlan *pp, PyObject *obj)
{
    if ((PyObject *)Py_TYPE(obj) != pp->type)
        return 0;
    switch (pp->code) {
    case ENC_NULL: {
        unsigned char null[4] = {0xFF, 0xFF, 0xFF, 0xFF};
        return out_put(b, null, 4) < 0 ? -1 : 1;
    }
    case ENC_INT_TEXT:
    case ENC_INT_BIN: {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (overflow || smallest_int_oid(v) != pp->oid)
            return 0;
        unsigned char tmp[32];
        if (pp->code == ENC_INT_TEXT) {
            int n = snprintf((char *)tmp, sizeof(tmp), "%lld", v);
            return out_value(b, tmp, (size_t)n) < 0 ? -1 : 1;
        }
        size_t n = pp->oid == OID_INT2 ? 2 : pp->oid == OID_INT4 ? 4 : 8;
        be64_put(tmp, (uint64_t)v);
        return out_value(b, tmp + 8 - n, n) < 0 ? -1 : 1;
    }
    case ENC_FLOAT8_BIN: {
        union {
            double d;
            uint64_t u;
        } u;
        u.d = PyFloat_AS_DOUBLE(obj);
        unsigned char tmp[8];
        be64_put(tmp, u.u);
        return out_value(b, tmp, 8) < 0 ? -1 : 1;
    }
    case ENC_UTF8: {
        Py_ssize_t n;
        const char *data = PyUnicode_AsUTF8AndSize(obj, &n);
        if (data == NULL) {
            /* Surrogates: the dumper reports it. */
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
                return -1;
            PyErr_Clear();
            return 0;
        }
        if (n > INT32_MAX || memchr(data, 0, (size_t)n) != NULL)
            return 0;
        return out_value(b, data, (size_t)n) < 0 ? -1 : 1;
    }
    case ENC_TS_BIN:
    case ENC_TSTZ_BIN: {
        PyObject *tz = PyDateTime_DATE_GET_TZINFO(obj);
        long long usecs = wall_usecs(obj);
        if (pp->code == ENC_TS_BIN) {
            if (tz != Py_None)
                return 0;
        }
        else {
            if (tz == Py_None)
                return 0;
            /* The UTC singleton's offset is known; any other zone is asked. */
            if (tz == PyDateTime_TimeZone_UTC) {
                unsigned char tmp[8];
                be64_put(tmp, (uint64_t)usecs);
                return out_value(b, tmp, 8) < 0 ? -1 : 1;
            }
            PyObject *off = PyObject_CallMethodNoArgs(obj, str_utcoffset);
            if (off == NULL)
                return -1;
            if (!PyDelta_Check(off)) {
                Py_DECREF(off);
                return 0;
            }
            usecs -= (PyDateTime_DELTA_GET_DAYS(off) * 86400LL +
                      PyDateTime_DELTA_GET_SECONDS(off)) * 1000000LL +
                     PyDateTime_DELTA_GET_MICROSECONDS(off);
            Py_DECREF(off);
        }
        unsigned char tmp[8];
        be64_put(tmp, (uint64_t)usecs);
        return out_value(b, tmp, 8) < 0 ? -1 : 1;
    }
    case ENC_PY: {
        PyObject *res;
        int rc = call_dump(pp->extra, obj, &res);
        if (rc == 1) {
            rc = PyBytes_GET_SIZE(res) > INT32_MAX ? 0
                 : out_value(b, PyBytes_AS_STRING(res), (size_t)PyBytes_GET_SIZE(res)) < 0 ? -1
                                                                                          : 1;
            Py_DECREF(res);
        }
        return rc;
    }
    default:
        return 0;
    }
}

/* The C form of a parameter plan (a tuple of (type, code, oid, extra)); NULL on error. */
static ParamPlan *
read_param_plan(PyObject *plan)
{
    Py_ssize_t np = PyTuple_GET_SIZE(plan);
    ParamPlan *pp = PyMem_New(ParamPlan, np ? np : 1);
    if (pp == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t j = 0; j < np; j++) {
        PyObject *item = PyTuple_GET_ITEM(plan, j);
        long code;
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 4 ||
            !PyType_Check(PyTuple_GET_ITEM(item, 0)) ||
            (code = PyLong_AsLong(PyTuple_GET_ITEM(item, 1))) < 0 || code >= ENC_COUNT) {
            PyMem_Free(pp);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "bad parameter plan");
            return NULL;
        }
        pp[j].type = PyTuple_GET_ITEM(item, 0);
        pp[j].code = (int)code;
        pp[j].oid = PyLong_AsLong(PyTuple_GET_ITEM(item, 2));
        pp[j].extra = PyTuple_GET_ITEM(item, 3);
        if ((pp[j].oid == -1 && PyErr_Occurred()) ||
            (code == ENC_PY && !PyCallable_Check(pp[j].extra)) ||
            ((code == ENC_FLOAT8_BIN || code == ENC_FLOAT_TEXT) &&
             pp[j].type != (PyObject *)&PyFloat_Type) ||
            ((code == ENC_INT_TEXT || code == ENC_INT_BIN) && pp[j].type != (PyObject *)&PyLong_Type) ||
            (code == ENC_UTF8 && pp[j].type != (PyObject *)&PyUnicode_Type) ||
            (code == ENC_NULL && pp[j].type != (PyObject *)Py_TYPE(Py_None)) ||
            ((code == ENC_TS_BIN || code == ENC_TSTZ_BIN) &&
             pp[j].type != (PyObject *)PyDateTimeAPI->DateTimeType)) {
            PyMem_Free(pp);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "bad parameter plan");
            return NULL;
        }
    }
    return pp;
}

PyDoc_STRVAR(bind_many_doc,
"bind_many(rows, start, plan, head, tail, after) -> (bytes, stop)\n\n"
"Bind messages for rows[start:], each followed by `after`, while the rows fit\n"
"`plan` (per parameter: (type, code, oid, extra)); `head` is the Bind body up to\n"
"the values, `tail` the rest of it. stop is the first row not encoded.");

static PyObject *
bind_many(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyList_CheckExact(args[0]) || !PyTuple_CheckExact(args[2]) ||
        !PyBytes_CheckExact(args[3]) || !PyBytes_CheckExact(args[4]) ||
        !PyBytes_CheckExact(args[5])) {
        PyErr_SetString(PyExc_TypeError, "bind_many(rows: list, start: int, plan: tuple, "
                                         "head: bytes, tail: bytes, after: bytes)");
        return NULL;
    }
    PyObject *rows = args[0], *plan = args[2], *head = args[3], *tail = args[4];
    PyObject *after = args[5];
    Py_ssize_t start = PyLong_AsSsize_t(args[1]);
    if (start == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t np = PyTuple_GET_SIZE(plan);
    if (start < 0 || np > INT16_MAX) {
        PyErr_SetString(PyExc_ValueError, "bad start or plan");
        return NULL;
    }
    ParamPlan *pp = read_param_plan(plan);
    if (pp == NULL)
        return NULL;
    char first[512];
    OutBuf b = {first, 0, sizeof first, NULL, first};
    Py_ssize_t i = start, nrows = PyList_GET_SIZE(rows);
    for (; i < nrows; i++) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        if ((!PyTuple_CheckExact(row) && !PyList_CheckExact(row)) ||
            PySequence_Fast_GET_SIZE(row) != np)
            break;
        size_t mark = b.len;
        unsigned char hdr[5] = {'B', 0, 0, 0, 0};
        if (out_put(&b, hdr, 5) < 0 || out_put(&b, PyBytes_AS_STRING(head), PyBytes_GET_SIZE(head)) < 0)
            goto error;
        int fits = 1;
        /* Hold the row: a dumper called from here may change the list. */
        Py_INCREF(row);
        for (Py_ssize_t j = 0; j < np && fits == 1; j++) {
            if (PySequence_Fast_GET_SIZE(row) != np) {
                fits = 0;
                break;
            }
            PyObject *obj = PySequence_Fast_GET_ITEM(row, j);
            Py_INCREF(obj);
            fits = encode_param(&b, &pp[j], obj);
            Py_DECREF(obj);
        }
        Py_DECREF(row);
        if (fits < 0)
            goto error;
        if (fits == 0) {
            b.len = mark;
            break;
        }
        /* The Bind's length: from its length field to the end of the result formats. */
        size_t bind_len = b.len - mark - 1 + PyBytes_GET_SIZE(tail);
        if (bind_len > INT32_MAX) {
            b.len = mark;
            break;
        }
        put32((unsigned char *)b.p + mark + 1, (int64_t)bind_len);
        if (out_put(&b, PyBytes_AS_STRING(tail), PyBytes_GET_SIZE(tail)) < 0 ||
            out_put(&b, PyBytes_AS_STRING(after), PyBytes_GET_SIZE(after)) < 0)
            goto error;
        if (PyList_GET_SIZE(rows) != nrows)
            nrows = PyList_GET_SIZE(rows);
    }
    PyMem_Free(pp);
    PyObject *data = PyBytes_FromStringAndSize(b.p, (Py_ssize_t)b.len);
    if (b.p != first)
        PyMem_Free(b.p);
    if (data == NULL)
        return NULL;
    return pair_of(data, PyLong_FromSsize_t(i));
error:
    PyMem_Free(pp);
    if (b.p != first)
        PyMem_Free(b.p);
    return NULL;
}

/* --- COPY FROM rows: the values of the text and binary formats ------------------------ */

/* Append n bytes of COPY text, backslash-escaping what the format reserves. */
static int
put_text_escaped(OutBuf *b, const char *data, Py_ssize_t n)
{
    if (out_reserve(b, (size_t)n) < 0)
        return -1;
    for (Py_ssize_t k = 0; k < n; k++) {
        char c = data[k];
        /* The bytes the server's own COPY TO escapes: \\ and \b \t \n \v \f \r. */
        char esc;
        if (c == '\\')
            esc = '\\';
        else if (c >= '\b' && c <= '\r')
            esc = "btnvfr"[c - '\b'];
        else {
            b->p[b->len++] = c;
            continue;
        }
        /* Room for this escape and everything still to come. */
        if (out_reserve(b, (size_t)(n - k) + 1) < 0)
            return -1;
        b->p[b->len++] = '\\';
        b->p[b->len++] = esc;
    }
    return 0;
}

/* Decimal digits of v into out (at most 20); their count. snprintf takes
   several times longer, which shows when every row has numbers. */
static int
put_digits(char *out, unsigned long long v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int k = 0; k < n; k++)
        out[k] = tmp[n - 1 - k];
    return n;
}

/* d written in fixed point as the decimal m / 10^k, as repr() writes it
   (".0" after an integer); the length. */
static Py_ssize_t
write_fixed(double d, unsigned long long m, int k, char *out)
{
    char digits[24];
    int nd = put_digits(digits, m);
    Py_ssize_t n = 0;
    if (signbit(d))
        out[n++] = '-';
    if (k == 0) {
        memcpy(out + n, digits, (size_t)nd);
        n += nd;
        out[n++] = '.';
        out[n++] = '0';
        return n;
    }
    if (nd > k) {
        memcpy(out + n, digits, (size_t)(nd - k));
        n += nd - k;
        out[n++] = '.';
        memcpy(out + n, digits + nd - k, (size_t)k);
        return n + k;
    }
    out[n++] = '0';
    out[n++] = '.';
    memset(out + n, '0', (size_t)(k - nd));
    n += k - nd;
    memcpy(out + n, digits, (size_t)nd);
    return n + nd;
}

/* The powers of ten that are exact doubles and fit in 64 bits. */
static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
#define POW10_COUNT ((int)(sizeof(POW10) / sizeof(POW10[0])))

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

/* 10^k, exact: from the table, times ten for each power beyond it. */
static u128
pow10_u128(int k)
{
    int top = k < POW10_COUNT ? k : POW10_COUNT - 1;
    u128 p = (unsigned long long)POW10[top];
    for (; top < k; top++)
        p *= 10;
    return p;
}

/* The k-digit decimal nearest a (a normal double below 2^53): its m when
   m / 10^k reads back as a, else 0, all in exact integer arithmetic.
   With a = f / 2^s, m rounds f * 10^k / 2^s half to even; the text reads
   back as a when it lies between the midpoints to a's neighbours (on a
   midpoint only when f is even: strtod rounds ties to even), scaled by
   4 * 2^s * 10^k: (4f - 2) * 10^k <= 4m * 2^s <= (4f + 2) * 10^k, with 4f - 1
   below a power of two, whose lower neighbour is half as far. */
static int
nearest_decimal_reads_back(double a, int k, unsigned long long *m_out)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    uint64_t f = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int s = 1075 - (int)((bits >> 52) & 0x7ff);
    if (s < 1 || s > 100)
        return 0;
    u128 p = pow10_u128(k);
    u128 num = (u128)f * p;
    u128 m = num >> s;
    u128 rem = num - (m << s);
    u128 half = (u128)1 << (s - 1);
    if (rem > half || (rem == half && (m & 1)))
        m++;
    u128 scaled = m << (s + 2);
    u128 low = (u128)(4 * f - (f == (1ULL << 52) ? 1 : 2)) * p;
    u128 high = (u128)(4 * f + 2) * p;
    int inside = (f & 1) ? (low < scaled && scaled < high) : (low <= scaled && scaled <= high);
    if (!inside)
        return 0;
    *m_out = (unsigned long long)m;
    return 1;
}
#endif

/* repr() of d for 1e-4 <= |d| < 1e15, where repr writes fixed point, with
   the shortest digits that read back as d (as repr's); 0 for other floats,
   which take repr() itself (several times slower).

   Most such floats are named by a decimal of at most 15 significant
   digits (0.1, 12.75, 3.0).  That decimal m / 10^k is checked with one
   IEEE division: m below 1e15 and 10^k up to 10^19 are exact doubles, so
   the quotient is the double nearest the decimal, as strtod (the server's
   float8in, Python's float()) reads it.  The smallest k that passes gives
   repr's digits: the product |d| * 10^k is within 0.25 of that m, and two
   decimals of 15 digits or fewer never name the same double.  A check
   that holds at some k holds at every larger k within 15 digits, so the
   largest is tried first.  The other floats need 16 or 17 digits (0.1 +
   0.2, 1/3): the nearest decimal of each length is checked exactly in
   128-bit integers, where the compiler has them. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0
#define PGWIRE_DECIMAL_FLOATS 0 /* extended precision: the division check is unsound */
#else
#define PGWIRE_DECIMAL_FLOATS 1
#endif

static Py_ssize_t
short_float_repr(double d, char *out)
{
    /* The division check holds under round-to-nearest only, the mode the
       server's strtod reads in; a process that changed it gets repr(). */
    if (!PGWIRE_DECIMAL_FLOATS || fegetround() != FE_TONEAREST)
        return 0;
    double a = fabs(d);
    if (!(a < 1e15) || (a < 1e-4 && a != 0.0))
        return 0;
    int kmax = 0;
    while (kmax + 1 < POW10_COUNT && a * POW10[kmax + 1] < 1e15)
        kmax++;
    if (nearbyint(a * POW10[kmax]) / POW10[kmax] == a) {
        int k = 0;
        double m = nearbyint(a);
        while (m / POW10[k] != a) {
            k++;
            m = nearbyint(a * POW10[k]);
        }
        return write_fixed(d, (unsigned long long)m, k, out);
    }
#ifdef __SIZEOF_INT128__
    /* No decimal of 15 digits: the shortest has 16 or 17, at k = kmax + 1
       or kmax + 2 (a * 10^kmax < 1e15 <= a * 10^(kmax + 1)). */
    for (int k = kmax + 1; k <= kmax + 2; k++) {
        unsigned long long m;
        if (nearest_decimal_reads_back(a, k, &m))
            return write_fixed(d, m, k, out);
    }
#endif
    return 0;
}

/* One value in COPY text format: 1 done, 0 the plan does not fit it, -1 error. */
static int
copy_text_value(OutBuf *b, ParamPlan *pp, PyObject *obj)
{
    if ((PyObject *)Py_TYPE(obj) != pp->type)
        return 0;
    switch (pp->code) {
    case ENC_INT_TEXT: {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (overflow)
            return 0;
        char tmp[32];
        int n = 0;
        if (v < 0)
            tmp[n++] = '-';
        n += put_digits(tmp + n, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
        if (out_reserve(b, (size_t)n) < 0)
            return -1;
        memcpy(b->p + b->len, tmp, (size_t)n);
        b->len += (size_t)n;
        return 1;
    }
    case ENC_FLOAT_TEXT: {
        double d = PyFloat_AS_DOUBLE(obj);
        const char *special = isnan(d) ? "NaN" : isinf(d) ? (d > 0 ? "Infinity" : "-Infinity")
                                                          : NULL;
        if (special != NULL) {
            size_t n = strlen(special);
            if (out_reserve(b, n) < 0)
                return -1;
            memcpy(b->p + b->len, special, n);
            b->len += n;
            return 1;
        }
        char quick[48];
        Py_ssize_t qn = short_float_repr(d, quick);
        if (qn > 0) {
            if (out_reserve(b, (size_t)qn) < 0)
                return -1;
            memcpy(b->p + b->len, quick, (size_t)qn);
            b->len += (size_t)qn;
            return 1;
        }
        char *r = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (r == NULL)
            return -1;
        size_t n = strlen(r);
        int rc = out_reserve(b, n);
        if (rc == 0) {
            memcpy(b->p + b->len, r, n);
            b->len += n;
        }
        PyMem_Free(r);
        return rc < 0 ? -1 : 1;
    }
    case ENC_UTF8: {
        Py_ssize_t n;
        const char *data = PyUnicode_AsUTF8AndSize(obj, &n);
        if (data == NULL) {
            /* Surrogates: the dumper reports it. */
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
                return -1;
            PyErr_Clear();
            return 0;
        }
        if (memchr(data, 0, (size_t)n) != NULL)
            return 0;
        return put_text_escaped(b, data, n) < 0 ? -1 : 1;
    }
    case ENC_PY: {
        PyObject *res;
        int rc = call_dump(pp->extra, obj, &res);
        if (rc == 1) {
            rc = put_text_escaped(b, PyBytes_AS_STRING(res), PyBytes_GET_SIZE(res)) < 0 ? -1 : 1;
            Py_DECREF(res);
        }
        return rc;
    }
    default:
        return 0;
    }
}

/* One value in COPY binary format (length and bytes): 1 done, 0 no fit, -1 error.
   Ints take the width of the column (pp->oid), not the smallest one. */
static int
copy_binary_value(OutBuf *b, ParamPlan *pp, PyObject *obj)
{
    if (out_reserve(b, 12) < 0)
        return -1;
    if (pp->code != ENC_INT_BIN)
        return encode_param(b, pp, obj);
    if ((PyObject *)Py_TYPE(obj) != pp->type)
        return 0;
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred())
        return -1;
    size_t n = pp->oid == OID_INT2 ? 2 : pp->oid == OID_INT4 ? 4 : 8;
    if (overflow || (n == 2 && (v < INT16_MIN || v > INT16_MAX)) ||
        (n == 4 && (v < INT32_MIN || v > INT32_MAX)))
        return 0;
    unsigned char tmp[8];
    be64_put(tmp, (uint64_t)v);
    unsigned char *w = (unsigned char *)b->p + b->len;
    put32(w, (int64_t)n);
    memcpy(w + 4, tmp + 8 - n, n);
    b->len += 4 + n;
    return 1;
}

/* One row appended to the bytearray `ba` in COPY format while it fits the plan:
   1 done, 0 does not fit (ba left as it was), -1 error (likewise). */
static int
copy_one_row(PyObject *ba, ParamPlan *pp, Py_ssize_t np, int binary, PyObject *row)
{
    if ((!PyTuple_CheckExact(row) && !PyList_CheckExact(row)) ||
        PySequence_Fast_GET_SIZE(row) != np)
        return 0;
    OutBuf b = {PyByteArray_AS_STRING(ba), (size_t)PyByteArray_GET_SIZE(ba),
                (size_t)PyByteArray_GET_SIZE(ba), ba};
    size_t mark = b.len;
    int fits = 1;
    /* Hold the row: a dumper called from here may drop it from its list. */
    Py_INCREF(row);
    if (binary) {
        if (out_reserve(&b, 2) < 0)
            fits = -1;
        else {
            put16((unsigned char *)b.p + b.len, (int)np);
            b.len += 2;
        }
    }
    for (Py_ssize_t j = 0; j < np && fits == 1; j++) {
        if (PySequence_Fast_GET_SIZE(row) != np) {
            fits = 0;
            break;
        }
        PyObject *obj = PySequence_Fast_GET_ITEM(row, j);
        if (!binary && j > 0) {
            if (out_reserve(&b, 1) < 0) {
                fits = -1;
                break;
            }
            b.p[b.len++] = '\t';
        }
        if (obj == Py_None) {
            if (out_reserve(&b, 4) < 0) {
                fits = -1;
                break;
            }
            memcpy(b.p + b.len, binary ? "\xff\xff\xff\xff" : "\\N", binary ? 4 : 2);
            b.len += binary ? 4 : 2;
            continue;
        }
        Py_INCREF(obj);
        fits = binary ? copy_binary_value(&b, &pp[j], obj) : copy_text_value(&b, &pp[j], obj);
        Py_DECREF(obj);
    }
    Py_DECREF(row);
    if (fits == 1 && !binary) {
        if (out_reserve(&b, 1) < 0)
            fits = -1;
        else
            b.p[b.len++] = '\n';
    }
    if (fits != 1)
        b.len = mark;
    /* Back to the bytes written: whole rows only. */
    if (PyByteArray_Resize(ba, (Py_ssize_t)b.len) < 0)
        return -1;
    return fits;
}

/* --- CopyWriter: rows of COPY FROM data, text or binary ----------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *out;      /* the bytearray rows are appended to */
    PyObject *fallback; /* fallback(row) appends a row the plan doesn't fit (and may re-plan) */
    PyObject *plan;     /* the plan as given (None: every row goes to the fallback) */
    PyObject *on_full;  /* called by write_row() once the output holds a chunk (or None) */
    PyObject *idle;     /* what write_row() returns otherwise */
    ParamPlan *pp;      /* the plan as read, NULL without one */
    Py_ssize_t np;
    Py_ssize_t chunk;
    int binary;
} CopyWriterObject;

static int
writer_traverse(CopyWriterObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->out);
    Py_VISIT(self->fallback);
    Py_VISIT(self->plan);
    Py_VISIT(self->on_full);
    Py_VISIT(self->idle);
    return 0;
}

static int
writer_clear(CopyWriterObject *self)
{
    Py_CLEAR(self->out);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->plan);
    Py_CLEAR(self->on_full);
    Py_CLEAR(self->idle);
    PyMem_Free(self->pp);
    self->pp = NULL;
    return 0;
}

static void
writer_dealloc(CopyWriterObject *self)
{
    PyObject_GC_UnTrack(self);
    writer_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
writer_init(CopyWriterObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"binary", "out", "fallback", "chunk", NULL};
    int binary;
    PyObject *out, *fallback;
    Py_ssize_t chunk;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "pO!On", kwlist, &binary, &PyByteArray_Type,
                                     &out, &fallback, &chunk))
        return -1;
    if (!PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "fallback must be callable");
        return -1;
    }
    writer_clear(self);
    self->binary = binary;
    self->out = Py_NewRef(out);
    self->fallback = Py_NewRef(fallback);
    self->plan = Py_NewRef(Py_None);
    self->on_full = Py_NewRef(Py_None);
    self->idle = Py_NewRef(Py_None);
    self->chunk = chunk;
    return 0;
}

/* The getter of the object field at offset `closure` (None while unset). */
static PyObject *
writer_get_field(CopyWriterObject *self, void *closure)
{
    PyObject *value = *(PyObject **)((char *)self + (Py_ssize_t)closure);
    return Py_NewRef(value ? value : Py_None);
}

static int
writer_set_on_full(CopyWriterObject *self, PyObject *on_full, void *closure)
{
    if (on_full == NULL || (on_full != Py_None && !PyCallable_Check(on_full))) {
        PyErr_SetString(PyExc_TypeError, "on_full must be callable or None");
        return -1;
    }
    Py_XSETREF(self->on_full, Py_NewRef(on_full));
    return 0;
}

static int
writer_set_idle(CopyWriterObject *self, PyObject *idle, void *closure)
{
    if (idle == NULL) {
        PyErr_SetString(PyExc_TypeError, "idle cannot be deleted");
        return -1;
    }
    Py_XSETREF(self->idle, Py_NewRef(idle));
    return 0;
}

static int
writer_set_plan(CopyWriterObject *self, PyObject *plan, void *closure)
{
    ParamPlan *pp = NULL;
    if (plan == NULL || (plan != Py_None && !PyTuple_CheckExact(plan))) {
        PyErr_SetString(PyExc_TypeError, "plan must be a tuple or None");
        return -1;
    }
    if (plan != Py_None) {
        if (PyTuple_GET_SIZE(plan) > INT16_MAX) {
            PyErr_SetString(PyExc_ValueError, "bad plan");
            return -1;
        }
        if ((pp = read_param_plan(plan)) == NULL)
            return -1;
    }
    PyMem_Free(self->pp);
    self->pp = pp;
    self->np = plan != Py_None ? PyTuple_GET_SIZE(plan) : 0;
    Py_XSETREF(self->plan, Py_NewRef(plan));
    return 0;
}

/* Append one row, through the plan or the fallback; -1 on error. */
static int
writer_row(CopyWriterObject *self, PyObject *row)
{
    if (self->pp != NULL) {
        /* The plan's objects are held by the plan tuple: hold it while encoding
           (the fallback, or a dumper, may replace it). */
        PyObject *plan = Py_NewRef(self->plan);
        int fits = copy_one_row(self->out, self->pp, self->np, self->binary, row);
        Py_DECREF(plan);
        if (fits != 0)
            return fits < 0 ? -1 : 0;
    }
    PyObject *res = PyObject_CallOneArg(self->fallback, row);
    if (res == NULL)
        return -1;
    Py_DECREF(res);
    return 0;
}

static PyObject *
writer_full(CopyWriterObject *self)
{
    return PyBool_FromLong(PyByteArray_GET_SIZE(self->out) >= self->chunk);
}

/* writer_row() on an initialised writer; -1 on error. */
static int
writer_append(CopyWriterObject *self, PyObject *row)
{
    if (self->out == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "CopyWriter not initialised");
        return -1;
    }
    return writer_row(self, row);
}

static PyObject *
writer_add_row(CopyWriterObject *self, PyObject *row)
{
    if (writer_append(self, row) < 0)
        return NULL;
    return writer_full(self);
}

/* The whole of a COPY's write_row() (no Python frame per row): on_full()'s
   result when the row completed a chunk, else `idle` (an asyncio COPY's
   future already done, to be awaited alike). */
static PyObject *
writer_write_row(CopyWriterObject *self, PyObject *row)
{
    if (writer_append(self, row) < 0)
        return NULL;
    if (PyByteArray_GET_SIZE(self->out) >= self->chunk && self->on_full != Py_None) {
        /* Held: the callback may drop the writer's own reference. */
        PyObject *on_full = Py_NewRef(self->on_full);
        PyObject *res = PyObject_CallNoArgs(on_full);
        Py_DECREF(on_full);
        return res;
    }
    return Py_NewRef(self->idle);
}

static PyObject *
writer_add_rows(CopyWriterObject *self, PyObject *rows)
{
    if (self->out == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "CopyWriter not initialised");
        return NULL;
    }
    if (!PyList_CheckExact(rows) && !PyTuple_CheckExact(rows)) {
        PyErr_SetString(PyExc_TypeError, "add_rows() needs a list or a tuple");
        return NULL;
    }
    Py_INCREF(rows);
    for (Py_ssize_t i = 0; i < Py_SIZE(rows); i++) {
        PyObject *row = Py_NewRef(PySequence_Fast_GET_ITEM(rows, i));
        int rc = writer_row(self, row);
        Py_DECREF(row);
        if (rc < 0) {
            Py_DECREF(rows);
            return NULL;
        }
    }
    Py_DECREF(rows);
    return writer_full(self);
}

static PyMethodDef writer_methods[] = {
    {"add_row", (PyCFunction)writer_add_row, METH_O,
     "add_row(row) -> bool\n\nAppend one row; True once the output holds a chunk."},
    {"write_row", (PyCFunction)writer_write_row, METH_O,
     "write_row(row)\n\nAppend one row; once the output holds a chunk, call on_full() and "
     "return its result, else return idle."},
    {"add_rows", (PyCFunction)writer_add_rows, METH_O,
     "add_rows(rows) -> bool\n\nAppend the rows of a list or tuple; True once the output "
     "holds a chunk."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef writer_getset[] = {
    {"plan", (getter)writer_get_field, (setter)writer_set_plan,
     "Per column (type, code, oid, extra), or None: how rows are encoded here.",
     (void *)offsetof(CopyWriterObject, plan)},
    {"on_full", (getter)writer_get_field, (setter)writer_set_on_full,
     "What write_row() calls once the output holds a chunk (None: nothing).",
     (void *)offsetof(CopyWriterObject, on_full)},
    {"idle", (getter)writer_get_field, (setter)writer_set_idle,
     "What write_row() returns when it calls nothing (None by default).",
     (void *)offsetof(CopyWriterObject, idle)},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject CopyWriterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pgwire.accel._speedups.CopyWriter",
    .tp_basicsize = sizeof(CopyWriterObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "CopyWriter(binary, out, fallback, chunk)\n\n"
              "Appends rows in COPY text or binary format to the bytearray `out`: in C\n"
              "while they fit `plan` (None fits any column), else by calling\n"
              "fallback(row), which appends the row itself.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)writer_init,
    .tp_dealloc = (destructor)writer_dealloc,
    .tp_traverse = (traverseproc)writer_traverse,
    .tp_clear = (inquiry)writer_clear,
    .tp_methods = writer_methods,
    .tp_getset = writer_getset,
};

/* --- Done: an awaitable already finished ------------------------------------------ */

/* What an asyncio COPY's compiled write_row() returns while no chunk is full:
   awaiting it gives None at once.  A done asyncio Future gives the same, but
   each await makes an iterator object around it; this one is its own. */
static PyObject *
done_await(PyObject *self)
{
    return Py_NewRef(self);
}

static PyObject *
done_next(PyObject *self)
{
    return NULL; /* the end, no exception: the await's value is None */
}

static PySendResult
done_send(PyObject *self, PyObject *arg, PyObject **result)
{
    *result = Py_NewRef(Py_None);
    return PYGEN_RETURN;
}

static PyAsyncMethods done_as_async = {
    .am_await = done_await,
    .am_send = done_send,
};

static PyTypeObject DoneType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pgwire.accel._speedups.Done",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An awaitable that is already done: awaiting it gives None at once.",
    .tp_as_async = &done_as_async,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = done_next,
};

/* The exception being raised, taken: normalized, with its traceback set on it
   (as an `except` clause binds it). */
static PyObject *
fetch_exception(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
}

/* --- OperationState: the state of a protocol operation being run ------------------ */

/* The compiled base of drivers.channel.Operation, as its pure-Python base
   there: the generator, whether it is done, its result or error, whether an
   interruption stopped it, and a weak reference to whom it runs for.
   resume() steps the generator with PyIter_Send(), so that a generator (or
   a KnownAnswer) ending makes no StopIteration. */
typedef struct {
    PyObject_HEAD
    PyObject *gen;
    PyObject *result;
    PyObject *error;
    PyObject *owner_ref;
    char done;
    char interrupted;
} OperationStateObject;

static int
opstate_traverse(OperationStateObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->gen);
    Py_VISIT(self->result);
    Py_VISIT(self->error);
    Py_VISIT(self->owner_ref);
    return 0;
}

static int
opstate_clear(OperationStateObject *self)
{
    Py_CLEAR(self->gen);
    Py_CLEAR(self->result);
    Py_CLEAR(self->error);
    Py_CLEAR(self->owner_ref);
    return 0;
}

static void
opstate_dealloc(OperationStateObject *self)
{
    PyObject_GC_UnTrack(self);
    opstate_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
opstate_init(OperationStateObject *self, PyObject *args, PyObject *kwargs)
{
    /* (gen, owner=None), parsed by hand: made once per query. */
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    PyObject *gen = nargs > 0 ? PyTuple_GET_ITEM(args, 0) : NULL;
    PyObject *owner = nargs > 1 ? PyTuple_GET_ITEM(args, 1) : NULL;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) > 0) {
        PyObject *kw_owner = PyDict_GetItemWithError(kwargs, str_owner);
        if (kw_owner == NULL && PyErr_Occurred())
            return -1;
        if (kw_owner == NULL || owner != NULL || PyDict_GET_SIZE(kwargs) > 1) {
            PyErr_SetString(PyExc_TypeError, "Operation(gen, owner=None): bad arguments");
            return -1;
        }
        owner = kw_owner;
    }
    if (gen == NULL || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "Operation(gen, owner=None): bad arguments");
        return -1;
    }
    if (owner == NULL)
        owner = Py_None;
    PyObject *ref = Py_None;
    if (owner != Py_None && (ref = PyWeakref_NewRef(owner, NULL)) == NULL)
        return -1;
    if (ref == Py_None)
        Py_INCREF(ref);
    Py_XSETREF(self->gen, Py_NewRef(gen));
    Py_XSETREF(self->owner_ref, ref);
    Py_CLEAR(self->result);
    Py_CLEAR(self->error);
    self->done = self->interrupted = 0;
    return 0;
}

static PyObject *
opstate_resume(OperationStateObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->gen == NULL) {
        PyErr_SetString(PyExc_AttributeError, "gen");
        return NULL;
    }
    PyObject *gen = Py_NewRef(self->gen), *value;
    PySendResult r = PyIter_Send(gen, Py_None, &value);
    Py_DECREF(gen);
    if (r == PYGEN_NEXT)
        Py_DECREF(value);
    else if (r == PYGEN_RETURN) {
        self->done = 1;
        Py_XSETREF(self->result, value);
    }
    else {
        /* Kept to be raised by outcome(); a BaseException that is not an
           Exception (KeyboardInterrupt...) stopped the operation halfway. */
        self->done = 1;
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            self->interrupted = 1;
        Py_XSETREF(self->error, fetch_exception());
    }
    return PyBool_FromLong(self->done);
}

static PyMethodDef opstate_methods[] = {
    {"resume", (PyCFunction)opstate_resume, METH_NOARGS,
     "resume() -> bool\n\nLet the operation process what has arrived; True once it has finished."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef opstate_members[] = {
    {"gen", T_OBJECT, offsetof(OperationStateObject, gen), 0, "The operation's generator."},
    {"result", T_OBJECT, offsetof(OperationStateObject, result), 0,
     "What the generator returned, once done."},
    {"error", T_OBJECT, offsetof(OperationStateObject, error), 0,
     "What the generator raised, once done (None: nothing)."},
    {"owner_ref", T_OBJECT, offsetof(OperationStateObject, owner_ref), 0,
     "A weak reference to whom the operation runs for, or None."},
    {"done", T_BOOL, offsetof(OperationStateObject, done), 0, "True once the generator ended."},
    {"interrupted", T_BOOL, offsetof(OperationStateObject, interrupted), 0,
     "True if a BaseException that is not an Exception stopped it halfway."},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject OperationStateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pgwire.accel._speedups.OperationState",
    .tp_basicsize = sizeof(OperationStateObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "OperationState(gen, owner=None)\n\n"
              "The state of a protocol operation being run (the base of\n"
              "pgwire.drivers.channel.Operation): resume() steps gen.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)opstate_init,
    .tp_dealloc = (destructor)opstate_dealloc,
    .tp_traverse = (traverseproc)opstate_traverse,
    .tp_clear = (inquiry)opstate_clear,
    .tp_methods = opstate_methods,
    .tp_members = opstate_members,
};

/* --- count_commands: the answers of executemany ----------------------------------- */

/* The received bytes of a ReadBuffer (a new reference in *data, a buffer view
   to release with close_received) and its read position; -1 on error. */
static int
open_received(PyObject *buf, PyObject **data, Py_buffer *view, Py_ssize_t *pos)
{
    *data = PyObject_GetAttr(buf, str_data);
    if (*data == NULL)
        return -1;
    PyObject *posobj = PyObject_GetAttr(buf, str_pos);
    if (posobj == NULL) {
        Py_DECREF(*data);
        return -1;
    }
    *pos = PyLong_AsSsize_t(posobj);
    Py_DECREF(posobj);
    if ((*pos == -1 && PyErr_Occurred()) || PyObject_GetBuffer(*data, view, PyBUF_SIMPLE) < 0) {
        Py_DECREF(*data);
        return -1;
    }
    return 0;
}

static void
close_received(PyObject *data, Py_buffer *view)
{
    PyBuffer_Release(view);
    Py_DECREF(data);
}

/* The length field of the complete message at p[pos], or 0 if it is not there
   whole or its length cannot be valid (Python's framing then says why). */
static uint32_t
whole_message(const unsigned char *p, Py_ssize_t len, Py_ssize_t pos)
{
    if (pos < 0 || len - pos < 5)
        return 0;
    uint32_t mlen = be32(p + pos + 1);
    if (mlen < 4 || mlen > (1u << 30) || (Py_ssize_t)mlen + 1 > len - pos)
        return 0;
    return mlen;
}

/* All digits (and some): the value, else -1. */
static long long
tag_number(const char *p, Py_ssize_t n)
{
    if (n < 1 || n > 18)
        return -1;
    long long v = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Rows counted by a command tag, as messages.rowcount_from_tag; -1 none, -2 unsure. */
static long long
tag_rowcount(const char *tag, Py_ssize_t n)
{
    const char *sp = memchr(tag, ' ', n);
    if (sp == NULL)
        return -1;
    Py_ssize_t vlen = sp - tag;
    const char *rest = sp + 1;
    Py_ssize_t rlen = n - vlen - 1;
    static const char *const verbs[] = {"UPDATE", "DELETE", "SELECT", "MOVE",
                                        "FETCH",  "COPY",   "MERGE"};
    if (vlen == 6 && memcmp(tag, "INSERT", 6) == 0) {
        const char *sp2 = memchr(rest, ' ', rlen);
        if (sp2 == NULL)
            return -1;
        Py_ssize_t clen = rlen - (sp2 + 1 - rest);
        if (clen > 18)
            return -2;
        return tag_number(sp2 + 1, clen);
    }
    for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
        if ((size_t)vlen == strlen(verbs[k]) && memcmp(tag, verbs[k], vlen) == 0) {
            if (rlen > 18)
                return -2;
            return tag_number(rest, rlen);
        }
    }
    return -1;
}

PyDoc_STRVAR(count_commands_doc,
"count_commands(buf) -> (commands, rows)\n\n"
"Consume the ParseComplete, BindComplete, NoData, CloseComplete and\n"
"CommandComplete messages at buf.pos; count the commands and the rows their tags\n"
"report. Stops at any other message, an incomplete one, or a tag to leave to Python\n"
"(a huge count, or DROP, ALTER and ROLLBACK, which stale prepared statements,\n"
"or one that may be the last: not followed by another of those messages).");

static PyObject *
count_commands(PyObject *module, PyObject *buf)
{
    PyObject *data;
    Py_buffer view;
    Py_ssize_t pos;
    if (open_received(buf, &data, &view, &pos) < 0)
        return NULL;
    const unsigned char *p = view.buf;
    Py_ssize_t len = view.len, start = pos;
    long long commands = 0, rows = 0;
    uint32_t mlen;
    while ((mlen = whole_message(p, len, pos)) != 0) {
        unsigned char t = p[pos];
        if (t == 'C') {
            const char *tag = (const char *)p + pos + 5;
            const char *nul = memchr(tag, 0, mlen - 4);
            if (nul == NULL)
                break;
            long long n = tag_rowcount(tag, nul - tag);
            /* Tags of commands that may change the schema are left to Python,
               which discards the prepared statements they may stale. */
            if (n == -2 || strncmp(tag, "DROP ", 5) == 0 || strncmp(tag, "ALTER ", 6) == 0
                || strcmp(tag, "ROLLBACK") == 0)
                break;
            /* The last command's tag is left to Python, which keeps it as the
               answer's status: one is last unless another answer follows it. */
            Py_ssize_t next = pos + 1 + mlen;
            if (whole_message(p, len, next) == 0)
                break;
            unsigned char after = p[next];
            if (after != 'C' && after != '1' && after != '2' && after != 'n' && after != '3')
                break;
            commands++;
            if (n >= 0)
                rows += n;
        }
        else if (t != '1' && t != '2' && t != 'n' && t != '3')
            break;
        pos += 1 + mlen;
    }
    close_received(data, &view);
    if (pos != start && set_pos(buf, pos) < 0)
        return NULL;
    return Py_BuildValue("(LL)", commands, rows);
}

/* --- take_response: a whole plain answer at once ---------------------------------- */

PyDoc_STRVAR(take_response_doc,
"take_response(proto, loaders, make_row, description=None) -> (rows, tag, rowcount) | None\n\n"
"The whole answer to one statement run through the extended protocol, when it\n"
"is all in proto.buf and plain: ParseComplete, BindComplete, NoData or\n"
"CloseComplete (with description: a RowDescription whose body it is instead of NoData),\n"
"then DataRows, one CommandComplete and ReadyForQuery. The rows\n"
"are decoded as read_data_rows does (loaders None: no rows may come). Once all\n"
"is decoded, buf.pos moves past the ReadyForQuery and proto notes it\n"
"(transaction_status, pending_ready), with no signal handled in between.\n"
"None, with nothing changed, for anything else (an answer not all there,\n"
"another message, a value a loader refuses): the Python loop then reads it\n"
"and reports errors.");

/* take_response() with the RowDescription body `desc` (NULL: none): (rows, tag,
   rowcount), None, or NULL with an exception. */
static PyObject *
take_whole(PyObject *proto, PyObject *loaders, PyObject *make_row, const char *desc,
           Py_ssize_t desc_len)
{
    /* No loaders: a statement without rows. */
    int no_rows = loaders == Py_None;
    if (planner == NULL
        || (!no_rows && !PyList_CheckExact(loaders) && !PyTuple_CheckExact(loaders)))
        Py_RETURN_NONE;
    PyObject *buf = PyObject_GetAttr(proto, str_buf);
    if (buf == NULL)
        return NULL;
    PyObject *data, *pending = NULL;
    Py_buffer view;
    Py_ssize_t pos;
    if (open_received(buf, &data, &view, &pos) < 0) {
        Py_DECREF(buf);
        return NULL;
    }
    const unsigned char *p = view.buf;
    Py_ssize_t len = view.len, at = pos;
    Py_ssize_t ncols = no_rows ? 0 : PySequence_Fast_GET_SIZE(loaders), nrows = 0;
    PyObject *result = NULL, *rows = NULL;
    PlanObject *plan = NULL;
    uint32_t mlen;

    /* Check the whole answer is there, and plain, before decoding anything. */
    while ((mlen = whole_message(p, len, at)) != 0
           && (p[at] == '1' || p[at] == '2' || p[at] == '3' || (p[at] == 'n' && desc == NULL)
               || (p[at] == 'T' && desc != NULL && (Py_ssize_t)mlen - 4 == desc_len
                   && memcmp(p + at + 5, desc, desc_len) == 0)))
        at += 1 + mlen;
    Py_ssize_t first_row = at;
    while ((mlen = whole_message(p, len, at)) != 0 && p[at] == 'D') {
        if (no_rows || mlen < 6 || (int16_t)be16(p + at + 5) != ncols)
            goto plain_no;
        nrows++;
        at += 1 + mlen;
    }
    if ((mlen = whole_message(p, len, at)) == 0 || p[at] != 'C')
        goto plain_no;
    const char *tag = (const char *)p + at + 5;
    const char *nul = memchr(tag, 0, mlen - 4);
    if (nul == NULL)
        goto plain_no;
    long long rowcount = tag_rowcount(tag, nul - tag);
    if (rowcount == -2)
        goto plain_no;
    at += 1 + mlen;
    if (whole_message(p, len, at) != 5 || p[at] != 'Z')
        goto plain_no;
    int status = p[at + 5];
    /* A status the protocol doesn't know: Python's loop reports the violation. */
    if (status != 'I' && status != 'T' && status != 'E')
        goto plain_no;
    at += 6;

    if ((rows = PyList_New(nrows)) == NULL)
        goto error;
    int as_tuple = make_row == (PyObject *)&PyTuple_Type;
    Py_ssize_t row_at = first_row;
    for (Py_ssize_t i = 0; i < nrows; i++) {
        Py_ssize_t end = row_at + 1 + (Py_ssize_t)be32(p + row_at + 1);
        if (PyErr_CheckSignals() < 0)
            goto error;
        if (plan == NULL && (plan = get_plan(loaders)) == NULL)
            goto error;
        PyObject *row = decode_row(p, row_at, end, ncols, plan, as_tuple, make_row);
        if (row == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                goto error;
            /* The Python loop decodes it again and raises once in sync. */
            PyErr_Clear();
            goto plain_no;
        }
        PyList_SET_ITEM(rows, i, row);
        row_at = end;
    }
    if (rowcount < 0)
        rowcount = -1;
    PyObject *tag_obj = PyUnicode_DecodeASCII(tag, nul - tag, "replace");
    PyObject *count_obj = tag_obj == NULL ? NULL : PyLong_FromLongLong(rowcount);
    if (count_obj == NULL || (result = PyTuple_New(3)) == NULL) {
        Py_XDECREF(tag_obj);
        Py_XDECREF(count_obj);
        goto error;
    }
    PyTuple_SET_ITEM(result, 0, Py_NewRef(rows));
    PyTuple_SET_ITEM(result, 1, tag_obj);
    PyTuple_SET_ITEM(result, 2, count_obj);
    /* A signal caught while the last value was made is raised now, while
       nothing is consumed: from here on, none is handled until Python runs. */
    if (PyErr_CheckSignals() < 0)
        goto error;
    pending = PyObject_GetAttr(proto, str_pending_ready);
    if (pending == NULL)
        goto error;
    Py_SETREF(pending, PyNumber_Subtract(pending, one));
    if (pending == NULL)
        goto error;
    PyObject *status_obj = PyLong_FromLong(status);
    if (status_obj == NULL)
        goto error;
    int rc = PyObject_SetAttr(proto, str_transaction_status, status_obj);
    Py_DECREF(status_obj);
    if (rc < 0 || PyObject_SetAttr(proto, str_pending_ready, pending) < 0 || set_pos(buf, at) < 0)
        goto error;
    Py_DECREF(pending);
    Py_DECREF(rows);
    Py_XDECREF(plan);
    close_received(data, &view);
    Py_DECREF(buf);
    return result;

plain_no:
    Py_XDECREF(rows);
    Py_XDECREF(plan);
    close_received(data, &view);
    Py_DECREF(buf);
    Py_RETURN_NONE;
error:
    Py_XDECREF(pending);
    Py_XDECREF(result);
    Py_XDECREF(rows);
    Py_XDECREF(plan);
    close_received(data, &view);
    Py_DECREF(buf);
    return NULL;
}

static PyObject *
take_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 && nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "take_response(proto, loaders, make_row, description=None)");
        return NULL;
    }
    PyObject *description = nargs == 4 ? args[3] : Py_None;
    if (description != Py_None && !PyBytes_CheckExact(description)) {
        PyErr_SetString(PyExc_TypeError, "take_response: description must be bytes or None");
        return NULL;
    }
    /* The RowDescription the caller knows the columns of, if any. */
    const char *desc = description == Py_None ? NULL : PyBytes_AS_STRING(description);
    Py_ssize_t desc_len = description == Py_None ? -1 : PyBytes_GET_SIZE(description);
    return take_whole(args[0], args[1], args[2], desc, desc_len);
}

/* --- KnownAnswer: a prepared statement run again, as known ------------------------- */

/* What answers are made of (setup_answers): the Result class and the Execute +
   Sync messages sent after a Bind. */
static PyObject *result_type, *execute_sync, *noted_tags;

typedef struct {
    PyObject_HEAD
    PyObject *proto;
    PyObject *bind;     /* the Bind message, until the first step queues it */
    PyObject *fields;   /* the columns of the Result (None: a statement without rows) */
    PyObject *loaders;  /* None: no rows may come */
    PyObject *make_row;
    PyObject *rest;     /* rest(*rest_args, exc) -> the generator the answer is left to */
    PyObject *rest_args;
    PyObject *delegate; /* that generator, once made */
    int state;          /* 0: not started; 1: waiting for the answer; 2: finished */
} KnownAnswerObject;

static int
known_traverse(KnownAnswerObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->proto);
    Py_VISIT(self->bind);
    Py_VISIT(self->fields);
    Py_VISIT(self->loaders);
    Py_VISIT(self->make_row);
    Py_VISIT(self->rest);
    Py_VISIT(self->rest_args);
    Py_VISIT(self->delegate);
    return 0;
}

static int
known_clear(KnownAnswerObject *self)
{
    Py_CLEAR(self->proto);
    Py_CLEAR(self->bind);
    Py_CLEAR(self->fields);
    Py_CLEAR(self->loaders);
    Py_CLEAR(self->make_row);
    Py_CLEAR(self->rest);
    Py_CLEAR(self->rest_args);
    Py_CLEAR(self->delegate);
    return 0;
}

static void
known_dealloc(KnownAnswerObject *self)
{
    PyObject_GC_UnTrack(self);
    known_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Send `arg` to the generator the answer was left to. */
static PySendResult
known_forward(KnownAnswerObject *self, PyObject *arg, PyObject **presult)
{
    return PyIter_Send(self->delegate, arg, presult);
}

/* Leave the answer to rest(*rest_args, exc) (exc, a reference taken: None
   or the Exception raised so far) and step the generator it makes. */
static PySendResult
known_leave(KnownAnswerObject *self, PyObject *exc, PyObject **presult)
{
    /* rest(*rest_args, exc): on this path only, so no partial is made per run. */
    PyObject *args = PyTuple_New(PyTuple_GET_SIZE(self->rest_args) + 1);
    if (args != NULL) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self->rest_args); i++)
            PyTuple_SET_ITEM(args, i, Py_NewRef(PyTuple_GET_ITEM(self->rest_args, i)));
        PyTuple_SET_ITEM(args, PyTuple_GET_SIZE(self->rest_args), exc);
        self->delegate = PyObject_Call(self->rest, args, NULL);
        Py_DECREF(args);
    }
    else {
        Py_DECREF(exc);
        self->delegate = NULL;
    }
    if (self->delegate == NULL) {
        self->state = 2;
        *presult = NULL;
        return PYGEN_ERROR;
    }
    return known_forward(self, Py_None, presult);
}

/* The exception being raised, taken if it is an Exception (else left raised): NULL then. */
static PyObject *
take_exception(void)
{
    if (!PyErr_ExceptionMatches(PyExc_Exception))
        return NULL;
    return fetch_exception();
}

/* Whether command_completed() looks at a command of this tag: whether it
   starts with one of the prefixes setup_answers() gave. */
static int
tag_noted(PyObject *tag)
{
    Py_ssize_t n;
    const char *t = PyUnicode_AsUTF8AndSize(tag, &n);
    if (t == NULL) {
        PyErr_Clear();
        return 1; /* command_completed() says what is wrong with it */
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(noted_tags); i++) {
        Py_ssize_t pn;
        const char *prefix = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(noted_tags, i), &pn);
        if (prefix == NULL) {
            PyErr_Clear();
            return 1;
        }
        if (pn <= n && memcmp(t, prefix, (size_t)pn) == 0)
            return 1;
    }
    return 0;
}

/* The answer taken whole, as the generator's return value [Result]; NULL
   with an exception on error, or with none when it is not taken whole. */
static PyObject *
known_take(KnownAnswerObject *self)
{
    PyObject *whole = take_whole(self->proto, self->loaders, self->make_row, NULL, -1);
    if (whole == Py_None) {
        /* Not all there, or not plain: read message by message from here on. */
        Py_DECREF(whole);
        return NULL;
    }
    PyObject *rows = NULL, *tag = NULL, *count = NULL, *res = NULL;
    if (whole != NULL) {
        rows = PyTuple_GET_ITEM(whole, 0);
        tag = PyTuple_GET_ITEM(whole, 1);
        count = PyTuple_GET_ITEM(whole, 2);
        PyObject *done = Py_None;
        if (tag_noted(tag))
            done = PyObject_CallMethodOneArg(self->proto, str_command_completed, tag);
        else
            Py_INCREF(done);
        if (done != NULL) {
            Py_DECREF(done);
            PyObject *rowcount = Py_NewRef(count);
            /* Rows of known columns: their count when the tag gives none. */
            if (self->fields != Py_None && PyLong_AsLong(count) < 0)
                Py_SETREF(rowcount, PyLong_FromSsize_t(PyList_GET_SIZE(rows)));
            if (rowcount != NULL) {
                PyObject *argv[4] = {self->fields, rows, tag, rowcount};
                res = PyObject_Vectorcall(result_type, argv, 4, NULL);
                Py_DECREF(rowcount);
            }
        }
        Py_DECREF(whole);
    }
    if (res == NULL)
        return NULL;
    PyObject *list = PyList_New(1);
    if (list == NULL) {
        Py_DECREF(res);
        return NULL;
    }
    PyList_SET_ITEM(list, 0, res);
    return list;
}

/* One step, as a generator's am_send: PYGEN_NEXT with the value yielded,
   PYGEN_RETURN with the value returned (no StopIteration made), PYGEN_ERROR
   with an exception set. */
static PySendResult
known_step(KnownAnswerObject *self, PyObject *arg, PyObject **presult)
{
    *presult = NULL;
    if (self->delegate != NULL)
        return known_forward(self, arg, presult);
    if (self->state == 2) {
        *presult = Py_NewRef(Py_None);
        return PYGEN_RETURN;
    }
    if (self->state == 0) {
        if (arg != Py_None) {
            PyErr_SetString(PyExc_TypeError,
                            "can't send non-None value to a just-started generator");
            return PYGEN_ERROR;
        }
        /* Queue Bind, Execute and Sync; nothing of the answer can be there yet. */
        PyObject *out = PyObject_GetAttr(self->proto, str_out);
        if (out == NULL)
            return PYGEN_ERROR;
        int rc = -1;
        if (!PyByteArray_Check(out))
            PyErr_SetString(PyExc_TypeError, "proto.out must be a bytearray");
        else {
            Py_ssize_t at = PyByteArray_GET_SIZE(out);
            Py_ssize_t n = PyBytes_GET_SIZE(self->bind), m = PyBytes_GET_SIZE(execute_sync);
            if (PyByteArray_Resize(out, at + n + m) == 0) {
                memcpy(PyByteArray_AS_STRING(out) + at, PyBytes_AS_STRING(self->bind), n);
                memcpy(PyByteArray_AS_STRING(out) + at + n, PyBytes_AS_STRING(execute_sync), m);
                rc = 0;
            }
        }
        Py_DECREF(out);
        if (rc < 0)
            return PYGEN_ERROR;
        PyObject *pending = PyObject_GetAttr(self->proto, str_pending_ready);
        if (pending == NULL)
            return PYGEN_ERROR;
        Py_SETREF(pending, PyNumber_Add(pending, one));
        if (pending == NULL)
            return PYGEN_ERROR;
        rc = PyObject_SetAttr(self->proto, str_pending_ready, pending);
        Py_DECREF(pending);
        if (rc < 0)
            return PYGEN_ERROR;
        Py_CLEAR(self->bind);
        self->state = 1;
        *presult = Py_NewRef(Py_None);
        return PYGEN_NEXT;
    }
    PyObject *result = known_take(self);
    if (result != NULL) {
        self->state = 2;
        *presult = result;
        return PYGEN_RETURN;
    }
    /* Left to rest(): with the exception raised (an Exception), or None. */
    PyObject *exc = Py_None;
    if (PyErr_Occurred()) {
        exc = take_exception();
        if (exc == NULL) {
            self->state = 2;
            return PYGEN_ERROR;
        }
    }
    else
        Py_INCREF(exc);
    return known_leave(self, exc, presult);
}

/* A step's outcome as generator.send() gives it: the value yielded, or NULL
   with StopIteration(value returned) or the error raised. */
static PyObject *
send_outcome(PySendResult r, PyObject *value)
{
    if (r != PYGEN_RETURN)
        return value;
    if (value == Py_None)
        PyErr_SetNone(PyExc_StopIteration);
    else {
        PyObject *stop = PyObject_CallOneArg(PyExc_StopIteration, value);
        if (stop != NULL) {
            PyErr_SetObject(PyExc_StopIteration, stop);
            Py_DECREF(stop);
        }
    }
    Py_DECREF(value);
    return NULL;
}

static PyObject *
known_send(KnownAnswerObject *self, PyObject *arg)
{
    PyObject *value;
    PySendResult r = known_step(self, arg, &value);
    return send_outcome(r, value);
}

static PyObject *
known_next(KnownAnswerObject *self)
{
    PyObject *value;
    PySendResult r = known_step(self, Py_None, &value);
    /* The end of an iteration: StopIteration only to carry a value. */
    if (r == PYGEN_RETURN && value == Py_None) {
        Py_DECREF(value);
        return NULL;
    }
    return send_outcome(r, value);
}

static PyObject *
known_throw(KnownAnswerObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "throw(type[, value[, traceback]])");
        return NULL;
    }
    if (self->delegate != NULL) {
        PyObject *argv[4] = {self->delegate, args[0], nargs > 1 ? args[1] : NULL,
                             nargs > 2 ? args[2] : NULL};
        return PyObject_VectorcallMethod(str_throw, argv, (size_t)nargs + 1, NULL);
    }
    /* Raised at the step it was thrown into, as into a generator. */
    PyObject *type = args[0], *value = nargs > 1 ? args[1] : Py_None;
    if (PyExceptionInstance_Check(type))
        PyErr_SetObject((PyObject *)Py_TYPE(type), type);
    else if (PyExceptionClass_Check(type))
        PyErr_SetObject(type, value);
    else {
        PyErr_SetString(PyExc_TypeError, "exceptions must derive from BaseException");
        return NULL;
    }
    if (self->state != 1) {
        self->state = 2;
        return NULL;
    }
    /* Waiting for the answer: an Exception goes to rest(), as the read's own would. */
    PyObject *exc = take_exception();
    if (exc == NULL) {
        self->state = 2;
        return NULL;
    }
    PyObject *step;
    PySendResult r = known_leave(self, exc, &step);
    return send_outcome(r, step);
}

static PyObject *
known_close(KnownAnswerObject *self, PyObject *Py_UNUSED(ignored))
{
    self->state = 2;
    if (self->delegate != NULL)
        return PyObject_CallMethodNoArgs(self->delegate, str_close);
    Py_RETURN_NONE;
}

static PyMethodDef known_methods[] = {
    {"send", (PyCFunction)known_send, METH_O, "send(value): the next step, as a generator's."},
    {"throw", (PyCFunction)(void (*)(void))known_throw, METH_FASTCALL,
     "throw(type[, value[, traceback]]): raise it at the step waiting, as a generator does."},
    {"close", (PyCFunction)known_close, METH_NOARGS, "close(): end it (and what it left to)."},
    {NULL, NULL, 0, NULL},
};

static PyAsyncMethods known_as_async = {
    .am_send = (sendfunc)known_step,
};

static PyTypeObject KnownAnswerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pgwire.accel._speedups.KnownAnswer",
    .tp_basicsize = sizeof(KnownAnswerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A prepared statement run again as known, stepped as a generator (see known_answer).",
    .tp_as_async = &known_as_async,
    .tp_dealloc = (destructor)known_dealloc,
    .tp_traverse = (traverseproc)known_traverse,
    .tp_clear = (inquiry)known_clear,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)known_next,
    .tp_methods = known_methods,
};

PyDoc_STRVAR(known_answer_doc,
"known_answer(proto, bind, fields, loaders, make_row, rest, rest_args) -> generator-like\n\n"
"The protocol operation running a prepared statement again: its first step\n"
"queues bind, Execute and Sync (pending_ready + 1); the next ones take the\n"
"answer whole as take_response does, returning [Result(fields, rows, tag,\n"
"rowcount)] after proto.command_completed(tag). An answer not all there or not\n"
"plain, or an Exception raised meanwhile, is left to the generator\n"
"rest(*rest_args, exc) (exc None or the exception), which the steps then drive.\n"
"setup_answers() first.");

static PyObject *
known_answer(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "known_answer(proto, bind, fields, loaders, make_row, rest, rest_args)");
        return NULL;
    }
    if (result_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "known_answer: setup_answers() was not called");
        return NULL;
    }
    if (!PyBytes_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "known_answer: bind must be bytes");
        return NULL;
    }
    if (!PyTuple_CheckExact(args[6])) {
        PyErr_SetString(PyExc_TypeError, "known_answer: rest_args must be a tuple");
        return NULL;
    }
    KnownAnswerObject *self = PyObject_GC_New(KnownAnswerObject, &KnownAnswerType);
    if (self == NULL)
        return NULL;
    self->proto = Py_NewRef(args[0]);
    self->bind = Py_NewRef(args[1]);
    self->fields = Py_NewRef(args[2]);
    self->loaders = Py_NewRef(args[3]);
    self->make_row = Py_NewRef(args[4]);
    self->rest = Py_NewRef(args[5]);
    self->rest_args = Py_NewRef(args[6]);
    self->delegate = NULL;
    self->state = 0;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

PyDoc_STRVAR(setup_answers_doc,
"setup_answers(result_type, execute_sync, noted_tags)\n\n"
"What known_answer() makes answers of: the Result class, and the Execute and\n"
"Sync messages queued after a Bind; and the prefixes of the command tags that\n"
"proto.command_completed() looks at (it is called for those only).");

static PyObject *
setup_answers(PyObject *module, PyObject *args)
{
    PyObject *rtype, *tail, *noted;
    if (!PyArg_ParseTuple(args, "OO!O!:setup_answers", &rtype, &PyBytes_Type, &tail,
                          &PyTuple_Type, &noted))
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(noted); i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(noted, i))) {
            PyErr_SetString(PyExc_TypeError, "setup_answers: noted_tags must be strings");
            return NULL;
        }
    }
    Py_XSETREF(result_type, Py_NewRef(rtype));
    Py_XSETREF(execute_sync, Py_NewRef(tail));
    Py_XSETREF(noted_tags, Py_NewRef(noted));
    Py_RETURN_NONE;
}

/* --- copy_chunks: COPY TO STDOUT data ----------------------------------------------- */

PyDoc_STRVAR(copy_chunks_doc,
"copy_chunks(buf, limit) -> bytes\n\n"
"The payloads of the complete CopyData messages at buf.pos, joined, stopping\n"
"once `limit` bytes are taken or at any other message; buf.pos moves past them.");

static PyObject *
copy_chunks(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "copy_chunks(buf, limit)");
        return NULL;
    }
    PyObject *buf = args[0];
    Py_ssize_t limit = PyLong_AsSsize_t(args[1]);
    if (limit == -1 && PyErr_Occurred())
        return NULL;
    PyObject *data;
    Py_buffer view;
    Py_ssize_t pos;
    if (open_received(buf, &data, &view, &pos) < 0)
        return NULL;
    const unsigned char *p = view.buf;
    Py_ssize_t len = view.len, end = pos, total = 0;
    /* First pass: how far, and how much. */
    uint32_t mlen;
    while (total < limit && (mlen = whole_message(p, len, end)) != 0 && p[end] == 'd') {
        total += mlen - 4;
        end += 1 + mlen;
    }
    PyObject *res = PyBytes_FromStringAndSize(NULL, total);
    if (res != NULL) {
        char *w = PyBytes_AS_STRING(res);
        for (Py_ssize_t at = pos; at < end;) {
            uint32_t mlen = be32(p + at + 1);
            memcpy(w, p + at + 5, mlen - 4);
            w += mlen - 4;
            at += 1 + mlen;
        }
    }
    close_received(data, &view);
    if (res != NULL && end != pos && set_pos(buf, end) < 0) {
        Py_DECREF(res);
        return NULL;
    }
    return res;
}

/* --- waiting for the server -------------------------------------------------------- */

#ifdef HAVE_RECV_WAIT
PyDoc_STRVAR(recv_wait_doc,
"recv_wait(fd, buf, size) -> int\n\n"
"Wait in recv() on the blocking socket fd for at most size bytes and add them\n"
"to the ReadBuffer buf as its feed() does; return their number, 0 at the end\n"
"of the stream, or -1 without reading while buf collects a message larger\n"
"than itself (feed() takes those).  A signal handler's exception is raised\n"
"with nothing read; OSError for the socket's errors.");

PyDoc_STRVAR(recv_now_doc,
"recv_now(fd, buf, size) -> int\n\n"
"recv_wait() that never waits (MSG_DONTWAIT): -2 when nothing is there.");

/* The file descriptor `obj` names, or -1 with an exception set. */
static int
fd_arg(PyObject *obj, const char *name)
{
    long fd = PyLong_AsLong(obj);
    if (fd == -1 && PyErr_Occurred())
        return -1;
    if (fd < 0 || fd > INT_MAX) {
        PyErr_Format(PyExc_ValueError, "%s(): not a file descriptor", name);
        return -1;
    }
    return (int)fd;
}

/* recv_wait() and recv_now(): recv(fd, size, flags) into the ReadBuffer. */
static PyObject *
recv_into_buffer(PyObject *const *args, Py_ssize_t nargs, int flags, const char *name)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "%s(fd, buf, size) takes 3 arguments", name);
        return NULL;
    }
    int fd = fd_arg(args[0], name);
    if (fd < 0)
        return NULL;
    PyObject *buf = args[1];
    Py_ssize_t size = PyLong_AsSsize_t(args[2]);
    if (size == -1 && PyErr_Occurred())
        return NULL;
    if (size <= 0) {
        PyErr_Format(PyExc_ValueError, "%s(): size must be positive", name);
        return NULL;
    }
    PyObject *chunks = PyObject_GetAttr(buf, str_chunks);
    if (chunks == NULL)
        return NULL;
    int collecting = PyObject_IsTrue(chunks);
    Py_DECREF(chunks);
    if (collecting != 0)
        return collecting < 0 ? NULL : PyLong_FromLong(-1);
    PyObject *chunk = PyBytes_FromStringAndSize(NULL, size);
    if (chunk == NULL)
        return NULL;
    Py_ssize_t received;
    for (;;) {
        int err;
        Py_BEGIN_ALLOW_THREADS
        received = recv(fd, PyBytes_AS_STRING(chunk), (size_t)size, flags);
        err = errno;
        Py_END_ALLOW_THREADS
        if (received >= 0)
            break;
        if (flags && (err == EAGAIN || err == EWOULDBLOCK)) {
            Py_DECREF(chunk);
            return PyLong_FromLong(-2);
        }
        if (err != EINTR) {
            Py_DECREF(chunk);
            errno = err;
            return PyErr_SetFromErrno(PyExc_OSError);
        }
        /* PEP 475: retried unless a handler raised (nothing was read). */
        if (PyErr_CheckSignals() < 0) {
            Py_DECREF(chunk);
            return NULL;
        }
    }
    if (received == 0) {
        Py_DECREF(chunk);
        return PyLong_FromLong(0);
    }
    if (received < size && _PyBytes_Resize(&chunk, received) < 0)
        return NULL;
    /* feed(): the bytes not consumed yet, then the new ones. */
    PyObject *data = PyObject_GetAttr(buf, str_data);
    if (data == NULL) {
        Py_DECREF(chunk);
        return NULL;
    }
    PyObject *posobj = PyObject_GetAttr(buf, str_pos);
    Py_ssize_t pos = posobj == NULL ? -1 : PyLong_AsSsize_t(posobj);
    Py_XDECREF(posobj);
    if (pos < 0 || !PyBytes_Check(data)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s(): a ReadBuffer's data and pos", name);
        Py_DECREF(data);
        Py_DECREF(chunk);
        return NULL;
    }
    Py_ssize_t left = PyBytes_GET_SIZE(data) - pos;
    PyObject *joined = chunk;
    if (left > 0) {
        joined = PyBytes_FromStringAndSize(NULL, left + received);
        if (joined != NULL) {
            memcpy(PyBytes_AS_STRING(joined), PyBytes_AS_STRING(data) + pos, (size_t)left);
            memcpy(PyBytes_AS_STRING(joined) + left, PyBytes_AS_STRING(chunk), (size_t)received);
        }
        Py_DECREF(chunk);
    }
    Py_DECREF(data);
    if (joined == NULL)
        return NULL;
    int rc = PyObject_SetAttr(buf, str_data, joined);
    Py_DECREF(joined);
    if (rc < 0 || set_pos(buf, 0) < 0)
        return NULL;
    return PyLong_FromSsize_t(received);
}

PyDoc_STRVAR(send_now_doc,
"send_now(fd, out) -> int\n\n"
"Send the bytearray out on the socket fd as far as the kernel takes it without\n"
"waiting (MSG_DONTWAIT), and delete what was sent from out; return the number\n"
"of bytes sent.  A signal handler's exception is raised with out holding\n"
"exactly what was not sent; OSError for the socket's errors.");

static PyObject *
send_now(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyByteArray_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "send_now(fd, out): out must be a bytearray");
        return NULL;
    }
    int fd = fd_arg(args[0], "send_now");
    if (fd < 0)
        return NULL;
    PyObject *out = args[1];
    Py_ssize_t total = 0;
    while (PyByteArray_GET_SIZE(out) > 0) {
        Py_buffer view;
        /* Exported while the GIL is released: the bytearray can't be resized meanwhile. */
        if (PyObject_GetBuffer(out, &view, PyBUF_SIMPLE) < 0)
            return NULL;
        Py_ssize_t sent;
        int err;
        Py_BEGIN_ALLOW_THREADS
        sent = send(fd, view.buf, (size_t)view.len, MSG_DONTWAIT);
        err = errno;
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&view);
        if (sent < 0) {
            if (err == EAGAIN || err == EWOULDBLOCK)
                break;
            if (err == EINTR) {
                if (PyErr_CheckSignals() < 0)
                    return NULL;
                continue;
            }
            errno = err;
            return PyErr_SetFromErrno(PyExc_OSError);
        }
        if (sent == 0)
            break;
        if (PySequence_DelSlice(out, 0, sent) < 0)
            return NULL;
        total += sent;
    }
    return PyLong_FromSsize_t(total);
}

static PyObject *
recv_wait(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    return recv_into_buffer(args, nargs, 0, "recv_wait");
}

static PyObject *
recv_now(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    return recv_into_buffer(args, nargs, MSG_DONTWAIT, "recv_now");
}
#endif

/* --- module ---------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"read_data_rows", (PyCFunction)(void (*)(void))read_data_rows, METH_FASTCALL,
     read_data_rows_doc},
    {"bind", (PyCFunction)(void (*)(void))bind_message, METH_FASTCALL, bind_doc},
    {"bind_many", (PyCFunction)(void (*)(void))bind_many, METH_FASTCALL, bind_many_doc},
    {"count_commands", count_commands, METH_O, count_commands_doc},
    {"copy_chunks", (PyCFunction)(void (*)(void))copy_chunks, METH_FASTCALL, copy_chunks_doc},
    {"take_response", (PyCFunction)(void (*)(void))take_response, METH_FASTCALL,
     take_response_doc},
    {"known_answer", (PyCFunction)(void (*)(void))known_answer, METH_FASTCALL, known_answer_doc},
    {"setup_answers", setup_answers, METH_VARARGS, setup_answers_doc},
    {"setup_rows", setup_rows, METH_VARARGS, setup_rows_doc},
    {"setup_bind", setup_bind, METH_O, setup_bind_doc},
    {"clear_plans", clear_plans, METH_NOARGS, clear_plans_doc},
    {"plan_codes", plan_codes, METH_O, plan_codes_doc},
#ifdef HAVE_RECV_WAIT
    {"recv_wait", (PyCFunction)(void (*)(void))recv_wait, METH_FASTCALL, recv_wait_doc},
    {"recv_now", (PyCFunction)(void (*)(void))recv_now, METH_FASTCALL, recv_now_doc},
    {"send_now", (PyCFunction)(void (*)(void))send_now, METH_FASTCALL, send_now_doc},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    "pgwire.accel._speedups",
    "Compiled hot paths of pgwire: DataRow decoding, whole answers, Bind and COPY encoding.",
    -1,
    methods,
};

#define INTERN(var, s)                                \
    do {                                              \
        if ((var = PyUnicode_InternFromString(s)) == NULL) \
            goto error;                               \
    } while (0)

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    if (PyType_Ready(&PlanType) < 0 || PyType_Ready(&CopyWriterType) < 0
        || PyType_Ready(&KnownAnswerType) < 0 || PyType_Ready(&DoneType) < 0
        || PyType_Ready(&OperationStateType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    INTERN(str_data, "data");
    INTERN(str_pos, "pos");
    INTERN(str_append, "append");
    INTERN(str_fromutc, "fromutc");
    INTERN(str_int, "int");
    INTERN(str_is_safe, "is_safe");
    INTERN(str_utcoffset, "utcoffset");
    INTERN(str_buf, "buf");
    INTERN(str_pending_ready, "pending_ready");
    INTERN(str_transaction_status, "transaction_status");
    INTERN(str_out, "out");
    INTERN(str_throw, "throw");
    INTERN(str_close, "close");
    INTERN(str_command_completed, "command_completed");
    INTERN(str_chunks, "_chunks");
    INTERN(str_owner, "owner");
    if ((one = PyLong_FromLong(1)) == NULL)
        goto error;
    if (PyModule_AddObjectRef(m, "CopyWriter", (PyObject *)&CopyWriterType) < 0
        || PyModule_AddObjectRef(m, "OperationState", (PyObject *)&OperationStateType) < 0)
        goto error;
    {
        PyObject *done = PyType_GenericAlloc(&DoneType, 0);
        if (done == NULL || PyModule_AddObject(m, "DONE", done) < 0) {
            Py_XDECREF(done);
            goto error;
        }
    }
    if ((empty_tuple = PyTuple_New(0)) == NULL)
        goto error;
    for (int i = 0; i < CODE_COUNT; i++) {
        if (PyModule_AddIntConstant(m, code_names[i], i) < 0)
            goto error;
    }
    static const char *const enc_names[ENC_COUNT] = {
        "ENC_PY", "ENC_NULL", "ENC_INT_TEXT", "ENC_INT_BIN", "ENC_FLOAT8_BIN",
        "ENC_UTF8", "ENC_TS_BIN", "ENC_TSTZ_BIN", "ENC_FLOAT_TEXT",
    };
    for (int i = 0; i < ENC_COUNT; i++) {
        if (PyModule_AddIntConstant(m, enc_names[i], i) < 0)
            goto error;
    }
    return m;
error:
    Py_DECREF(m);
    return NULL;
}
