"""Range: asyncpg's range value class (reference section 9.3), every rule of it."""

from __future__ import annotations

import copy
import doctest
import pickle
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgtypes import _range_type
from pgtypes._range_type import Range


def test_defaults_are_lower_inclusive_upper_exclusive() -> None:
    r = Range(1, 5)
    assert (r.lower, r.upper, r.lower_inc, r.upper_inc, r.isempty) == (1, 5, True, False, False)
    assert not r.lower_inf and not r.upper_inf


def test_no_arguments_is_the_unbounded_range() -> None:
    r: Range[int] = Range()
    assert (r.lower, r.upper, r.lower_inc, r.upper_inc) == (None, None, False, False)
    assert r.lower_inf and r.upper_inf and not r.isempty
    assert bool(r)


def test_a_none_bound_forces_its_inclusivity_off() -> None:
    r = Range(None, 6, lower_inc=True, upper_inc=True)
    assert (r.lower_inc, r.upper_inc) == (False, True)
    r = Range(3, None, lower_inc=True, upper_inc=True)
    assert (r.lower_inc, r.upper_inc) == (True, False)
    assert r.upper_inf and not r.lower_inf


def test_empty_discards_bounds_and_flags() -> None:
    r = Range(1, 5, lower_inc=True, upper_inc=True, empty=True)
    assert (r.lower, r.upper, r.lower_inc, r.upper_inc, r.isempty) == (None, None, False, False, True)
    # An empty range has no infinite bounds: it has no bounds at all.
    assert not r.lower_inf and not r.upper_inf
    assert r == Range(empty=True)


def test_inclusivity_flags_are_normalised_to_bool() -> None:
    r = Range(1, 2, lower_inc=0, upper_inc=1)  # type: ignore[arg-type]  # ints on purpose
    assert r.lower_inc is False and r.upper_inc is True


def test_bool_is_not_empty() -> None:
    assert bool(Range(1, 1)) is True  # not canonicalised: only empty=True is empty
    assert bool(Range(empty=True)) is False


def test_equality_compares_all_five_fields() -> None:
    assert Range(1, 5) == Range(1, 5, lower_inc=True, upper_inc=False)
    assert Range(1, 5) != Range(1, 6)
    assert Range(1, 5) != Range(0, 5)
    assert Range(1, 5) != Range(1, 5, lower_inc=False)
    assert Range(1, 5) != Range(1, 5, upper_inc=True)
    assert Range(None, None) != Range(empty=True)
    # Same set of integers, different ranges: Range does not canonicalise.
    assert Range(1, 5) != Range(1, 4, upper_inc=True)
    assert Range(1, 5) != (1, 5)
    assert Range(1, 5).__eq__((1, 5)) is NotImplemented


def test_hash_agrees_with_equality() -> None:
    assert hash(Range(1, 5)) == hash(Range(1, 5))
    assert len({Range(1, 5), Range(1, 5), Range(1, 5, upper_inc=True), Range(empty=True)}) == 3
    table: dict[Range[int], str] = {Range(empty=True): "x"}
    assert table[Range(1, 2, empty=True)] == "x"


@pytest.mark.parametrize(
    ("r", "text"),
    [
        (Range(1, 5), "<Range [1, 5)>"),
        (Range(1, 5, lower_inc=False, upper_inc=True), "<Range (1, 5]>"),
        (Range(empty=True), "<Range empty>"),
        (Range(None, 6), "<Range (, 6)>"),
        (Range(6, None), "<Range [6, )>"),
        (Range(), "<Range (, )>"),
        (Range("a", "b"), "<Range ['a', 'b')>"),
    ],
)
def test_repr_and_str(r: Range[object], text: str) -> None:
    assert repr(r) == text
    assert str(r) == text


def test_is_immutable() -> None:
    r = Range(1, 5)
    with pytest.raises(AttributeError):
        r.lower = 2  # type: ignore[misc]  # the point of the test
    with pytest.raises(AttributeError):
        r.extra = 1  # type: ignore[attr-defined]  # slots: no new attributes
    assert not hasattr(r, "__dict__")


def test_is_generic() -> None:
    r: Range[int] = Range[int](1, 2)
    assert r == Range(1, 2)


def test_pickle_and_copy() -> None:
    for r in (Range(1, 5), Range(None, 3, upper_inc=True), Range(empty=True), Range()):
        assert pickle.loads(pickle.dumps(r)) == r
        assert copy.copy(r) == r
        assert copy.deepcopy(r) == r


@pytest.mark.parametrize(
    ("inner", "outer", "expected"),
    [
        (Range(2, 3), Range(1, 5), True),
        (Range(1, 5), Range(1, 5), True),
        (Range(0, 5), Range(1, 5), False),
        (Range(1, 6), Range(1, 5), False),
        # Equal bound values: inclusivity decides.
        (Range(1, 5, lower_inc=True), Range(1, 5, lower_inc=False), False),
        (Range(1, 5, lower_inc=False), Range(1, 5, lower_inc=True), True),
        (Range(1, 5, upper_inc=True), Range(1, 5, upper_inc=False), False),
        (Range(1, 5, upper_inc=False), Range(1, 5, upper_inc=True), True),
        # Infinite bounds.
        (Range(1, 5), Range(), True),
        (Range(), Range(1, 5), False),
        (Range(None, 5), Range(None, 6), True),
        (Range(None, 5), Range(0, 6), False),
        (Range(3, None), Range(1, None), True),
        (Range(3, None), Range(1, 100), False),
        (Range(), Range(), True),
        # The empty range.
        (Range(empty=True), Range(1, 2), True),
        (Range(empty=True), Range(empty=True), True),
        (Range(1, 2), Range(empty=True), False),
        (Range(), Range(empty=True), False),
    ],
)
def test_issubset_and_issuperset(inner: Range[int], outer: Range[int], expected: bool) -> None:
    assert inner.issubset(outer) is expected
    assert outer.issuperset(inner) is expected


def test_issubset_needs_a_range() -> None:
    with pytest.raises(TypeError, match="expected Range, got tuple"):
        Range(1, 2).issubset((0, 3))  # type: ignore[arg-type]  # the point of the test
    with pytest.raises(TypeError, match="expected Range, got int"):
        Range(1, 2).issuperset(1)  # type: ignore[arg-type]  # the point of the test


# Bounds are integers in -10..10, so an infinite bound reaches past every finite one within
# the sample window, and sampling every half-integer sees every difference between two ranges
# of real numbers (differences happen at bounds or between two adjacent integers).
_SAMPLES = [Fraction(n, 2) for n in range(-30, 31)]


def _contains(r: Range[int], x: Fraction) -> bool:
    if r.isempty:
        return False
    if r.lower is not None and (x < r.lower or (x == r.lower and not r.lower_inc)):
        return False
    return not (r.upper is not None and (x > r.upper or (x == r.upper and not r.upper_inc)))


@st.composite
def _real_ranges(draw: st.DrawFn) -> Range[int]:
    """Ranges over the reals that contain at least one point, or the empty range."""
    if draw(st.integers(0, 7)) == 0:
        return Range(empty=True)
    bound = st.one_of(st.none(), st.integers(-10, 10))
    lower, upper = draw(bound), draw(bound)
    if lower is not None and upper is not None and lower > upper:
        lower, upper = upper, lower
    lower_inc, upper_inc = draw(st.booleans()), draw(st.booleans())
    if lower is not None and lower == upper:
        lower_inc = upper_inc = True  # [x, x] is the only non-empty range with equal bounds
    return Range(lower, upper, lower_inc=lower_inc, upper_inc=upper_inc)


@given(_real_ranges(), _real_ranges())
def test_issubset_is_set_inclusion(inner: Range[int], outer: Range[int]) -> None:
    expected = all(_contains(outer, x) for x in _SAMPLES if _contains(inner, x))
    assert inner.issubset(outer) is expected
    assert outer.issuperset(inner) is expected


def test_docstring_examples() -> None:
    result = doctest.testmod(_range_type, raise_on_error=False)
    assert result.attempted >= 5
    assert result.failed == 0
