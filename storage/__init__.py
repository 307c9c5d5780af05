"""Our own state in SQLite under COPILOT_DATA_DIR: the one place that writes SQL for it (technicians today).

The audit log (guardrails/audit.py) still holds its own SQL; nothing here depends on it.
"""
