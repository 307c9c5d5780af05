"""The headers ConnectWise requires on every call."""

from __future__ import annotations

import base64

from psa.connectwise.settings import ConnectWiseSettings

MEDIA_TYPE = "application/vnd.connectwise.com+json"


def authorization_header(company_id: str, public_key: str, private_key: str) -> str:
    """API-member Basic auth: the user name is `companyId+publicKey`, the password the private key."""
    token = base64.b64encode(f"{company_id}+{public_key}:{private_key}".encode()).decode("ascii")
    return f"Basic {token}"


def accept_header(api_version: str) -> str:
    """Pinning the version keeps response models stable across Manage releases (the guide recommends it)."""
    return f"{MEDIA_TYPE}; version={api_version}"


def auth_headers(settings: ConnectWiseSettings) -> dict[str, str]:
    return {
        "Authorization": authorization_header(
            settings.company_id, settings.public_key, settings.private_key.get_secret_value()
        ),
        "clientId": settings.client_id,
        "Accept": accept_header(settings.api_version),
    }
