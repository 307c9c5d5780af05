"""Opening a sandbox's database for `psa-copilot sandbox` (either product): the check first, first-start seeding
behind a progress bar, and a one-line configuration error instead of a traceback."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

S = TypeVar("S")
Seeding = Callable[[int], None]  # called with the number of records seeded so far


def open_for_cli(db_path: Path, check: Callable[[Path], None], open_store: Callable[[Path, Seeding], S]) -> S | None:
    """The store at `db_path`; None once a one-line configuration error is on stderr."""
    try:
        check(db_path)
    except ValueError as exc:
        print(f"psa-copilot: configuration error: {exc}", file=sys.stderr)
        return None
    fresh = not db_path.exists()
    try:
        # The generator streams an unknown number of records, so the bar pulses and counts instead of filling.
        with Progress(TextColumn("seeding {task.description}"), BarColumn(), TextColumn("{task.completed:,} records"),
                      TimeElapsedColumn(), console=Console(stderr=True), transient=True, disable=not fresh) as progress:
            task = progress.add_task(str(db_path), total=None)
            return open_store(db_path, lambda n: progress.update(task, completed=n))
    except (OSError, sqlite3.Error) as exc:
        print(f"psa-copilot: configuration error: cannot open {db_path}: {exc}", file=sys.stderr)
        return None
