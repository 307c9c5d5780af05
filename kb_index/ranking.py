"""Which clients a KB article is written for, and KB suggestions for a ticket ranked with that.

MSPs keep client procedures next to their general runbooks ("Parkway Pediatrics: mailbox and Outlook
standards" beside "Outlook not receiving new mail"). Another client's article shares a ticket's vocabulary (the
same product, the same symptoms) yet describes someone else's setup, so for a ticket it must not outrank a
general article. ConnectWise has no company field on an article: an article is tied to the companies whose
names it contains (title or text, whole words, any case and punctuation), among the companies the index knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb_index.search import Match


_WORD = re.compile(r"\w+")


def name_words(text: str) -> tuple[str, ...]:
    """Case-folded words, punctuation dropped: "Harbor & Finch LLP" and "harbor &  finch llp" compare equal."""
    return tuple(_WORD.findall(text.casefold()))


class CompanyNames:
    """Finds which of a set of company names a text mentions, as runs of whole words. A set lookup per word
    and name length, not one regex of every name: a site can have thousands of companies."""

    def __init__(self, names: Iterable[str]):
        self._names = {words for words in map(name_words, names) if words}
        self._lengths = sorted({len(words) for words in self._names})

    def named_in(self, text: str) -> frozenset[tuple[str, ...]]:
        """The names `text` mentions, as `name_words` gives them."""
        words = name_words(text)
        runs = (words[start : start + n] for start in range(len(words)) for n in self._lengths)
        return frozenset(run for run in runs if run in self._names)


def prefer_company(matches: Sequence[Match], company: str, names: CompanyNames) -> list[Match]:
    """`matches` (best first) with every article tied only to other companies moved after the rest, which
    keep their order: the ticket's own client's articles compete as general ones do. A moved article's score
    is capped at the last score before it, so scores still read best first."""
    own = name_words(company)
    kept: list[Match] = []
    foreign: list[Match] = []
    for match in matches:
        named = names.named_in(f"{match.document.title}\n{match.document.text}")
        (foreign if named and own not in named else kept).append(match)
    if not kept:
        return foreign
    floor = kept[-1].score
    return kept + [replace(m, score=min(m.score, floor)) for m in foreign]
