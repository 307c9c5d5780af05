"""Our own state in SQLite under COPILOT_DATA_DIR, and the one place that writes SQL for it: the audit log
(audit.py, `audit.db`) and the technicians (technicians.py, `copilot.db`). Nothing here imports our other
packages, so every layer can use it; a shared database for several replicas replaces these modules only."""
