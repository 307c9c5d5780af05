"""ROUGE of the deterministic summariser on TweetSumm, side by side with a lead-3 baseline.

    python -m analysis.bench ../shared/datasets/summaries/tweetsumm [--json] [--limit N]

Each dialogue becomes a ticket thread: customer turns are contact notes (the first one is the description),
agent turns are member notes. The summariser's plain-prose rendering (problem, actions, state; no labels or
citations, since the references are prose) is scored against the dialogue's abstractive references with
rouge-score (ROUGE-1/2/L F1, Porter stemming). Multi-reference: per dialogue the best (max) F1 over its
references (2-5, mostly 3), averaged over dialogues; the mean over references is reported too.

Both systems see the same cleaned text: @handles and URLs removed (they are not words a reference uses), and
verbatim repeats of a tweet dropped (an artefact of the dialogue reconstruction).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from analysis import extractive
from analysis.thread import Thread, ThreadNote

TEST_FILE = "tweetsumm_test_jseo_aligned.jsonl"
METRICS = ("rouge1", "rouge2", "rougeL")

_TURN = re.compile(r"^([^:\n]{1,40}):\s?(.*)$")
_HANDLE = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")


class Dialogue(BaseModel):
    id: str
    turns: list[tuple[bool, str]]
    """(is_customer, cleaned text) in order."""
    references: list[str]


class SystemScore(BaseModel):
    name: str
    max_ref: dict[str, float]
    mean_ref: dict[str, float]
    words: float


class Report(BaseModel):
    dataset: str
    dialogues: int
    systems: list[SystemScore]


def clean(text: str) -> str:
    return " ".join(_URL.sub("", _HANDLE.sub("", text)).split())


def parse_dialogue(record: dict[str, object]) -> Dialogue:
    turns: list[tuple[bool, str]] = []
    for line in str(record["dialog_text"]).splitlines():
        match = _TURN.match(line)
        if match is None:
            continue
        speaker, text = match.groups()
        text = clean(text)
        # The third-party reconstruction repeats some tweets verbatim; a repeat adds nothing to either system.
        if text and (speaker.strip().isdigit(), text) not in turns:
            # TweetSumm customers are anonymised to numeric ids; agents speak as the brand's handle.
            turns.append((speaker.strip().isdigit(), text))
    return Dialogue(id=str(record["conversation_id"]), turns=turns, references=list(record["abstractive_summaries"]))  # type: ignore[arg-type]


def load(directory: Path, limit: int | None = None) -> list[Dialogue]:
    path = directory / TEST_FILE if directory.is_dir() else directory
    dialogues = [parse_dialogue(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    return dialogues[:limit] if limit else dialogues


def as_thread(d: Dialogue) -> Thread:
    notes: list[ThreadNote] = []
    seen_description = False
    for i, (is_customer, text) in enumerate(d.turns, start=1):
        description = is_customer and not seen_description
        seen_description |= description
        notes.append(
            ThreadNote(
                id=i,
                kind="description" if description else "discussion",
                author="customer" if is_customer else "agent",
                role="contact" if is_customer else "member",
                text=text,
            )
        )
    return Thread(ticket_id=0, contact="customer", owner="agent", notes=notes, total_notes=len(notes))


def extractive_summary(d: Dialogue) -> str:
    return extractive.prose(extractive.summarise(as_thread(d)))


def lead3(d: Dialogue) -> str:
    """The first three sentences of the dialogue, the standard extractive baseline."""
    sentences = [s for _, text in d.turns for s in extractive.sentences(text)]
    return " ".join(sentences[:3])


def lead_same_length(d: Dialogue) -> str:
    """The dialogue's first words, as many as the extractive summary has: a length control, since ROUGE F1
    rewards length up to the references' (~35-45 words) and the extractive summary is longer than lead-3."""
    words = " ".join(text for _, text in d.turns).split()
    return " ".join(words[: len(extractive_summary(d).split())])


SYSTEMS: dict[str, Callable[[Dialogue], str]] = {
    "lead-3": lead3,
    "lead, same length as extractive": lead_same_length,
    "extractive (problem/actions/state prose)": extractive_summary,
}


def evaluate(dialogues: Sequence[Dialogue], dataset: str = TEST_FILE) -> Report:
    from rouge_score import rouge_scorer  # a test extra: only the benchmark needs it

    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    systems: list[SystemScore] = []
    for name, summarise in SYSTEMS.items():
        best: dict[str, list[float]] = {m: [] for m in METRICS}
        mean: dict[str, list[float]] = {m: [] for m in METRICS}
        words: list[int] = []
        for d in dialogues:
            summary = summarise(d)
            words.append(len(summary.split()))
            scores = [scorer.score(ref, summary) for ref in d.references]
            for m in METRICS:
                f1 = [s[m].fmeasure for s in scores]
                best[m].append(max(f1))
                mean[m].append(statistics.fmean(f1))
        systems.append(
            SystemScore(
                name=name,
                max_ref={m: 100 * statistics.fmean(v) for m, v in best.items()},
                mean_ref={m: 100 * statistics.fmean(v) for m, v in mean.items()},
                words=statistics.fmean(words),
            )
        )
    return Report(dataset=dataset, dialogues=len(dialogues), systems=systems)


def table(report: Report) -> str:
    lines = [
        "| system | R-1 (max) | R-2 (max) | R-L (max) | R-1 (mean) | R-2 (mean) | R-L (mean) | words |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in report.systems:
        cells = [f"{s.max_ref[m]:.2f}" for m in METRICS] + [f"{s.mean_ref[m]:.2f}" for m in METRICS]
        lines.append(f"| {s.name} | " + " | ".join(cells) + f" | {s.words:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help=f"the TweetSumm folder (holding {TEST_FILE}) or the file itself")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N dialogues")
    args = parser.parse_args(argv)
    dialogues = load(args.path, args.limit)
    if not dialogues:
        print(f"no dialogues in {args.path}", file=sys.stderr)
        return 2
    report = evaluate(dialogues)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(f"TweetSumm {report.dataset}: {report.dialogues} dialogues, ROUGE F1 x100 (Porter stemming)")
        print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
