"""The ``tls-server-end-point`` channel binding data of the server's certificate.

SCRAM-SHA-256-PLUS binds authentication to the TLS connection with a hash of the server's
certificate, computed with the hash of the certificate's own signature algorithm (RFC 5929
section 4.1). Finding that algorithm needs only the outer layer of the certificate's DER:
``Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }``, so it
is read here without an X.509 library, and without ``ssl``: the caller passes the DER bytes
(``ssl.SSLSocket.getpeercert(binary_form=True)``, or the ``ssl_object`` of an asyncio transport).
"""

from __future__ import annotations

from typing import Final

from pgwire._scram import tls_server_end_point_hash

__all__ = ["signature_hash_name", "tls_server_end_point_data"]

# Signature algorithm OIDs (DER content bytes) -> the hash they use (RFC 4055, RFC 5758).
_HASH_BY_OID: Final = {
    bytes.fromhex("2a864886f70d010104"): "md5",  # md5WithRSAEncryption
    bytes.fromhex("2a864886f70d010105"): "sha1",  # sha1WithRSAEncryption
    bytes.fromhex("2a864886f70d01010b"): "sha256",  # sha256WithRSAEncryption
    bytes.fromhex("2a864886f70d01010c"): "sha384",
    bytes.fromhex("2a864886f70d01010d"): "sha512",
    bytes.fromhex("2a864886f70d01010e"): "sha224",
    bytes.fromhex("2a8648ce3d0401"): "sha1",  # ecdsa-with-SHA1
    bytes.fromhex("2a8648ce3d040301"): "sha224",  # ecdsa-with-SHA224
    bytes.fromhex("2a8648ce3d040302"): "sha256",
    bytes.fromhex("2a8648ce3d040303"): "sha384",
    bytes.fromhex("2a8648ce3d040304"): "sha512",
}


def _read(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``pos``."""
    tag = der[pos]
    length = der[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[pos : pos + count], "big")
        pos += count
    if pos + length > len(der):
        raise ValueError("truncated DER element")
    return tag, pos, pos + length


def signature_hash_name(der_certificate: bytes) -> str | None:
    """The hash of the certificate's signature algorithm (``sha256``), or None if unknown."""
    try:
        tag, start, _ = _read(der_certificate, 0)  # Certificate
        if tag != 0x30:
            return None
        _, _, tbs_end = _read(der_certificate, start)  # tbsCertificate
        tag, algorithm_start, _ = _read(der_certificate, tbs_end)  # signatureAlgorithm
        if tag != 0x30:
            return None
        tag, oid_start, oid_end = _read(der_certificate, algorithm_start)
        if tag != 0x06:
            return None
    except (IndexError, ValueError):
        return None
    return _HASH_BY_OID.get(der_certificate[oid_start:oid_end])


def tls_server_end_point_data(der_certificate: bytes | None) -> bytes | None:
    """The ``tls-server-end-point`` channel binding data of a server certificate.

    The certificate's signature algorithm is read from its DER, so no X.509 library is needed;
    :func:`tls_server_end_point_hash` is the same computation with the hash name given.

    Args:
        der_certificate: the server's certificate, DER-encoded, or None (no certificate).

    Returns:
        The data for ``channel_binding_data`` (of :class:`ClientAuthenticator` or
        :class:`StartupExchange`); None (no binding: plain SCRAM-SHA-256) when there is no
        certificate, or for signature algorithms that RFC 5929 gives no binding for or that
        this reader does not know (RSASSA-PSS, Ed25519). Never raises.
    """
    if not der_certificate:
        return None
    name = signature_hash_name(der_certificate)
    if name is None:
        return None
    return tls_server_end_point_hash(der_certificate, name)
