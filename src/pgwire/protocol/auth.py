"""Password authentication: md5 and SCRAM-SHA-256 (RFC 5802 / RFC 7677)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata

from ..errors import OperationalError

# RFC 5929 tls-server-end-point: the hash of the certificate's signature
# algorithm, MD5 and SHA-1 replaced by SHA-256. Keys: the algorithm's DER OID.
_SIGNATURE_HASHES = {
    bytes.fromhex("2a864886f70d010104"): "sha256",  # md5WithRSAEncryption
    bytes.fromhex("2a864886f70d010105"): "sha256",  # sha1WithRSAEncryption
    bytes.fromhex("2a864886f70d01010e"): "sha224",  # sha224WithRSAEncryption
    bytes.fromhex("2a864886f70d01010b"): "sha256",  # sha256WithRSAEncryption
    bytes.fromhex("2a864886f70d01010c"): "sha384",  # sha384WithRSAEncryption
    bytes.fromhex("2a864886f70d01010d"): "sha512",  # sha512WithRSAEncryption
    bytes.fromhex("2a8648ce3d0401"): "sha256",  # ecdsa-with-SHA1
    bytes.fromhex("2a8648ce3d040301"): "sha224",  # ecdsa-with-SHA224
    bytes.fromhex("2a8648ce3d040302"): "sha256",  # ecdsa-with-SHA256
    bytes.fromhex("2a8648ce3d040303"): "sha384",  # ecdsa-with-SHA384
    bytes.fromhex("2a8648ce3d040304"): "sha512",  # ecdsa-with-SHA512
    bytes.fromhex("2a8648ce380403"): "sha256",  # dsa-with-sha1
    bytes.fromhex("608648016503040302"): "sha256",  # dsa-with-sha256
}


def _der_item(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the DER item at ``pos``."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated")
    return tag, pos, pos + length


def tls_server_end_point(certificate: bytes) -> bytes:
    """The ``tls-server-end-point`` channel binding data of a DER server certificate."""
    try:
        # Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
        _, body, _ = _der_item(certificate, 0)
        _, _, tbs_end = _der_item(certificate, body)
        _, algorithm, _ = _der_item(certificate, tbs_end)
        tag, oid_start, oid_end = _der_item(certificate, algorithm)
        if tag != 0x06:
            raise ValueError("no algorithm identifier")
    except ValueError as exc:
        raise OperationalError(f"could not parse the server certificate: {exc}") from None
    name = _SIGNATURE_HASHES.get(certificate[oid_start:oid_end])
    if name is None:
        raise OperationalError(
            "could not find the hash of the server certificate's signature algorithm "
            "for channel binding"
        )
    return hashlib.new(name, certificate).digest()


def md5_password(user: str, password: str, salt: bytes) -> bytes:
    """The answer to AuthenticationMD5Password."""
    inner = hashlib.md5(password.encode() + user.encode()).hexdigest()
    return b"md5" + hashlib.md5(inner.encode() + salt).hexdigest().encode()


def saslprep(password: str) -> str:
    """Normalize a password as SASLprep (RFC 4013) asks, leniently as libpq does.

    A password that is not valid SASLprep input is used as it is, which is what
    the server does when it stores it.
    """
    mapped = "".join(
        " " if unicodedata.category(ch) == "Zs" else ch
        for ch in password
        if ch not in "\u00ad\u1806\u200b\u2060\ufeff\u034f\u180b\u180c\u180d"
        and not ("\ufe00" <= ch <= "\ufe0f")
    )
    normalized = unicodedata.normalize("NFKC", mapped)
    for ch in normalized:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Co", "Cs", "Cn") or ch in "\ufffe\uffff":
            return password
    return normalized


class ScramClient:
    """Client side of a SCRAM-SHA-256 exchange, with channel binding (-PLUS) or not.

    ``binding``: the ``tls-server-end-point`` data to bind to (the
    SCRAM-SHA-256-PLUS mechanism); else ``tls`` says whether the session is
    encrypted, so the client can tell the server it could have bound (``y``).
    ``keys``: the ClientKey and ServerKey to use instead of the password's
    (libpq's ``scram_client_key``/``scram_server_key``).
    """

    def __init__(
        self,
        password: str | None,
        nonce: str | None = None,
        binding: bytes | None = None,
        tls: bool = False,
        keys: tuple[bytes, bytes] | None = None,
    ) -> None:
        self._password = saslprep(password or "").encode()
        self._keys = keys
        self._nonce = nonce or base64.b64encode(secrets.token_bytes(18)).decode()
        self._binding = binding
        if binding is not None:
            self.mechanism = "SCRAM-SHA-256-PLUS"
            self._gs2 = "p=tls-server-end-point,,"
        else:
            self.mechanism = "SCRAM-SHA-256"
            self._gs2 = "y,," if tls else "n,,"
        self._first_bare = f"n=,r={self._nonce}"
        self._server_signature = b""
        #: True once the server's signature was checked (mutual authentication).
        self.verified = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def first_message(self) -> bytes:
        """client-first-message."""
        return (self._gs2 + self._first_bare).encode()

    def final_message(self, server_first: bytes) -> bytes:
        """client-final-message, computed from server-first-message."""
        try:
            attrs = dict(
                item.split("=", 1) for item in server_first.decode().split(",") if "=" in item
            )
            nonce = attrs["r"]
            salt = base64.b64decode(attrs["s"], validate=True)
            iterations = int(attrs["i"])
        except Exception:
            raise OperationalError("malformed SCRAM server-first-message") from None
        if not nonce.startswith(self._nonce) or iterations < 1:
            raise OperationalError("invalid SCRAM server-first-message")
        if self._keys is not None:
            client_key, server_key = self._keys
        else:
            salted = hashlib.pbkdf2_hmac("sha256", self._password, salt, iterations)
            client_key = hmac.digest(salted, b"Client Key", "sha256")
            server_key = hmac.digest(salted, b"Server Key", "sha256")
        stored_key = hashlib.sha256(client_key).digest()
        channel = base64.b64encode(self._gs2.encode() + (self._binding or b"")).decode()
        final_bare = f"c={channel},r={nonce}"
        auth_message = f"{self._first_bare},{server_first.decode()},{final_bare}".encode()
        client_signature = hmac.digest(stored_key, auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, client_signature, strict=True))
        self._server_signature = hmac.digest(server_key, auth_message, "sha256")
        return f"{final_bare},p={base64.b64encode(proof).decode()}".encode()

    def verify_server_final(self, server_final: bytes) -> None:
        """Check the server's signature: proves the server knew the password too."""
        text = server_final.decode(errors="replace")
        if text.startswith("e="):
            raise OperationalError(f"SCRAM authentication failed: {text[2:]}")
        if not text.startswith("v="):
            raise OperationalError("malformed SCRAM server-final-message")
        try:
            signature = base64.b64decode(text[2:].split(",")[0], validate=True)
        except Exception:
            raise OperationalError("malformed SCRAM server-final-message") from None
        if not hmac.compare_digest(signature, self._server_signature):
            raise OperationalError("the server's SCRAM signature is wrong")
        self.verified = True
