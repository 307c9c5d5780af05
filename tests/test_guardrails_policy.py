"""Write policy extensions: the board allowlist and confirm_write's exposure."""

from __future__ import annotations

import pytest

from guardrails.policy import Policy, PolicyError
from tools.registry import registry


def test_write_boards_parsing() -> None:
    assert Policy.from_env({}).write_boards is None
    assert Policy.from_env({"COPILOT_WRITE_BOARDS": " Help Desk , Projects"}).write_boards == {"Help Desk", "Projects"}
    with pytest.raises(PolicyError, match="COPILOT_WRITE_BOARDS"):
        Policy.from_env({"COPILOT_WRITE_BOARDS": " , "})


def test_board_denial_is_case_insensitive_and_fails_closed() -> None:
    policy = Policy(write_boards=frozenset({"Help Desk"}))
    assert policy.board_denial("add_ticket_note", "help desk") is None
    denial = policy.board_denial("add_ticket_note", "Projects")
    assert denial is not None and "COPILOT_WRITE_BOARDS" in denial.message() and "'Projects'" in denial.message()
    assert policy.board_denial("add_ticket_note", None) is not None  # no board: not on an allowed board
    assert Policy().board_denial("add_ticket_note", None) is None  # no allowlist: no restriction


def test_confirm_write_only_in_two_step_with_a_write_tool_enabled() -> None:
    spec = registry()["confirm_write"]
    assert Policy().denial(spec) is not None
    assert Policy(write_mode="read_only").denial(spec) is not None
    assert Policy(write_mode="two_step").denial(spec) is None
    # An allowlist naming a write tool need not name confirm_write too...
    assert Policy(write_mode="two_step", enabled_tools=frozenset({"add_ticket_note"})).denial(spec) is None
    # ...but with no write tool enabled there is nothing to confirm.
    assert Policy(write_mode="two_step", enabled_tools=frozenset({"get_ticket"})).denial(spec) is not None
    assert Policy(write_mode="two_step", disabled_tools=frozenset({"confirm_write"})).denial(spec) is not None


def test_describe_names_the_board_allowlist() -> None:
    assert "write_boards=Help Desk" in Policy(write_boards=frozenset({"Help Desk"})).describe()
