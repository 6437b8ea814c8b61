/* The analyzer's fast path in C: which lines of a chunk can change an analysis, and the
records of the kept lines in the common syslog format.

    _fastpath.select(data, (always, maybe, tls, weak, later, chat))
        -> (starts, plain, kept, check, chat)
    _fastpath.frame(data, starts, kept, position, first_line, base, source, record, cache,
                    time_of, iso_time, split) -> ([Record, ...], unframed)

Each does what a piece of Python does, which stays, runs where this is not built, and is
the reference: tests/analyze/test_fastpath.py compares the two on generated and hostile
input. The input is text written by attackers: every read is bounded by the line's end.

select: the decision of mailwarden.scan._analysis_lines, without decoding every line
into a str first:

- ``data`` is a chunk of a log, lines separated by LF (the last one may lack it);
- a line with an ``always`` needle is kept;
- otherwise, a line with a ``maybe`` needle: kept when it holds ``tls`` and a ``weak``
  needle; to be checked (Relevance) when it holds a ``later`` needle; a candidate for
  the chat pattern (a regex, run in Python) when it holds a ``chat`` needle.

Returned: ``starts``, the byte offset of each line's start as native int64 values (one
more than there are lines: line i is data[starts[i]:starts[i + 1] - 1]); ``plain``,
whether every byte is printable ASCII, tab, CR or LF; the indexes of the kept lines,
of the lines to check and of the chat candidates, in order. With no needles at all, it
only cuts the chunk into lines (the starts and plain: framing's use).

Needles are bytes of two or more. They are ASCII in mailwarden (a UTF-8 sequence never holds
an ASCII byte, so a match in the bytes is a match in the decoded text, undecodable
bytes included); no needle is longer than MAX_NEEDLE, at most MAX_NEEDLES of them.

frame: mailwarden.framing.Framer._common for the kept lines of a plain chunk (printable
ASCII only), for the lines with a classic syslog header (``Nov 28 10:00:01[.123] host
program[pid]: message``, framing's _BSD pattern) or an RFC 3339 one (rsyslog's
``2026-11-28T10:00:01.123456+01:00 host program[pid]: message``, Debian 12's default;
framing's _ISO): a ``record`` (the Record type) per line. A classic line's time comes from
``cache`` (the framer's stamp -> datetime) or from ``time_of(stamp, fraction)``
(Framer._bsd_time) when the cache has none or there is a fraction; an RFC 3339 line's
from ``iso_time(clock, fraction, zone)`` (Framer._iso_time), as _common does. It frames
kept[position:] and stops before the first other line (another format, a line Python
must check, a message that may hold pasted entries when ``split``), saying how many such
lines follow in a row (``unframed``): Python frames those, as before, and calls again for
the rest. The lines are dated in their order, as Python dates them: the year of a
classic line depends on the lines before it. ``data`` and ``starts`` are bytes, which
nothing can change while time_of or iso_time run Python code. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_NEEDLES 64
#define MAX_NEEDLE 64

enum { ALWAYS, MAYBE, TLS, WEAK, LATER, CHAT, GROUPS };

typedef struct {
    const unsigned char *text[MAX_NEEDLES];
    Py_ssize_t size[MAX_NEEDLES];
    int count;
    uint64_t group[GROUPS];             /* which needles belong to each group */
    uint64_t starting[256];             /* which needles start with each byte */
    uint64_t pairs[65536 / 64];         /* which two bytes begin a needle (a bit each) */
} Needles;

static int
add_group(Needles *needles, PyObject *items, int group)
{
    if (!PyTuple_Check(items)) {
        PyErr_SetString(PyExc_TypeError, "needles must be a tuple of bytes");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
        PyObject *item = PyTuple_GET_ITEM(items, i);
        if (!PyBytes_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "needles must be a tuple of bytes");
            return -1;
        }
        Py_ssize_t size = PyBytes_GET_SIZE(item);
        if (size < 2 || size > MAX_NEEDLE || needles->count == MAX_NEEDLES) {
            PyErr_SetString(PyExc_ValueError, "needle empty, too long or too many");
            return -1;
        }
        int id = needles->count++;
        needles->text[id] = (const unsigned char *)PyBytes_AS_STRING(item);
        needles->size[id] = size;
        needles->group[group] |= (uint64_t)1 << id;
        needles->starting[needles->text[id][0]] |= (uint64_t)1 << id;
        unsigned pair = (unsigned)needles->text[id][0] << 8 | needles->text[id][1];
        needles->pairs[pair >> 6] |= (uint64_t)1 << (pair & 63);
    }
    return 0;
}

/* Whether every byte is plain text: printable ASCII, tab, CR, LF
   (mailwarden.framing.PLAIN_ASCII). A loop the compiler vectorises. */
static int
all_plain(const unsigned char *bytes, Py_ssize_t size)
{
    unsigned char other = 0;
    for (Py_ssize_t at = 0; at < size; at++) {
        unsigned char c = bytes[at];
        other |= (c >= 127) | ((c < 32) & (c != '\t') & (c != '\n') & (c != '\r'));
    }
    return !other;
}

/* The needles (of `wanted`) found in line[0:size]; it stops once one of `enough` is
   found. A position is looked at closer only when its two bytes begin a needle. */
static uint64_t
found_in(const Needles *needles, const unsigned char *line, Py_ssize_t size, uint64_t wanted,
         uint64_t enough)
{
    uint64_t found = 0;
    for (Py_ssize_t at = 0; at + 1 < size; at++) {
        unsigned pair = (unsigned)line[at] << 8 | line[at + 1];
        if (!(needles->pairs[pair >> 6] >> (pair & 63) & 1))
            continue;
        uint64_t candidates = needles->starting[line[at]] & wanted & ~found;
        while (candidates) {
            int id = __builtin_ctzll(candidates);
            candidates &= candidates - 1;
            Py_ssize_t length = needles->size[id];
            if (length <= size - at && memcmp(line + at, needles->text[id], length) == 0)
                found |= (uint64_t)1 << id;
        }
        if (found & enough)
            break;
    }
    return found;
}

static int
append_index(PyObject *list, Py_ssize_t index)
{
    PyObject *number = PyLong_FromSsize_t(index);
    if (number == NULL)
        return -1;
    int status = PyList_Append(list, number);
    Py_DECREF(number);
    return status;
}

static PyObject *
select_lines(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer data;
    PyObject *groups;
    if (!PyArg_ParseTuple(args, "y*O!:select", &data, &PyTuple_Type, &groups))
        return NULL;
    Needles needles;
    memset(&needles, 0, sizeof needles);
    PyObject *starts = NULL, *kept = NULL, *check = NULL, *chat = NULL, *result = NULL;
    if (PyTuple_GET_SIZE(groups) != GROUPS) {
        PyErr_SetString(PyExc_ValueError, "six groups of needles expected");
        goto done;
    }
    for (int group = 0; group < GROUPS; group++) {
        if (add_group(&needles, PyTuple_GET_ITEM(groups, group), group) < 0)
            goto done;
    }
    const unsigned char *bytes = data.buf;
    Py_ssize_t size = data.len;

    /* Lines: as str.split("\n") gives them, without the empty piece after a final LF. */
    Py_ssize_t lines = 0;
    for (const unsigned char *at = bytes, *end = bytes + size;
         at < end && (at = memchr(at, '\n', end - at)) != NULL; at++)
        lines++;
    if (size > 0 && bytes[size - 1] != '\n')
        lines++;
    starts = PyBytes_FromStringAndSize(NULL, (lines + 1) * (Py_ssize_t)sizeof(int64_t));
    kept = PyList_New(0);
    check = PyList_New(0);
    chat = PyList_New(0);
    if (starts == NULL || kept == NULL || check == NULL || chat == NULL)
        goto done;
    int64_t *start = (int64_t *)PyBytes_AS_STRING(starts);

    uint64_t always = needles.group[ALWAYS], maybe = needles.group[MAYBE];
    uint64_t all = always | maybe | needles.group[TLS] | needles.group[WEAK] |
                   needles.group[LATER] | needles.group[CHAT];
    int plain = all_plain(bytes, size);
    Py_ssize_t offset = 0;
    for (Py_ssize_t index = 0; index < lines; index++) {
        const unsigned char *line = bytes + offset;
        const unsigned char *newline = memchr(line, '\n', size - offset);
        Py_ssize_t length = newline ? newline - line : size - offset;
        start[index] = offset;
        uint64_t found = all ? found_in(&needles, line, length, all, always) : 0;
        int status = 0;
        if (found & always)
            status = append_index(kept, index);
        else if (found & maybe) {
            if ((found & needles.group[TLS]) && (found & needles.group[WEAK]))
                status = append_index(kept, index);
            else if (found & needles.group[LATER])
                status = append_index(check, index);
            else if (found & needles.group[CHAT])
                status = append_index(chat, index);
        }
        if (status < 0)
            goto done;
        offset += length + 1;
    }
    start[lines] = offset; /* size, or size + 1 when the last line has no LF */
    result = Py_BuildValue("(OOOOO)", starts, plain ? Py_True : Py_False, kept, check, chat);

done:
    Py_XDECREF(starts);
    Py_XDECREF(kept);
    Py_XDECREF(check);
    Py_XDECREF(chat);
    PyBuffer_Release(&data);
    return result;
}


/* -- frame ------------------------------------------------------------------------- */

#define MAX_LINE (64 * 1024) /* mailwarden.sources.interface.MAX_LINE */

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* [A-Za-z0-9_.:-]: framing's _HOST characters; with '/' instead of ':', its _TAG. */
static int
host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '.' || c == ':' || c == '-';
}

static int
tag_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '.' || c == '/' || c == '-';
}

typedef struct {
    Py_ssize_t stamp_end;      /* "Nov 28 10:00:01" is line[0:stamp_end] */
    Py_ssize_t fraction_end;   /* ".123" is line[stamp_end:fraction_end] (may be empty) */
    Py_ssize_t zone_end;       /* RFC 3339: "+01:00" is line[fraction_end:zone_end] */
    Py_ssize_t host, host_end; /* host < 0: no host */
    Py_ssize_t tag, tag_end;
    Py_ssize_t pid, pid_end; /* pid < 0: no pid */
    Py_ssize_t end;          /* where the message starts */
} Header;

static const char MONTHS[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* After the timestamp, at `at`: (?:(HOST) )?(TAG)(?:\[(\d{1,10})\])?:(?: |$) with the
   host given (with_host) or not. Possessive runs: each step is decided without going
   back, as the regex decides it. */
static int
rest_of_header(const unsigned char *line, Py_ssize_t size, Py_ssize_t at, int with_host,
               Header *header)
{
    header->host = -1;
    if (with_host) {
        Py_ssize_t end = at;
        while (end < size && host_char(line[end]))
            end++;
        if (end == at || line[end - 1] == ':' || end == size || line[end] != ' ')
            return 0;
        header->host = at;
        header->host_end = end;
        at = end + 1;
    }
    Py_ssize_t end = at;
    while (end < size && tag_char(line[end]))
        end++;
    if (end == at)
        return 0;
    header->tag = at;
    header->tag_end = end;
    header->pid = -1;
    at = end;
    if (at < size && line[at] == '[') {
        Py_ssize_t digits = at + 1;
        while (digits < size && is_digit(line[digits]))
            digits++;
        Py_ssize_t count = digits - (at + 1);
        if (count >= 1 && count <= 10 && digits < size && line[digits] == ']') {
            header->pid = at + 1;
            header->pid_end = digits;
            at = digits + 1;
        }
    }
    if (at == size || line[at] != ':')
        return 0;
    at++;
    if (at < size && line[at] == ' ')
        at++;
    else if (at != size)
        return 0;
    header->end = at;
    return 1;
}

/* After a timestamp that ends at `at`: a blank, then the host (when there is one), the
   tag, the pid and the colon (rest_of_header). */
static int
after_stamp(const unsigned char *line, Py_ssize_t size, Py_ssize_t at, Header *header)
{
    if (at == size || line[at] != ' ')
        return 0;
    at++;
    return rest_of_header(line, size, at, 1, header) ||
           rest_of_header(line, size, at, 0, header);
}

/* ".\d{1,9}" at line[at:]: where it ends, `at` when there is none, -1 when the digits
   go on past nine (then the pattern cannot match: no blank or zone follows). */
static Py_ssize_t
fraction_of(const unsigned char *line, Py_ssize_t size, Py_ssize_t at)
{
    if (at == size || line[at] != '.')
        return at;
    Py_ssize_t end = at + 1;
    while (end < size && is_digit(line[end]) && end - at <= 9)
        end++;
    Py_ssize_t count = end - at - 1;
    return count >= 1 && count <= 9 ? end : -1;
}

/* framing's _BSD pattern, anchored at the line's start. */
static int
bsd_header(const unsigned char *line, Py_ssize_t size, Header *header)
{
    if (size < 16 || line[3] != ' ')
        return 0;
    int month = 0;
    for (; month < 12; month++) {
        if (memcmp(line, MONTHS + 3 * month, 3) == 0)
            break;
    }
    if (month == 12)
        return 0;
    Py_ssize_t at; /* after the day: "[ 0-3]?\d" */
    if ((line[4] == ' ' || (line[4] >= '0' && line[4] <= '3')) && is_digit(line[5]))
        at = 6;
    else if (is_digit(line[4]))
        at = 5;
    else
        return 0;
    /* " HH:MM:SS" */
    if (at + 9 > size)
        return 0;
    const unsigned char *clock = line + at;
    if (clock[0] != ' ' || !is_digit(clock[1]) || !is_digit(clock[2]) || clock[3] != ':' ||
        !is_digit(clock[4]) || !is_digit(clock[5]) || clock[6] != ':' || !is_digit(clock[7]) ||
        !is_digit(clock[8]))
        return 0;
    at += 9;
    header->stamp_end = at;
    at = fraction_of(line, size, at);
    if (at < 0)
        return 0;
    header->fraction_end = at;
    header->zone_end = at;
    return after_stamp(line, size, at, header);
}

/* framing's _ISO pattern, anchored at the line's start:
   (\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d{1,9})?([Zz]|[+-]\d\d:?\d\d)? then a blank and the
   rest of the header. */
static int
iso_header(const unsigned char *line, Py_ssize_t size, Header *header)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (size < 20)
        return 0;
    for (int at = 0; at < 19; at++) {
        unsigned char c = line[at];
        int fits = shape[at] == 'd'   ? is_digit(c)
                   : shape[at] == 'T' ? c == 'T' || c == ' '
                                      : c == (unsigned char)shape[at];
        if (!fits)
            return 0;
    }
    header->stamp_end = 19;
    Py_ssize_t at = fraction_of(line, size, 19);
    if (at < 0)
        return 0;
    header->fraction_end = at;
    if (at < size && (line[at] == 'Z' || line[at] == 'z'))
        at++;
    else if (at < size && (line[at] == '+' || line[at] == '-') && at + 3 <= size &&
             is_digit(line[at + 1]) && is_digit(line[at + 2])) {
        Py_ssize_t minutes = at + 3; /* ":mm" or "mm" */
        if (minutes + 3 <= size && line[minutes] == ':' && is_digit(line[minutes + 1]) &&
            is_digit(line[minutes + 2]))
            at = minutes + 3;
        else if (minutes + 2 <= size && is_digit(line[minutes]) && is_digit(line[minutes + 1]))
            at = minutes + 2;
        else
            return 0; /* a sign that starts no zone: no blank after the time either */
    }
    header->zone_end = at;
    return after_stamp(line, size, at, header);
}

/* framing's _HINT: ":\d\d:\d\d[ .Zz+-]" anywhere in text[0:size]. */
static int
may_hold_entries(const unsigned char *text, Py_ssize_t size)
{
    for (Py_ssize_t at = 0; at + 6 < size; at++) {
        if (text[at] == ':' && is_digit(text[at + 1]) && is_digit(text[at + 2]) &&
            text[at + 3] == ':' && is_digit(text[at + 4]) && is_digit(text[at + 5])) {
            unsigned char c = text[at + 6];
            if (c == ' ' || c == '.' || c == 'Z' || c == 'z' || c == '+' || c == '-')
                return 1;
        }
    }
    return 0;
}

/* Whether every byte of line[0:size] is plain text but LF: printable ASCII, tab, CR
   (what Framer._common may frame inline; anything else goes to Python's checks). */
static int
plain_line(const unsigned char *line, Py_ssize_t size)
{
    unsigned char other = 0;
    for (Py_ssize_t at = 0; at < size; at++) {
        unsigned char c = line[at];
        other |= (c >= 127) | ((c < 32) & (c != '\t') & (c != '\r'));
    }
    return !other;
}

/* A str of ASCII bytes (plain_line: checked before). */
static PyObject *
ascii_text(const unsigned char *bytes, Py_ssize_t size)
{
    PyObject *text = PyUnicode_New(size, 127);
    if (text != NULL)
        memcpy(PyUnicode_DATA(text), bytes, size);
    return text;
}

static PyObject *
record_of(PyTypeObject *type, PyObject *time, const unsigned char *line, Py_ssize_t size,
          const Header *header, PyObject *source, Py_ssize_t number, Py_ssize_t offset)
{
    PyObject *items[9] = {NULL};
    PyObject *record = NULL;
    Py_INCREF(time);
    items[0] = time;
    if (header->host < 0) {
        Py_INCREF(Py_None);
        items[1] = Py_None;
    }
    else
        items[1] = ascii_text(line + header->host, header->host_end - header->host);
    items[2] = ascii_text(line + header->tag, header->tag_end - header->tag);
    if (header->pid < 0) {
        Py_INCREF(Py_None);
        items[3] = Py_None;
    }
    else {
        long long pid = 0;
        for (Py_ssize_t at = header->pid; at < header->pid_end; at++)
            pid = pid * 10 + (line[at] - '0'); /* at most 10 digits: no overflow */
        items[3] = PyLong_FromLongLong(pid);
    }
    items[4] = ascii_text(line + header->end, size - header->end);
    Py_INCREF(source);
    items[5] = source;
    items[6] = PyLong_FromSsize_t(number);
    items[7] = PyLong_FromSsize_t(offset);
    items[8] = ascii_text(line, size);
    for (int i = 0; i < 9; i++) {
        if (items[i] == NULL)
            goto done;
    }
    record = type->tp_alloc(type, 9);
    if (record == NULL)
        goto done;
    for (int i = 0; i < 9; i++) {
        PyTuple_SET_ITEM(record, i, items[i]);
        items[i] = NULL;
    }
done:
    for (int i = 0; i < 9; i++)
        Py_XDECREF(items[i]);
    return record;
}

enum Style { OTHER, BSD, ISO };

/* The header style of line[0:size], as Framer._common decides (no Python is run):
   OTHER for a line Python frames (another format, a line it must check, a message that
   may hold pasted entries when ``split``). */
static enum Style
style_of(const unsigned char *line, Py_ssize_t size, int split, Header *header)
{
    enum Style style = OTHER;
    if (size > 0 && size <= MAX_LINE && line[0] > ' ' && line[size - 1] > ' ' &&
        plain_line(line, size)) {
        if (bsd_header(line, size, header))
            style = BSD;
        else if (is_digit(line[0]) && iso_header(line, size, header))
            style = ISO;
        if (style != OTHER && split && may_hold_entries(line + header->end, size - header->end))
            style = OTHER; /* it may hold pasted entries: Python splits it */
    }
    return style;
}

/* Kept line ``position``: where it starts in the chunk, and its size; -1 with an
   exception set when the list holds no valid line index there. */
static Py_ssize_t
kept_line(PyObject *kept, Py_ssize_t position, const int64_t *start, Py_ssize_t lines,
          Py_ssize_t length, Py_ssize_t *size)
{
    Py_ssize_t index = PyLong_AsSsize_t(PyList_GET_ITEM(kept, position));
    if (index == -1 && PyErr_Occurred())
        return -1;
    if (index < 0 || index >= lines || start[index] < 0 || start[index + 1] <= start[index] ||
        start[index + 1] - 1 > length) {
        PyErr_SetString(PyExc_IndexError, "kept line out of range");
        return -1;
    }
    *size = (Py_ssize_t)(start[index + 1] - 1 - start[index]);
    return index;
}

#define MAX_NUMBER ((Py_ssize_t)1 << 62) /* line numbers and offsets: no overflow in sums */

static PyObject *
frame_lines(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *data, *starts, *kept, *source, *cache, *time_of, *iso_time;
    PyTypeObject *type;
    Py_ssize_t from, first_line, base;
    int split;
    /* bytes only: nothing can change them while time_of and iso_time run Python code. */
    if (!PyArg_ParseTuple(args, "O!O!O!nnnUO!O!OOp:frame", &PyBytes_Type, &data, &PyBytes_Type,
                          &starts, &PyList_Type, &kept, &from, &first_line, &base, &source,
                          &PyType_Type, &type, &PyDict_Type, &cache, &time_of, &iso_time,
                          &split))
        return NULL;
    PyObject *out = NULL, *stamp = NULL, *time = NULL, *result = NULL;
    const unsigned char *bytes = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t length = PyBytes_GET_SIZE(data);
    const int64_t *start = (const int64_t *)PyBytes_AS_STRING(starts); /* 8-byte aligned */
    Py_ssize_t lines = PyBytes_GET_SIZE(starts) / (Py_ssize_t)sizeof(int64_t) - 1;
    if (!PyType_IsSubtype(type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "record must be a tuple type");
        goto done;
    }
    if (lines < 0 || PyBytes_GET_SIZE(starts) % sizeof(int64_t) || start[0] != 0 ||
        start[lines] < length || start[lines] > length + 1) {
        PyErr_SetString(PyExc_ValueError, "starts do not belong to data");
        goto done;
    }
    if (first_line < 0 || first_line > MAX_NUMBER || base < 0 || base > MAX_NUMBER) {
        PyErr_SetString(PyExc_ValueError, "line number or offset out of range");
        goto done;
    }
    Py_ssize_t count = PyList_GET_SIZE(kept);
    if (from < 0 || from > count) {
        PyErr_SetString(PyExc_IndexError, "position out of range");
        goto done;
    }
    out = PyList_New(0);
    if (out == NULL)
        goto done;
    Py_ssize_t unframed = 0;
    /* The list's size is taken at the start and checked again at each line: time_of and
       iso_time run Python code, which could change it. Each item is read before any
       such call. */
    for (Py_ssize_t position = from; position < count && position < PyList_GET_SIZE(kept);
         position++) {
        Py_ssize_t size;
        Py_ssize_t index = kept_line(kept, position, start, lines, length, &size);
        if (index < 0)
            goto fail;
        const unsigned char *line = bytes + start[index];
        Header header;
        PyObject *record = NULL;
        enum Style style = style_of(line, size, split, &header);
        if (style == OTHER) {
            /* This one and those after it that C leaves to Python too: Python frames the
               run before any later line is dated. */
            for (; position < count && position < PyList_GET_SIZE(kept); position++) {
                index = kept_line(kept, position, start, lines, length, &size);
                if (index < 0)
                    goto fail;
                if (style_of(bytes + start[index], size, split, &header) != OTHER)
                    break;
                unframed++;
            }
            break;
        }
        if (style == ISO) {
            /* Framer._iso_time(clock, fraction, zone), for every line (as _common). */
            PyObject *clock = ascii_text(line, header.stamp_end);
            PyObject *digits = header.fraction_end > header.stamp_end
                                   ? ascii_text(line + header.stamp_end,
                                                header.fraction_end - header.stamp_end)
                                   : (Py_INCREF(Py_None), Py_None);
            PyObject *zone = header.zone_end > header.fraction_end
                                 ? ascii_text(line + header.fraction_end,
                                              header.zone_end - header.fraction_end)
                                 : (Py_INCREF(Py_None), Py_None);
            PyObject *moment = NULL;
            if (clock != NULL && digits != NULL && zone != NULL)
                moment = PyObject_CallFunctionObjArgs(iso_time, clock, digits, zone, NULL);
            Py_XDECREF(clock);
            Py_XDECREF(digits);
            Py_XDECREF(zone);
            if (moment == NULL)
                goto fail;
            record = record_of(type, moment, line, size, &header, source, first_line + index,
                               base + start[index]);
            Py_DECREF(moment);
            if (record == NULL)
                goto fail;
        }
        else {
            int fraction = header.fraction_end > header.stamp_end;
            /* The time: the last line's when the stamp is the same, else the cache's. */
            if (stamp == NULL || fraction ||
                PyUnicode_GET_LENGTH(stamp) != header.stamp_end ||
                memcmp(PyUnicode_DATA(stamp), line, header.stamp_end) != 0) {
                Py_CLEAR(stamp);
                Py_CLEAR(time);
                stamp = ascii_text(line, header.stamp_end);
                if (stamp == NULL)
                    goto fail;
                PyObject *cached = PyDict_GetItemWithError(cache, stamp); /* borrowed */
                if (cached == NULL && PyErr_Occurred())
                    goto fail;
                if (cached == NULL || cached == Py_None || fraction) {
                    PyObject *digits = Py_None;
                    if (fraction) {
                        digits = ascii_text(line + header.stamp_end,
                                            header.fraction_end - header.stamp_end);
                        if (digits == NULL)
                            goto fail;
                    }
                    else
                        Py_INCREF(digits);
                    time = PyObject_CallFunctionObjArgs(time_of, stamp, digits, NULL);
                    Py_DECREF(digits);
                    if (time == NULL)
                        goto fail;
                }
                else {
                    Py_INCREF(cached);
                    time = cached;
                }
                if (fraction)
                    Py_CLEAR(stamp); /* the next line looks its own time up */
            }
            record = record_of(type, time, line, size, &header, source, first_line + index,
                               base + start[index]);
            if (record == NULL)
                goto fail;
        }
        int status = PyList_Append(out, record);
        Py_DECREF(record);
        if (status < 0)
            goto fail;
    }
    result = Py_BuildValue("(On)", out, unframed);
    goto done;
fail:
    Py_CLEAR(out);
done:
    Py_XDECREF(out);
    Py_XDECREF(stamp);
    Py_XDECREF(time);
    return result;
}

static PyMethodDef methods[] = {
    {"select", select_lines, METH_VARARGS,
     "select(data, (always, maybe, tls, weak, later, chat)) -> (starts, plain, kept, "
     "check, chat): the analysis prefilter over a chunk's lines (see mailwarden.scan)."},
    {"frame", frame_lines, METH_VARARGS,
     "frame(data, starts, kept, position, first_line, base, source, record, cache, time_of, "
     "iso_time, split) -> ([Record], unframed): kept[position:] of a plain chunk framed up "
     "to the first line without a classic syslog or RFC 3339 header, and how many such "
     "lines follow in a row (see mailwarden.framing)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "mailwarden._fastpath",
    .m_doc = "The analyzer's fast path in C (mailwarden.scan uses it when it is built).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__fastpath(void)
{
    return PyModule_Create(&module);
}
