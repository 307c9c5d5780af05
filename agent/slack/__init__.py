"""The Slack bot: the copilot agent and the `/psa` command in Slack, writes approved with a button.

app.py wires slack_bolt's handlers (thin); conversations.py runs agent turns per thread; approvals.py holds
the writes waiting for a press; render.py turns results into Slack messages; commands.py answers `/psa`;
people.py says which technician a Slack user is; mcp.py shares one in-process MCP server between turns.
"""
