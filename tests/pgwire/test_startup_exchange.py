"""StartupExchange: startup and authentication as one sans-IO exchange.

A client connection and a server connection meet in memory; the server side is scripted per
test with pgwire's own server-side pieces (ScramServer, verify_md5_response). The exchange
against a real server (every method, TLS with channel binding) is tested through the blocking
client in tests/live and through pgconn in tests/pgconn/test_connect*.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

import pgwire
from pgwire import exceptions

IDLE = pgwire.ReadyForQuery(pgwire.TransactionStatus.IDLE)
KEY = pgwire.BackendKeyData(4242, b"\x00\x00\x00\x07")
AFTER_OK: tuple[pgwire.BackendMessage, ...] = (
    pgwire.AuthenticationOk(),
    pgwire.ParameterStatus("server_version", "17.2"),
    pgwire.ParameterStatus("client_encoding", "UTF8"),
    KEY,
    IDLE,
)

# The server's answer to each frontend message it receives, and what it sends first.
Script = Callable[[pgwire.FrontendMessage], Sequence[pgwire.BackendMessage]]


class Pair:
    """A client connection driven by a StartupExchange, and a scripted server, in memory."""

    def __init__(self, exchange: pgwire.StartupExchange, script: Script) -> None:
        self.exchange = exchange
        self.client = pgwire.ClientConnection()
        self.server = pgwire.ServerConnection()
        self.script = script
        self.sent: list[pgwire.FrontendMessage] = []

    def to_server(self, message: pgwire.FrontendMessage) -> None:
        self.sent.append(message)
        self.server.receive_data(self.client.send(message))
        while (received := self.server.next_event()) is not pgwire.NEED_DATA:
            assert isinstance(received, pgwire.FrontendMessage)
            answer = self.script(received)
            if answer:
                self.client.receive_data(self.server.send_many(answer))

    def run(self) -> pgwire.StartupResult:
        self.to_server(self.exchange.start())
        while not self.exchange.is_done:
            event = self.client.next_event()
            assert event is not pgwire.NEED_DATA, "the exchange waits for an answer that never comes"
            answer = self.exchange.receive(event)
            if answer is not None:
                self.to_server(answer)
        return self.exchange.result


def test_scram_exchange_gives_the_startup_result() -> None:
    scram = pgwire.ScramServer(pgwire.ScramVerifier.from_password("s3cret"))

    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        if isinstance(message, pgwire.StartupMessage):
            assert message.parameters == (("user", "alice"), ("database", "app"), ("TimeZone", "UTC"))
            return [pgwire.AuthenticationSASL(scram.mechanisms)]
        if isinstance(message, pgwire.SASLInitialResponse):
            assert message.data is not None
            return [pgwire.AuthenticationSASLContinue(scram.server_first(message.mechanism, message.data))]
        assert isinstance(message, pgwire.SASLResponse)
        return [pgwire.AuthenticationSASLFinal(scram.server_final(message.data)), *AFTER_OK]

    exchange = pgwire.StartupExchange("alice", "s3cret", database="app", parameters=[("TimeZone", "UTC")])
    pair = Pair(exchange, server)
    result = pair.run()
    assert scram.is_finished
    assert [type(m) for m in pair.sent] == [
        pgwire.StartupMessage,
        pgwire.SASLInitialResponse,
        pgwire.SASLResponse,
    ]
    assert result == pgwire.StartupResult(
        parameters={"server_version": "17.2", "client_encoding": "UTF8"},
        backend_key=KEY,
        protocol_version=pgwire.PROTOCOL_3_0,
        unsupported_options=(),
        transaction_status=pgwire.TransactionStatus.IDLE,
        authentication_method="scram-sha-256",
        is_channel_bound=False,
    )
    assert pair.client.is_ready and pair.client.parameters == result.parameters
    assert "s3cret" not in repr(exchange) and "done" in repr(exchange)


@pytest.mark.parametrize("method", ["md5", "password"])
def test_password_methods(method: str) -> None:
    salt = b"\x01\x02\x03\x04"
    verifier = pgwire.md5_verifier("bob", "hunter2")

    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        if isinstance(message, pgwire.StartupMessage):
            if method == "md5":
                return [pgwire.AuthenticationMD5Password(salt)]
            return [pgwire.AuthenticationCleartextPassword()]
        assert isinstance(message, pgwire.PasswordMessage)
        if method == "md5":
            assert pgwire.verify_md5_response(verifier, salt, message.password)
        else:
            assert message.password == "hunter2"
        return AFTER_OK

    result = Pair(pgwire.StartupExchange("bob", "hunter2"), server).run()
    assert result.authentication_method == method and result.backend_key == KEY


def test_trust_and_notices_and_protocol_negotiation() -> None:
    notice = pgwire.NoticeResponse((("S", "NOTICE"), ("C", "00000"), ("M", "welcome")))

    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        assert isinstance(message, pgwire.StartupMessage)
        assert message.protocol_version == pgwire.PROTOCOL_3_2
        negotiate = pgwire.NegotiateProtocolVersion(0, ("_pq_.unknown",))
        return [negotiate, notice, *AFTER_OK]

    exchange = pgwire.StartupExchange(
        "carol", parameters=[("_pq_.unknown", "1")], protocol_version=pgwire.PROTOCOL_3_2
    )
    pair = Pair(exchange, server)
    result = pair.run()
    assert result.authentication_method == "none"
    assert result.protocol_version == pgwire.PROTOCOL_3_0 == pair.client.protocol_version
    assert result.unsupported_options == ("_pq_.unknown",)
    assert result.notices == (notice,)


def test_an_offer_below_the_minimum_version_ends_the_startup() -> None:
    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        assert isinstance(message, pgwire.StartupMessage)
        return [pgwire.NegotiateProtocolVersion(0, ()), pgwire.AuthenticationCleartextPassword()]

    exchange = pgwire.StartupExchange(
        "carol",
        "secret",
        protocol_version=pgwire.PROTOCOL_3_2,
        min_protocol_version=pgwire.PROTOCOL_3_2,
    )
    with pytest.raises(
        exceptions.ClientCannotConnectError, match=r"only supports protocol version 3\.0.*set to 3\.2"
    ):
        Pair(exchange, server).run()
    assert not exchange.is_done


def test_server_error_is_raised_as_its_sqlstate_class() -> None:
    refused = pgwire.ErrorResponse(
        (
            ("S", "FATAL"),
            ("V", "FATAL"),
            ("C", "28P01"),
            ("M", 'password authentication failed for user "dave"'),
        )
    )

    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        if isinstance(message, pgwire.StartupMessage):
            return [pgwire.AuthenticationCleartextPassword()]
        return [refused]

    with pytest.raises(exceptions.InvalidPasswordError, match="dave"):
        Pair(pgwire.StartupExchange("dave", "wrong"), server).run()


def test_require_auth_refuses_before_anything_is_sent() -> None:
    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        return [pgwire.AuthenticationCleartextPassword()]

    pair = Pair(pgwire.StartupExchange("erin", "pw", require_auth="scram-sha-256"), server)
    with pytest.raises(pgwire.AuthenticationError, match="requested password authentication"):
        pair.run()
    assert [type(m) for m in pair.sent] == [pgwire.StartupMessage]  # no password went out


def test_channel_binding_require_without_tls_refuses_plain_scram() -> None:
    scram = pgwire.ScramServer(pgwire.ScramVerifier.from_password("pw"))

    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        return [pgwire.AuthenticationSASL(scram.mechanisms)]

    pair = Pair(pgwire.StartupExchange("frank", "pw", channel_binding="require"), server)
    with pytest.raises(pgwire.AuthenticationError):
        pair.run()
    assert len(pair.sent) == 1


def test_scram_plus_with_channel_binding_data() -> None:
    binding = b"\x5a" * 32
    scram = pgwire.ScramServer(pgwire.ScramVerifier.from_password("pw"), channel_binding_data=binding)

    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        if isinstance(message, pgwire.StartupMessage):
            return [pgwire.AuthenticationSASL(scram.mechanisms)]
        if isinstance(message, pgwire.SASLInitialResponse):
            assert message.mechanism == pgwire.SCRAM_SHA_256_PLUS
            assert message.data is not None
            return [pgwire.AuthenticationSASLContinue(scram.server_first(message.mechanism, message.data))]
        assert isinstance(message, pgwire.SASLResponse)
        return [pgwire.AuthenticationSASLFinal(scram.server_final(message.data)), *AFTER_OK]

    exchange = pgwire.StartupExchange("gina", "pw", channel_binding_data=binding, channel_binding="require")
    result = Pair(exchange, server).run()
    assert result.is_channel_bound and result.authentication_method == "scram-sha-256"


def test_ok_before_the_scram_exchange_finished_is_refused() -> None:
    def server(message: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        if isinstance(message, pgwire.StartupMessage):
            return [pgwire.AuthenticationSASL((pgwire.SCRAM_SHA_256,))]
        return list(AFTER_OK)  # an impostor: AuthenticationOk without proving anything

    with pytest.raises(pgwire.AuthenticationError, match="never proved"):
        Pair(pgwire.StartupExchange("hal", "pw"), server).run()


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (pgwire.AuthenticationGSS(), "GSS"),
        (pgwire.AuthenticationSSPI(), "SSPI"),
        (pgwire.AuthenticationKerberosV5(), "KerberosV5"),
    ],
)
def test_unsupported_methods(request_: pgwire.BackendMessage, message: str) -> None:
    def server(received: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        return [request_]

    with pytest.raises(pgwire.InterfaceError, match=f"unsupported authentication method .*: {message}$"):
        Pair(pgwire.StartupExchange("ivy", "pw"), server).run()


def test_gss_refused_by_require_auth_says_so_first() -> None:
    def server(received: pgwire.FrontendMessage) -> Sequence[pgwire.BackendMessage]:
        return [pgwire.AuthenticationGSS()]

    with pytest.raises(pgwire.AuthenticationError, match="requested gss authentication"):
        Pair(pgwire.StartupExchange("ivy", "pw", require_auth="md5"), server).run()


def test_closed_connection_and_misuse() -> None:
    exchange = pgwire.StartupExchange("jo")
    with pytest.raises(pgwire.LocalProtocolError, match="not started"):
        exchange.receive(IDLE)
    with pytest.raises(pgwire.LocalProtocolError, match="not done"):
        _ = exchange.result
    exchange.start()
    with pytest.raises(pgwire.LocalProtocolError, match="already started"):
        exchange.start()
    with pytest.raises(exceptions.ConnectionDoesNotExistError, match="during startup"):
        exchange.receive(pgwire.ConnectionClosed())
    with pytest.raises(pgwire.RemoteProtocolError, match="unexpected DataRowBatch"):
        exchange.receive(pgwire.DataRowBatch(b"", (), ()))
    assert exchange.receive(IDLE) is None
    with pytest.raises(pgwire.LocalProtocolError, match="already done"):
        exchange.receive(IDLE)
    with pytest.raises(pgwire.InterfaceError, match="non-empty"):
        pgwire.StartupExchange("")
    with pytest.raises(pgwire.ClientConfigurationError, match="channel_binding"):
        pgwire.StartupExchange("jo", channel_binding="always")  # type: ignore[arg-type]  # the error under test
