"""pass^k as tau-bench defines it: the chance that k independent trials of a task all succeed.

From n trials of a task with c successes the unbiased estimate is C(c, k) / C(n, k) (sampling k of the n trials
without replacement); the suite's pass^k is its mean over tasks. pass^1 is the plain success rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import comb


def task_pass_hat_k(successes: int, trials: int, k: int) -> float:
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({successes} of {trials})")
    if not 1 <= k <= trials:
        raise ValueError(f"k must be between 1 and the number of trials ({k} of {trials})")
    return comb(successes, k) / comb(trials, k)


def suite_pass_hat_k(outcomes: Mapping[str, Sequence[bool]], k: int) -> float:
    """Mean of the per-task estimates; every task needs at least k trials."""
    if not outcomes:
        raise ValueError("no tasks")
    return sum(task_pass_hat_k(sum(runs), len(runs), k) for runs in outcomes.values()) / len(outcomes)
