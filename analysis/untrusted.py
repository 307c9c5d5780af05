"""Spotting ticket text addressed to an AI assistant (likely prompt injection).

This is a flag for the technician and a reason for the extractive summariser not to quote such a sentence; it
is not the defence. The defence is structural: prompts fence ticket text as data, summaries and drafts write
nothing, and every write needs a human's confirmation (guardrails/).
"""

from __future__ import annotations

import re

_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_MARKERS = re.compile(
    r"ignor\w*\s+(?:all\s+|todas\s+las\s+)?(?:your\s+|the\s+)?(?:previous|prior|above|anteriores|instruc)"
    r"|\bai\s+(?:assistant|agent)\b|\b(?:to|for) the (?:ai|assistant)\b|\bthe assistant (?:handling|reading)"
    r"|\bassistant\s*(?:[:\]]|instructions)|\bai\s*:|\bsystem\s*:|</?system>|admin mode"
    r"|no (?:further )?confirmation|without (?:asking|confirmation)|do not ask|don't ask|pre-?(?:authori[sz]ed|approved)"
    r"|tool_calls|instrucciones|decode it and follow|\[confirmation\]|untrusted_data|</?ticket_notes>",
    re.IGNORECASE,
)


def visible(text: str) -> str:
    """`text` without zero-width and other invisible characters (used to hide words from filters)."""
    return _INVISIBLE.sub("", text)


def addresses_assistant(text: str) -> bool:
    """True when `text` looks like instructions aimed at an AI assistant rather than at a technician."""
    return bool(_MARKERS.search(visible(text)))
