"""Process-wide settings shared by every package: the data folder and the log level, and `ConfigError`, the
one-line error every settings check raises (`server.check_settings` runs them all before a command starts)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A bad setting or file. `str()` is one line naming it and saying what to do."""


def one_line(text: object) -> str:
    """A (possibly multi-line) message as one line."""
    return "; ".join(line.strip() for line in str(text).splitlines() if line.strip())


def data_dir() -> Path:
    """COPILOT_DATA_DIR, or ~/.psa-copilot; created on first use."""
    path = _data_dir_path()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _data_dir_path() -> Path:
    raw = os.environ.get("COPILOT_DATA_DIR")
    return Path(raw).expanduser() if raw else Path.home() / ".psa-copilot"


def log_level_from_env(default: str) -> str:
    """COPILOT_LOG_LEVEL (any case), else `default`."""
    level = (os.environ.get("COPILOT_LOG_LEVEL") or default).strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"COPILOT_LOG_LEVEL={level!r} is not a log level: use one of {', '.join(LOG_LEVELS)}")
    return level


def check_data_dir() -> Path:
    """The data folder, created if needed; ConfigError unless files can be created in it."""
    path = _data_dir_path()
    named = f"{path} (COPILOT_DATA_DIR)" if os.environ.get("COPILOT_DATA_DIR") else str(path)
    fix = "set COPILOT_DATA_DIR to a writable folder"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"the data folder {named} is a file, not a folder: {fix}")
    try:
        data_dir()
    except OSError as exc:
        raise ConfigError(f"the data folder {named} cannot be created ({exc.strerror or exc}): {fix}") from exc
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"the data folder {named} is not writable ({exc.strerror or exc}): {fix}") from exc
    return path
