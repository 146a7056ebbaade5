"""Record: asyncpg's row behaviour (reference section 3.4), on a tuple with named columns."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgtypes._record import Record, record_maker


def make(names: list[str], values: list[Any]) -> Record:
    return record_maker(names)(values)


class Named(Record):
    """A record class with attribute access, as users write them."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def test_cannot_be_created_directly() -> None:
    with pytest.raises(TypeError, match="cannot create 'Record' instances"):
        Record()
    with pytest.raises(TypeError, match="cannot create 'Named' instances"):
        Named((1,))


def test_a_record_class_with_its_own_new_or_init_does_not_run_them_for_rows() -> None:
    # Documented as not allowed; should a record class define them anyway (here inherited),
    # rows are still made from their values alone.
    class Refusing(Record):
        def __new__(cls, *args: object) -> Refusing:
            raise RuntimeError("__new__ ran")

        def __init__(self, *args: object) -> None:
            raise RuntimeError("__init__ ran")

    class Child(Refusing):
        pass

    for klass in (Refusing, Child):
        record = record_maker(["a"], klass)((5,))
        assert isinstance(record, klass) and record["a"] == 5


def test_positional_access() -> None:
    record = make(["a", "b", "c"], [1, "x", None])
    assert len(record) == 3
    assert record[0] == 1 and record[-1] is None and record[-3] == 1
    assert record[0:2] == (1, "x") and type(record[0:2]) is tuple
    assert record[::-1] == (None, "x", 1)
    for outside in (3, -4):
        with pytest.raises(IndexError, match="record index out of range"):
            record[outside]
    with pytest.raises(TypeError, match="record indices must be integers, slices or column names, not float"):
        record[1.5]  # type: ignore[call-overload]  # the wrong key type is the point


def test_access_by_name() -> None:
    record = make(["id", "name"], [7, "ann"])
    assert record["id"] == 7 and record["name"] == "ann"
    with pytest.raises(KeyError) as caught:
        record["missing"]
    assert caught.value.args == ("missing",)
    assert record.get("name") == "ann"
    assert record.get("missing") is None
    assert record.get("missing", 5) == 5
    with pytest.raises(TypeError):
        record.get("name", default=1)  # type: ignore[call-arg]  # positional only, as asyncpg


def test_mapping_views() -> None:
    record = make(["a", "b"], [1, [2]])
    assert list(record.keys()) == ["a", "b"]
    assert list(record.values()) == [1, [2]]
    assert list(record.items()) == [("a", 1), ("b", [2])]
    assert list(record) == [1, [2]]
    assert dict(record) == {"a": 1, "b": [2]}
    assert "a" in record and "b" in record
    assert 1 not in record  # names, not values


def test_duplicate_names_last_wins_but_all_listed() -> None:
    record = make(["a", "b", "a"], [1, 2, 3])
    assert record["a"] == 3
    assert list(record.keys()) == ["a", "b", "a"]
    assert list(record.items()) == [("a", 1), ("b", 2), ("a", 3)]
    assert repr(record) == "<Record a=1 b=2 a=3>"


def test_equality_and_hash_as_tuple() -> None:
    first = make(["a", "b"], [1, "x"])
    other_names = make(["c", "d"], [1, "x"])
    assert first == (1, "x")
    assert first == other_names  # names are not compared
    assert first != (1, "y")
    assert first != [1, "x"]  # type: ignore[comparison-overlap]  # a list never equals a record
    assert hash(first) == hash((1, "x"))
    as_tuple: tuple[Any, ...] = (1, "x")
    assert {first: "row"}[as_tuple] == "row"  # type: ignore[index]  # tuples and records share keys
    assert first < (1, "y") and first > (0,)
    with pytest.raises(TypeError):
        assert first < [1, "y"]  # type: ignore[operator]  # ordering against a list fails, as for tuples


def test_truthiness_and_repr() -> None:
    empty = make([], [])
    assert not empty and len(empty) == 0
    assert repr(empty) == "<Record>"
    record = make(["a", "b", "c"], [1, "x", None])
    assert bool(record)
    assert repr(record) == "<Record a=1 b='x' c=None>" == str(record)


def test_recursive_value_repr() -> None:
    items: list[Any] = []
    record = make(["items"], [items])
    items.append(record)
    assert repr(record) == "<Record items=[<Record ...>]>"


def test_no_attribute_access_on_the_base_class() -> None:
    record = make(["a"], [1])
    with pytest.raises(AttributeError):
        assert record.a  # type: ignore[attr-defined]  # no attribute access, as asyncpg


def test_subclass_record_class() -> None:
    record = record_maker(["a", "b"], Named)([1, 2])
    assert isinstance(record, Named) and isinstance(record, Record)
    assert record.a == 1 and record["b"] == 2
    assert repr(record) == "<Named a=1 b=2>"
    with pytest.raises(AttributeError):
        assert record.missing


def test_record_maker_rejects_other_classes() -> None:
    with pytest.raises(TypeError, match=r"must be a subclass of pgtypes\.Record"):
        record_maker(["a"], tuple)  # type: ignore[arg-type]  # the wrong class is the point


def test_shape_classes_are_shared() -> None:
    first = make(["a", "b"], [1, 2])
    second = make(["a", "b"], [3, 4])
    assert type(first) is type(second)
    assert type(make(["a", "c"], [1, 2])) is not type(first)


def test_not_picklable_but_copyable() -> None:
    record = make(["a", "b"], [1, [2]])
    with pytest.raises(TypeError, match="cannot pickle 'Record' object"):
        pickle.dumps(record)
    assert copy.copy(record) is record
    deep = copy.deepcopy(record)
    assert deep == record and deep["b"] is not record["b"] and list(deep.keys()) == ["a", "b"]


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.integers() | st.text() | st.none()), max_size=8))
def test_behaves_as_tuple_and_mapping(columns: list[tuple[str, Any]]) -> None:
    names = [name for name, _ in columns]
    values = [value for _, value in columns]
    record = make(names, values)
    assert tuple(record) == tuple(values)
    assert record == tuple(values) and hash(record) == hash(tuple(values))
    assert list(record.keys()) == names
    expected = dict(columns)
    for name in expected:
        assert record[name] == expected[name]
    assert dict(record) == expected
