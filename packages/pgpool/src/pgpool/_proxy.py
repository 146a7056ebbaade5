"""``PoolConnectionProxy``: what ``pool.acquire()`` hands out, in place of the connection.

Every public method of the connection is reachable through the proxy while it is acquired.
Once released, calling any of them raises ``InterfaceError`` at once (synchronously, before
anything is awaited), so code that kept a reference cannot use a connection that now serves
someone else. Other attributes are forwarded as they are. The wrappers are made per
connection class, the first time that class is pooled, keeping each method's name,
docstring and signature.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pgconn import Connection
from pgwire.exceptions import InterfaceError

if TYPE_CHECKING:
    from pgpool._core import Slot

    # For type checkers the proxy has the connection's methods; at run time it forwards them.
    _ProxyBase = Connection
else:
    _ProxyBase = object

__all__ = ["PoolConnectionProxy", "proxy_class_for"]


def _released(name: str) -> InterfaceError:
    return InterfaceError(f"cannot call Connection.{name}(): connection has been released back to the pool")


def _wrap(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        def call_async(self: PoolConnectionProxy, *args: Any, **kwargs: Any) -> Any:
            connection = self._connection
            if connection is None:
                raise _released(name)
            return getattr(connection, name)(*args, **kwargs)

        mark = getattr(inspect, "markcoroutinefunction", None)  # Python 3.12+
        if mark is not None:
            mark(call_async)
        return call_async

    @functools.wraps(method)
    def call(self: PoolConnectionProxy, *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if connection is None:
            raise _released(name)
        return getattr(connection, name)(*args, **kwargs)

    return call


class PoolConnectionProxy(_ProxyBase):
    """An acquired connection of a pool: what ``pool.acquire()`` gives.

    It has every public method of the pool's connection class, with the same arguments,
    results and errors (and, for type checkers, the types of :class:`pgconn.Connection`'s).
    Once released, each of them raises ``InterfaceError`` (``connection has been released
    back to the pool``) at once, and objects made through it (transactions, prepared
    statements, cursors) stop working. Made by the pool, not directly.
    """

    __slots__ = ("__weakref__", "_acquire_timeout", "_connection", "_pool", "_slot")

    def __init__(self, pool: Any, slot: Slot, timeout: float | None = None) -> None:
        self._pool = pool
        #: The acquire's timeout, also release()'s default (as in asyncpg).
        self._acquire_timeout = timeout
        self._slot: Slot | None = slot
        self._connection: Connection | None = slot.connection

    def __repr__(self) -> str:
        if self._connection is None:
            return f"<PoolConnectionProxy [released] {id(self):#x}>"
        return f"<PoolConnectionProxy {self._connection!r} {id(self):#x}>"

    def __getattr__(self, name: str) -> Any:
        # Only reached for what the class does not define: attributes of the connection.
        connection = object.__getattribute__(self, "_connection")
        if connection is None:
            raise _released(name)
        return getattr(connection, name)

    def _detach(self) -> Slot | None:
        """Release: the proxy forgets its connection; the slot it held, or None if released."""
        slot, self._slot, self._connection = self._slot, None, None
        return slot

    @property
    def _con(self) -> Connection | None:
        """The raw connection (asyncpg's name), None once released."""
        return self._connection


_proxy_classes: dict[type[Connection], type[PoolConnectionProxy]] = {}


def proxy_class_for(connection_class: type[Connection]) -> type[PoolConnectionProxy]:
    """A proxy class with a checked wrapper for every public method of ``connection_class``."""
    known = _proxy_classes.get(connection_class)
    if known is not None:
        return known
    namespace: dict[str, Any] = {"__slots__": ()}
    for name, member in inspect.getmembers(connection_class, callable):
        if name.startswith("_") or isinstance(inspect.getattr_static(connection_class, name), property):
            continue
        namespace[name] = _wrap(name, member)
    made = type(f"PoolConnectionProxy[{connection_class.__name__}]", (PoolConnectionProxy,), namespace)
    _proxy_classes[connection_class] = made
    return made
