# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled executor of the row plan (see pgtypes._row_plan): DataRow payloads to records in C.

decode_rows(plan, record_class, buffer, starts, ends, out, first) decodes the payloads
buffer[starts[i]:ends[i]] for i = first, first + 1, ... into records of record_class (a shape
class of pgtypes.Record) appended to out, and returns the index of the first row it did not
decode (len(starts) when it decoded them all). A row it does not decode completely (wrong column
count, lengths that do not add up, invalid UTF-8, a decode function that raised) is left for the
pure executor, which decodes it or raises the error that names what is wrong: this module never
raises for the data, and never appends a row it did not finish.

encode_many and copy_rows encode executemany arguments and binary COPY rows by the parameter
plan; scan_copy_tuples finds where the tuples of binary COPY data end, for the COPY decoder.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.float cimport PyFloat_FromDouble
from cpython.list cimport PyList_Append, PyList_GET_ITEM, PyList_GET_SIZE, PyList_New, PyList_SET_ITEM
from cpython.long cimport (
    PyLong_AsSsize_t,
    PyLong_FromLong,
    PyLong_FromLongLong,
    PyLong_FromUnsignedLong,
    PyLong_FromUnsignedLongLong,
)
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport Py_INCREF, PyObject
from cpython.unicode cimport PyUnicode_DecodeASCII, PyUnicode_DecodeUTF8
from libc.stdint cimport int16_t, int32_t, int64_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

from decimal import Decimal

cdef extern from *:
    """
    static PyObject *pgtypes_new_record(PyObject *cls, Py_ssize_t size) {
        PyTypeObject *type = (PyTypeObject *)cls;
        return type->tp_alloc(type, size);
    }
    static void pgtypes_set_item(PyObject *record, Py_ssize_t index, PyObject *value) {
        Py_INCREF(value);
        PyTuple_SET_ITEM(record, index, value);
    }
    """
    object pgtypes_new_record(object cls, Py_ssize_t size)
    void pgtypes_set_item(object record, Py_ssize_t index, object value)
    tuple PyTuple_New_objects "PyTuple_New"(Py_ssize_t size)
    void tuple_set "pgtypes_set_item"(tuple values, Py_ssize_t index, object value)
    long long PyLong_AsLongLongAndOverflow(object value, int *overflow) except? -1

cdef enum:
    MAX_COLUMNS = 1664  # PostgreSQL's MaxTupleAttributeNumber

cdef inline uint16_t be16(const unsigned char *p) noexcept nogil:
    return <uint16_t>((<uint16_t>p[0] << 8) | p[1])

cdef inline uint32_t be32(const unsigned char *p) noexcept nogil:
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | <uint32_t>p[3]

cdef inline uint64_t be64(const unsigned char *p) noexcept nogil:
    return (<uint64_t>be32(p) << 32) | be32(p + 4)

cdef inline Py_ssize_t width(unsigned char code) noexcept nogil:
    if code == b'?' or code == b'c':
        return 1
    if code == b'h':
        return 2
    if code == b'i' or code == b'I' or code == b'f':
        return 4
    if code == b'q' or code == b'Q' or code == b'd':
        return 8
    return -1

cdef object numeric_value(const unsigned char *p, Py_ssize_t length):
    """A binary numeric (numeric_send) as pgtypes._numeric.decode_numeric_binary gives it, for a
    finite non-zero value with valid digits; None for anything else (its codec decodes that).

    The digits are written out as text with the display scale as exponent, which Decimal reads
    (the same text the pure decoder builds).
    """
    cdef Py_ssize_t count, index, at, shift, size, kept
    cdef int weight
    cdef unsigned int sign, scale, digit
    cdef char small[256]
    cdef char *text
    if length < 8:
        return None
    count = be16(p)
    weight = <int16_t>be16(p + 2)
    sign = be16(p + 4)
    scale = be16(p + 6)
    if count == 0 or length != 8 + 2 * count or (sign != 0 and sign != 0x4000) or scale > 16383:
        return None
    # Make the last digit the one at position -scale (see the pure decoder).
    shift = 4 * (weight - count + 1) + scale
    size = 1 + 4 * count + (shift if shift > 0 else 0) + 7  # sign, digits, zeros, "E-", scale
    if size <= 256:
        text = small
    else:
        text = <char *>PyMem_Malloc(size)
        if text == NULL:
            raise MemoryError()
    try:
        at = 0
        if sign == 0x4000:
            text[0] = 45  # '-'
            at = 1
        for index in range(count):
            digit = be16(p + 8 + 2 * index)
            if digit > 9999:
                return None
            text[at] = <char>(48 + digit // 1000)
            text[at + 1] = <char>(48 + digit // 100 % 10)
            text[at + 2] = <char>(48 + digit // 10 % 10)
            text[at + 3] = <char>(48 + digit % 10)
            at += 4
        if shift > 0:
            memset(text + at, 48, shift)
            at += shift
        elif shift < 0:
            kept = 4 * count + shift
            at = (1 if sign == 0x4000 else 0) + (kept if kept > 0 else 0)
            if kept <= 0:
                text[at] = 48  # every digit is past the display scale: "0"
                at += 1
        text[at] = 69  # 'E'
        text[at + 1] = 45  # '-'
        at += 2
        if scale >= 10000:
            text[at] = <char>(48 + scale // 10000)
            at += 1
        if scale >= 1000:
            text[at] = <char>(48 + scale // 1000 % 10)
            at += 1
        if scale >= 100:
            text[at] = <char>(48 + scale // 100 % 10)
            at += 1
        if scale >= 10:
            text[at] = <char>(48 + scale // 10 % 10)
            at += 1
        text[at] = <char>(48 + scale % 10)
        at += 1
        return Decimal(PyUnicode_DecodeASCII(text, at, NULL))
    finally:
        if text != &small[0]:
            PyMem_Free(text)


cdef object fixed_value(unsigned char code, const unsigned char *p):
    """The value of a fixed-width binary field, as struct.unpack('!' + code) gives it."""
    cdef uint32_t word
    cdef uint64_t wide
    cdef float single
    cdef double double_value
    if code == b'i':
        return PyLong_FromLong(<int32_t>be32(p))
    if code == b'q':
        return PyLong_FromLongLong(<int64_t>be64(p))
    if code == b'h':
        return PyLong_FromLong(<int16_t>be16(p))
    if code == b'd':
        wide = be64(p)
        memcpy(&double_value, &wide, 8)
        return PyFloat_FromDouble(double_value)
    if code == b'f':
        word = be32(p)
        memcpy(&single, &word, 4)
        return PyFloat_FromDouble(single)
    if code == b'?':
        return p[0] != 0
    if code == b'I':
        return PyLong_FromUnsignedLong(be32(p))
    if code == b'c':
        return PyBytes_FromStringAndSize(<const char *>p, 1)
    return PyLong_FromUnsignedLongLong(be64(p))  # 'Q'

cdef object array_value(unsigned char element, uint32_t element_oid, const unsigned char *p,
                        Py_ssize_t size, object decode):
    """A one-dimensional array read in C; anything else through the array codec's decode."""
    cdef Py_ssize_t count, index, length, pos, element_width
    cdef list values
    cdef object item
    if size == 12 and be32(p) == 0 and be32(p + 4) == 0 and be32(p + 8) == element_oid:
        return []
    if size < 20 or be32(p) != 1 or be32(p + 4) > 1 or be32(p + 8) != element_oid:
        return decode((<const char *>p)[:size])
    count = <int32_t>be32(p + 12)
    if count <= 0 or count * 4 > size - 20:
        return decode((<const char *>p)[:size])
    element_width = width(element)
    values = PyList_New(count)
    pos = 20
    for index in range(count):
        if pos + 4 > size:
            return decode((<const char *>p)[:size])
        length = <int32_t>be32(p + pos)
        pos += 4
        if length == -1:
            item = None
        elif length < 0 or pos + length > size:
            return decode((<const char *>p)[:size])
        elif element_width > 0:
            if length != element_width:
                return decode((<const char *>p)[:size])
            item = fixed_value(element, p + pos)
        elif element == b's':
            item = PyUnicode_DecodeUTF8(<const char *>(p + pos), length, NULL)
        else:  # 'y'
            item = PyBytes_FromStringAndSize(<const char *>(p + pos), length)
        pos += length if length > 0 else 0
        Py_INCREF(item)
        PyList_SET_ITEM(values, index, item)
    if pos != size:
        return decode((<const char *>p)[:size])
    return values


cdef Py_ssize_t bound(object offsets, Py_ssize_t index, Py_ssize_t first, Py_ssize_t step, bint is_list):
    if is_list:
        return PyLong_AsSsize_t(<object>PyList_GET_ITEM(offsets, index))
    return first + index * step


def decode_rows(object plan, object record_class, bytes buffer, object starts, object ends,
                list out, Py_ssize_t first):
    """Decode rows first, first + 1, ... of a batch; return the index of the first row left undone.

    Args:
        plan: the statement's pgtypes._row_plan.RowPlan.
        record_class: the shape class of the records (tuple layout).
        buffer: the bytes holding the payloads.
        starts: each payload's start (a list or a range).
        ends: each payload's end (a list or a range).
        out: the list the records are appended to.
        first: the index of the first row to decode.

    Returns:
        len(starts) when every row from first on was decoded, else the index of the row the
        pure executor must decode (or report) next.
    """
    cdef bytes codes = plan.codes
    cdef bytes element_codes = plan.element_codes
    cdef tuple element_oids = plan.element_oids
    cdef tuple decoders = plan.decoders
    cdef const unsigned char *code_at = <const unsigned char *>PyBytes_AS_STRING(codes)
    cdef const unsigned char *element_at = <const unsigned char *>PyBytes_AS_STRING(element_codes)
    cdef Py_ssize_t columns = PyBytes_GET_SIZE(codes)
    cdef const unsigned char *data = <const unsigned char *>PyBytes_AS_STRING(buffer)
    cdef Py_ssize_t buffer_size = PyBytes_GET_SIZE(buffer)
    cdef Py_ssize_t rows = len(starts)
    cdef Py_ssize_t row, column, start, end, pos, length, expected
    cdef Py_ssize_t starts_first = 0, starts_step = 0, ends_first = 0, ends_step = 0
    cdef bint starts_list, ends_list
    cdef unsigned char code
    cdef Py_ssize_t offsets[MAX_COLUMNS]
    cdef Py_ssize_t lengths[MAX_COLUMNS]
    cdef object record, value
    cdef uint32_t element_oid

    if columns > MAX_COLUMNS or len(ends) != rows:
        return first
    starts_list = type(starts) is list
    ends_list = type(ends) is list
    if not starts_list:
        if type(starts) is not range:
            return first
        starts_first = starts.start
        starts_step = starts.step
    if not ends_list:
        if type(ends) is not range:
            return first
        ends_first = ends.start
        ends_step = ends.step

    for row in range(first, rows):
        start = bound(starts, row, starts_first, starts_step, starts_list)
        end = bound(ends, row, ends_first, ends_step, ends_list)
        if start < 0 or end > buffer_size or end - start < 2:
            return row
        if <int16_t>be16(data + start) != columns:
            return row
        # Framing first: every length fits the row and they account for all of it.
        pos = start + 2
        for column in range(columns):
            if pos + 4 > end:
                return row
            length = <int32_t>be32(data + pos)
            pos += 4
            if length < 0:
                if length != -1:
                    return row
            else:
                if length > end - pos:
                    return row
                expected = width(code_at[column])
                if expected >= 0 and length != expected:
                    return row
            offsets[column] = pos
            lengths[column] = length
            if length > 0:
                pos += length
        if pos != end:
            return row
        record = pgtypes_new_record(record_class, columns)
        for column in range(columns):
            length = lengths[column]
            if length < 0:
                pgtypes_set_item(record, column, None)
                continue
            pos = offsets[column]
            code = code_at[column]
            if code == b's':
                try:
                    value = PyUnicode_DecodeUTF8(<const char *>(data + pos), length, NULL)
                except UnicodeDecodeError:
                    return row  # the pure executor names the column and its type
            elif code == b'y':
                value = PyBytes_FromStringAndSize(<const char *>(data + pos), length)
            elif code == b'*':
                try:
                    value = decoders[column](buffer[pos : pos + length])
                except Exception:
                    return row  # the pure executor decodes the row again and raises its error
            elif code == b'n':
                value = numeric_value(data + pos, length)
                if value is None:  # NaN, an infinity, zero, or malformed: as its codec says
                    try:
                        value = decoders[column](buffer[pos : pos + length])
                    except Exception:
                        return row
            elif code == b'a':
                element_oid = <uint32_t>element_oids[column]
                try:
                    value = array_value(element_at[column], element_oid, data + pos, length,
                                        decoders[column])
                except Exception:
                    return row
            else:
                value = fixed_value(code, data + pos)
            pgtypes_set_item(record, column, value)
        PyList_Append(out, record)
    return rows


# -- parameters: the compiled executor of pgtypes._param_plan ---------------------------------

cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object unicode, Py_ssize_t *size) except NULL

from libc.string cimport memchr


cdef inline object packed(unsigned char code, long long number):
    cdef unsigned char buffer[8]
    cdef uint64_t bits = <uint64_t>number
    cdef Py_ssize_t size = 8 if code == b'q' else (2 if code == b'h' else 4)
    cdef Py_ssize_t index
    for index in range(size):
        buffer[size - 1 - index] = <unsigned char>(bits & 0xFF)
        bits >>= 8
    return PyBytes_FromStringAndSize(<const char *>buffer, size)


cdef object _UNDONE = object()


cdef object encode_value(unsigned char code, object low, object high, object encoder, object value):
    """A parameter's bytes as its codec would give them, or _UNDONE for the pure encoder."""
    cdef long long number
    cdef int overflow
    cdef const char *text
    cdef Py_ssize_t size, index
    cdef double real
    cdef uint64_t bits
    cdef unsigned char buffer[8]
    if type(value) is int and (code == b'i' or code == b'q' or code == b'h' or code == b'I'):
        number = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow != 0 or number < <long long>low or number > <long long>high:
            return _UNDONE
        return packed(code, number)
    if code == b's' and type(value) is str:
        try:
            text = PyUnicode_AsUTF8AndSize(value, &size)
        except UnicodeEncodeError:
            return _UNDONE
        if memchr(text, 0, size) != NULL:
            return _UNDONE
        return PyBytes_FromStringAndSize(text, size)
    if code == b'd' and type(value) is float:
        real = value
        memcpy(&bits, &real, 8)
        for index in range(8):
            buffer[7 - index] = <unsigned char>(bits & 0xFF)
            bits >>= 8
        return PyBytes_FromStringAndSize(<const char *>buffer, 8)
    if code == b'y' and type(value) is bytes:
        return value
    try:
        return encoder(value)
    except Exception:
        return _UNDONE  # the pure encoder names the element and the argument


def encode_many(object plan, object sets, list out, Py_ssize_t first):
    """Encode argument sequences first, first + 1, ...; return the index of the first left undone.

    Args:
        plan: the statement's pgtypes._param_plan.ParameterPlan.
        sets: a list or tuple of argument sequences.
        out: the list each encoded tuple (bytes or None per parameter) is appended to.
        first: the index of the first sequence to encode.

    Returns:
        len(sets) when every sequence from first on was encoded, else the index of the one the
        pure encoder must encode (or report) next.
    """
    cdef bytes codes = plan.codes
    cdef tuple lows = plan.lows
    cdef tuple highs = plan.highs
    cdef tuple encoders = plan.encoders
    cdef const unsigned char *code_at = <const unsigned char *>PyBytes_AS_STRING(codes)
    cdef Py_ssize_t count = PyBytes_GET_SIZE(codes)
    cdef Py_ssize_t total = len(sets)
    cdef Py_ssize_t position, index
    cdef object args, value, encoded
    cdef tuple values
    for position in range(first, total):
        args = sets[position]
        if (type(args) is not tuple and type(args) is not list) or len(args) != count:
            return position
        values = PyTuple_New_objects(count)
        for index in range(count):
            value = args[index]
            if value is None:
                encoded = None
            else:
                encoded = encode_value(code_at[index], lows[index], highs[index], encoders[index], value)
                if encoded is _UNDONE:
                    return position
            tuple_set(values, index, encoded)
        PyList_Append(out, values)
    return total


def copy_rows(object plan, object rows, list pieces, Py_ssize_t size, Py_ssize_t limit,
              object full, object done):
    """Binary COPY tuples of rows from the iterator rows, appended to pieces, as CopyLoop does.

    Each row (a tuple or list of the plan's width) becomes one tuple: Int16 field count, then
    per field Int32 length (-1 for NULL) and the value's bytes, encoded as by encode_many.

    Returns:
        (full, size) once size reaches limit, (done, size) when rows ran out, or (row, size)
        with the row it did not encode, for the pure encoder to encode or report.
    """
    cdef bytes codes = plan.codes
    cdef tuple lows = plan.lows
    cdef tuple highs = plan.highs
    cdef tuple encoders = plan.encoders
    cdef const unsigned char *code_at = <const unsigned char *>PyBytes_AS_STRING(codes)
    cdef Py_ssize_t count = PyBytes_GET_SIZE(codes)
    cdef Py_ssize_t index, total, length, pos, byte
    cdef object row, value, encoded
    cdef list values = [None] * count
    cdef bytes data
    cdef char *out
    cdef uint32_t word
    cdef uint64_t bits
    cdef long long number
    cdef int overflow
    cdef double real
    cdef unsigned char code
    cdef Py_ssize_t widths[MAX_COLUMNS]  # -1 NULL, else the value's length
    cdef uint64_t words[MAX_COLUMNS]  # a fixed-width value's bits (values[index] is None then)
    cdef bint direct[MAX_COLUMNS]
    if count > MAX_COLUMNS:
        for row in rows:
            return row, size
        return done, size
    for row in rows:
        if (type(row) is not tuple and type(row) is not list) or len(row) != count:
            return row, size
        total = 2 + 4 * count
        for index in range(count):
            value = row[index]
            direct[index] = False
            if value is None:
                widths[index] = -1
                continue
            code = code_at[index]
            # Integers and floats are written straight into the tuple, with no bytes object.
            if type(value) is int and (code == b'i' or code == b'q' or code == b'h' or code == b'I'):
                number = PyLong_AsLongLongAndOverflow(value, &overflow)
                if overflow == 0 and <long long>lows[index] <= number <= <long long>highs[index]:
                    direct[index] = True
                    words[index] = <uint64_t>number
                    widths[index] = 8 if code == b'q' else (2 if code == b'h' else 4)
                    total += widths[index]
                    continue
                return row, size
            if code == b'd' and type(value) is float:
                real = value
                memcpy(&bits, &real, 8)
                direct[index] = True
                words[index] = bits
                widths[index] = 8
                total += 8
                continue
            encoded = encode_value(code, lows[index], highs[index], encoders[index], value)
            if encoded is _UNDONE or type(encoded) is not bytes or PyBytes_GET_SIZE(encoded) > 0x7FFFFFFF:
                return row, size
            values[index] = encoded
            widths[index] = PyBytes_GET_SIZE(encoded)
            total += widths[index]
        data = PyBytes_FromStringAndSize(NULL, total)
        out = PyBytes_AS_STRING(data)
        out[0] = <char>((count >> 8) & 0xFF)
        out[1] = <char>(count & 0xFF)
        pos = 2
        for index in range(count):
            length = widths[index]
            word = 0xFFFFFFFF if length < 0 else <uint32_t>length
            out[pos] = <char>(word >> 24)
            out[pos + 1] = <char>((word >> 16) & 0xFF)
            out[pos + 2] = <char>((word >> 8) & 0xFF)
            out[pos + 3] = <char>(word & 0xFF)
            pos += 4
            if length <= 0:
                continue
            if direct[index]:
                bits = words[index]
                for byte in range(length):
                    out[pos + length - 1 - byte] = <char>(bits & 0xFF)
                    bits >>= 8
            else:
                memcpy(out + pos, PyBytes_AS_STRING(values[index]), length)
                values[index] = None
            pos += length
        PyList_Append(pieces, data)
        size += total
        if size >= limit:
            return full, size
    return done, size


def scan_copy_tuples(Py_ssize_t columns, bytes buffer not None, Py_ssize_t position, Py_ssize_t size,
                     list starts, list ends):
    """Where each complete binary COPY tuple of ``columns`` fields from ``position`` on starts
    and ends, appended to ``starts`` and ``ends``; returns where the first other one starts.

    The twin of pgtypes._copy_scan's scanners: it stops at the trailer, a tuple with another
    field count, a length below -1 or a tuple that runs past ``size``, and leaves that one to
    the decoder's own walk, which reports it. Fixed-width lengths are not checked here: the row
    executor checks every length, and hands a row it does not take to the reference.
    """
    cdef const unsigned char *data = <const unsigned char *>PyBytes_AS_STRING(buffer)
    cdef Py_ssize_t at, column
    cdef int32_t length
    if size > PyBytes_GET_SIZE(buffer):
        size = PyBytes_GET_SIZE(buffer)
    if position < 0:
        return position
    while True:
        at = position
        if at > size - 2 or <int16_t>be16(data + at) != columns:
            return position
        at += 2
        for column in range(columns):
            if at > size - 4:
                return position
            length = <int32_t>be32(data + at)
            at += 4
            if length > 0:
                if length > size - at:
                    return position
                at += length
            elif length < -1:
                return position
        PyList_Append(starts, position)
        PyList_Append(ends, at)
        position = at
