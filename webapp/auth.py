"""Sign-in for the HTTP service: a bearer token in, the technician's Identity out (or 401 / 403).

- tokens: the token's hash names a technician (`psa-copilot users add|token`).
- oidc: a JWT from the configured issuer (identity/oidc.py) names a person by email; they must be a technician.
- none: nobody signs in (loopback only, see webapp/settings.py); the identity is `local`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import anyio

from identity.models import Identity, Technician


class NotSignedIn(Exception):
    """401: no usable token. The message is safe to show (it never contains the token)."""


class NotATechnician(Exception):
    """403: a valid sign-in, but the person is not a technician of this service."""


class SignInUnavailable(Exception):
    """503: the sign-in issuer cannot be reached; signing in again would not help."""


@dataclass(frozen=True)
class SignedIn:
    identity: Identity
    technician: Technician | None = None


class Authenticator(Protocol):
    mode: str

    async def sign_in(self, bearer: str | None) -> SignedIn: ...

    async def aclose(self) -> None: ...


class NoAuth:
    mode = "none"

    async def sign_in(self, bearer: str | None) -> SignedIn:
        from identity.context import local_identity

        return SignedIn(local_identity(via="none"))

    async def aclose(self) -> None:
        return None


class TokenAuth:
    """Bearer tokens issued by `psa-copilot users`; only their hashes are stored."""

    mode = "tokens"

    async def sign_in(self, bearer: str | None) -> SignedIn:
        from identity.technicians import lookup_by_token

        if not bearer:
            raise NotSignedIn("this server needs a bearer token (psa-copilot users token EMAIL issues one)")
        technician = await anyio.to_thread.run_sync(lookup_by_token, bearer)
        if technician is None:
            raise NotSignedIn("the bearer token is not valid (revoked, replaced, or never issued)")
        return SignedIn(Identity(user=technician.email, member=technician.member, via="tokens"), technician)

    async def aclose(self) -> None:
        return None


class OidcAuth:
    """Access tokens from the organisation's OIDC issuer; the email they carry must be a technician's."""

    mode = "oidc"

    def __init__(self) -> None:
        from identity.oidc import OidcSettings, OidcVerifier

        self.settings = OidcSettings.from_env()
        self._verifier = OidcVerifier(self.settings)

    async def sign_in(self, bearer: str | None) -> SignedIn:
        from identity.oidc import InvalidToken, IssuerUnavailable
        from identity.technicians import lookup_by_email

        if not bearer:
            raise NotSignedIn("sign in with your organisation's account: this server needs an access token")
        try:
            email = await self._verifier.verify(bearer)
        except IssuerUnavailable as exc:
            raise SignInUnavailable(str(exc)) from exc
        except InvalidToken as exc:
            raise NotSignedIn(str(exc)) from exc
        technician = await anyio.to_thread.run_sync(lookup_by_email, email)
        if technician is None:
            raise NotATechnician(f"{email} is signed in but is not a technician here (psa-copilot users add)")
        return SignedIn(Identity(user=technician.email, member=technician.member, via="oidc"), technician)

    async def aclose(self) -> None:
        await self._verifier.aclose()


def authenticator_for(mode: str) -> Authenticator:
    if mode == "tokens":
        return TokenAuth()
    if mode == "oidc":
        return OidcAuth()
    return NoAuth()


def bearer_of(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header (scheme case-insensitive), else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
