"""The error raised when an authentication exchange fails on this side.

One class covers every method (cleartext, MD5, SCRAM) and both roles: the client that checks
the server (a wrong SCRAM server signature, a tampered nonce, a policy the server cannot meet)
and a fake server or proxy that checks a client (a wrong SCRAM proof). Messages never contain
the password or anything derived from it.
"""

from __future__ import annotations

from pgwire._client_errors import InterfaceMessage, InternalClientError

__all__ = ["AuthenticationError"]


class AuthenticationError(InterfaceMessage, InternalClientError):
    """Authentication could not be completed: the peer failed a check or broke the exchange.

    Like the other client-side errors, ``str()`` adds ``DETAIL:`` and ``HINT:`` lines when
    ``detail`` or ``hint`` is set. A server that rejects the client's credentials reports it with
    an ``ErrorResponse`` instead (SQLSTATE 28P01), which is a server error, not this class.
    """
