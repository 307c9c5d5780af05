"""Load a BEIR-format folder: corpus.jsonl (_id, title, text), queries.jsonl (_id, text) and
qrels/test.tsv (header `query-id corpus-id score`). Queries without qrels are dropped, as BEIR does."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from kb_index.types import Document


@dataclass(frozen=True)
class BeirDataset:
    corpus: list[Document]
    queries: dict[str, str]  # query id -> text; only queries that have qrels
    qrels: dict[str, dict[str, int]]  # query id -> {corpus id: grade}


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t")
        header = next(rows, None)
        if header is None:
            return qrels
        if [h.strip() for h in header[:2]] != ["query-id", "corpus-id"]:
            raise ValueError(f"{path}: expected a header 'query-id corpus-id score', got {header!r}")
        for row in rows:
            if len(row) < 2:
                continue
            grade = int(float(row[2])) if len(row) > 2 and row[2].strip() else 1
            qrels.setdefault(row[0], {})[row[1]] = grade
    return qrels


def load_beir(folder: str | Path, split: str = "test") -> BeirDataset:
    root = Path(folder)
    missing = [p for p in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv") if not (root / p).is_file()]
    if missing:
        raise FileNotFoundError(f"{root} is not a BEIR folder: missing {', '.join(missing)}")
    corpus = [
        Document(id=str(row["_id"]), title=str(row.get("title") or ""), text=str(row.get("text") or ""))
        for row in _jsonl(root / "corpus.jsonl")
    ]
    qrels = load_qrels(root / "qrels" / f"{split}.tsv")
    queries = {str(row["_id"]): str(row["text"]) for row in _jsonl(root / "queries.jsonl")}
    kept = {qid: text for qid, text in queries.items() if any(g > 0 for g in qrels.get(qid, {}).values())}
    return BeirDataset(corpus=corpus, queries=kept, qrels={qid: qrels[qid] for qid in kept})
