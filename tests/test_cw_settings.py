"""Settings from CW_* variables, the api- prefix for cloud hosts, and auth headers."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from psa.connectwise.auth import auth_headers, authorization_header
from psa.connectwise.settings import ConnectWiseSettings, MissingSettingsError, normalize_site

FULL_ENV = {
    "CW_SITE": "na.myconnectwise.net",
    "CW_COMPANY_ID": "acme",
    "CW_PUBLIC_KEY": "pub",
    "CW_PRIVATE_KEY": "s3cr3t-private",
    "CW_CLIENT_ID": "client-123",
}


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("na.myconnectwise.net", "https://api-na.myconnectwise.net"),
        ("https://eu.myconnectwise.net/", "https://api-eu.myconnectwise.net"),
        ("https://api-au.myconnectwise.net", "https://api-au.myconnectwise.net"),
        ("https://staging.connectwisedev.com", "https://api-staging.connectwisedev.com"),
        ("https://API-na.myconnectwise.net", "https://API-na.myconnectwise.net"),
        ("http://127.0.0.1:8077", "http://127.0.0.1:8077"),
        ("https://cw.example.com/v4_6_release/apis/3.0", "https://cw.example.com"),
        ("https://cw.example.com:8443", "https://cw.example.com:8443"),
    ],
)
def test_site_normalisation(site: str, expected: str) -> None:
    assert normalize_site(site) == expected


@pytest.mark.parametrize("site", ["", "ftp://x", "https://"])
def test_bad_sites(site: str) -> None:
    with pytest.raises(ValueError):
        normalize_site(site)


def test_from_env_full() -> None:
    s = ConnectWiseSettings.from_env({**FULL_ENV, "CW_API_VERSION": "2024.1", "CW_TIMEOUT": "12.5"})
    assert s.site == "https://api-na.myconnectwise.net"
    assert s.api_root == "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    assert s.api_version == "2024.1" and s.read_timeout == 12.5
    assert "s3cr3t" not in repr(s)  # the private key is a SecretStr


def test_default_version() -> None:
    assert ConnectWiseSettings.from_env(FULL_ENV).api_version == "2025.8"


def test_missing_env_names_every_variable() -> None:
    env = {k: v for k, v in FULL_ENV.items() if k not in ("CW_PUBLIC_KEY", "CW_CLIENT_ID")}
    env["CW_PRIVATE_KEY"] = "   "
    with pytest.raises(MissingSettingsError) as info:
        ConnectWiseSettings.from_env(env)
    assert info.value.missing == ["CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID"]
    for name in info.value.missing:
        assert name in str(info.value)
    assert "CW_SITE" not in info.value.missing


def test_bad_version_rejected() -> None:
    with pytest.raises(ValidationError):
        ConnectWiseSettings.from_env({**FULL_ENV, "CW_API_VERSION": "v3"})


def test_sandbox_settings_and_headers() -> None:
    s = ConnectWiseSettings.sandbox("http://127.0.0.1:8077")
    headers = auth_headers(s)
    assert headers["clientId"] == "sandbox-client"
    assert headers["Accept"] == "application/vnd.connectwise.com+json; version=2025.8"
    user_pass = base64.b64decode(headers["Authorization"].removeprefix("Basic ")).decode()
    assert user_pass == "sandbox+sandbox-public:sandbox-private"


def test_authorization_matches_the_guide_example() -> None:
    assert authorization_header("companyid", "publickey", "privatekey") == "Basic Y29tcGFueWlkK3B1YmxpY2tleTpwcml2YXRla2V5"
