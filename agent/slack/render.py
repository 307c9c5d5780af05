"""Slack messages: Markdown to mrkdwn, ticket numbers as links to ConnectWise, the tool-call trace, the
approval message, and Slack's size limits (a section holds 3,000 characters, a message 50 blocks).

Ticket links point at ConnectWise's ticket page, `<site>/v4_6_release/services/system_io/Service/
fv_sr100_request.rails?service_recid=N`, on the web host of CW_SITE (its `api-` prefix dropped: api-na.
myconnectwise.net serves the API, na.myconnectwise.net the UI). On the sandbox the link goes to its loopback URL
(which serves no UI: the link form is what matters there).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from agent.slack.approvals import PendingWrite
from products import configured_product

SECTION_MAX = 3000
BLOCKS_MAX = 50
FALLBACK_MAX = 3000
"""The `text` of a message with blocks is only its notification fallback."""
TEXT_MAX = 39_000
"""Slack truncates a message's text past 40,000 characters."""
CUT = "…[cut: {n} more characters; ask for less, or open it in ConnectWise]"
APPROVE = "approve_write"
DECLINE = "decline_write"
OPEN_THREAD = "open_ticket_thread"
"""The button on a new ticket's hints (agent/slack/hints.py); its value is the ticket id."""
_TICKET_PATH = "/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid={id}"


def escape(text: str) -> str:
    """Slack's three control characters, as its formatting rules require."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ticket_url(site: str | None, ticket_id: int | str) -> str | None:
    if not site:
        return None
    parts = urlsplit(site.rstrip("/"))
    host = parts.netloc[4:] if parts.netloc.startswith("api-") else parts.netloc
    return urlunsplit((parts.scheme or "https", host, "", "", "")) + _TICKET_PATH.format(id=ticket_id)


_TICKET_REF = re.compile(r"(?i)(?<![\[\w/|])(ticket\s+#?|#)(\d{1,9})\b(?!\])")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_HEADING = re.compile(r"(?m)^#{1,6}\s+(.+?)\s*#*$")


def mrkdwn(markdown: str, site: str | None) -> str:
    """The model's Markdown as Slack mrkdwn, with ticket numbers (`#1234`, `ticket 1234`) linked. Note ids in
    brackets (`[#1234]`, how summaries cite notes) are left alone: they are not tickets."""
    text = escape(markdown)
    links: list[str] = []

    def keep(link: str) -> str:
        # Placeholders keep finished links out of the later rewrites.
        links.append(link)
        return f"\x00{len(links) - 1}\x00"

    text = _MD_LINK.sub(lambda m: keep(f"<{m.group(2)}|{m.group(1)}>"), text)
    text = _HEADING.sub(lambda m: f"*{m.group(1)}*", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)

    def ticket(m: re.Match[str]) -> str:
        url = ticket_url(site, m.group(2))
        return m.group(0) if url is None else keep(f"<{url}|{m.group(0)}>")

    text = _TICKET_REF.sub(ticket, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], text)


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    marker = CUT.format(n=0)
    keep = max(0, limit - len(marker) - 6)
    return text[:keep] + CUT.format(n=len(text) - keep)


def sections(text: str, *, plain: bool = False, budget: int = BLOCKS_MAX) -> list[dict[str, Any]]:
    """`text` in section blocks of at most 3,000 characters, split at line ends where it can be; past `budget`
    blocks the rest is cut with a marker."""
    chunks: list[str] = []
    rest = text
    while rest and len(chunks) < budget:
        if len(rest) <= SECTION_MAX:
            chunks.append(rest)
            rest = ""
            break
        split = rest.rfind("\n", SECTION_MAX // 2, SECTION_MAX)
        split = split + 1 if split > 0 else SECTION_MAX
        chunks.append(rest[:split])
        rest = rest[split:]
    if rest:
        chunks[-1] = cut(chunks[-1] + rest, SECTION_MAX)
    kind = "plain_text" if plain else "mrkdwn"
    return [{"type": "section", "text": {"type": kind, "text": chunk or " "}} for chunk in chunks]


def answer_message(markdown: str, site: str | None) -> dict[str, Any]:
    body = mrkdwn(markdown.strip() or "(no answer)", site)
    return {"text": cut(body, FALLBACK_MAX), "blocks": sections(body)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_MAX)}]}


# ---- progress and the trace of tool calls ------------------------------------------------------------------------

ARGS_SHOWN = 80


def trace_line(name: str, arguments: dict[str, Any], status: str | None) -> str:
    args = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
    shown = args if len(args) <= ARGS_SHOWN else args[: ARGS_SHOWN - 1] + "…"
    mark = {"ok": "✓", "error": "✗"}.get(status or "", "…")
    return f"{mark} `{escape(name)}` {escape(shown)}"


def status_message(headline: str, trace: list[str]) -> dict[str, Any]:
    lines = "\n".join(trace[-20:])
    if len(trace) > 20:
        lines = f"({len(trace) - 20} earlier calls not shown)\n" + lines
    blocks = [context(headline)] + ([context(lines)] if lines else [])
    return {"text": headline, "blocks": blocks}


# ---- the approval message ---------------------------------------------------------------------------------------


def approval_message(pending: PendingWrite) -> dict[str, Any]:
    """The server's preview exactly as sent (plain text: nothing in it is read as formatting), and the buttons.
    Each button's value is the pending write's id."""
    header = context(f"*Approval needed* · only {escape(pending.requester_name)} can approve this write")
    actions = {
        "type": "actions",
        "block_id": f"write_{pending.id}",
        "elements": [
            {"type": "button", "action_id": APPROVE, "value": pending.id, "style": "primary",
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": DECLINE, "value": pending.id, "style": "danger",
             "text": {"type": "plain_text", "text": "Decline"}},
        ],
    }
    preview = sections(pending.preview, plain=True, budget=BLOCKS_MAX - 2)
    # The fallback carries the whole preview too, unescaped: it is what notifications and screen readers show.
    return {"text": cut(f"Approval needed:\n{pending.preview}", TEXT_MAX), "blocks": [header, *preview, actions]}


def outcome_message(pending: PendingWrite, headline: str) -> dict[str, Any]:
    """The approval message once decided: the same preview, the buttons replaced by what happened."""
    preview = sections(pending.preview, plain=True, budget=BLOCKS_MAX - 1)
    return {"text": cut(headline, FALLBACK_MAX), "blocks": [context(headline), *preview]}


def outcome_headline(pending: PendingWrite, result: dict[str, Any] | None, fallback: str | None = None) -> str:
    """What the approval message says once the write is over: written (with the product's id) or not, and why."""
    who = escape(pending.requester_name)
    if pending.decision == "declined":
        return f"✗ *Not written*: declined by {who}."
    if pending.decision == "expired":
        return "✗ *Not written*: no answer in time (the approval expired)."
    result = result or {}
    status = result.get("status")
    message = escape(str(result.get("message") or fallback or ""))
    if status == "written":
        created = result.get("created_id")
        ident = f" ({configured_product().called} id {created})" if created is not None else ""
        return f"✓ *Written*{ident}, approved by {who}. {message}".strip()
    if status == "unknown":
        return f"? *Outcome unknown*, approved by {who}: {message}"
    return f"✗ *Not written*: {message or 'the write failed'}"
