"""Tests for pgwire.protocol.auth: md5 passwords, SASLprep and the SCRAM-SHA-256 client."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pgwire.errors import OperationalError
from pgwire.protocol.auth import ScramClient, md5_password, saslprep

# RFC 7677, section 3.
RFC_USER = "user"
RFC_PASSWORD = "pencil"
RFC_CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def scram_server(
    password: bytes, client_first_bare: bytes, server_first: bytes, client_final: bytes
) -> bytes | None:
    """The server's side of SCRAM-SHA-256: verify the proof, return server-final.

    Returns None when the client's proof is wrong.
    """
    attrs = dict(part.split(b"=", 1) for part in server_first.split(b","))
    salted = hashlib.pbkdf2_hmac(
        "sha256", password, base64.b64decode(attrs[b"s"]), int(attrs[b"i"])
    )
    stored_key = hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    without_proof, _, proof_b64 = client_final.rpartition(b",p=")
    auth_message = client_first_bare + b"," + server_first + b"," + without_proof
    signature = hmac.new(stored_key, auth_message, "sha256").digest()
    client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof_b64), signature, strict=True))
    if hashlib.sha256(client_key).digest() != stored_key:
        return None
    return b"v=" + base64.b64encode(hmac.new(server_key, auth_message, "sha256").digest())


def test_reference_server_agrees_with_rfc_7677() -> None:
    # The test's own server side is checked against the published vector first.
    bare = f"n={RFC_USER},r={RFC_CLIENT_NONCE}".encode()
    got = scram_server(RFC_PASSWORD.encode(), bare, RFC_SERVER_FIRST, RFC_CLIENT_FINAL)
    assert got == RFC_SERVER_FINAL


# --- md5 -------------------------------------------------------------------------------


def _expected_md5(user: str, password: str, salt: bytes) -> bytes:
    inner = hashlib.md5((password + user).encode()).hexdigest()
    return b"md5" + hashlib.md5(inner.encode() + salt).hexdigest().encode()


def test_md5_password_known_value() -> None:
    got = md5_password("postgres", "secret", b"\x01\x02\x03\x04")
    assert got == _expected_md5("postgres", "secret", b"\x01\x02\x03\x04")
    assert got.startswith(b"md5") and len(got) == 35
    int(got[3:], 16)  # lowercase hex


def test_md5_password_non_ascii() -> None:
    assert md5_password("rené", "pässwörd", b"\xff\x00\xfe\x01") == _expected_md5(
        "rené", "pässwörd", b"\xff\x00\xfe\x01"
    )


@settings(max_examples=50, deadline=None)
@given(
    user=st.text(max_size=20),
    password=st.text(max_size=20),
    salt=st.binary(min_size=4, max_size=4),
)
def test_md5_password_matches_definition(user: str, password: str, salt: bytes) -> None:
    assert md5_password(user, password, salt) == _expected_md5(user, password, salt)


# --- SCRAM-SHA-256 ---------------------------------------------------------------------


def test_scram_rfc_7677_vector() -> None:
    client = ScramClient(RFC_PASSWORD, nonce=RFC_CLIENT_NONCE)
    # PostgreSQL ignores the SCRAM user name, so the client sends an empty one;
    # the RFC's vector was computed with "user", so put that name back.
    assert client.first_message() == b"n,,n=,r=" + RFC_CLIENT_NONCE.encode()
    client._first_bare = f"n={RFC_USER},r={RFC_CLIENT_NONCE}"
    assert client.final_message(RFC_SERVER_FIRST) == RFC_CLIENT_FINAL
    client.verify_server_final(RFC_SERVER_FINAL)


def test_scram_exchange_with_empty_user_name() -> None:
    client = ScramClient("pencil", nonce="clientnonce123")
    first = client.first_message()
    assert first == b"n,,n=,r=clientnonce123"
    server_first = b"r=clientnonce123SERVER,s=" + base64.b64encode(b"saltsalt") + b",i=4096"
    final = client.final_message(server_first)
    assert final.startswith(b"c=biws,r=clientnonce123SERVER,p=")
    server_final = scram_server(b"pencil", first[3:], server_first, final)
    assert server_final is not None, "the client's proof is wrong"
    client.verify_server_final(server_final)
    # The wrong password gives a proof the server rejects.
    assert scram_server(b"pencil2", first[3:], server_first, final) is None


def test_scram_server_final_with_extensions_is_accepted() -> None:
    client = ScramClient(RFC_PASSWORD, nonce=RFC_CLIENT_NONCE)
    client._first_bare = f"n={RFC_USER},r={RFC_CLIENT_NONCE}"
    client.final_message(RFC_SERVER_FIRST)
    client.verify_server_final(RFC_SERVER_FINAL + b",x=ext")


def test_scram_random_nonce() -> None:
    a, b = ScramClient("pw"), ScramClient("pw")
    na, nb = a.first_message(), b.first_message()
    assert na.startswith(b"n,,n=,r=") and nb.startswith(b"n,,n=,r=")
    assert na != nb
    nonce = na[len(b"n,,n=,r=") :]
    assert len(nonce) >= 18
    assert b"," not in nonce
    assert all(0x21 <= c <= 0x7E for c in nonce)


def test_scram_repr_hides_password() -> None:
    assert "hunter2" not in repr(ScramClient("hunter2"))


def _rfc_client() -> ScramClient:
    client = ScramClient(RFC_PASSWORD, nonce=RFC_CLIENT_NONCE)
    client._first_bare = f"n={RFC_USER},r={RFC_CLIENT_NONCE}"
    client.final_message(RFC_SERVER_FIRST)
    return client


def test_scram_wrong_server_signature() -> None:
    client = _rfc_client()
    bad = base64.b64encode(bytes(32))
    with pytest.raises(OperationalError, match="signature"):
        client.verify_server_final(b"v=" + bad)


def test_scram_server_error() -> None:
    client = _rfc_client()
    with pytest.raises(OperationalError, match="invalid-proof"):
        client.verify_server_final(b"e=invalid-proof")


@pytest.mark.parametrize("server_final", [b"", b"x=abc", b"v=***not base64***", b"\xff\xfe"])
def test_scram_malformed_server_final(server_final: bytes) -> None:
    with pytest.raises(OperationalError):
        _rfc_client().verify_server_final(server_final)


def test_scram_server_final_before_client_final() -> None:
    # Nothing was computed yet: no signature can match.
    client = ScramClient(RFC_PASSWORD, nonce=RFC_CLIENT_NONCE)
    with pytest.raises(OperationalError):
        client.verify_server_final(RFC_SERVER_FINAL)


@pytest.mark.parametrize(
    "server_first",
    [
        # The server's nonce must extend the client's.
        b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqOxyz,i=4096",  # no salt
        b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==",  # no iteration count
        b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
        b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1",
        b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=lots",
        b"r=rOprNGfwEbeRWgbNEkqOxyz,s=!!!,i=4096",  # salt not base64
        b"e=other-error",
        b"",
        b"\xff\xfe\xfd",
    ],
)
def test_scram_bad_server_first(server_first: bytes) -> None:
    client = ScramClient(RFC_PASSWORD, nonce=RFC_CLIENT_NONCE)
    with pytest.raises(OperationalError):
        client.final_message(server_first)


@settings(max_examples=100, deadline=None)
@given(server_first=st.binary(max_size=80))
def test_scram_server_first_garbage_raises_operational_error(server_first: bytes) -> None:
    # Garbage must never escape as another exception, nor be accepted.
    assume(b"r=abc" not in server_first)
    client = ScramClient("pw", nonce="abc")
    with pytest.raises(OperationalError):
        client.final_message(server_first)


def test_scram_password_goes_through_saslprep() -> None:
    server_first = b"r=nonceSRV,s=" + base64.b64encode(b"0123456789ab") + b",i=4096"
    plain = ScramClient("IX", nonce="nonce").final_message(server_first)
    # A soft hyphen is mapped to nothing, so the proof is the one of "IX".
    assert ScramClient("I\u00adX", nonce="nonce").final_message(server_first) == plain
    assert ScramClient("\u2168", nonce="nonce").final_message(server_first) == plain


# --- SASLprep --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        # RFC 4013, section 3.
        ("I\u00adX", "IX"),
        ("user", "user"),
        ("USER", "USER"),
        ("\u00aa", "a"),
        ("\u2168", "IX"),
        # Non-ASCII spaces map to SPACE; zero-width characters map to nothing.
        ("a\u00a0b", "a b"),
        ("a\u3000b", "a b"),
        ("a\u1680b", "a b"),  # a space NFKC alone would not map
        ("a\u200bb", "ab"),
        ("a\ufeffb", "ab"),
        ("", ""),
        ("pässwörd", "pässwörd"),
        ("e\u0301", "\u00e9"),  # NFKC composes
        ("\ufb01", "fi"),  # compatibility ligature
    ],
)
def test_saslprep(given_: str, expected: str) -> None:
    assert saslprep(given_) == expected


@pytest.mark.parametrize(
    "password",
    [
        "\u0007",  # RFC 4013 example: prohibited control character
        "a\u0000b",
        "x\ue000y",  # private use
        "a\ud800b",  # lone surrogate
    ],
)
def test_saslprep_prohibited_output_is_used_as_is(password: str) -> None:
    # Like libpq: a password that SASLprep rejects is sent unchanged.
    assert saslprep(password) == password


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E)))
def test_saslprep_leaves_printable_ascii_alone(password: str) -> None:
    assert saslprep(password) == password


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_saslprep_is_idempotent(password: str) -> None:
    once = saslprep(password)
    assert saslprep(once) == once
