"""`/psa`: deterministic subcommands, no model. Each calls one MCP tool in process, as the technician who
typed it (the same guard rails, keys and audit as the agent), and formats its structured result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp_types import TextContent

from agent.slack.mcp import SharedServer
from agent.slack.people import Person
from agent.slack.render import escape, mrkdwn

HELP = """*`/psa` commands* (no model involved)
• `/psa ticket 1234`: the ticket
• `/psa search WORDS`: tickets whose summary has these words
• `/psa kb 1234`: knowledge-base articles for a ticket
• `/psa similar 1234`: resolved tickets like it
• `/psa summary 1234`: a summary of its notes
• `/psa help`: this list
Mention me (or DM me) to ask anything else; I ask before any write."""

ITEMS_SHOWN = 10


@dataclass(frozen=True)
class Subcommand:
    tool: str
    needs: str
    """`ticket` (a ticket number) or `words`."""
    show: Callable[[dict[str, Any], str | None], str]


async def _never(_message: str, _schema: dict[str, Any]) -> bool:
    # Every /psa subcommand is a read; a write question here would be a bug, and is declined.
    return False


def _line(*parts: Any) -> str:
    return " · ".join(escape(str(p)) for p in parts if p not in (None, "", []))


def _ticket(data: dict[str, Any], site: str | None) -> str:
    company = (data.get("company") or {}).get("name") if isinstance(data.get("company"), dict) else data.get("company")
    contact = (data.get("contact") or {}).get("name") if isinstance(data.get("contact"), dict) else None
    lines = [
        mrkdwn(f"*Ticket #{data.get('id')}*: {data.get('summary') or '(no summary)'}", site),
        _line(data.get("board"), data.get("status"), data.get("priority"), "closed" if data.get("closed") else None),
        _line(f"company {company}" if company else None, f"contact {contact}" if contact else None,
              f"owner {data.get('owner')}" if data.get("owner") else None, f"entered {data.get('entered')}" if data.get("entered") else None),
    ]
    if data.get("initial_description"):
        lines.append("> " + escape(str(data["initial_description"])[:1500]).replace("\n", "\n> "))
    notes = data.get("notes") or {}
    if notes.get("total"):
        lines.append(f"{notes['total']} notes")
    return "\n".join(line for line in lines if line)


def _search(data: dict[str, Any], site: str | None) -> str:
    items = data.get("items") or []
    if not items:
        return "No tickets found."
    lines = [mrkdwn(f"#{t['id']}", site) + " " + _line(t.get("summary"), t.get("status"), t.get("company")) for t in items[:ITEMS_SHOWN]]
    if len(items) > ITEMS_SHOWN or data.get("has_more"):
        lines.append("_More match: narrow the words._")
    return "\n".join(lines)


def _kb(data: dict[str, Any], _site: str | None) -> str:
    items = data.get("items") or []
    if not items:
        return "No knowledge-base articles found." + _index_note(data)
    lines = [f"• *{escape(str(a.get('title') or a['id']))}* (KB {a['id']}, score {a.get('score', 0):.2f}): {escape(str(a.get('resolution') or ''))[:300]}" for a in items[:ITEMS_SHOWN]]
    return "\n".join(lines) + _index_note(data)


def _similar(data: dict[str, Any], site: str | None) -> str:
    items = data.get("items") or []
    if not items:
        return "No similar resolved tickets found." + _index_note(data)
    lines = [
        "• " + mrkdwn(f"#{t['id']}", site) + " " + _line(t.get("summary"), t.get("company"), f"closed {t.get('closed')}" if t.get("closed") else None)
        + (f"\n    fix: {escape(str(t['resolution']))[:300]}" if t.get("resolution") else "")
        for t in items[:ITEMS_SHOWN]
    ]
    return "\n".join(lines) + _index_note(data)


def _summary(data: dict[str, Any], site: str | None) -> str:
    head = mrkdwn(f"*Ticket #{data.get('ticket_id')}*: notes summary ({data.get('notes_covered')} of {data.get('notes_total')} notes)", site)
    return head + "\n" + mrkdwn(str(data.get("text") or ""), site)


def _index_note(data: dict[str, Any]) -> str:
    index = data.get("index") or {}
    return "" if index.get("complete", True) else "\n_The index is still being built: results may be partial._"


SUBCOMMANDS: dict[str, Subcommand] = {
    "ticket": Subcommand("get_ticket", "ticket", _ticket),
    "search": Subcommand("search_tickets", "words", _search),
    "kb": Subcommand("suggest_kb_articles", "ticket", _kb),
    "similar": Subcommand("find_similar_tickets", "ticket", _similar),
    "summary": Subcommand("summarize_ticket_notes", "ticket", _summary),
}


def parse(text: str) -> tuple[Subcommand, dict[str, Any]] | str:
    """(the subcommand, its tool arguments), or the mrkdwn to answer instead (help, or what was wrong)."""
    name, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    sub = SUBCOMMANDS.get(name.lower())
    if sub is None:
        return HELP if name.lower() in ("", "help") else f"I don't know `{escape(name)}`.\n\n{HELP}"
    if sub.needs == "words":
        return (sub, {"text": rest[:200]}) if rest else f"Usage: `/psa {name.lower()} WORDS`"
    number = rest.lstrip("#")
    if not number.isdigit():
        return f"Usage: `/psa {name.lower()} TICKET_NUMBER`, e.g. `/psa {name.lower()} 1234`"
    return sub, {"ticket_id": int(number)}


async def answer(text: str, person: Person, mcp: SharedServer) -> str:
    """The reply to `/psa text` as mrkdwn."""
    if person.identity is None:
        return f"Sorry {escape(person.name)}, `/psa` is for technicians of this service desk, and your Slack account is not linked to one."
    parsed = parse(text)
    if isinstance(parsed, str):
        return parsed
    sub, arguments = parsed
    async with mcp.session(person.identity, _never) as client:
        result = await client.call_tool(sub.tool, arguments)
    if result.is_error or not isinstance(result.structured_content, dict):
        message = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
        return f"✗ {escape(message or 'the tool failed')}"
    return sub.show(result.structured_content, mcp.site)
