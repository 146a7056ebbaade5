"""``Record``: one result row, a tuple that also answers to its column names.

A record is a ``tuple`` of the row's values, so equality, hashing, ordering, ``len``,
iteration and slicing are the tuple's own, at C speed. The column names live on a class made
once per row shape (per RowDescription and record class): :func:`record_maker` returns a
factory for it, and the row decoder calls that factory once per row with no per-row dict.

Behaviour follows asyncpg's Record (see ``docs/pgtypes.md``): ``r[0]``, ``r["name"]``,
``r[1:3]`` (a plain tuple), ``get``, ``keys``, ``values``, ``items``, ``name in r`` tests the
column names, ``r == (1, "x")`` is true when the values match, ``hash(r) == hash(tuple(r))``,
and ``repr`` reads ``<Record a=1 b='x'>``. With duplicate column names ``r["a"]`` is the last
column called ``a``. Records cannot be created directly and are not picklable.
"""

from __future__ import annotations

import copy
import reprlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, ClassVar, NoReturn, SupportsIndex, overload

__all__ = ["Record", "record_maker"]

#: Makes one record from its values (a tuple or list in column order).
RecordMaker = Callable[[Iterable[Any]], "Record"]

_MISSING: Any = object()


class Record(tuple[Any, ...]):
    """A row: values by position (``r[0]``, slices) and by column name (``r["id"]``).

    Subclass it and pass the subclass as ``record_class`` to get rows of your own class (for
    example with a ``__getattr__`` that reads columns as attributes). Subclasses must not
    define ``__new__`` or ``__init__``: records are made by the row decoder.

    Example::

        row = await connection.fetchrow("SELECT 1 AS a, 'x' AS b")
        row["a"], row[1], row[0:2]  # (1, 'x', (1, 'x'))
        dict(row)  # {'a': 1, 'b': 'x'}
    """

    __slots__ = ()

    # Set on the class made for each row shape by record_maker(); empty on Record itself.
    _names: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}

    # The guard is __init__, not __new__: a __new__ written in Python would sit in every row's
    # construction, while the shape classes replace this __init__ with object's own C slot
    # and so build a record at the speed of a plain tuple subclass.
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError(f"cannot create '{type(self).__qualname__}' instances: records are made by queries")

    @overload
    def __getitem__(self, key: SupportsIndex, /) -> Any: ...
    @overload
    def __getitem__(self, key: slice, /) -> tuple[Any, ...]: ...
    @overload
    def __getitem__(self, key: str, /) -> Any: ...
    def __getitem__(self, key: SupportsIndex | slice | str, /) -> Any:
        if type(key) is str:
            try:
                position = self._index[key]
            except KeyError:
                raise KeyError(key) from None
            return tuple.__getitem__(self, position)
        try:
            return tuple.__getitem__(self, key)  # type: ignore[index]  # str was handled above
        except IndexError:
            raise IndexError("record index out of range") from None
        except TypeError:
            if isinstance(key, str):  # a str subclass
                return self[str(key)]
            raise TypeError(
                f"record indices must be integers, slices or column names, not {type(key).__name__}"
            ) from None

    def get(self, key: str, default: Any = None, /) -> Any:
        """The value of column ``key``, or ``default`` when there is no such column."""
        position = self._index.get(key, _MISSING)
        if position is _MISSING:
            return default
        return tuple.__getitem__(self, position)

    def keys(self) -> Iterator[str]:
        """The column names, in order (duplicates included)."""
        return iter(self._names)

    def values(self) -> Iterator[Any]:
        """The values, in column order."""
        return tuple.__iter__(self)

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` pairs, in column order."""
        return zip(self._names, tuple.__iter__(self), strict=True)

    def __contains__(self, name: object) -> bool:
        """Whether a column is called ``name`` (names, not values, as for a mapping)."""
        return name in self._index

    @reprlib.recursive_repr("<Record ...>")
    def __repr__(self) -> str:
        parts = [type(self).__name__]
        parts.extend(
            f"{name}={value!r}" for name, value in zip(self._names, tuple.__iter__(self), strict=True)
        )
        return "<" + " ".join(parts) + ">"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"cannot pickle '{type(self).__qualname__}' object")

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError(f"cannot pickle '{type(self).__qualname__}' object")

    def __copy__(self) -> Record:
        return self  # immutable: a copy is the record itself

    def __deepcopy__(self, memo: dict[int, Any]) -> Record:
        values = copy.deepcopy(tuple(self), memo)
        return tuple.__new__(type(self), values)


@lru_cache(maxsize=2048)
def _shape_class(names: tuple[str, ...], base: type[Record]) -> type[Record]:
    # Later duplicates win, as asyncpg's r["a"] returns the last column named "a".
    index = {name: position for position, name in enumerate(names)}
    namespace: dict[str, Any] = {
        "__slots__": (),
        # The shape class is made by the row decoder only: tuple's C __new__ (inherited) and
        # object's C __init__ make calling it the fastest way to build a tuple subclass
        # instance, while Record and user subclasses keep refusing in their __init__.
        "__init__": object.__init__,
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
        "__doc__": base.__doc__,
        "_names": names,
        "_index": index,
    }
    if any("__new__" in vars(klass) for klass in base.__mro__ if klass is not tuple and klass is not object):
        # A record class that (against its documentation) defines __new__: bypass it, as
        # records are made from their values only. Slower, but never the user's __new__.
        namespace["__new__"] = tuple.__new__
    return type(base.__name__, (base,), namespace)


def record_maker(names: Sequence[str], base: type[Record] = Record) -> RecordMaker:
    """A factory of records with these column names, of class ``base``.

    The class carrying the names is made once per (names, base) and cached, so building a
    row decoder for a statement seen before costs a dictionary lookup.

    Args:
        names: the column names in order (duplicates allowed).
        base: :class:`Record` or a subclass of it.

    Returns:
        A callable taking the row's values (any iterable, in column order) and returning the
        record. It does not check the number of values: the row decoder gives the right count.

    Raises:
        TypeError: ``base`` is not a subclass of :class:`Record`.
    """
    if not (isinstance(base, type) and issubclass(base, Record)):
        raise TypeError(f"record class must be a subclass of pgtypes.Record, got {base!r}")
    maker: RecordMaker = _shape_class(tuple(names), base)
    return maker
