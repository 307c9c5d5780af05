"""Reading a product's settings from the environment, the same way for every product: a number, and a settings
model's refusal as one line that names the variable (psa/connectwise/settings.py, psa/helpdesk/settings.py)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pydantic import ValidationError


def env_number(source: Mapping[str, str], name: str, kind: type[int] | type[float]) -> float:
    try:
        return kind(source[name].strip())
    except ValueError:
        whole = "whole " if kind is int else ""
        raise ValueError(f"{name}={source[name]!r} is not a {whole}number") from None


def setting_refused(exc: ValidationError, env_of_field: Mapping[str, str], echoed: Collection[str],
                    family: str) -> ValueError:
    """The first problem of a settings model's refusal, as one line naming the variable (`family`, such as
    "a CW_* setting", when no variable maps to the field); the value is shown only for fields in `echoed`."""
    error = exc.errors()[0]
    if error["type"] == "value_error":  # our own validator's message, which names the variable already
        return ValueError(str(error["msg"]).removeprefix("Value error, "))
    field = str(error["loc"][0]) if error["loc"] else ""
    shown = f"={error['input']!r}" if field in echoed else ""
    return ValueError(f"{env_of_field.get(field, family)}{shown} is not valid: {error['msg']}")
