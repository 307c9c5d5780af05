"""Bearer tokens for COPILOT_AUTH=tokens: shown to the technician once, stored only as a SHA-256 hash.

A token is `psa_` (so it is recognisable in a config file or a secret scanner) and 32 random bytes, urlsafe
base64. Requests are matched by looking the hash up in an index, not by comparing strings, so no
constant-time comparison is needed: what an attacker controls is the token, and the time a lookup takes
depends only on its SHA-256, which they cannot steer towards a stored hash without already knowing the token.
A fast unsalted hash is enough for the same reason: 256 random bits cannot be guessed, unlike a password.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "psa_"
_RANDOM_BYTES = 32


def new_token() -> tuple[str, str]:
    """(token, its hash): give the token to the technician, store the hash."""
    token = PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """Hex SHA-256 of the token as presented (surrounding whitespace ignored)."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    """Cheap shape check before a database lookup: our prefix and some body."""
    token = token.strip()
    return token.startswith(PREFIX) and len(token) > len(PREFIX)
