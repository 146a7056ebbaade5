"""``Range``: the Python value of a PostgreSQL range (``int4range``, ``tstzrange``, ...).

A range is a pair of bounds, each inclusive or exclusive, or absent (infinite), or the empty
range, as described in the PostgreSQL documentation, "Range Types" (section 8.17). The range
codecs in :mod:`pgtypes._range` decode to this class; a multirange decodes to a list of them.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

__all__ = ["Range"]

_T = TypeVar("_T")


class Range(Generic[_T]):
    """An immutable range of values of one type, ``Range[int]`` for an ``int4range``.

    Arguments:
        lower: the lower bound, ``None`` for an unbounded (minus infinity) lower end.
        upper: the upper bound, ``None`` for an unbounded (infinity) upper end.
        lower_inc: whether ``lower`` belongs to the range; forced to ``False`` when
            ``lower`` is ``None``.
        upper_inc: whether ``upper`` belongs to the range; forced to ``False`` when
            ``upper`` is ``None``.
        empty: ``True`` for the empty range; the bounds and flags are then ignored and
            become ``None`` and ``False``.

    Ranges compare equal when all five fields (``lower``, ``upper``, ``lower_inc``,
    ``upper_inc``, ``isempty``) are equal; PostgreSQL canonicalises discrete ranges, so
    ``[1, 9]`` comes back from an ``int4range`` as ``[1, 10)``, which is a different
    ``Range`` from ``Range(1, 9, upper_inc=True)``.

    Example::

        >>> r = Range(1, 5)
        >>> r
        <Range [1, 5)>
        >>> r.lower, r.upper, r.lower_inc, r.upper_inc
        (1, 5, True, False)
        >>> Range(None, 6)
        <Range (, 6)>
        >>> Range(empty=True), bool(Range(empty=True))
        (<Range empty>, False)
        >>> Range(2, 3).issubset(Range(1, 5))
        True
    """

    __slots__ = ("_empty", "_lower", "_lower_inc", "_upper", "_upper_inc")

    _lower: _T | None
    _upper: _T | None
    _lower_inc: bool
    _upper_inc: bool
    _empty: bool

    def __init__(
        self,
        lower: _T | None = None,
        upper: _T | None = None,
        *,
        lower_inc: bool = True,
        upper_inc: bool = False,
        empty: bool = False,
    ) -> None:
        self._empty = bool(empty)
        if self._empty:
            self._lower = self._upper = None
            self._lower_inc = self._upper_inc = False
        else:
            self._lower = lower
            self._upper = upper
            self._lower_inc = lower is not None and bool(lower_inc)
            self._upper_inc = upper is not None and bool(upper_inc)

    @property
    def lower(self) -> _T | None:
        """The lower bound, or ``None`` when unbounded or empty."""
        return self._lower

    @property
    def upper(self) -> _T | None:
        """The upper bound, or ``None`` when unbounded or empty."""
        return self._upper

    @property
    def lower_inc(self) -> bool:
        """Whether the lower bound belongs to the range."""
        return self._lower_inc

    @property
    def upper_inc(self) -> bool:
        """Whether the upper bound belongs to the range."""
        return self._upper_inc

    @property
    def lower_inf(self) -> bool:
        """Whether the range has no lower bound (and is not empty)."""
        return self._lower is None and not self._empty

    @property
    def upper_inf(self) -> bool:
        """Whether the range has no upper bound (and is not empty)."""
        return self._upper is None and not self._empty

    @property
    def isempty(self) -> bool:
        """Whether this is the empty range."""
        return self._empty

    def issubset(self, other: Range[_T]) -> bool:
        """Whether every value in this range is also in ``other``.

        The empty range is a subset of every range; a non-empty range is never a subset of
        the empty range. Bounds are compared with ``<`` and ``==`` of the bound values, and
        an exclusive bound does not cover an inclusive bound with the same value.

        Raises:
            TypeError: ``other`` is not a :class:`Range`, or the bound values cannot be
                compared.
        """
        if not isinstance(other, Range):
            raise TypeError(f"expected Range, got {type(other).__name__}")
        if self._empty:
            return True
        if other._empty:
            return False
        return _lower_covers(other, self) and _upper_covers(other, self)

    def issuperset(self, other: Range[_T]) -> bool:
        """Whether every value in ``other`` is also in this range (see :meth:`issubset`).

        Raises:
            TypeError: ``other`` is not a :class:`Range`, or the bound values cannot be
                compared.
        """
        if not isinstance(other, Range):
            raise TypeError(f"expected Range, got {type(other).__name__}")
        return other.issubset(self)

    def __bool__(self) -> bool:
        return not self._empty

    def _key(self) -> tuple[object, object, bool, bool, bool]:
        return (self._lower, self._upper, self._lower_inc, self._upper_inc, self._empty)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Range):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self._empty:
            return "<Range empty>"
        lower = "" if self._lower is None else repr(self._lower)
        upper = "" if self._upper is None else repr(self._upper)
        opening = "[" if self._lower_inc else "("
        closing = "]" if self._upper_inc else ")"
        return f"<Range {opening}{lower}, {upper}{closing}>"

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt through the constructor, so a pickled range is normalised like any other.
        return (_rebuild_range, self._key())


def _rebuild_range(lower: Any, upper: Any, lower_inc: bool, upper_inc: bool, empty: bool) -> Range[Any]:
    return Range(lower, upper, lower_inc=lower_inc, upper_inc=upper_inc, empty=empty)


def _lower_covers(outer: Range[Any], inner: Range[Any]) -> bool:
    """Whether ``outer``'s lower end starts at or before ``inner``'s (both non-empty)."""
    if outer._lower is None:
        return True
    if inner._lower is None:
        return False
    if inner._lower < outer._lower:
        return False
    if inner._lower == outer._lower:
        # [1, ...) is not inside (1, ...); every other combination of flags is.
        return outer._lower_inc or not inner._lower_inc
    return True


def _upper_covers(outer: Range[Any], inner: Range[Any]) -> bool:
    """Whether ``outer``'s upper end finishes at or after ``inner``'s (both non-empty)."""
    if outer._upper is None:
        return True
    if inner._upper is None:
        return False
    if inner._upper > outer._upper:
        return False
    if inner._upper == outer._upper:
        return outer._upper_inc or not inner._upper_inc
    return True
