"""Bearer tokens: HS256 JWTs signed with the secret the store keeps, carrying the user and their permissions.

A request's permissions are the token's `permission` claim, not the user's role: that is what lets a test (or a
deployment) hold a technician token that may reply but not delete.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import jwt
from pydantic import BaseModel

from sandbox.helpdesk.errors import forbidden, unauthorized
from sandbox.helpdesk.models import ALL_PERMISSIONS, Permission, Role, User
from sandbox.helpdesk.store import Store

ISSUER = "helpdesk-sandbox"
TOKEN_TTL_SECONDS = 7 * 86_400


class Principal(BaseModel):
    """Who a request acts as."""

    user: User
    permissions: frozenset[Permission]

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise forbidden(f"Missing permission {permission}")


def default_permissions(user: User) -> tuple[Permission, ...]:
    """A technician may do everything; a requester needs no permission for what requesters do (new, reqreply)."""
    return ALL_PERMISSIONS if user.role == Role.TECHNICIAN else ()


def issue(store: Store, user: User, permissions: Iterable[Permission] | None = None, *,
          ttl_seconds: int = TOKEN_TTL_SECONDS) -> str:
    """A token for `user`; `permissions` None means the user's defaults. A negative ttl makes an expired one."""
    now = int(time.time())
    granted = default_permissions(user) if permissions is None else tuple(Permission(p) for p in permissions)
    claims = {"sub": user.id, "unique_name": user.user_name, "email": user.email, "name": user.full_name,
              "role": str(user.role), "permission": [str(p) for p in granted], "iss": ISSUER, "iat": now,
              "exp": now + ttl_seconds}
    return jwt.encode(claims, store.signing_secret(), algorithm="HS256")


def authenticate(store: Store, authorization: str | None) -> Principal:
    """The principal of an `Authorization: Bearer <jwt>` header; 401 for a missing, invalid or expired token."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("A bearer token is required")
    try:
        claims = jwt.decode(token.strip(), store.signing_secret(), algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["sub", "iss", "iat", "exp"]})
    except jwt.ExpiredSignatureError:
        raise unauthorized("The token has expired") from None
    except jwt.InvalidTokenError:
        raise unauthorized("The token is invalid") from None
    user = store.user(str(claims["sub"]))
    if user is None:
        raise unauthorized("The token's user does not exist")
    granted = claims.get("permission", [])
    if not isinstance(granted, list) or not all(isinstance(p, str) for p in granted):
        raise unauthorized("The token's permission claim is not a list of permissions")
    # Names this sandbox does not know grant nothing, as an unknown claim value would in the product.
    known = {p.value for p in Permission}
    return Principal(user=user, permissions=frozenset(Permission(p) for p in granted if p in known))
