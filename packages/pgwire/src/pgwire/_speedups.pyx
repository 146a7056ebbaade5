# cython: language_level=3, boundscheck=False, wraparound=False
"""The compiled twins of pgwire's DataRow walk, its CopyData run and BindExecuteBatch's encoding.

row_run(buffer, pos, limit, max_rows) is pgwire._framing.row_run: a leading run of at least two
DataRows of equal size as two ranges, else the walk. walk_rows(buffer, pos, limit, max_rows) returns (starts, ends, end) for the complete DataRow
messages from pos on, exactly as the pure walk does: the payload offsets of each row, and where
the walk stopped (at another message type, an incomplete DataRow, a length below 4 or over
limit, or after max_rows rows). It never raises for the data: a faulty length only ends the walk,
and the framer then reads or reports that message as the pure build does.

copy_run(buffer, pos, limit) is pgwire._framing.copy_run: the payloads of the complete CopyData
messages from pos on, joined, their count and where the run stopped, by the same rules.

encode_pairs(rows, head, tail, execute, count) is the bytes of pgwire._batch.BindExecuteBatch's
pairs, as its pure loops build them, or None ("not handled") when a row is not a tuple of count
values that are each bytes or None, or when a Bind would be too long for its Int32 length: the
pure loops then encode the run or raise the error that names the row.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_Append
from libc.stdint cimport int32_t, uint32_t
from libc.string cimport memcmp, memcpy


cdef inline int32_t be32(const unsigned char *p) noexcept nogil:
    return <int32_t>((<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3])


def walk_rows(bytes buffer not None, Py_ssize_t pos, Py_ssize_t limit, Py_ssize_t max_rows):
    """``(starts, ends, end)`` of the complete DataRows from ``pos`` on (see the module)."""
    cdef const unsigned char *data = <const unsigned char *>PyBytes_AS_STRING(buffer)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(buffer)
    cdef list starts = []
    cdef list ends = []
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t end
    cdef int32_t length
    if pos < 0:
        return starts, ends, pos
    while pos <= size - 5 and data[pos] == 0x44 and count < max_rows:  # 'D'
        length = be32(data + pos + 1)
        end = pos + 1 + length
        if length < 4 or length > limit or end > size:
            break
        PyList_Append(starts, pos + 5)
        PyList_Append(ends, end)
        pos = end
        count += 1
    return starts, ends, pos


def row_run(bytes buffer not None, Py_ssize_t pos, Py_ssize_t limit, Py_ssize_t max_rows):
    """``(starts, ends, end)`` as ``pgwire._framing.row_run`` gives them (see the module)."""
    cdef const unsigned char *data = <const unsigned char *>PyBytes_AS_STRING(buffer)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(buffer)
    cdef Py_ssize_t step, count, at
    cdef int32_t length
    if pos < 0 or pos > size - 5 or data[pos] != 0x44:
        return walk_rows(buffer, pos, limit, max_rows)
    length = be32(data + pos + 1)
    if length < 4 or length > limit:
        return walk_rows(buffer, pos, limit, max_rows)
    step = length + 1
    # Rows of equal size: every header at one stride is the first one's.
    count = 1
    at = pos + step
    while count < max_rows and at + step <= size and memcmp(data + at, data + pos, 5) == 0:
        count += 1
        at += step
    if count < 2:
        return walk_rows(buffer, pos, limit, max_rows)
    return range(pos + 5, at, step), range(pos + step, at + 1, step), at


def copy_run(bytes buffer not None, Py_ssize_t pos, Py_ssize_t limit):
    """``(payloads joined, count, end)`` of the complete CopyData messages from ``pos`` on."""
    cdef const unsigned char *data = <const unsigned char *>PyBytes_AS_STRING(buffer)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(buffer)
    cdef Py_ssize_t start = pos, total = 0, count = 0, end, at
    cdef int32_t length
    cdef bytes out
    cdef char *p
    if pos < 0:
        return b"", 0, pos
    # First pass: where the run ends and how many bytes its payloads hold.
    while pos <= size - 5 and data[pos] == 0x64:  # 'd'
        length = be32(data + pos + 1)
        end = pos + 1 + length
        if length < 4 or length > limit or end > size:
            break
        total += length - 4
        count += 1
        pos = end
    if count == 1:
        return buffer[start + 5 : pos], 1, pos
    out = PyBytes_FromStringAndSize(NULL, total)
    p = PyBytes_AS_STRING(out)
    at = start
    while at < pos:
        length = be32(data + at + 1)
        memcpy(p, data + at + 5, length - 4)
        p += length - 4
        at += 1 + length
    return out, count, pos


cdef inline char *put32(char *p, uint32_t word) noexcept nogil:
    p[0] = <char>(word >> 24)
    p[1] = <char>(word >> 16)
    p[2] = <char>(word >> 8)
    p[3] = <char>word
    return p + 4


cdef inline char *put(char *p, const char *data, Py_ssize_t size) noexcept nogil:
    memcpy(p, data, size)
    return p + size


def encode_pairs(object rows, bytes head not None, bytes tail not None, bytes execute not None,
                 Py_ssize_t count):
    """The pairs' bytes as ``BindExecuteBatch.encode`` gives them, or None (see the module).

    Args:
        rows: a list or tuple of rows, each the values of one Bind.
        head: Bind's payload up to the values (portal, statement, formats, the value count).
        tail: Bind's payload after the values (the result formats).
        execute: the whole Execute message that follows each Bind.
        count: the number of values of every row.
    """
    cdef Py_ssize_t fixed = 4 + PyBytes_GET_SIZE(head) + 4 * count + PyBytes_GET_SIZE(tail)
    cdef Py_ssize_t total = 0
    cdef Py_ssize_t size, index, length
    cdef tuple row
    cdef object item, value
    cdef bytes out
    cdef char *p
    cdef char *start
    if type(rows) is not list and type(rows) is not tuple:
        return None
    # First pass: every row is checked and measured before a byte is written.
    for item in rows:
        if type(item) is not tuple:
            return None
        row = <tuple>item
        if len(row) != count:
            return None
        size = fixed
        for index in range(count):
            value = row[index]
            if value is None:
                continue
            if type(value) is not bytes:
                return None
            size += PyBytes_GET_SIZE(value)
            if size > 0x7FFFFFFF:
                return None
        total += 1 + size + PyBytes_GET_SIZE(execute)
    out = PyBytes_FromStringAndSize(NULL, total)
    p = PyBytes_AS_STRING(out)
    for item in rows:
        row = <tuple>item
        p[0] = 0x42  # 'B'
        start = p + 1
        p = put(start + 4, PyBytes_AS_STRING(head), PyBytes_GET_SIZE(head))
        for index in range(count):
            value = row[index]
            if value is None:
                p = put32(p, 0xFFFFFFFF)
            else:
                length = PyBytes_GET_SIZE(value)
                p = put(put32(p, <uint32_t>length), PyBytes_AS_STRING(value), length)
        p = put(p, PyBytes_AS_STRING(tail), PyBytes_GET_SIZE(tail))
        put32(start, <uint32_t>(p - start))
        p = put(p, PyBytes_AS_STRING(execute), PyBytes_GET_SIZE(execute))
    return out
