"""The parameter encoder: a statement's arguments in, Bind's parameter values out.

Built once per ParameterDescription (DESIGN section 2): each parameter's codec is chosen
when the encoder is built (binary wherever the registry has it), and :meth:`encode` is one
pass over the arguments. Every argument is encoded before anything is sent, so a bad one
raises ``DataError`` naming its position (``$2``), the PostgreSQL type and the value given,
and the connection has sent nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from pgtypes._codec import Codec, data_error
from pgtypes._registry import TypeRegistry
from pgwire.exceptions import InterfaceError, OutdatedSchemaCacheError, PostgresError

__all__ = ["MAX_ARGUMENTS", "ParameterEncoder"]

#: Bind counts parameters in an Int16.
MAX_ARGUMENTS = 32767


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ParameterEncoder:
    """Encodes the arguments of one statement.

    Attributes:
        codecs: one codec per parameter.
        formats: the format code of each parameter, for Bind's parameter formats.
    """

    __slots__ = ("_encoders", "codecs", "formats")

    def __init__(self, codecs: Sequence[Codec]) -> None:
        """Build the encoder from the codec of each parameter, in order."""
        self.codecs = tuple(codecs)
        self.formats = tuple(codec.format for codec in codecs)
        self._encoders = tuple(codec.encode for codec in codecs)

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

        Raises:
            InterfaceError: the number of arguments is not the number of parameters.
            DataError: an argument cannot be encoded as its parameter's type; the message
                names the argument (``$2``), the type and the value.
            UnsupportedClientFeatureError: an argument of a type this client cannot send
                (for example an anonymous record), with its position in the message.
        """
        encoders = self._encoders
        if len(args) != len(encoders):
            expected = len(encoders)
            raise InterfaceError(
                f"the server expects {expected} argument{'' if expected == 1 else 's'} for this query, "
                f"{len(args)} {'was' if len(args) == 1 else 'were'} passed"
            )
        # strict=False: the lengths were compared just above.
        try:
            pairs = zip(encoders, args, strict=False)
            return tuple([None if value is None else encode(value) for encode, value in pairs])
        except Exception as error:
            raise self._diagnose(args, error) from error

    def encode_many(self, arg_sets: Iterable[Sequence[Any]]) -> list[tuple[bytes | None, ...]]:
        """Encode each argument sequence of ``arg_sets`` (``executemany``), as :meth:`encode` would.

        Raises: as :meth:`encode`, for the first sequence that fails.
        """
        # Read twice when a set fails, which an iterator could not be.
        sets = arg_sets if isinstance(arg_sets, list | tuple) else list(arg_sets)
        encoders = self._encoders
        if len(encoders) <= _MAX_UNROLLED:
            try:
                return _unrolled(len(encoders))(sets, *encoders)
            except Exception:  # encode() below raises the described error
                pass
        return [self.encode(args) for args in sets]

    def _diagnose(self, args: Sequence[Any], error: Exception) -> Exception:
        """Find the argument that failed and describe it."""
        for position, (codec, value) in enumerate(zip(self.codecs, args, strict=True), start=1):
            if value is None:
                continue
            try:
                codec.encode(value)
            except (InterfaceError, OutdatedSchemaCacheError) as failure:
                if isinstance(failure, InterfaceError):
                    return failure.with_msg(f"query argument ${position}: {failure.args[0]}")
                return failure
            except PostgresError as failure:
                return failure
            except Exception as failure:
                return data_error(
                    f"invalid input for query argument ${position} ({codec.display_name}): "
                    f"{_shown(value)} ({failure})"
                )
        return data_error(f"invalid input for query arguments: {error}")


#: Statements with up to this many parameters have their executemany loop written out.
_MAX_UNROLLED = 32

_UnrolledEncoder = Callable[..., list[tuple[bytes | None, ...]]]


@lru_cache(maxsize=_MAX_UNROLLED + 1)
def _unrolled(count: int) -> _UnrolledEncoder:
    """One list comprehension encoding every argument sequence of ``count`` values.

    The arguments are unpacked into local names and each encoder is called by name, which
    costs about half of :meth:`ParameterEncoder.encode` per sequence (no zip, no inner loop,
    no method call). The source is generated once per parameter count, as
    ``collections.namedtuple`` generates its class. It checks nothing itself: any exception
    (a sequence of another length, a value its codec refuses) sends the caller back to
    :meth:`ParameterEncoder.encode`, which describes the fault.
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
