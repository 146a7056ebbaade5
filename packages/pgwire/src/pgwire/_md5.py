"""MD5 password authentication: the client's response and the server's check.

PostgreSQL's "Password Authentication" section: the server sends ``AuthenticationMD5Password``
with a 4-byte random salt; the client answers with the text
``"md5" + hex(md5(hex(md5(password + user)) + salt))``. The server stores
``"md5" + hex(md5(password + user))`` (the ``rolpassword`` of ``pg_authid``), so it can check the
answer without knowing the password. Text is hashed as UTF-8, the client encoding pgwire uses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

from pgwire._buffer import text
from pgwire._client_errors import ClientConfigurationError, InterfaceError

__all__ = ["md5_password", "md5_verifier", "verify_md5_response"]

SALT_LENGTH: Final = 4
_VERIFIER: Final = re.compile(r"md5[0-9a-f]{32}", re.ASCII)


def _hex_md5(data: bytes) -> bytes:
    # Not a security use in Python's sense: the protocol fixes MD5 (needed for FIPS builds).
    return hashlib.md5(data, usedforsecurity=False).hexdigest().encode("ascii")


def _salted(inner_hex: bytes, salt: bytes) -> str:
    if len(salt) != SALT_LENGTH:
        raise InterfaceError(f"the MD5 salt must be {SALT_LENGTH} bytes, got {len(salt)}")
    return "md5" + _hex_md5(inner_hex + salt).decode("ascii")


def md5_verifier(user: str, password: str) -> str:
    """The MD5 verifier PostgreSQL stores for ``user``: ``"md5" + hex(md5(password + user))``.

    Args:
        user: the role name, as sent in the startup message.
        password: the password.

    Returns:
        The 35-character verifier.

    Raises:
        LocalProtocolError: ``user`` or ``password`` cannot be encoded as UTF-8.
    """
    return "md5" + _hex_md5(text(password, "password") + text(user, "user name")).decode("ascii")


def md5_password(user: str, password: str, salt: bytes) -> str:
    """The client's answer to ``AuthenticationMD5Password``, sent in a ``PasswordMessage``.

    Args:
        user: the role name, as sent in the startup message.
        password: the password.
        salt: the 4 bytes from the server's request.

    Returns:
        ``"md5"`` followed by 32 lowercase hex digits.

    Raises:
        InterfaceError: ``salt`` is not 4 bytes long.
        LocalProtocolError: ``user`` or ``password`` cannot be encoded as UTF-8.
    """
    return _salted(md5_verifier(user, password)[3:].encode("ascii"), salt)


def verify_md5_response(verifier: str, salt: bytes, response: str) -> bool:
    """The server's check of a client's MD5 answer against the stored verifier.

    Args:
        verifier: the stored ``"md5..."`` verifier (see :func:`md5_verifier`).
        salt: the 4 bytes the server sent in ``AuthenticationMD5Password``.
        response: the password text the client sent back.

    Returns:
        Whether the client knows the password. The comparison takes constant time.

    Raises:
        ClientConfigurationError: ``verifier`` is not an MD5 verifier (a SCRAM verifier cannot
            check an MD5 answer; PostgreSQL then fails the login).
        InterfaceError: ``salt`` is not 4 bytes long.
    """
    if not _VERIFIER.fullmatch(verifier):
        raise ClientConfigurationError('not an MD5 verifier: expected "md5" and 32 lowercase hex digits')
    expected = _salted(verifier[3:].encode("ascii"), salt)
    return hmac.compare_digest(expected.encode("ascii"), text(response, "MD5 response"))
