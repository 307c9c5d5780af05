"""The copilot agent: an OpenAI tool-calling loop (loop.py) over an MCP session with our server (session.py),
configured from the environment (llm.py); front-ends (chat.py) plug in through events and a confirm callback;
stub.py is a scripted OpenAI-compatible server for tests and scenario runs."""
