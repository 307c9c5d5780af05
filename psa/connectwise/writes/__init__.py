"""ConnectWise's writers (psa.writes), one module per kind of write; psa/connectwise/neutral.py composes them."""

from __future__ import annotations

from pydantic import ValidationError

from psa.writes import WriteNotPlanned


def invalid(exc: ValidationError) -> WriteNotPlanned:
    """A body ConnectWise's own model refuses, said field by field."""
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
    return WriteNotPlanned(f"Invalid write: {problems}.")
