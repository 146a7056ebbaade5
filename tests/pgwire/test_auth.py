"""SCRAM-SHA-256(-PLUS) exchanges: the client and the server role, and the messages between them.

The vector is RFC 7677's (section 3). Client and server meet in memory; no PostgreSQL server is
needed. SASLprep, MD5, the channel binding hash and the client's policy driver are tested in
``test_auth_methods.py``.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pgwire._auth import ClientAuthenticator
from pgwire._auth_errors import AuthenticationError
from pgwire._client_errors import (
    ClientConfigurationError,
    InterfaceError,
    InternalClientError,
    LocalProtocolError,
    RemoteProtocolError,
)
from pgwire._saslprep import scram_password_bytes
from pgwire._scram import (
    SCRAM_SHA_256,
    SCRAM_SHA_256_PLUS,
    ChannelBinding,
    ScramClient,
    client_proof,
    salted_password,
    server_signature,
)
from pgwire._scram_server import ScramServer, ScramVerifier, scram_verifier

# RFC 7677, section 3.
RFC_CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
RFC_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_FIRST = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
RFC_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

PASSWORD = "correct horse battery staple"
CERT_HASH = hashlib.sha256(b"server certificate").digest()


def verifier(password: str = PASSWORD) -> ScramVerifier:
    # Few iterations keep the tests fast; the count is carried in the messages like any other.
    return ScramVerifier.from_password(password, b"0123456789abcdef", 2)


def exchange(client: ScramClient, server: ScramServer) -> None:
    mechanism, client_first = client.initial_response()
    server_first = server.server_first(mechanism, client_first)
    server_final = server.server_final(client.continue_(server_first))
    client.finish(server_final)


def started(password: str = PASSWORD) -> tuple[ScramClient, ScramServer, bytes]:
    """A client and server after the first round trip; returns the client-final-message."""
    client = ScramClient(password, [SCRAM_SHA_256], nonce="clientnonce")
    server = ScramServer(verifier(), nonce="servernonce")
    mechanism, client_first = client.initial_response()
    return client, server, client.continue_(server.server_first(mechanism, client_first))


# --- RFC 7677 test vector ---------------------------------------------------------------------


def test_rfc7677_vector_through_the_scram_functions() -> None:
    salted = salted_password("pencil", RFC_SALT, 4096)
    bare = RFC_CLIENT_FIRST.removeprefix(b"n,,")
    without_proof = RFC_CLIENT_FINAL.rpartition(b",p=")[0]
    auth_message = bare + b"," + RFC_SERVER_FIRST + b"," + without_proof
    assert base64.b64encode(client_proof(salted, auth_message)) == RFC_CLIENT_FINAL.rpartition(b",p=")[2]
    assert b"v=" + base64.b64encode(server_signature(salted, auth_message)) == RFC_SERVER_FINAL


def test_rfc7677_vector_through_the_client() -> None:
    client = ScramClient("pencil", [SCRAM_SHA_256], nonce=RFC_CLIENT_NONCE, username="user")
    assert client.initial_response() == (SCRAM_SHA_256, RFC_CLIENT_FIRST)
    assert client.continue_(RFC_SERVER_FIRST) == RFC_CLIENT_FINAL
    finished_before = client.is_finished
    client.finish(RFC_SERVER_FINAL)
    assert (finished_before, client.is_finished) == (False, True)
    assert not client.is_channel_bound


def test_rfc7677_vector_through_the_server() -> None:
    server = ScramServer(ScramVerifier.from_password("pencil", RFC_SALT, 4096), nonce=RFC_SERVER_NONCE)
    assert server.mechanisms == (SCRAM_SHA_256,)
    assert server.server_first(SCRAM_SHA_256, RFC_CLIENT_FIRST) == RFC_SERVER_FIRST
    assert server.server_final(RFC_CLIENT_FINAL) == RFC_SERVER_FINAL
    assert server.is_finished


# --- the PostgreSQL shape: empty user name, GS2 header by channel binding -----------------------


@pytest.mark.parametrize(
    ("offered", "binding_data", "policy", "mechanism", "header"),
    [
        ([SCRAM_SHA_256], None, "prefer", SCRAM_SHA_256, b"n,,"),
        ([SCRAM_SHA_256_PLUS, SCRAM_SHA_256], None, "prefer", SCRAM_SHA_256, b"n,,"),
        (
            [SCRAM_SHA_256_PLUS, SCRAM_SHA_256],
            CERT_HASH,
            "prefer",
            SCRAM_SHA_256_PLUS,
            b"p=tls-server-end-point,,",
        ),
        (
            [SCRAM_SHA_256_PLUS, SCRAM_SHA_256],
            CERT_HASH,
            "require",
            SCRAM_SHA_256_PLUS,
            b"p=tls-server-end-point,,",
        ),
        ([SCRAM_SHA_256], CERT_HASH, "prefer", SCRAM_SHA_256, b"y,,"),
        ([SCRAM_SHA_256_PLUS, SCRAM_SHA_256], CERT_HASH, "disable", SCRAM_SHA_256, b"n,,"),
        ([SCRAM_SHA_256], CERT_HASH, "disable", SCRAM_SHA_256, b"n,,"),
    ],
)
def test_mechanism_and_gs2_header(
    offered: list[str], binding_data: bytes | None, policy: ChannelBinding, mechanism: str, header: bytes
) -> None:
    client = ScramClient(
        "pw", offered, channel_binding_data=binding_data, channel_binding=policy, nonce="abc"
    )
    assert client.initial_response() == (mechanism, header + b"n=,r=abc")


def test_default_nonce_is_random_base64_of_18_bytes() -> None:
    first = ScramClient("pw", [SCRAM_SHA_256]).initial_response()[1]
    second = ScramClient("pw", [SCRAM_SHA_256]).initial_response()[1]
    nonce = first.removeprefix(b"n,,n=,r=")
    assert len(base64.b64decode(nonce, validate=True)) == 18
    assert first != second


@pytest.mark.parametrize(
    ("offered", "binding_data", "reason"),
    [
        ([SCRAM_SHA_256], None, "no TLS server certificate hash"),
        ([SCRAM_SHA_256_PLUS, SCRAM_SHA_256], None, "no TLS server certificate hash"),
        ([SCRAM_SHA_256], CERT_HASH, "did not offer SCRAM-SHA-256-PLUS"),
    ],
)
def test_channel_binding_require_that_cannot_be_met(
    offered: list[str], binding_data: bytes | None, reason: str
) -> None:
    with pytest.raises(AuthenticationError, match="channel binding is required, but") as info:
        ScramClient("pw", offered, channel_binding_data=binding_data, channel_binding="require")
    assert reason in str(info.value)
    assert isinstance(info.value, InternalClientError)


def test_client_argument_errors() -> None:
    with pytest.raises(AuthenticationError, match="none of the server's SASL"):
        ScramClient("pw", ["OAUTHBEARER"])
    with pytest.raises(AuthenticationError, match="none of the server's SASL"):
        ScramClient("pw", [SCRAM_SHA_256_PLUS])  # PLUS alone, and no TLS to bind to
    with pytest.raises(ClientConfigurationError, match="channel_binding must be one of"):
        ScramClient("pw", [SCRAM_SHA_256], channel_binding="always")  # type: ignore[arg-type]  # the wrong value under test
    for nonce in ("", "a,b", "caf\u00e9", "a b"):
        with pytest.raises(InterfaceError, match="nonce"):
            ScramClient("pw", [SCRAM_SHA_256], nonce=nonce)
    with pytest.raises(InterfaceError, match="must not be empty"):
        ScramClient("pw", [SCRAM_SHA_256], channel_binding_data=b"")


# --- client and server in memory ----------------------------------------------------------------


def test_scram_exchange_in_memory() -> None:
    client = ScramClient(PASSWORD, ScramServer(verifier()).mechanisms)
    server = ScramServer(verifier())
    exchange(client, server)
    assert client.is_finished and server.is_finished
    assert repr(client) == "<ScramClient SCRAM-SHA-256 finished>"


def test_scram_plus_exchange_with_matching_binding_data() -> None:
    server = ScramServer(str(verifier()), channel_binding_data=CERT_HASH)
    assert server.mechanisms == (SCRAM_SHA_256_PLUS, SCRAM_SHA_256)
    client = ScramClient(
        PASSWORD, server.mechanisms, channel_binding_data=CERT_HASH, channel_binding="require"
    )
    exchange(client, server)
    assert client.mechanism == SCRAM_SHA_256_PLUS
    assert client.is_channel_bound


def test_scram_plus_with_other_binding_data_fails_on_the_server() -> None:
    server = ScramServer(verifier(), channel_binding_data=CERT_HASH)
    client = ScramClient(PASSWORD, server.mechanisms, channel_binding_data=hashlib.sha256(b"mitm").digest())
    with pytest.raises(AuthenticationError, match="channel binding check failed"):
        exchange(client, server)
    assert not server.is_finished and not client.is_finished


def test_stripped_plus_is_detected_by_the_server() -> None:
    # A man in the middle removed SCRAM-SHA-256-PLUS from the list the client saw.
    server = ScramServer(verifier(), channel_binding_data=CERT_HASH)
    client = ScramClient(PASSWORD, [SCRAM_SHA_256], channel_binding_data=CERT_HASH)
    with pytest.raises(AuthenticationError, match="channel binding negotiation error"):
        exchange(client, server)


def test_client_without_tls_still_works_with_a_plus_server() -> None:
    server = ScramServer(verifier(), channel_binding_data=CERT_HASH)
    client = ScramClient(PASSWORD, server.mechanisms)
    exchange(client, server)
    assert client.mechanism == SCRAM_SHA_256 and not client.is_channel_bound


@pytest.mark.parametrize(
    ("mechanism", "client_first", "message"),
    [
        (SCRAM_SHA_256_PLUS, b"n,,n=,r=abc", "unsupported SASL mechanism"),
        (SCRAM_SHA_256, b"p=tls-server-end-point,,n=,r=abc", "asks for channel binding"),
        ("OAUTHBEARER", b"n,,n=,r=abc", "unsupported SASL mechanism"),
        (SCRAM_SHA_256, b"q,,n=,r=abc", "invalid GS2 header"),
        (SCRAM_SHA_256, b"n,a=bob,n=,r=abc", "authorization identities"),
        (SCRAM_SHA_256, b"n,,r=abc", "expected attribute 'n'"),
        (SCRAM_SHA_256, b"n,,n=", "'r' is missing"),
        (SCRAM_SHA_256, b"n,,n=,r=a b", "invalid nonce"),
        (SCRAM_SHA_256, b"n,,m=ext,n=,r=abc", "extension"),
        (SCRAM_SHA_256, b"n,,n=\xff,r=abc", "not valid UTF-8"),
    ],
)
def test_server_rejects_bad_client_first(mechanism: str, client_first: bytes, message: str) -> None:
    with pytest.raises(AuthenticationError, match=re.escape(message)):
        ScramServer(verifier()).server_first(mechanism, client_first)


def test_plus_server_checks_flag_and_binding_type() -> None:
    with pytest.raises(AuthenticationError, match="does not use channel binding"):
        ScramServer(verifier(), channel_binding_data=CERT_HASH).server_first(SCRAM_SHA_256_PLUS, b"n,,n=,r=a")
    with pytest.raises(AuthenticationError, match="unsupported SCRAM channel binding type 'tls-unique'"):
        ScramServer(verifier(), channel_binding_data=CERT_HASH).server_first(
            SCRAM_SHA_256_PLUS, b"p=tls-unique,,n=,r=a"
        )


# --- wrong passwords, tampering, malformed messages ---------------------------------------------


def test_wrong_password_is_a_wrong_proof_on_the_server() -> None:
    _, server, client_final = started("not the password")
    with pytest.raises(AuthenticationError, match="client proof does not match") as info:
        server.server_final(client_final)
    assert not server.is_finished
    assert "not the password" not in str(info.value)


def test_server_that_does_not_know_the_password_fails_the_signature_check() -> None:
    # An impostor accepts any proof and signs with keys from another password.
    client, _, client_final = started()
    impostor = salted_password("guess", b"0123456789abcdef", 2)
    without_proof = client_final.rpartition(b",p=")[0]
    auth_message = (
        b"n=,r=clientnonce,r=clientnonceservernonce,s=MDEyMzQ1Njc4OWFiY2RlZg==,i=2," + without_proof
    )
    forged = b"v=" + base64.b64encode(server_signature(impostor, auth_message))
    with pytest.raises(AuthenticationError) as info:
        client.finish(forged)
    assert str(info.value) == (
        "server signature does not match: the server does not know the password, "
        "or the connection was tampered with"
    )
    assert not client.is_finished


def test_tampered_server_signature() -> None:
    client, server, client_final = started()
    signature = bytearray(base64.b64decode(server.server_final(client_final)[2:]))
    signature[0] ^= 1
    with pytest.raises(AuthenticationError, match="server signature does not match"):
        client.finish(b"v=" + base64.b64encode(bytes(signature)))


@pytest.mark.parametrize(
    "server_first",
    [
        b"r=someoneelse123,s=MDEy,i=4096",  # does not start with our nonce
        b"r=clientnonce,s=MDEy,i=4096",  # adds nothing of its own
        b"r=clientnonc,s=MDEy,i=4096",  # shorter than ours
    ],
)
def test_server_nonce_must_extend_the_client_nonce(server_first: bytes) -> None:
    client = ScramClient(PASSWORD, [SCRAM_SHA_256], nonce="clientnonce")
    client.initial_response()
    with pytest.raises(AuthenticationError, match="server nonce does not extend the client nonce"):
        client.continue_(server_first)


def test_server_rejects_a_changed_nonce_in_client_final() -> None:
    _, server, client_final = started()
    tampered = client_final.replace(b"r=clientnonceservernonce", b"r=clientnonceservernoncf")
    with pytest.raises(AuthenticationError, match="nonce mismatch"):
        server.server_final(tampered)


@pytest.mark.parametrize(
    ("server_first", "message"),
    [
        (b"", "not x=value"),
        (b"garbage", "not x=value"),
        (b"r=clientnonceX", "'s' is missing"),
        (b"r=clientnonceX,s=MDEy", "'i' is missing"),
        (b"s=MDEy,r=clientnonceX,i=1", "expected attribute 'r'"),
        (b"r=clientnonceX,s=MDEy,i=0", "invalid iteration count '0'"),
        (b"r=clientnonceX,s=MDEy,i=-1", "invalid iteration count '-1'"),
        (b"r=clientnonceX,s=MDEy,i=+5", "invalid iteration count"),
        (b"r=clientnonceX,s=MDEy,i=abc", "invalid iteration count"),
        (b"r=clientnonceX,s=MDEy,i=4294967296", "invalid iteration count"),
        (b"r=clientnonceX,s=!!!!,i=1", "salt is not valid base64"),
        (b"r=clientnonceX,s=MDE,i=1", "salt is not valid base64"),
        (b"m=ext,r=clientnonceX,s=MDEy,i=1", "requires an extension"),
        (b"r=clientnonce\xff,s=MDEy,i=1", "not valid UTF-8"),
        (b"r=clientnonce\x7f,s=MDEy,i=1", "nonce is not visible ASCII"),
    ],
)
def test_malformed_server_first(server_first: bytes, message: str) -> None:
    client = ScramClient(PASSWORD, [SCRAM_SHA_256], nonce="clientnonce")
    client.initial_response()
    with pytest.raises(AuthenticationError, match=re.escape(message)):
        client.continue_(server_first)


def test_server_first_extensions_are_ignored() -> None:
    client = ScramClient("pencil", [SCRAM_SHA_256], nonce=RFC_CLIENT_NONCE, username="user")
    client.initial_response()
    client.continue_(RFC_SERVER_FIRST + b",x=extension")
    # The extension is part of the AuthMessage, so the RFC signature no longer matches.
    with pytest.raises(AuthenticationError, match="server signature does not match"):
        client.finish(RFC_SERVER_FINAL)


@pytest.mark.parametrize(
    ("server_final", "message"),
    [
        (b"", "not x=value"),
        (b"x=1", "expected attribute 'v'"),
        (b"v=!!!", "signature is not valid base64"),
        (b"v=\xfe", "not valid UTF-8"),
        (b"e=invalid-proof", "the server rejected the SCRAM exchange: invalid-proof"),
        (b"e=other-error,x=1", "the server rejected the SCRAM exchange: other-error"),
    ],
)
def test_bad_server_final(server_final: bytes, message: str) -> None:
    client, _, _ = started()
    with pytest.raises(AuthenticationError, match=re.escape(message)):
        client.finish(server_final)
    assert not client.is_finished


@pytest.mark.parametrize(
    ("client_final", "message"),
    [
        (b"c=biws,r=clientnonceservernonce", "the proof (p=) must be the last"),
        (b"p=AAAA", "the proof (p=) must be the last"),
        (b"r=clientnonceservernonce,p=AAAA", "expected attribute 'c'"),
        (b"c=!!,r=clientnonceservernonce,p=AAAA", "channel binding is not valid base64"),
        (b"c=eSws,r=clientnonceservernonce,p=AAAA", "channel binding check failed"),  # "y,,"
        (b"c=biws,r=clientnonceservernonce,p=AAAA", "the proof must be 32 bytes"),
        (b"c=biws,r=clientnonceservernonce,p=!!", "proof is not valid base64"),
    ],
)
def test_malformed_client_final(client_final: bytes, message: str) -> None:
    _, server, _ = started()
    with pytest.raises(AuthenticationError, match=re.escape(message)):
        server.server_final(client_final)


def test_steps_out_of_order() -> None:
    client = ScramClient(PASSWORD, [SCRAM_SHA_256])
    with pytest.raises(RemoteProtocolError, match="server-first-message"):
        client.continue_(RFC_SERVER_FIRST)
    client.initial_response()
    with pytest.raises(LocalProtocolError, match="already sent"):
        client.initial_response()
    with pytest.raises(RemoteProtocolError, match="server-final-message"):
        client.finish(RFC_SERVER_FINAL)
    server = ScramServer(verifier())
    with pytest.raises(RemoteProtocolError, match="client-final-message"):
        server.server_final(RFC_CLIENT_FINAL)
    server.server_first(SCRAM_SHA_256, b"n,,n=,r=abc")
    with pytest.raises(RemoteProtocolError, match="client-first-message"):
        server.server_first(SCRAM_SHA_256, b"n,,n=,r=abc")


# --- verifiers ----------------------------------------------------------------------------------


def test_verifier_text_round_trip() -> None:
    text = scram_verifier("pencil", RFC_SALT, 4096)
    assert re.fullmatch(
        r"SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=", text
    )
    parsed = ScramVerifier.parse(text)
    assert str(parsed) == text
    assert parsed == ScramVerifier.from_password("pencil", RFC_SALT, 4096)
    assert base64.b64encode(parsed.stored_key).decode() not in repr(parsed)
    assert len(ScramVerifier.from_password("pw").salt) == 16
    assert ScramVerifier.from_password("pw").salt != ScramVerifier.from_password("pw").salt


@pytest.mark.parametrize(
    "text",
    [
        "md5" + "0" * 32,
        "SCRAM-SHA-256$4096:c2FsdA==$AAAA",
        "SCRAM-SHA-256$0:c2FsdA==$" + "A" * 43 + "=:" + "A" * 43 + "=",
        "SCRAM-SHA-256$4096:!!$" + "A" * 43 + "=:" + "A" * 43 + "=",
        "SCRAM-SHA-256$4096:c2FsdA==$AAAA:" + "A" * 43 + "=",
    ],
)
def test_bad_verifier_text(text: str) -> None:
    with pytest.raises(ClientConfigurationError):
        ScramVerifier.parse(text)
    with pytest.raises(ClientConfigurationError):
        ScramServer(text)


def test_iteration_count_must_be_positive() -> None:
    with pytest.raises(InterfaceError, match="at least 1"):
        scram_verifier("pw", b"salt", 0)


def test_equivalent_passwords_authenticate() -> None:
    client = ScramClient("\u2168", [SCRAM_SHA_256])
    exchange(client, ScramServer(ScramVerifier.from_password("IX", b"salt", 1)))
    assert client.is_finished


def test_errors_never_contain_the_password() -> None:
    secret = "s3cr\u00e9t-password"
    failures: list[Exception] = []
    for attempt in (
        lambda: exchange(ScramClient(secret, [SCRAM_SHA_256]), ScramServer(verifier())),
        lambda: ScramClient(secret, [SCRAM_SHA_256], channel_binding="require"),
        lambda: ClientAuthenticator("alice", secret, require_auth="md5").cleartext(),
        lambda: ClientAuthenticator("alice", secret, channel_binding="require").md5(b"salt"),
    ):
        with pytest.raises(AuthenticationError) as info:
            attempt()
        failures.append(info.value)
    for error in failures:
        assert secret not in str(error) and secret not in repr(error)
        assert all(secret not in str(arg) for arg in error.args)


# --- property: client and server agree ----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(password=st.text(max_size=40), other=st.text(max_size=40), plus=st.booleans())
def test_client_and_server_agree_on_any_password(password: str, other: str, plus: bool) -> None:
    binding = CERT_HASH if plus else None
    stored = ScramVerifier.from_password(password, b"salt", 1)
    client = ScramClient(password, [SCRAM_SHA_256_PLUS, SCRAM_SHA_256], channel_binding_data=binding)
    server = ScramServer(stored, channel_binding_data=binding)
    exchange(client, server)
    assert client.is_finished and server.is_finished
    assert client.is_channel_bound is plus

    assume(scram_password_bytes(other) != scram_password_bytes(password))
    with pytest.raises(AuthenticationError, match="client proof does not match"):
        exchange(ScramClient(other, [SCRAM_SHA_256]), ScramServer(stored))
