"""Authentication helpers around SCRAM: SASLprep, MD5, tls-server-end-point and the client's policy.

The SASLprep cases are RFC 4013's examples (section 3) plus PostgreSQL's raw-bytes fallback;
the policy follows libpq's ``require_auth`` and ``channel_binding``. The SCRAM exchanges
themselves are tested in ``test_auth.py``.
"""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from pgwire import tls_server_end_point_data
from pgwire._auth import AUTH_METHODS, ClientAuthenticator, parse_require_auth
from pgwire._auth_errors import AuthenticationError
from pgwire._client_errors import (
    ClientConfigurationError,
    InterfaceError,
    LocalProtocolError,
    RemoteProtocolError,
    UnsupportedServerFeatureError,
)
from pgwire._md5 import md5_password, md5_verifier, verify_md5_response
from pgwire._saslprep import saslprep, scram_password_bytes
from pgwire._scram import SCRAM_SHA_256, tls_server_end_point_hash
from pgwire._scram_server import ScramServer, ScramVerifier, scram_verifier

PASSWORD = "correct horse battery staple"
CERT_HASH = hashlib.sha256(b"server certificate").digest()


def verifier() -> ScramVerifier:
    # Few iterations keep the tests fast.
    return ScramVerifier.from_password(PASSWORD, b"0123456789abcdef", 2)


# --- SASLprep -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "prepared"),
    [
        ("I\u00adX", "IX"),  # soft hyphen mapped to nothing
        ("user", "user"),
        ("USER", "USER"),  # case is kept
        ("\u00aa", "a"),  # NFKC
        ("\u2168", "IX"),  # NFKC
        ("a\u00a0b", "a b"),  # non-ASCII space mapped to SPACE
        ("a\u200bb", "a b"),  # in both C.1.2 and B.1: PostgreSQL maps it to SPACE
        ("\u05d0\u05d1", "\u05d0\u05d1"),  # right-to-left only
    ],
)
def test_saslprep(text: str, prepared: str) -> None:
    assert saslprep(text) == prepared


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\u0007", "prohibited code point at position 0 (RFC 3454 C.2.1)"),
        ("ab\ue000", "prohibited code point at position 2 (RFC 3454 C.3)"),
        ("\u0221", "prohibited code point at position 0 (RFC 3454 A.1)"),  # unassigned in Unicode 3.2
        ("\u0627\u0031", "must start and end with a right-to-left"),
        ("\u05d0a\u05d1", "mixes right-to-left and left-to-right"),
        ("\u00ad", "empty after mapping"),
    ],
)
def test_saslprep_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        saslprep(text)


@pytest.mark.parametrize(
    ("password", "hashed"),
    [
        ("pencil", b"pencil"),
        ("\u0007", b"\x07"),  # ASCII is used as it is (pg_saslprep's fast path)
        ("\u2168", b"IX"),
        ("I\u00adX", b"IX"),
        ("\u00aa\u0007", "\u00aa\u0007".encode()),  # prohibited: raw, so not "a\x07"
        ("\u0627\u0031", "\u0627\u0031".encode()),  # bidi rule broken: raw
        ("\u00ad", b"\xc2\xad"),  # empty after mapping: raw
        ("caf\udce9", b"caf\xe9"),  # Latin-1 bytes, not UTF-8: raw
    ],
)
def test_scram_password_bytes(password: str, hashed: bytes) -> None:
    assert scram_password_bytes(password) == hashed


def test_password_that_cannot_be_encoded() -> None:
    with pytest.raises(LocalProtocolError, match="password cannot be encoded") as info:
        scram_password_bytes("x\ud800")
    assert "x\ud800" not in str(info.value)


# --- MD5 ----------------------------------------------------------------------------------------


def test_md5_password() -> None:
    salt = b"\x01\x02\x03\x04"
    inner = hashlib.md5(b"secret" + b"alice").hexdigest().encode()
    by_hand = "md5" + hashlib.md5(inner + salt).hexdigest()
    assert md5_password("alice", "secret", salt) == by_hand
    assert md5_password("alice", "secret", salt) == "md598a0412b9c31436fc53776e863350083"
    assert md5_verifier("alice", "secret") == "md54a0a68b43b6cd5cf266fa02f196e2371"
    assert md5_password("alice", "secret", b"\x01\x02\x03\x05") != by_hand
    assert md5_password("bob", "secret", salt) != by_hand


def test_md5_server_check() -> None:
    salt = b"salt"
    stored = md5_verifier("alice", "secret")
    assert verify_md5_response(stored, salt, md5_password("alice", "secret", salt))
    assert not verify_md5_response(stored, salt, md5_password("alice", "wrong", salt))
    assert not verify_md5_response(stored, b"SALT", md5_password("alice", "secret", salt))
    with pytest.raises(ClientConfigurationError, match="not an MD5 verifier"):
        verify_md5_response(scram_verifier("secret"), salt, "md5")
    with pytest.raises(InterfaceError, match="must be 4 bytes, got 3"):
        md5_password("alice", "secret", b"abc")


# --- tls-server-end-point -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("md5", "sha256"),
        ("sha1", "sha256"),
        ("SHA-1", "sha256"),
        ("sha224", "sha224"),
        ("sha256", "sha256"),
        ("SHA384", "sha384"),
        ("sha512", "sha512"),
        ("sha3-256", "sha3_256"),
    ],
)
def test_tls_server_end_point_hash_rule(algorithm: str, digest: str) -> None:
    assert tls_server_end_point_hash(b"DER", algorithm) == hashlib.new(digest, b"DER").digest()


@pytest.mark.parametrize("algorithm", [None, "", "shake256", "blake2b"])
def test_tls_server_end_point_hash_undefined(algorithm: str | None) -> None:
    with pytest.raises(UnsupportedServerFeatureError, match="not defined"):
        tls_server_end_point_hash(b"DER", algorithm)


Signature = hashes.SHA256 | hashes.SHA384 | hashes.SHA512


def make_certificate(algorithm: Signature | None) -> x509.Certificate:
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    key = (
        ed25519.Ed25519PrivateKey.generate() if algorithm is None else ec.generate_private_key(ec.SECP256R1())
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pgwire test")])
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    return builder.sign(key, algorithm)


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [(hashes.SHA256(), "sha256"), (hashes.SHA384(), "sha384"), (hashes.SHA512(), "sha512")],
)
def test_tls_server_end_point_hash_with_real_certificates(algorithm: Signature, digest: str) -> None:
    certificate = make_certificate(algorithm)
    der = certificate.public_bytes(serialization.Encoding.DER)
    hash_name = certificate.signature_hash_algorithm.name if certificate.signature_hash_algorithm else None
    assert tls_server_end_point_hash(der, hash_name) == hashlib.new(digest, der).digest()
    # The DER reader finds the same hash without an X.509 library.
    assert tls_server_end_point_data(der) == hashlib.new(digest, der).digest()


def test_tls_server_end_point_hash_ed25519_is_undefined() -> None:
    certificate = make_certificate(None)
    assert certificate.signature_hash_algorithm is None
    with pytest.raises(UnsupportedServerFeatureError):
        tls_server_end_point_hash(certificate.public_bytes(serialization.Encoding.DER), None)
    # No binding (plain SCRAM-SHA-256) rather than an error, when only the DER is known.
    assert tls_server_end_point_data(certificate.public_bytes(serialization.Encoding.DER)) is None


@pytest.mark.parametrize("der", [None, b"", b"\x30", b"\x30\x82\xff\xff", b"\x04\x00", b"not a certificate"])
def test_tls_server_end_point_data_of_no_or_broken_certificate_is_none(der: bytes | None) -> None:
    assert tls_server_end_point_data(der) is None


# --- ClientAuthenticator ------------------------------------------------------------------------


def sasl_login(auth: ClientAuthenticator, server: ScramServer) -> None:
    mechanism, client_first = auth.sasl_start(server.mechanisms)
    server_first = server.server_first(mechanism, client_first)
    auth.sasl_final(server.server_final(auth.sasl_continue(server_first)))


def test_authenticator_answers_each_method() -> None:
    assert ClientAuthenticator("alice", "secret").cleartext() == "secret"
    assert (
        ClientAuthenticator("alice", "secret").md5(b"\x01\x02\x03\x04")
        == "md598a0412b9c31436fc53776e863350083"
    )
    auth = ClientAuthenticator("alice", PASSWORD, nonce="fixed")
    mechanism, client_first = auth.sasl_start([SCRAM_SHA_256])
    assert (mechanism, client_first) == (SCRAM_SHA_256, b"n,,n=,r=fixed")
    auth = ClientAuthenticator("alice", PASSWORD)
    sasl_login(auth, ScramServer(verifier()))
    auth.ok()
    assert "correct horse" not in repr(auth)


def test_authenticator_ok_without_sasl_final_is_an_error() -> None:
    auth = ClientAuthenticator("alice", PASSWORD)
    server = ScramServer(verifier())
    mechanism, client_first = auth.sasl_start(server.mechanisms)
    auth.sasl_continue(server.server_first(mechanism, client_first))
    with pytest.raises(AuthenticationError, match="before finishing the SCRAM exchange"):
        auth.ok()


def test_authenticator_sasl_steps_out_of_place() -> None:
    auth = ClientAuthenticator("alice", PASSWORD)
    with pytest.raises(RemoteProtocolError, match="without starting a SASL exchange"):
        auth.sasl_continue(b"r=x,s=MDEy,i=1")
    with pytest.raises(RemoteProtocolError, match="without starting a SASL exchange"):
        auth.sasl_final(b"v=AAAA")
    auth.sasl_start([SCRAM_SHA_256])
    with pytest.raises(RemoteProtocolError, match="second SASL"):
        auth.sasl_start([SCRAM_SHA_256])


def test_authenticator_without_password() -> None:
    auth = ClientAuthenticator("alice", None)
    for request in (auth.cleartext, lambda: auth.md5(b"salt"), lambda: auth.sasl_start([SCRAM_SHA_256])):
        with pytest.raises(AuthenticationError, match="no password was supplied"):
            request()
    ClientAuthenticator("alice", None).ok()  # trust authentication needs no password


@pytest.mark.parametrize(
    ("require_auth", "allowed"),
    [
        (None, AUTH_METHODS),
        ("", AUTH_METHODS),
        ("scram-sha-256", {"scram-sha-256"}),
        ("md5, scram-sha-256", {"md5", "scram-sha-256"}),
        ("!password", AUTH_METHODS - {"password"}),
        ("!none", AUTH_METHODS - {"none"}),
        ("!password,!md5", {"gss", "sspi", "scram-sha-256", "none"}),
    ],
)
def test_parse_require_auth(require_auth: str | None, allowed: set[str]) -> None:
    assert parse_require_auth(require_auth) == allowed


@pytest.mark.parametrize(
    ("require_auth", "message"),
    [
        ("kerberos", "invalid require_auth method 'kerberos'"),
        ("md5,md5", "listed more than once"),
        ("md5,!password", "cannot mix"),
        ("md5,", "invalid require_auth method ''"),
    ],
)
def test_parse_require_auth_errors(require_auth: str, message: str) -> None:
    with pytest.raises(ClientConfigurationError, match=re.escape(message)):
        parse_require_auth(require_auth)


def test_require_auth_policy() -> None:
    with pytest.raises(
        AuthenticationError, match='requirement "!password" failed: the server requested password'
    ):
        ClientAuthenticator("alice", "secret", require_auth="!password").cleartext()
    with pytest.raises(AuthenticationError, match="requested md5"):
        ClientAuthenticator("alice", "secret", require_auth="scram-sha-256").md5(b"salt")
    with pytest.raises(AuthenticationError, match="did not complete authentication"):
        ClientAuthenticator("alice", "secret", require_auth="scram-sha-256").ok()
    with pytest.raises(AuthenticationError, match="requested gss"):
        ClientAuthenticator("alice", "secret", require_auth="!gss").check_method("gss")
    with pytest.raises(InterfaceError, match="unknown authentication method"):
        ClientAuthenticator("alice", "secret").check_method("scram")
    ClientAuthenticator("alice", "secret", require_auth="scram-sha-256,none").ok()
    auth = ClientAuthenticator("alice", PASSWORD, require_auth="scram-sha-256")
    sasl_login(auth, ScramServer(verifier()))
    auth.ok()


def test_channel_binding_require_policy() -> None:
    def bound() -> ClientAuthenticator:
        return ClientAuthenticator(
            "alice", PASSWORD, channel_binding_data=CERT_HASH, channel_binding="require"
        )

    # Nothing derived from the password goes to a server that asks for cleartext or MD5.
    with pytest.raises(
        AuthenticationError, match="channel binding is required, but the server requested password"
    ):
        bound().cleartext()
    with pytest.raises(AuthenticationError, match="requested md5"):
        bound().md5(b"salt")
    with pytest.raises(AuthenticationError, match="authenticated the client without channel binding"):
        bound().ok()
    with pytest.raises(AuthenticationError, match="did not offer SCRAM-SHA-256-PLUS"):
        bound().sasl_start([SCRAM_SHA_256])
    auth = bound()
    sasl_login(auth, ScramServer(verifier(), channel_binding_data=CERT_HASH))
    auth.ok()
    with pytest.raises(ClientConfigurationError, match="channel_binding must be one of"):
        ClientAuthenticator("alice", "pw", channel_binding="on")  # type: ignore[arg-type]  # the wrong value under test
