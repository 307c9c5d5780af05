"""The HTTP service: the MCP endpoint behind Host/Origin checks and sign-in, `/health`, and the OAuth
protected-resource metadata. Every route but `/health` needs a signed-in technician unless COPILOT_AUTH=none,
which is allowed only on a loopback bind."""
