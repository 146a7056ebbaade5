"""Every exception pgwire defines, in one public module (the counterpart of ``asyncpg.exceptions``).

Server errors and notices: :class:`PostgresError` and one subclass per SQLSTATE (for example
``UniqueViolationError`` for 23505), :class:`PostgresLogMessage` and :class:`PostgresWarning`.
Client-side errors: :class:`InterfaceError` and its family, :class:`InternalClientError` and
:class:`ProtocolError`. ``PostgresMessage``, the common base of server errors and notices, can be
imported from here but is left out of ``__all__``, as asyncpg does, and so are the mixin
``InterfaceMessage`` and the metaclass ``PostgresMessageMeta``.
"""

from __future__ import annotations

from pgwire._client_errors import (
    ClientConfigurationError,
    InterfaceError,
    InterfaceWarning,
    InternalClientError,
    LocalProtocolError,
    OutdatedSchemaCacheError,
    ProtocolError,
    RemoteProtocolError,
    TargetServerAttributeNotMatched,
    UnsupportedClientFeatureError,
    UnsupportedServerFeatureError,
)
from pgwire._client_errors import (
    InterfaceMessage as InterfaceMessage,
)
from pgwire._postgres_message import (
    FatalPostgresError,
    PostgresError,
    PostgresLogMessage,
    PostgresWarning,
    UnknownPostgresError,
)
from pgwire._postgres_message import (
    PostgresMessage as PostgresMessage,
)
from pgwire._postgres_message import (
    PostgresMessageMeta as PostgresMessageMeta,
)
from pgwire._sqlstate import *  # noqa: F403  # the generated classes; their names are in _sqlstate.__all__

# The generated names first, imported under their own name: that is the form in which type
# checkers learn a module's exports from another module's __all__ (mypy does), so that
# ``from pgwire.exceptions import *`` gives them every SQLSTATE class too. The list below is a
# new one (the generated module's list is left as it is).
from pgwire._sqlstate import __all__ as __all__

__all__ = [
    *__all__,
    "ClientConfigurationError",
    "FatalPostgresError",
    "InterfaceError",
    "InterfaceWarning",
    "InternalClientError",
    "LocalProtocolError",
    "OutdatedSchemaCacheError",
    "PostgresError",
    "PostgresLogMessage",
    "PostgresWarning",
    "ProtocolError",
    "RemoteProtocolError",
    "TargetServerAttributeNotMatched",
    "UnknownPostgresError",
    "UnsupportedClientFeatureError",
    "UnsupportedServerFeatureError",
]
