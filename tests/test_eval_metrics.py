"""pass^k arithmetic (tau-bench): C(c, k) / C(n, k) per task, averaged over tasks."""

from __future__ import annotations

import pytest

from agent.eval.metrics import suite_pass_hat_k, task_pass_hat_k


def test_task_estimates() -> None:
    assert task_pass_hat_k(4, 4, 4) == 1.0
    assert task_pass_hat_k(3, 4, 1) == 0.75
    assert task_pass_hat_k(3, 4, 2) == pytest.approx(3 / 6)  # C(3,2)/C(4,2)
    assert task_pass_hat_k(3, 4, 3) == pytest.approx(1 / 4)  # C(3,3)/C(4,3)
    assert task_pass_hat_k(3, 4, 4) == 0.0
    assert task_pass_hat_k(0, 5, 1) == 0.0


def test_suite_is_the_mean_over_tasks() -> None:
    outcomes = {"a": [True, True, True], "b": [True, False, True], "c": [False, False, False]}
    assert suite_pass_hat_k(outcomes, 1) == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert suite_pass_hat_k(outcomes, 2) == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert suite_pass_hat_k(outcomes, 3) == pytest.approx(1 / 3)


def test_pass_hat_k_never_rises_with_k() -> None:
    outcomes = {"a": [True, False, True, True, False], "b": [True] * 5}
    values = [suite_pass_hat_k(outcomes, k) for k in range(1, 6)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(("c", "n", "k"), [(3, 2, 1), (-1, 2, 1), (1, 2, 0), (1, 2, 3)])
def test_bad_arguments(c: int, n: int, k: int) -> None:
    with pytest.raises(ValueError):
        task_pass_hat_k(c, n, k)
