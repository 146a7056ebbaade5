"""pgwire over a blocking socket against a real PostgreSQL server started by pgasync.cluster.

Every password method, simple and extended queries, pipelining, errors in a batch, COPY,
LISTEN/NOTIFY, cancellation, TLS with channel binding and protocol version negotiation.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator

import pytest

import pgwire
from pgasync.cluster import Cluster, ServerUser
from pgwire import exceptions
from pgwire.blocking import BlockingConnection, QueryResult, TlsRefusedError
from tests.conftest import MakeCluster


@pytest.fixture
def session(cluster: Cluster) -> Iterator[BlockingConnection]:
    with BlockingConnection.connect(cluster.host, cluster.port, user="postgres") as connected:
        yield connected


def connect(
    cluster: Cluster, user: ServerUser, password: str | None = None, **options: object
) -> BlockingConnection:
    return BlockingConnection.connect(
        cluster.host,
        cluster.port,
        user=user.name,
        password=user.password if password is None else password,
        database="postgres",
        **options,  # type: ignore[arg-type]  # keyword options of BlockingConnection.connect
    )


def tls_context(cluster: Cluster) -> ssl.SSLContext:
    if cluster.tls is None:
        pytest.skip("this PostgreSQL installation is built without TLS support")
    return ssl.create_default_context(cafile=str(cluster.tls.ca_cert))


def whoami(session: BlockingConnection) -> str | None:
    return session.query("SELECT current_user").rows[0][0]


# -- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["trust", "password", "md5", "scram-sha-256"])
def test_every_password_method_logs_in(
    cluster: Cluster, server_users: dict[str, ServerUser], method: str
) -> None:
    user = server_users[method]
    with connect(cluster, user) as session:
        assert whoami(session) == user.name
        assert session.wire.parameters["server_version"].startswith(cluster.version.split(".")[0])
        assert session.wire.backend_key is not None
        assert session.wire.transaction_status is pgwire.TransactionStatus.IDLE
        # The startup exchange saw the same startup as the connection.
        startup = session.startup
        assert startup is not None
        assert startup.authentication_method == ("none" if method == "trust" else method)
        assert startup.parameters == session.wire.parameters
        assert startup.backend_key == session.wire.backend_key
        assert not startup.is_channel_bound and not session.is_tls


@pytest.mark.parametrize("method", ["password", "md5", "scram-sha-256"])
def test_wrong_password_gives_the_server_error(
    cluster: Cluster, server_users: dict[str, ServerUser], method: str
) -> None:
    with pytest.raises(exceptions.InvalidPasswordError) as caught:
        connect(cluster, server_users[method], password="wrong")
    assert caught.value.sqlstate == "28P01"
    assert server_users[method].name in str(caught.value.message)
    assert "wrong" not in str(caught.value)


def test_reject_rule_refuses(cluster: Cluster, server_users: dict[str, ServerUser]) -> None:
    with pytest.raises(exceptions.InvalidAuthorizationSpecificationError, match="rejects connection"):
        connect(cluster, server_users["reject"])


def test_scram_over_tls_binds_the_channel(cluster: Cluster, server_users: dict[str, ServerUser]) -> None:
    context = tls_context(cluster)
    with connect(cluster, server_users["scram-sha-256"], tls=context, channel_binding="require") as session:
        assert session.is_channel_bound and session.is_tls
        assert session.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows == [("t",)]


def test_channel_binding_required_without_tls_is_refused(
    cluster: Cluster, server_users: dict[str, ServerUser]
) -> None:
    with pytest.raises(pgwire.AuthenticationError):
        connect(cluster, server_users["scram-sha-256"], channel_binding="require")


def test_certificate_authentication(cluster: Cluster, server_users: dict[str, ServerUser]) -> None:
    context = tls_context(cluster)
    user = server_users["cert"]
    assert cluster.tls is not None
    client = cluster.tls.client(user.name)
    context.load_cert_chain(str(client.cert), str(client.key))
    with connect(cluster, user, tls=context) as session:
        assert whoami(session) == user.name


def test_unix_socket(cluster: Cluster) -> None:
    path = str(cluster.socket_dir / f".s.PGSQL.{cluster.port}")
    with BlockingConnection.connect("", 0, user="postgres", unix_socket=path) as session:
        assert session.query("SELECT inet_server_addr()").rows == [(None,)]
        session.cancel()  # over the same Unix socket; nothing runs, so nothing is cancelled
        assert session.query("SELECT 1").rows == [("1",)]


def test_protocol_3_2_request_is_negotiated(cluster: Cluster) -> None:
    # PostgreSQL 18 speaks 3.2; older servers answer NegotiateProtocolVersion with 3.0.
    options = [("_pq_.pgasync_unknown_option", "1")]
    with BlockingConnection.connect(
        cluster.host, cluster.port, user="postgres", protocol_version=pgwire.PROTOCOL_3_2, parameters=options
    ) as session:
        assert session.wire.unsupported_options == ("_pq_.pgasync_unknown_option",)
        expected = pgwire.PROTOCOL_3_2 if cluster.version_info[0] >= 18 else pgwire.PROTOCOL_3_0
        assert session.wire.protocol_version == expected
        assert session.startup is not None
        assert session.startup.protocol_version == expected
        assert session.startup.unsupported_options == ("_pq_.pgasync_unknown_option",)
        assert session.query("SELECT 1").rows == [("1",)]


# -- queries ---------------------------------------------------------------------------------


def test_simple_query_with_several_statements(session: BlockingConnection) -> None:
    results = session.simple_query(
        "CREATE TEMP TABLE t (a int, b text); INSERT INTO t VALUES (1, 'x'), (2, NULL); "
        "SELECT a, b FROM t ORDER BY a"
    )
    assert [r.status for r in results] == ["CREATE TABLE", "INSERT 0 2", "SELECT 2"]
    assert results[2].columns == ("a", "b")
    assert results[2].rows == [("1", "x"), ("2", None)]


def test_empty_query(session: BlockingConnection) -> None:
    session.send(pgwire.Query("  "))
    assert isinstance(session.next_event(), pgwire.EmptyQueryResponse)
    assert isinstance(session.next_event(), pgwire.ReadyForQuery)


def test_simple_query_error_leaves_the_connection_usable(session: BlockingConnection) -> None:
    with pytest.raises(exceptions.UndefinedTableError) as caught:
        session.simple_query("SELECT 1; SELECT * FROM no_such_table; SELECT 2")
    assert caught.value.position == "25"  # 1-based, in characters
    assert caught.value.query is not None
    assert session.wire.is_ready
    assert session.simple_query("SELECT 3")[0].rows == [("3",)]


def test_extended_query_with_parameters(session: BlockingConnection) -> None:
    result = session.query("SELECT $1::int * 2, $2::text || '!', $3::text IS NULL", "21", "héllo", None)
    assert result.rows == [("42", "héllo!", "t")]
    assert result.status == "SELECT 1"


def test_many_rows_arrive_in_batches(session: BlockingConnection) -> None:
    result = session.query("SELECT g, repeat('x', g % 50) FROM generate_series(1, 20000) g")
    assert len(result.rows) == 20000
    assert result.rows[-1] == ("20000", "")
    assert result.rows[48] == ("49", "x" * 49)


def test_pipelined_batch_with_an_error_in_the_middle(session: BlockingConnection) -> None:
    outcomes = session.pipeline(
        [
            ("SELECT $1::int", ["1"]),
            ("SELECT 1 / $1::int", ["0"]),
            ("SELEC broken", []),
            ("SELECT $1::text", ["after"]),
        ]
    )
    assert isinstance(outcomes[0], QueryResult) and outcomes[0].rows == [("1",)]
    assert isinstance(outcomes[1], exceptions.DivisionByZeroError)
    assert isinstance(outcomes[2], exceptions.PostgresSyntaxError)
    assert isinstance(outcomes[3], QueryResult) and outcomes[3].rows == [("after",)]
    assert session.wire.pending_requests == 0


def test_error_inside_one_sync_skips_the_rest_of_it(session: BlockingConnection) -> None:
    session.send(
        # random() is volatile, so the division is not folded at Bind time: Execute fails.
        pgwire.Parse("", "SELECT 1 / (random() * 0)::int"),
        pgwire.Bind("", ""),
        pgwire.Execute(),
        pgwire.Parse("", "SELECT 'never'"),
        pgwire.Bind("", ""),
        pgwire.Execute(),
        pgwire.Sync(),
    )
    events = []
    while not isinstance(event := session.next_event(), pgwire.ReadyForQuery):
        events.append(type(event))
    assert events == [pgwire.ParseComplete, pgwire.BindComplete, pgwire.ErrorResponse]


def test_server_error_fields(session: BlockingConnection) -> None:
    session.simple_query("CREATE TEMP TABLE u (id int PRIMARY KEY CHECK (id > 0))")
    session.query("INSERT INTO u VALUES (1)")
    with pytest.raises(exceptions.UniqueViolationError) as caught:
        session.query("INSERT INTO u VALUES (1)")
    error = caught.value
    assert (error.table_name, error.constraint_name, error.sqlstate) == ("u", "u_pkey", "23505")
    assert error.detail == "Key (id)=(1) already exists."
    assert error.schema_name is not None and error.schema_name.startswith("pg_temp")
    assert error.severity == "ERROR"


# -- COPY, notifications, cancellation -------------------------------------------------------


def test_copy_in_and_out(session: BlockingConnection) -> None:
    session.simple_query("CREATE TEMP TABLE c (a int, b text)")
    chunks = [f"{i}\trow {i}\n".encode() for i in range(1000)]
    assert (
        session.copy_in("COPY c FROM STDIN", [b"".join(chunks[:500]), b"".join(chunks[500:])]) == "COPY 1000"
    )
    data, status = session.copy_out("COPY (SELECT * FROM c ORDER BY a) TO STDOUT")
    assert status == "COPY 1000"
    assert data == b"".join(chunks)


def test_copy_fail_and_bad_data_abort_the_copy(session: BlockingConnection) -> None:
    session.simple_query("CREATE TEMP TABLE cf (a int)")
    with pytest.raises(exceptions.QueryCanceledError, match="client gave up"):
        session.copy_in("COPY cf FROM STDIN", [b"1\n"], fail="client gave up")
    with pytest.raises(exceptions.InvalidTextRepresentationError):
        session.copy_in("COPY cf FROM STDIN", [b"1\n", b"not a number\n", b"3\n"])
    assert session.query("SELECT count(*) FROM cf").rows == [("0",)]


def test_listen_notify(cluster: Cluster, session: BlockingConnection) -> None:
    session.simple_query("LISTEN pgasync_channel")
    with BlockingConnection.connect(cluster.host, cluster.port, user="postgres") as other:
        other.query("SELECT pg_notify('pgasync_channel', $1)", "payload ü")
        sender = other.wire.backend_key
    notification = session.wait_for_notification()
    assert notification.channel == "pgasync_channel"
    assert notification.payload == "payload ü"
    assert sender is not None and notification.process_id == sender.process_id


def test_notice_is_delivered(session: BlockingConnection) -> None:
    session.simple_query("DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$")
    assert [n.message for n in session.notices] == ["hello 42"]
    assert session.notices[0].sqlstate == "00000"


def test_cancel_request_stops_pg_sleep(session: BlockingConnection) -> None:
    session.send(pgwire.Query("SELECT pg_sleep(30)"))
    started = time.monotonic()
    canceller = threading.Timer(0.3, session.cancel)
    canceller.start()
    try:
        with pytest.raises(exceptions.QueryCanceledError, match="canceling statement due to user request"):
            raise next(o for o in session.collect("SELECT pg_sleep(30)") if isinstance(o, Exception))
    finally:
        canceller.join()
    assert time.monotonic() - started < 20
    assert session.query("SELECT 'still usable'").rows == [("still usable",)]


def test_terminated_backend_closes_the_connection(cluster: Cluster, session: BlockingConnection) -> None:
    key = session.wire.backend_key
    assert key is not None
    with BlockingConnection.connect(cluster.host, cluster.port, user="postgres") as admin:
        admin.query("SELECT pg_terminate_backend($1::int)", str(key.process_id))
    event = session.next_event()
    assert isinstance(event, pgwire.ErrorResponse)
    assert event.sqlstate == "57P01"
    assert isinstance(session.next_event(), pgwire.ConnectionClosed)
    assert session.wire.phase is pgwire.Phase.CLOSED


# -- the blocking client's own behaviour -------------------------------------------------------


def test_server_without_tls(make_cluster: MakeCluster) -> None:
    plain = make_cluster()  # ssl = off: the server answers SSLRequest with 'N'
    context = ssl.create_default_context()
    with pytest.raises(TlsRefusedError, match="refused TLS"):
        BlockingConnection.connect(plain.host, plain.port, user="postgres", tls=context)
    with BlockingConnection.connect(
        plain.host, plain.port, user="postgres", tls=context, tls_required=False
    ) as session:
        assert not session.is_tls and session.tls_server_end_point() is None
        assert session.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows == [("f",)]


def test_trace_sees_every_message_both_ways(cluster: Cluster) -> None:
    seen: list[tuple[str, str]] = []
    with BlockingConnection.connect(
        cluster.host, cluster.port, user="postgres", trace=lambda way, m: seen.append((way, type(m).__name__))
    ) as session:
        assert seen[0] == ("->", "StartupMessage") and seen[-1] == ("<-", "ReadyForQuery")
        assert ("<-", "AuthenticationOk") in seen and ("<-", "BackendKeyData") in seen
        seen.clear()
        session.send(pgwire.Query("SELECT 1"))
        events = session.read_until_ready()
    assert [type(e).__name__ for e in events] == [
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "ReadyForQuery",
    ]
    assert seen == [("->", "Query"), *(("<-", type(e).__name__) for e in events), ("->", "Terminate")]


def test_copy_helpers_refuse_statements_that_are_not_copy(session: BlockingConnection) -> None:
    with pytest.raises(pgwire.InterfaceError, match="did not start a COPY"):
        session.copy_out("SELECT 1")
    with pytest.raises(exceptions.UndefinedTableError):
        session.copy_out("COPY no_such_table TO STDOUT")
    with pytest.raises(exceptions.UndefinedTableError):
        session.copy_in("COPY no_such_table FROM STDIN", [b"1\n"])
    assert session.wire.is_ready and session.query("SELECT 2").rows == [("2",)]


def test_lost_connection_is_reported_and_close_is_idempotent(cluster: Cluster) -> None:
    session = BlockingConnection.connect(cluster.host, cluster.port, user="postgres")
    key = session.wire.backend_key
    assert key is not None
    with BlockingConnection.connect(cluster.host, cluster.port, user="postgres") as admin:
        admin.query("SELECT pg_terminate_backend($1::int)", str(key.process_id))
    with pytest.raises(exceptions.AdminShutdownError):
        session.wait_for_notification()
    with pytest.raises(exceptions.ConnectionDoesNotExistError, match="closed the connection"):
        session.wait_for_notification()
    with pytest.raises(exceptions.ConnectionDoesNotExistError):
        session.simple_query("SELECT 1")  # the socket's end was seen: nothing is sent
    session.close()
    session.close()
