# cython: language_level=3, boundscheck=False, wraparound=False
"""The compiled twin of pgwire's DataRow walk (see pgwire._framing.row_run and walk_rows).

row_run(buffer, pos, limit, max_rows) is pgwire._framing.row_run: a leading run of at least two
DataRows of equal size as two ranges, else the walk. walk_rows(buffer, pos, limit, max_rows) returns (starts, ends, end) for the complete DataRow
messages from pos on, exactly as the pure walk does: the payload offsets of each row, and where
the walk stopped (at another message type, an incomplete DataRow, a length below 4 or over
limit, or after max_rows rows). It never raises for the data: a faulty length only ends the walk,
and the framer then reads or reports that message as the pure build does.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.list cimport PyList_Append
from libc.stdint cimport int32_t, uint32_t
from libc.string cimport memcmp


cdef inline int32_t be32(const unsigned char *p) noexcept nogil:
    return <int32_t>((<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3])


def walk_rows(bytes buffer, Py_ssize_t pos, Py_ssize_t limit, Py_ssize_t max_rows):
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
    while pos + 5 <= size and data[pos] == 0x44 and count < max_rows:  # 'D'
        length = be32(data + pos + 1)
        end = pos + 1 + length
        if length < 4 or length > limit or end > size:
            break
        PyList_Append(starts, pos + 5)
        PyList_Append(ends, end)
        pos = end
        count += 1
    return starts, ends, pos


def row_run(bytes buffer, Py_ssize_t pos, Py_ssize_t limit, Py_ssize_t max_rows):
    """``(starts, ends, end)`` as ``pgwire._framing.row_run`` gives them (see the module)."""
    cdef const unsigned char *data = <const unsigned char *>PyBytes_AS_STRING(buffer)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(buffer)
    cdef Py_ssize_t step, count, at
    cdef int32_t length
    if pos < 0 or pos + 5 > size or data[pos] != 0x44:
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
