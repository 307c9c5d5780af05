"""Prompt and text templates (jinja2, `*.j2` in this package) and the fence for untrusted ticket text.

    render("summary.j2", summary=...)      # StrictUndefined: a missing variable is an error, not ""
    fence(note_text, "note 1234")          # ticket text wrapped as data for an LLM prompt

Ticket text is customer- (and so attacker-) controlled. Every prompt that carries it puts it inside a fence and
tells the model that fenced text is data, never instructions. The fence must not be closable from inside: a
note containing the closing line would otherwise smuggle text out of the data block.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

FENCE_OPEN = "<<<UNTRUSTED_DATA"
FENCE_CLOSE = "UNTRUSTED_DATA>>>"

# Anything that looks like either delimiter, whatever the case or spacing an attacker tries ("<<< untrusted_data",
# "UNTRUSTED-DATA >>>"): its angle brackets become look-alike guillemets, so the text reads the same to a human
# but can never produce the exact delimiter. Matched loosely on purpose; a false positive only rewrites data.
# Both bracket runs are optional parts of one match, so "<<<UNTRUSTED_DATA>>>" is defanged on both sides at once.
_DELIMITER = re.compile(r"(?:<+\s*)?untrusted[\s_-]*data(?:\s*>+)?", re.IGNORECASE)
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9 #:._/-]")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The template environment. Not autoescaped: the output is plain text / markdown, not HTML."""
    env = Environment(
        loader=PackageLoader("prompts", ""),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Templates fence ticket text themselves: `{{ fence(note.text, "note " ~ note.id) }}`.
    env.globals["fence"] = fence
    return env


def render(template_name: str, **context: object) -> str:
    """Render `template_name` (e.g. "summary.j2") with `context`; undefined variables raise."""
    return environment().get_template(template_name).render(**context).strip()


def neutralise(text: str) -> str:
    """`text` with every fence delimiter look-alike defanged, so it can sit inside a fence and never close it."""
    return _DELIMITER.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def fence(text: str, label: str) -> str:
    """`text` as a delimited data block labelled `label` (e.g. "note 1234", "ticket summary").

    The label is restricted to a safe alphabet (it comes from ids and field names, but may carry user text);
    the text has delimiter look-alikes neutralised, so the block ends exactly at the closing line we write.
    """
    safe_label = _LABEL_UNSAFE.sub("_", label)[:80]
    return f"{FENCE_OPEN} {safe_label}\n{neutralise(text)}\n{FENCE_CLOSE}"
