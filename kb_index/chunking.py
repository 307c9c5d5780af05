"""Split long passages into overlapping windows that fit the embedding model.

The encoder sees at most 256 word pieces (see kb_index.embedding.MAX_TOKENS); a KB article or a
ticket thread is often longer, and truncation would make its tail invisible to dense search. Windows
overlap so a sentence cut at one boundary is whole in the neighbouring window; a document scores as its
best window (max-pooling), which is how passage-level evidence is usually lifted to documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kb_index.embedding import MAX_TOKENS, tokenizer_path


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int
    text: str


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(tokenizer_path())
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def split_text(text: str, max_tokens: int = MAX_TOKENS, overlap: int = 32, prefix_tokens: int = 0) -> list[str]:
    """Windows of `text` of at most max_tokens word pieces each, including [CLS]/[SEP] and a prefix
    (e.g. the title, prepended by the caller) of prefix_tokens pieces; consecutive windows share
    about `overlap` pieces. Windows start and end on word boundaries, so no word is split."""
    window = max_tokens - 2 - prefix_tokens
    if window < 16:
        raise ValueError("prefix leaves no room for text in a window")
    enc = _tokenizer().encode(text, add_special_tokens=False)
    if len(enc.ids) <= window:
        return [text] if text.strip() else []
    words, offsets = enc.word_ids, enc.offsets
    chunks: list[str] = []
    start = 0
    while start < len(enc.ids):
        end = min(start + window, len(enc.ids))
        # Back off to the first piece of the word the window would split, unless that word alone
        # fills the window (a pasted blob): then the cut inside it is unavoidable.
        cut = end
        while cut < len(enc.ids) and cut > start + 1 and words[cut] == words[cut - 1]:
            cut -= 1
        if cut > start + 1:
            end = cut
        chunks.append(text[offsets[start][0] : offsets[end - 1][1]])
        if end == len(enc.ids):
            break
        next_start = max(end - overlap, start + 1)
        while next_start > start + 1 and words[next_start] == words[next_start - 1]:
            next_start -= 1
        start = next_start
    return chunks


def chunk_document(doc_id: str, title: str, text: str, max_tokens: int = MAX_TOKENS, overlap: int = 32) -> list[Chunk]:
    """The document's windows, each prefixed with its title so every window carries the topic."""
    prefix = f"{title.strip()}\n" if title.strip() else ""
    prefix_tokens = len(_tokenizer().encode(prefix, add_special_tokens=False).ids) if prefix else 0
    # A title that would crowd out the body is itself truncated by the encoder; keep the body whole.
    if prefix_tokens > max_tokens // 4:
        prefix, prefix_tokens = "", 0
    parts = split_text(text, max_tokens, overlap, prefix_tokens) or [""]
    return [Chunk(doc_id, i, prefix + part) for i, part in enumerate(parts)]
