"""Password authentication: md5 and SCRAM-SHA-256 (RFC 5802 / RFC 7677)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata

from ..errors import OperationalError


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
    """Client side of a SCRAM-SHA-256 exchange (no channel binding)."""

    mechanism = "SCRAM-SHA-256"

    def __init__(self, password: str, nonce: str | None = None) -> None:
        self._password = saslprep(password).encode()
        self._nonce = nonce or base64.b64encode(secrets.token_bytes(18)).decode()
        self._gs2 = "n,,"
        self._first_bare = f"n=,r={self._nonce}"
        self._server_signature = b""

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
        salted = hashlib.pbkdf2_hmac("sha256", self._password, salt, iterations)
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        stored_key = hashlib.sha256(client_key).digest()
        channel = base64.b64encode(self._gs2.encode()).decode()
        final_bare = f"c={channel},r={nonce}"
        auth_message = f"{self._first_bare},{server_first.decode()},{final_bare}".encode()
        client_signature = hmac.digest(stored_key, auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, client_signature, strict=True))
        server_key = hmac.digest(salted, b"Server Key", "sha256")
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
