"""Technicians' own ConnectWise private keys, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The Fernet key comes from COPILOT_SECRET_KEY or, when that is unset, from $COPILOT_DATA_DIR/secret.key, which
is generated on first use, readable by its owner only. With the file, a copy of the data folder carries
both the ciphertext and its key; COPILOT_SECRET_KEY (from a secret manager) keeps them apart.
Nothing here logs, and no error message carries a key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, ConfigDict, SecretStr

from settings import ConfigError

ENV = "COPILOT_SECRET_KEY"
KEY_FILE = "secret.key"


class ConnectWiseKeys(BaseModel):
    """A technician's API key pair; the private key is a SecretStr, so printing or logging this shows `**********`."""

    model_config = ConfigDict(frozen=True)

    public_key: str
    private_key: SecretStr


class KeysUnreadable(ValueError):
    """Stored ciphertext that this Fernet key cannot open (the key changed, or the row was altered)."""


class KeyBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> KeyBox:
        """COPILOT_SECRET_KEY when set (ConfigError naming it when it is not a Fernet key), else the key file in
        `data_dir` (default: settings.data_dir()), created on first use."""
        raw = (os.environ.get(ENV) or "").strip()
        if raw:
            try:
                return cls(raw.encode())
            except ValueError:
                raise ConfigError(
                    f"{ENV} is not a Fernet key (32 bytes, urlsafe base64): generate one with "
                    "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
                ) from None
        if data_dir is None:
            from settings import data_dir as default_data_dir

            data_dir = default_data_dir()
        path = data_dir / KEY_FILE
        try:
            if not path.exists():
                _create_key_file(path)
            key = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(
                f"{path} cannot be created or read ({exc.strerror or exc}): make {data_dir} writable, or set {ENV}"
            ) from None
        try:
            return cls(key)
        except ValueError:
            raise ConfigError(
                f"{path} is not a Fernet key: restore it from a backup, or set {ENV} to the key it held"
            ) from None

    def encrypt(self, private_key: str) -> bytes:
        return self._fernet.encrypt(private_key.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise KeysUnreadable(
                f"stored ConnectWise keys cannot be decrypted with this key ({ENV} or {KEY_FILE} changed?): "
                "restore the key, or run `psa-copilot users set-keys` again"
            ) from None


def _create_key_file(path: Path) -> None:
    """Write a new key to `path`, mode 0600, so that no reader ever sees the file empty or half written: the key
    goes into a private temporary file first (O_CREAT|O_EXCL, 0600), which is then hard-linked into place. If
    another process got there first, its key wins and ours is dropped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(Fernet.generate_key() + b"\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink()
