"""Note intelligence: turning a ticket's thread into a summary or a draft note.

The tools in tools/notes.py stay thin; the logic lives here, split by job:
- thread.py      the ticket and its notes as plain typed data (the one place that reads the PSA)
- summary.py     the summary's shape (points citing note ids) and its markdown rendering
- extractive.py  the deterministic, extractive summariser (always available)
- untrusted.py   spotting ticket text aimed at an AI assistant (a flag for the technician)
- llm.py         prompts for a model and parsing its reply (shared by MCP sampling and the OpenAI-compatible LLM)
- backends.py    the OpenAI-compatible backend and the backend choice with its fallbacks
- draft.py       the internal-analysis draft
- bench.py       ROUGE evaluation of the extractive summariser on TweetSumm
"""
