"""The preview a human reads before a write: the action, the ticket as it is now, long texts verbatim between
lines, and the exact request. Control and format characters are shown, not obeyed."""

import json
import unicodedata

from guardrails.plan import WritePlan

_SUMMARY_CHARS = 120


def visible(text: str) -> str:
    """`text` with control and format characters (escape sequences, bidi overrides, zero-width marks) shown as
    \\uXXXX, so ticket text cannot restyle or reorder the preview a human reads. Newlines and tabs stay."""
    return "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf") else f"\\u{ord(ch):04x}" for ch in text
    )


def _one_line(text: str | None, limit: int | None = None) -> str:
    flat = " ".join(visible(text or "").split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


def render_preview(plan: WritePlan, writes_to: str = "ConnectWise") -> str:
    """`writes_to`: the product, as guardrails.policy.Policy.writes_to names it."""
    lines = [
        f"psa-copilot asks to WRITE to {writes_to}. Nothing is written unless you confirm.",
        "",
        f"Action: {plan.action}",
    ]
    if plan.ticket is not None:
        t = plan.ticket
        lines.append(
            f'Ticket: #{t.id} "{_one_line(t.summary, _SUMMARY_CHARS)}" | board: {_one_line(t.board) or "-"} | '
            f"company: {_one_line(t.company) or '-'} | status: {_one_line(t.status) or '-'} | "
            f"last updated: {t.last_updated or '-'}"
        )
    shown: set[str] = set()
    for f in plan.fields:
        if f.block:
            shown.add(f.value)
            lines += ["", f"{f.label} (exact, {len(f.value)} characters, between the lines):", "-" * 40]
            lines += [visible(f.value), "-" * 40]
        else:
            lines.append(f"{f.label}: {_one_line(f.value)}")
    # The exact body, with long texts already shown above referred to rather than repeated.
    body = plan.body
    if isinstance(body, dict):
        body = {k: ("<shown above>" if isinstance(v, str) and v in shown else v) for k, v in body.items()}
    lines += ["", f"Exact request: {plan.request}", visible(json.dumps(body, ensure_ascii=False, sort_keys=True))]
    return "\n".join(lines)
