"""Passwords (bcrypt) and tokens (PyJWT, HS256) for the user service and the gateway.

bcrypt runs in a worker thread: at cost 12 one hash takes about a quarter of a second, which must not stall the event
loop (every other request would wait). A login for an unknown e-mail still checks a dummy hash, so the answer takes
as long as for a wrong password (no e-mail enumeration by timing).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import bcrypt
import jwt

from gateway import UnAuthorizedError

__all__ = ["Passwords", "Tokens"]


class Passwords:
    """bcrypt with a fixed cost (``rounds``, 4 to 16)."""

    def __init__(self, rounds: int = 12) -> None:
        self.rounds = rounds
        self._dummy = bcrypt.hashpw(b"dummy-password", bcrypt.gensalt(rounds=rounds))

    async def hash(self, password: str) -> str:
        """The bcrypt hash of ``password`` (text, ``$2b$...``)."""
        raw = await asyncio.to_thread(bcrypt.hashpw, password.encode(), bcrypt.gensalt(rounds=self.rounds))
        return raw.decode()

    async def check(self, password: str, hashed: str | None) -> bool:
        """Whether ``password`` matches ``hashed``; ``None`` checks a dummy hash and answers ``False``."""
        target = hashed.encode() if hashed else self._dummy
        try:
            ok = await asyncio.to_thread(bcrypt.checkpw, password.encode(), target)
        except ValueError:  # a stored value that is not a bcrypt hash
            return False
        return ok and hashed is not None


class Tokens:
    """Signs and verifies the shop's JWTs: ``{"id", "email", "role", "iat", "exp"}``, HS256."""

    ALGORITHM = "HS256"

    def __init__(self, secret: str, expires_in: int = 86400) -> None:
        self.secret = secret
        self.expires_in = expires_in

    def issue(self, user: dict[str, Any]) -> str:
        """A token for a stored user (its ``_id``, ``email`` and ``role``), valid ``expires_in`` seconds."""
        issued = int(time.time())
        claims = {"id": str(user["_id"]), "email": user["email"], "role": user["role"], "iat": issued,
                  "exp": issued + self.expires_in}  # fmt: skip
        return jwt.encode(claims, self.secret, algorithm=self.ALGORITHM)

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The user of an ``Authorization: Bearer <token>`` header: ``{"id", "email", "role"}``.

        Raises ``UnAuthorizedError`` 401: ``NO_TOKEN`` without a header, ``INVALID_TOKEN`` for another scheme, a
        bad signature, a malformed or expired token (``data.reason`` says which).
        """
        if not authorization:
            raise UnAuthorizedError("NO_TOKEN", None, "No token: send 'Authorization: Bearer <token>'")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnAuthorizedError("INVALID_TOKEN", {"reason": "scheme"}, "Expected 'Authorization: Bearer <token>'")
        try:
            claims = jwt.decode(token.strip(), self.secret, algorithms=[self.ALGORITHM],
                                options={"require": ["exp", "iat"]})  # fmt: skip
        except jwt.ExpiredSignatureError:
            raise UnAuthorizedError("INVALID_TOKEN", {"reason": "expired"}, "Token expired") from None
        except jwt.PyJWTError:
            raise UnAuthorizedError("INVALID_TOKEN", {"reason": "invalid"}, "Invalid token") from None
        if not isinstance(claims.get("id"), str) or claims.get("role") not in ("admin", "user"):
            raise UnAuthorizedError("INVALID_TOKEN", {"reason": "claims"}, "Invalid token")
        return {"id": claims["id"], "email": claims.get("email"), "role": claims["role"]}
