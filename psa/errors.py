"""What can go wrong talking to any PSA product, in no product's words. Each product's errors derive from these
(psa/connectwise/errors.py, psa/helpdesk/errors.py), so code above psa/ catches `PSANotFoundError` and the
product's own message still reaches the user through the exception's text.

`message` is the product's own words, unchanged; `str(exc)` is one line (or a few) that also says what to do.
"""

from __future__ import annotations


class PSAError(Exception):
    """Base of every error a provider raises."""

    status: int | None = None
    message: str | None = None
    product: str = "The PSA"
    """Who said `message`, as a sentence starts: "ConnectWise", "The helpdesk"."""


class PSAValidationError(PSAError):
    """The product refused the request's content (a field, a rule)."""


class PSAAuthError(PSAError):
    """The credentials were refused."""


class PSAPermissionError(PSAError):
    """Signed in, but not allowed to do this."""


class PSANotFoundError(PSAError):
    """The record does not exist (or is not visible to these credentials)."""


class PSAConflictError(PSAError):
    """The record changed or clashes with another."""


class PSARateLimitError(PSAError):
    """Too many requests; try again later."""


class PSAServerError(PSAError):
    """The product failed (5xx)."""


class PSATimeoutError(PSAError):
    """No answer in time; a write may or may not have happened."""


class PSAConnectionError(PSAError):
    """The product could not be reached."""


class PSAResponseError(PSAError):
    """The product answered something that cannot be read."""
