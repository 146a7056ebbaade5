"""The parameter encoder: a statement's arguments in, Bind's parameter values out.

Built once per ParameterDescription (DESIGN section 2): each parameter's codec is chosen
when the encoder is built (binary wherever the registry has it), and :meth:`ParameterEncoder.encode` is one
pass over the arguments. Every argument is encoded before anything is sent, so a bad one
raises an error naming its position and the connection has sent nothing.

The messages begin with asyncpg's wording (reference section 3.1), so that code matching on
them keeps working, and then add the PostgreSQL type:
``invalid input for query argument $2: 'x' (expected int, got str); parameter type: int4``.
In ``executemany`` the position reads ``$2 in element #3 of executemany() sequence``, the
element counted from 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

from pgtypes._codec import Codec, data_error
from pgtypes._implementation import speedups
from pgtypes._param_plan import ParameterPlan
from pgtypes._registry import TypeRegistry
from pgwire.exceptions import InterfaceError, OutdatedSchemaCacheError, PostgresError

__all__ = ["MAX_ARGUMENTS", "ParameterEncoder"]

#: The most arguments a statement may be given, as asyncpg allows (Bind's count is an Int16).
MAX_ARGUMENTS = 32767

#: asyncpg shows at most this many characters of a bad value's repr.
_SHOWN_LENGTH: Final = 40

#: Argument sequence types taken without a closer look: nearly every executemany() input.
_PLAIN_SEQUENCES: Final = frozenset({tuple, list})


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_LENGTH else text[:_SHOWN_LENGTH] + "..."


def _is_sequence(kind: type) -> bool:
    """Whether values of ``kind`` pass as one set of arguments: indexable and sized, no mapping.

    asyncpg takes what the C API calls a sequence, which turns a dict away, so a dict given
    for a row is an error rather than its keys sent as the arguments; sets and iterators,
    having no order or no length, are refused too.
    """
    return kind in _PLAIN_SEQUENCES or (
        hasattr(kind, "__getitem__") and hasattr(kind, "__len__") and not issubclass(kind, Mapping)
    )


def _in_element(index: int | None) -> str:
    """`` in element #3 of executemany() sequence``, or ``""`` outside ``executemany``."""
    return "" if index is None else f" in element #{index} of executemany() sequence"


class ParameterEncoder:
    """Encodes the arguments of one statement.

    Attributes:
        codecs: one codec per parameter.
        formats: the format code of each parameter, for Bind's parameter formats.
    """

    __slots__ = ("_arity", "_compiled", "_encoders", "_plan", "codecs", "formats")

    def __init__(self, codecs: Sequence[Codec]) -> None:
        """Build the encoder from the codec of each parameter, in order."""
        self.codecs = tuple(codecs)
        self.formats = tuple(codec.format for codec in codecs)
        self._encoders = tuple(codec.encode for codec in codecs)
        # The argument count that needs no further check; -1 matches no count, so a statement
        # with more parameters than may be sent always takes the path that explains why.
        self._arity = len(codecs) if len(codecs) <= MAX_ARGUMENTS else -1
        # The compiled executor of the same contract (pgtypes._param_plan), when it is installed.
        self._plan: ParameterPlan | None = None
        self._compiled: Any = None
        if speedups is not None and 0 < len(codecs) <= MAX_ARGUMENTS:
            self._plan = ParameterPlan(self.codecs)
            self._compiled = speedups.encode_many

    @classmethod
    def for_types(cls, registry: TypeRegistry, type_oids: Sequence[int]) -> ParameterEncoder:
        """The encoder for a ParameterDescription's type OIDs.

        Raises:
            InternalClientError: a type is unknown to the registry (introspect first).
            UnsupportedClientFeatureError: a type has no codec.
        """
        return cls([registry.parameter_codec(oid) for oid in type_oids])

    def __repr__(self) -> str:
        return f"<ParameterEncoder ({', '.join(codec.name for codec in self.codecs)})>"

    def encode(self, args: Sequence[Any]) -> tuple[bytes | None, ...]:
        """Encode ``args`` (``None`` is NULL) for Bind.

        Args:
            args: one value per parameter, in order.

        Returns:
            Each parameter's bytes in its format (:attr:`formats`), ``None`` for NULL.

        Raises:
            InterfaceError: more than :data:`MAX_ARGUMENTS` arguments (``the number of query
                arguments cannot exceed 32767``), or not one per parameter (``the server
                expects 2 arguments for this query, 1 was passed``).
            DataError: an argument its parameter's codec refuses: ``invalid input for query
                argument $2: <repr, cut at 40 characters> (<the codec's error>); parameter
                type: <type>``, with the codec's error as ``__cause__``.
            UnsupportedClientFeatureError: an argument of a type this client cannot send
                (an anonymous record), its message prefixed with ``query argument $2:``; any
                other ``InterfaceError`` from a codec likewise.
        """
        return self._encode(args, None)

    def encode_many(
        self, arg_sets: Iterable[Sequence[Any]], *, first_index: int = 0
    ) -> list[tuple[bytes | None, ...]]:
        """Encode each argument sequence of ``arg_sets`` (``executemany``), as :meth:`encode` would.

        Args:
            arg_sets: the argument sequences, any iterable of them (read once).
            first_index: the element number of the first sequence, for the messages: a caller
                encoding one ``executemany()`` input in several batches passes the count of
                sequences before this batch, so that errors number elements across batches.

        Returns:
            One :meth:`encode` result per sequence, in order.

        Raises:
            DataError: an element that is not a sequence (a dict, a set, an iterator):
                ``invalid input in executemany() argument sequence element #3: expected a
                sequence, got dict``; or a bad argument, worded as by :meth:`encode` with the
                position ``$2 in element #3 of executemany() sequence``.
            InterfaceError: as :meth:`encode`, the message ending with `` (in element #3 of
                executemany() sequence)``; codec ``InterfaceError``s prefixed with ``query
                argument $2 in element #3 of executemany() sequence:``.

        Elements are numbered from ``first_index``, and the first one that fails is named.
        """
        # Read twice when a set fails, which an iterator could not be.
        sets = arg_sets if isinstance(arg_sets, list | tuple) else list(arg_sets)
        if self._compiled is not None:
            return self._encode_compiled(sets, first_index)
        encoders = self._encoders
        if len(encoders) <= _MAX_UNROLLED:
            # Unpacking takes any iterable of the right length, so a dict of two keys would pass
            # as two arguments: only element types that are sequences may take this path.
            kinds = set(map(type, sets))
            if kinds <= _PLAIN_SEQUENCES or all(_is_sequence(kind) for kind in kinds):
                try:
                    return _unrolled(len(encoders))(sets, *encoders)
                except Exception as error:
                    # Never swallowed: the checked loop runs only to name the element and
                    # its fault; should it find none (a codec that failed once), this stands.
                    self._encode_checked(sets, first_index)
                    raise data_error(f"invalid input for query arguments: {error}") from error
        return self._encode_checked(sets, first_index)

    def _encode_checked(
        self, sets: Sequence[Sequence[Any]], first_index: int
    ) -> list[tuple[bytes | None, ...]]:
        """The reference loop of :meth:`encode_many`: each sequence checked, the first fault named."""
        element = self._encode_element
        return [element(args, index) for index, args in enumerate(sets, first_index)]

    def _encode_compiled(
        self, sets: Sequence[Sequence[Any]], first_index: int
    ) -> list[tuple[bytes | None, ...]]:
        """The compiled executor, with each sequence it hands back encoded (or reported) here."""
        compiled = self._compiled
        plan = self._plan
        result: list[tuple[bytes | None, ...]] = []
        count = len(sets)
        position = compiled(plan, sets, result, 0)
        while position < count:
            result.append(self._encode_element(sets[position], first_index + position))
            position = compiled(plan, sets, result, position + 1)
        return result

    def _encode_element(self, args: Sequence[Any], index: int) -> tuple[bytes | None, ...]:
        """One executemany() element, checked: it must be a sequence (not a dict or a set)."""
        if type(args) not in _PLAIN_SEQUENCES and not _is_sequence(type(args)):
            raise data_error(
                f"invalid input in executemany() argument sequence element #{index}: "
                f"expected a sequence, got {type(args).__name__}"
            )
        return self._encode(args, index)

    def _encode(self, args: Sequence[Any], element: int | None) -> tuple[bytes | None, ...]:
        """:meth:`encode`, with ``element`` the executemany() element number for messages."""
        if len(args) != self._arity:
            raise self._count_error(len(args), element)
        if not args:
            return ()  # a statement without parameters (SELECT 1+1): nothing to encode
        # strict=False: the lengths were compared just above.
        try:
            pairs = zip(self._encoders, args, strict=False)
            return tuple([None if value is None else encode(value) for encode, value in pairs])
        except Exception as error:
            raise self._diagnose(args, error, element) from error

    def _count_error(self, given: int, element: int | None) -> InterfaceError:
        """The error for ``given`` arguments when the count is not the encoder's."""
        suffix = "" if element is None else f" ({_in_element(element).lstrip()})"
        if given > MAX_ARGUMENTS:
            return InterfaceError(f"the number of query arguments cannot exceed {MAX_ARGUMENTS}{suffix}")
        expected = len(self._encoders)
        return InterfaceError(
            f"the server expects {expected} argument{'' if expected == 1 else 's'} for this query, "
            f"{given} {'was' if given == 1 else 'were'} passed{suffix}"
        )

    def _diagnose(self, args: Sequence[Any], error: Exception, element: int | None) -> Exception:
        """Find the argument that failed and describe it."""
        where = _in_element(element)
        for position, (codec, value) in enumerate(zip(self.codecs, args, strict=True), start=1):
            if value is None:
                continue
            try:
                codec.encode(value)
            except (InterfaceError, OutdatedSchemaCacheError) as failure:
                if isinstance(failure, InterfaceError):
                    return failure.with_msg(f"query argument ${position}{where}: {failure.args[0]}")
                return failure
            except PostgresError as failure:
                return failure
            except Exception as failure:
                return data_error(
                    f"invalid input for query argument ${position}{where}: {_shown(value)} ({failure}); "
                    f"parameter type: {codec.display_name}"
                )
        return data_error(f"invalid input for query arguments{where}: {error}")


#: Statements with up to this many parameters have their executemany loop written out.
_MAX_UNROLLED = 32

_UnrolledEncoder = Callable[..., list[tuple[bytes | None, ...]]]


@lru_cache(maxsize=_MAX_UNROLLED + 1)
def _unrolled(count: int) -> _UnrolledEncoder:
    """One list comprehension encoding every argument sequence of ``count`` values.

    The arguments are unpacked into local names and each encoder is called by name, which
    costs about half of :meth:`ParameterEncoder.encode` per sequence (no zip, no inner loop,
    no method call). The source is generated once per parameter count, as
    ``collections.namedtuple`` generates its class. It checks nothing itself: on any exception
    (a sequence of another length, a value its codec refuses) the caller runs the checked loop
    of :meth:`ParameterEncoder.encode_many` to name the element and the fault, and raises.
    """
    names = [f"a{i}" for i in range(count)]
    values = "".join(f"None if {name} is None else e{i}({name}), " for i, name in enumerate(names))
    source = (
        f"def encode(arg_sets{''.join(f', e{i}' for i in range(count))}):\n"
        f"    return [({values}) for {''.join(name + ', ' for name in names) or '() '}in arg_sets]\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # our own source, made from a count only
    encoder: _UnrolledEncoder = namespace["encode"]
    return encoder
