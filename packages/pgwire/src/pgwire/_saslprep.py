"""SASLprep (RFC 4013) of SCRAM passwords, the way PostgreSQL applies it.

SCRAM (RFC 5802, section 2.2) hashes the password after the SASLprep profile of stringprep
(RFC 3454). PostgreSQL's "SCRAM-SHA-256 Authentication" section of the protocol docs adds a
twist: passwords need not be UTF-8, so when the password is not valid UTF-8, or SASLprep
rejects it (a prohibited character, a bidirectional-text violation), the raw bytes are hashed
instead of failing. The server does the same when it stores the verifier, so both sides agree.

The tables are those of RFC 3454 (Unicode 3.2), from the standard library's :mod:`stringprep`.
Normalisation uses the running Python's Unicode version, as PostgreSQL uses its own current
tables; code points unassigned in Unicode 3.2 are prohibited anyway, so the versions agree on
every string that SASLprep accepts.
"""

from __future__ import annotations

import stringprep
import unicodedata
from collections.abc import Callable
from typing import Final

from pgwire._buffer import text

__all__ = ["saslprep", "scram_password_bytes"]

# RFC 4013, section 2.3 "Prohibited Output", and section 2.5 "Unassigned Code Points" (A.1).
# C.1.2 is listed too although step 1 maps those characters to SPACE, as the RFC does.
_PROHIBITED: Final[tuple[tuple[str, Callable[[str], bool]], ...]] = (
    ("C.1.2", stringprep.in_table_c12),
    ("C.2.1", stringprep.in_table_c21),
    ("C.2.2", stringprep.in_table_c22),
    ("C.3", stringprep.in_table_c3),
    ("C.4", stringprep.in_table_c4),
    ("C.5", stringprep.in_table_c5),
    ("C.6", stringprep.in_table_c6),
    ("C.7", stringprep.in_table_c7),
    ("C.8", stringprep.in_table_c8),
    ("C.9", stringprep.in_table_c9),
    ("A.1", stringprep.in_table_a1),
)


def saslprep(value: str) -> str:
    """Prepare ``value`` with SASLprep, following PostgreSQL's ``pg_saslprep``.

    Steps of RFC 3454 section 2: map non-ASCII spaces (C.1.2) to SPACE and drop the "commonly
    mapped to nothing" characters (B.1); normalise with NFKC; prohibit the RFC 4013 output
    tables and unassigned code points; check the bidirectional rule of RFC 3454 section 6.
    Two details follow PostgreSQL rather than a literal reading of the RFC, because the
    password hash must match the verifier PostgreSQL stored: a character in both C.1.2 and
    B.1 (U+200B) becomes SPACE, and the prohibition and bidi checks look at the mapped string
    before normalisation. An empty result is refused, as PostgreSQL refuses it.

    Args:
        value: the text to prepare. Pure ASCII is prepared too (control characters are
            prohibited); :func:`scram_password_bytes` skips ASCII as PostgreSQL does.

    Returns:
        The prepared text.

    Raises:
        ValueError: the text is empty after mapping, contains a prohibited or unassigned code
            point, or breaks the bidi rule. The message names the position and the table,
            never the text, since the text is usually a password.
    """
    # RFC 3454 section 3 "Mapping", with RFC 4013 section 2.1's two mappings.
    mapped = "".join(
        " " if stringprep.in_table_c12(char) else "" if stringprep.in_table_b1(char) else char
        for char in value
    )
    if not mapped:
        raise ValueError("SASLprep: the text is empty after mapping")
    # RFC 3454 section 5 "Prohibited Output"; PostgreSQL checks the mapped input (see above).
    for index, char in enumerate(mapped):
        for table, contains in _PROHIBITED:
            if contains(char):
                raise ValueError(f"SASLprep: prohibited code point at position {index} (RFC 3454 {table})")
    # RFC 3454 section 6 "Bidirectional Characters".
    if any(stringprep.in_table_d1(char) for char in mapped):
        if any(stringprep.in_table_d2(char) for char in mapped):
            raise ValueError("SASLprep: the text mixes right-to-left and left-to-right characters")
        if not (stringprep.in_table_d1(mapped[0]) and stringprep.in_table_d1(mapped[-1])):
            raise ValueError("SASLprep: right-to-left text must start and end with a right-to-left character")
    # RFC 4013 section 2.2 "Normalization": Unicode normalization form KC.
    return unicodedata.normalize("NFKC", mapped)


def scram_password_bytes(password: str) -> bytes:
    """The bytes that SCRAM hashes for ``password``, as PostgreSQL computes them.

    PostgreSQL's protocol docs ("SCRAM-SHA-256 Authentication"): the password is processed
    with SASLprep as if it were UTF-8; if it is not valid UTF-8, or contains sequences that
    SASLprep prohibits, the raw password is used. Pure ASCII is used as it is, like
    ``pg_saslprep``'s fast path. Bytes that are not UTF-8 reach here as lone surrogates
    (``surrogateescape``, the convention of :mod:`pgwire._buffer`) and come back out as the
    original bytes.

    Args:
        password: the password.

    Returns:
        The prepared password as UTF-8, or the raw bytes when SASLprep does not apply.

    Raises:
        LocalProtocolError: the password holds a lone surrogate that does not stand for a raw
            byte, so it cannot be sent at all.
    """
    raw = text(password, "password")
    if raw.isascii():
        return raw
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    try:
        return saslprep(decoded).encode("utf-8")
    except ValueError:
        return raw
