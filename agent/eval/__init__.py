"""The agent scenario suite (tau-bench style) behind `psa-copilot eval`: scenarios picked from the seeded sandbox
(scenarios.py, seedfacts.py), a REST end-state grader (state.py, grader.py), the runner and pass^k (runner.py,
metrics.py), stub scripts for CI (stub_scripts.py) and the report (report.py, cli.py). See docs/eval.md."""
