"""Array codecs: ``T[]`` in both wire formats, built around the codec of ``T``.

Arrays are not registered per OID here: the registry builds one array codec per array type it
meets (built-in or found by introspection) from the element's codec with
:func:`binary_array_codec` or :func:`text_array_codec`.

Python side (asyncpg's conventions, reference section 9.1): an array decodes to a ``list``,
nested once per dimension, with lower bounds dropped and an empty array as ``[]``. Encoding
takes any sized iterable that is not a string, a bytes-like object or a mapping; inside an
array a ``tuple`` is an element (a composite value, a point), never a sub-array, and so are
the value classes ``Path``, ``Polygon`` and ``BitString``. ``None``
elements are SQL NULLs. Arrays must be rectangular and have at most six dimensions (PostgreSQL's
``MAXDIM``).

Wire formats (PostgreSQL docs, "Arrays", section 8.15, and ``array_send``/``array_recv``):

- binary: int32 number of dimensions, int32 has-NULLs flag, int32 element type OID, then per
  dimension int32 size and int32 lower bound, then per element (row-major order) an int32
  length (-1 for NULL) and that many bytes in the element's binary format;
- text: ``{1,2,NULL}``, nested braces per dimension, an optional ``[lo:hi]...=`` prefix for
  non-default lower bounds, elements double-quoted when needed with backslash escapes.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable, Mapping, Sized
from typing import Any, Final

from pgtypes._array_runs import FixedRun
from pgtypes._bitstring import BitString
from pgtypes._codec import BINARY, TEXT, Codec
from pgtypes._geometry_types import Path

__all__ = ["binary_array_codec", "text_array_codec"]

#: PostgreSQL's MAXDIM: arrays have at most six dimensions.
MAX_DIMENSIONS: Final = 6

_HEADER: Final = struct.Struct("!iii")
_DIMENSION: Final = struct.Struct("!ii")
_LENGTH: Final = struct.Struct("!i")
_NULL: Final = b"\xff\xff\xff\xff"

#: Whitespace as array_in sees it (``array_isspace``): skipped around elements.
_WHITESPACE: Final = " \t\n\r\v\f"

#: Characters that make array_out quote an element (besides the delimiter).
_NEEDS_QUOTES: Final = re.compile(r'[{}"\\ \t\n\r\v\f]')

#: Values that are never containers: checked first to keep the common case cheap.
_PLAIN_SCALARS: Final[frozenset[type]] = frozenset({int, float, str, bool, bytes, type(None)})

#: Sized iterables that are still single values: never arrays, never sub-arrays. Path (and
#: Polygon) and BitString are element values of path[], polygon[] and bit[] arrays.
_NOT_ARRAYS: Final = (str, bytes, bytearray, memoryview, Mapping, Path, BitString)


def _is_sub_array(value: object) -> bool:
    """Whether ``value``, met inside an array, is a nested array rather than an element."""
    kind = type(value)
    if kind is list:
        return True
    if kind in _PLAIN_SCALARS or isinstance(value, tuple):
        return False
    return isinstance(value, Sized) and isinstance(value, Iterable) and not isinstance(value, _NOT_ARRAYS)


def _is_sub_array_of_lists(value: object) -> bool:
    """:func:`_is_sub_array` for arrays whose elements are lists themselves (multirange[]).

    A multirange is a list of ranges, so a list is a sub-array only when its items are
    lists (or other sub-arrays) in turn; an empty list is an empty multirange.
    """
    if not _is_sub_array(value):
        return False
    items = value if type(value) is list else list(value)  # type: ignore[call-overload]  # checked iterable
    return bool(items) and _is_sub_array(items[0])


def _index_path(flat_index: int, dims: list[int]) -> str:
    """``[i][j]...`` for the element at ``flat_index`` of an array of shape ``dims``."""
    parts: list[str] = []
    for dim in reversed(dims):
        flat_index, position = divmod(flat_index, dim)
        parts.append(f"[{position}]")
    return "".join(reversed(parts))


def _flatten(value: object, lists_are_elements: bool = False) -> tuple[list[int], list[Any]]:
    """The dimensions and the elements (row-major) of a Python array value.

    With ``lists_are_elements`` (arrays of multiranges), the innermost lists are elements.

    Raises:
        TypeError: ``value`` is not a sized iterable container.
        ValueError: more than six dimensions, or a ragged or non-homogeneous value.
    """
    top: list[Any]
    if isinstance(value, list):
        top = value
    elif isinstance(value, _NOT_ARRAYS) or not (isinstance(value, Sized) and isinstance(value, Iterable)):
        raise TypeError(f"a sized iterable container expected (got type {type(value).__name__})")
    else:
        top = list(value)
    # The shape comes from the first element at each level; _walk then checks every other one.
    dims = [len(top)]
    probe: list[Any] = top
    is_sub = _is_sub_array_of_lists if lists_are_elements else _is_sub_array
    while probe and is_sub(probe[0]):
        if len(dims) == MAX_DIMENSIONS:
            raise ValueError(
                f"number of array dimensions ({MAX_DIMENSIONS + 1})"
                f" exceed the maximum expected ({MAX_DIMENSIONS})"
            )
        first = probe[0]
        probe = first if type(first) is list else list(first)
        dims.append(len(probe))
    flat: list[Any] = []
    _walk(top, 0, dims, "", flat, is_sub)
    return dims, flat


def _walk(
    items: list[Any],
    depth: int,
    dims: list[int],
    path: str,
    flat: list[Any],
    is_sub: Callable[[object], bool],
) -> None:
    """Append the elements of ``items`` (the sub-array at ``path``) to ``flat``, checking shape."""
    if depth == len(dims) - 1:
        for index, item in enumerate(items):
            if type(item) not in _PLAIN_SCALARS and is_sub(item):
                raise ValueError(
                    f"non-homogeneous array: element {path}[{index}] is an array, expected a scalar"
                )
        flat.extend(items)
        return
    expected = dims[depth + 1]
    for index, item in enumerate(items):
        if not is_sub(item):
            raise ValueError(
                f"non-homogeneous array: element {path}[{index}] is a scalar,"
                f" expected an array of {expected} items"
            )
        sub: list[Any] = item if type(item) is list else list(item)
        if len(sub) != expected:
            raise ValueError(
                f"non-homogeneous array: element {path}[{index}] has {len(sub)} items, expected {expected}"
            )
        _walk(sub, depth + 1, dims, f"{path}[{index}]", flat, is_sub)


def _nest(flat: list[Any], dims: list[int]) -> list[Any]:
    """Regroup row-major ``flat`` into nested lists of shape ``dims``."""
    for dim in reversed(dims[1:]):
        flat = [flat[start : start + dim] for start in range(0, len(flat), dim)]
    return flat


def _element_error(exc: Exception, flat_index: int, dims: list[int]) -> Exception:
    """``exc`` restated with the element's index, keeping its class where it can be rebuilt."""
    message = f"invalid array element at index {_index_path(flat_index, dims)}: {exc}"
    try:
        return type(exc)(message)
    except Exception:
        # A class whose constructor takes other arguments (UnicodeEncodeError, ...): use the
        # built-in base the encoders' contract names instead.
        if isinstance(exc, OverflowError):
            return OverflowError(message)
        return TypeError(message) if isinstance(exc, TypeError) else ValueError(message)


class _BinaryArray:
    """Encoder and decoder of one array type in the binary format."""

    __slots__ = (
        "_decode",
        "_encode",
        "_fixed_size",
        "_lists",
        "_name",
        "_oid",
        "_one_dimension",
        "_pair",
        "_run",
    )

    def __init__(self, element: Codec) -> None:
        self._lists = element.list_valued
        self._encode = element.encode
        self._decode = element.decode
        self._oid = element.oid
        self._name = element.name
        self._run = FixedRun(element.fixed) if element.fixed else None
        self._one_dimension = _HEADER.pack(1, 0, element.oid)
        self._fixed_size = struct.calcsize("!" + element.fixed) if element.fixed else 0
        self._pair = struct.Struct("!i" + element.fixed) if element.fixed else _LENGTH

    def encode(self, value: object) -> bytes:
        dims, flat = _flatten(value, self._lists)
        if not flat:
            # PostgreSQL stores every array without elements as zero-dimensional.
            return _HEADER.pack(0, 0, self._oid)
        encode = self._encode
        pack_length = _LENGTH.pack
        parts: list[bytes] = []
        append = parts.append
        has_nulls = 0
        for index, item in enumerate(flat):
            if item is None:
                append(_NULL)
                has_nulls = 1
                continue
            try:
                data = encode(item)
            except (TypeError, ValueError, OverflowError) as exc:
                raise _element_error(exc, index, dims) from exc
            append(pack_length(len(data)))
            append(data)
        header = [_HEADER.pack(len(dims), has_nulls, self._oid)]
        header.extend(_DIMENSION.pack(dim, 1) for dim in dims)
        return b"".join(header) + b"".join(parts)

    def decode(self, data: bytes) -> list[Any]:
        run = self._run
        if run is not None and len(data) > 20 and data.startswith(self._one_dimension):
            # The common case first: one dimension, no NULL flag, this element type; then the
            # elements are exactly 4 + width bytes each, which the run decodes in C passes.
            count = _LENGTH.unpack_from(data, 12)[0]
            if count > 0 and len(data) == 20 + count * (4 + self._fixed_size):
                values = run.decode(data, count)
                if values is not None:
                    return values
        size = len(data)
        if size < 12:
            raise ValueError(f"invalid array value: expected at least 12 bytes, got {size}")
        ndim, flags, element_oid = _HEADER.unpack_from(data)
        if element_oid != self._oid:
            raise ValueError(
                f"invalid array value: element type OID {element_oid}"
                f" does not match {self._name} ({self._oid})"
            )
        if flags != 0 and flags != 1:
            raise ValueError(f"invalid array value: has-nulls flag must be 0 or 1, got {flags}")
        if ndim == 0:
            if size != 12:
                raise ValueError(f"invalid array value: {size - 12} bytes after an empty array")
            return []
        if ndim < 0 or ndim > MAX_DIMENSIONS:
            raise ValueError(
                f"invalid array value: number of dimensions {ndim} is not in 0..{MAX_DIMENSIONS}"
            )
        offset = 12 + 8 * ndim
        if size < offset:
            raise ValueError(f"invalid array value: {ndim} dimensions need {offset} bytes, got {size}")
        dims: list[int] = []
        count = 1
        for position in range(12, offset, 8):
            dim, _lower = _DIMENSION.unpack_from(data, position)
            if dim < 0:
                raise ValueError(f"invalid array value: negative dimension size {dim}")
            dims.append(dim)
            count *= dim
        if count == 0:
            if size != offset:
                raise ValueError(f"invalid array value: {size - offset} bytes after an empty array")
            return []
        # Each element takes at least its 4-byte length: reject impossible counts before looping.
        if count * 4 > size - offset:
            raise ValueError(
                f"invalid array value: {count} elements declared but only {size - offset} bytes of data"
            )
        flat = self._decode_elements(data, offset, count, dims)
        return flat if ndim == 1 else _nest(flat, dims)

    def _decode_elements(self, data: bytes, offset: int, count: int, dims: list[int]) -> list[Any]:
        size = len(data)
        decode = self._decode
        unpack_length = _LENGTH.unpack_from
        fixed_size = self._fixed_size
        pair_end = size - 4 - fixed_size
        unpack_pair = self._pair.unpack_from
        values: list[Any] = []
        append = values.append
        for index in range(count):
            if fixed_size and offset <= pair_end:
                # A fixed-width element unpacks with its length in one go (decode == unpack).
                length, value = unpack_pair(data, offset)
                if length == fixed_size:
                    append(value)
                    offset += 4 + fixed_size
                    continue
            if offset + 4 > size:
                raise ValueError(f"invalid array value: data ends before element {_index_path(index, dims)}")
            (length,) = unpack_length(data, offset)
            offset += 4
            if length == -1:
                append(None)
                continue
            end = offset + length
            if length < 0 or end > size:
                raise ValueError(
                    f"invalid array value: element {_index_path(index, dims)} has length {length}"
                    f" but {size - offset} bytes remain"
                )
            try:
                append(decode(data[offset:end]))
            except ValueError as exc:
                raise _element_error(exc, index, dims) from exc
            offset = end
        if offset != size:
            raise ValueError(f"invalid array value: {size - offset} bytes after the last element")
        return values


def binary_array_codec(oid: int, name: str, schema: str, element: Codec) -> Codec:
    """The binary codec of an array type whose elements use ``element``.

    Args:
        oid: the array type's OID (``1007`` for ``int4[]``).
        name: its ``pg_type`` name (``_int4``).
        schema: its schema.
        element: the element type's binary codec; arrays in the data must name its OID.

    Returns:
        A codec of kind ``array`` with ``element`` attached.

    Raises:
        ValueError: ``element`` is not a binary codec.
    """
    if element.format != BINARY:
        raise ValueError(f"binary_array_codec needs a binary element codec, got {element!r}")
    array = _BinaryArray(element)
    return Codec(oid, name, BINARY, array.encode, array.decode, schema=schema, kind="array", element=element)


def _quote(text: str, delimiter: str) -> str:
    """``text`` as an array_in element: double-quoted with backslash escapes when needed.

    Quoting is needed for the empty string, anything equal to ``NULL`` ignoring case, and text
    holding braces, quotes, backslashes, the delimiter or whitespace (docs section 8.15.6).
    """
    if not text or (len(text) == 4 and text.upper() == "NULL"):
        return f'"{text}"'
    if _NEEDS_QUOTES.search(text) is not None or delimiter in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _parse_element(text: str, pos: int, delimiter: str) -> tuple[str | None, int]:
    """One element at ``pos`` (after leading whitespace): its value (``None`` for NULL) and end.

    Quoted stretches and backslash-escaped characters are kept verbatim; trailing unquoted
    whitespace is dropped; an element with neither that spells ``NULL`` is SQL NULL.
    """
    chars: list[str] = []
    keep = 0
    literal = False
    in_quotes = False
    end = len(text)
    while True:
        if pos >= end:
            raise ValueError("malformed array literal: unexpected end of input")
        char = text[pos]
        if char == "\\":
            pos += 1
            if pos >= end:
                raise ValueError("malformed array literal: unexpected end of input after a backslash")
            chars.append(text[pos])
            keep = len(chars)
            literal = True
        elif in_quotes:
            if char == '"':
                in_quotes = False
            else:
                chars.append(char)
                keep = len(chars)
        elif char == '"':
            in_quotes = True
            literal = True
        elif char == delimiter or char == "}":
            break
        elif char == "{":
            raise ValueError(f"malformed array literal: unexpected '{{' at position {pos}")
        else:
            chars.append(char)
            if char not in _WHITESPACE:
                keep = len(chars)
        pos += 1
    value = "".join(chars[:keep])
    if not literal:
        if not value:
            raise ValueError(f"malformed array literal: empty element at position {pos}")
        if len(value) == 4 and value.upper() == "NULL":
            return None, pos
    return value, pos


def _skip_whitespace(text: str, pos: int) -> int:
    end = len(text)
    while pos < end and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _parse_level(text: str, pos: int, delimiter: str) -> tuple[list[Any], int]:
    """The brace-enclosed level starting at ``text[pos] == '{'``, and the position after it."""
    items: list[Any] = []
    pos = _skip_whitespace(text, pos + 1)
    if pos < len(text) and text[pos] == "}":
        return items, pos + 1
    while True:
        pos = _skip_whitespace(text, pos)
        if pos >= len(text):
            raise ValueError("malformed array literal: unexpected end of input")
        if text[pos] == "{":
            sub, pos = _parse_level(text, pos, delimiter)
            items.append(sub)
        else:
            element, pos = _parse_element(text, pos, delimiter)
            items.append(element)
        pos = _skip_whitespace(text, pos)
        if pos >= len(text):
            raise ValueError("malformed array literal: unexpected end of input")
        char = text[pos]
        if char == "}":
            return items, pos + 1
        if char != delimiter:
            raise ValueError(f"malformed array literal: unexpected {char!r} at position {pos}")
        pos += 1


def _parse_bounds(text: str, pos: int) -> tuple[list[int], int]:
    """The sizes declared by a ``[lo:hi][lo:hi]=`` prefix (docs 8.15.6), and the position after ``=``."""
    sizes: list[int] = []
    while pos < len(text) and text[pos] == "[":
        close = text.find("]", pos)
        if close < 0:
            raise ValueError("malformed array literal: unterminated dimension bounds")
        bounds = text[pos + 1 : close]
        lower, colon, upper = bounds.partition(":")
        try:
            low = int(lower) if colon else 1
            high = int(upper) if colon else int(lower)
        except ValueError:
            raise ValueError(f"malformed array literal: invalid dimension bounds [{bounds}]") from None
        if high < low - 1:
            raise ValueError(f"malformed array literal: upper bound below lower bound in [{bounds}]")
        sizes.append(high - low + 1)
        pos = _skip_whitespace(text, close + 1)
    if pos >= len(text) or text[pos] != "=":
        raise ValueError("malformed array literal: '=' expected after the dimension bounds")
    return sizes, _skip_whitespace(text, pos + 1)


class _TextArray:
    """Encoder and decoder of one array type in the text format."""

    __slots__ = ("_decode", "_delimiter", "_encode", "_lists")

    def __init__(self, element: Codec, delimiter: str) -> None:
        self._encode = element.encode
        self._decode = element.decode
        self._delimiter = delimiter
        self._lists = element.list_valued

    def encode(self, value: object) -> bytes:
        dims, flat = _flatten(value, self._lists)
        if not flat:
            return b"{}"
        encode = self._encode
        delimiter = self._delimiter
        strings: list[str] = []
        for index, item in enumerate(flat):
            if item is None:
                strings.append("NULL")
                continue
            try:
                text = encode(item).decode()
            except (TypeError, ValueError, OverflowError) as exc:
                raise _element_error(exc, index, dims) from exc
            strings.append(_quote(text, delimiter))
        for dim in reversed(dims[1:]):
            strings = ["{" + delimiter.join(strings[i : i + dim]) + "}" for i in range(0, len(strings), dim)]
        return ("{" + delimiter.join(strings) + "}").encode()

    def decode(self, data: bytes) -> list[Any]:
        text = data.decode()
        if text[:1] == "{" and text[-1:] == "}":
            inner = text[1:-1]
            # Fast path: a one-dimensional array without quoting needs no parser.
            if "{" not in inner and "}" not in inner and '"' not in inner and "\\" not in inner:
                return self._decode_plain(inner)
        return self._decode_parsed(text)

    def _decode_plain(self, inner: str) -> list[Any]:
        if not inner.strip(_WHITESPACE):
            return []
        decode = self._decode
        values: list[Any] = []
        for part in inner.split(self._delimiter):
            element = part.strip(_WHITESPACE)
            if not element:
                raise ValueError("malformed array literal: empty element")
            if len(element) == 4 and element.upper() == "NULL":
                values.append(None)
                continue
            try:
                values.append(decode(element.encode()))
            except ValueError as exc:
                raise _element_error(exc, len(values), [len(values) + 1]) from exc
        return values

    def _decode_parsed(self, text: str) -> list[Any]:
        pos = _skip_whitespace(text, 0)
        declared: list[int] | None = None
        if pos < len(text) and text[pos] == "[":
            declared, pos = _parse_bounds(text, pos)
        if pos >= len(text) or text[pos] != "{":
            raise ValueError(f"malformed array literal: {text!r} does not start with '{{'")
        parsed, pos = _parse_level(text, pos, self._delimiter)
        if _skip_whitespace(text, pos) != len(text):
            raise ValueError(f"malformed array literal: junk after the closing brace at position {pos}")
        try:
            dims, flat = _flatten(parsed)
        except ValueError as exc:
            raise ValueError(f"malformed array literal: {exc}") from None
        if declared is not None and flat and declared != dims:
            raise ValueError(f"malformed array literal: declared dimensions {declared} do not match {dims}")
        if not flat:
            return []
        decode = self._decode
        values: list[Any] = []
        for index, element in enumerate(flat):
            if element is None:
                values.append(None)
                continue
            try:
                values.append(decode(element.encode()))
            except ValueError as exc:
                raise _element_error(exc, index, dims) from exc
        return values if len(dims) == 1 else _nest(values, dims)


def text_array_codec(oid: int, name: str, schema: str, element: Codec, delimiter: str = ",") -> Codec:
    """The text codec of an array type whose elements use ``element``.

    Args:
        oid: the array type's OID (``1009`` for ``text[]``).
        name: its ``pg_type`` name (``_text``).
        schema: its schema.
        element: the element type's text codec.
        delimiter: the element type's ``typdelim``: ``,`` for all built-in types but ``box`` (``;``).

    Returns:
        A codec of kind ``array`` with ``element`` attached.

    Raises:
        ValueError: ``element`` is not a text codec, or ``delimiter`` is not one character that
            cannot be confused with array syntax.
    """
    if element.format != TEXT:
        raise ValueError(f"text_array_codec needs a text element codec, got {element!r}")
    if len(delimiter) != 1 or delimiter in '{}"\\' or delimiter in _WHITESPACE:
        raise ValueError(
            f"invalid array delimiter {delimiter!r}: expected one character other than"
            " braces, quotes, backslash or whitespace"
        )
    array = _TextArray(element, delimiter)
    return Codec(oid, name, TEXT, array.encode, array.decode, schema=schema, kind="array", element=element)
