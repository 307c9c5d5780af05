"""Process-wide locations shared by every package (data directory)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """COPILOT_DATA_DIR, or ~/.psa-copilot; created on first use."""
    raw = os.environ.get("COPILOT_DATA_DIR")
    path = Path(raw).expanduser() if raw else Path.home() / ".psa-copilot"
    path.mkdir(parents=True, exist_ok=True)
    return path
