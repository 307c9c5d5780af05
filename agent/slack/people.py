"""Which technician a Slack user is: linked by Slack id (`users link EMAIL --slack-id ID`), else by the email
Slack's users.info gives for them. Looked up on every message, so a new link or removal counts at once."""

from __future__ import annotations

import logging

from pydantic import BaseModel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from identity import technicians
from identity.models import Identity

log = logging.getLogger("psa_copilot.slack")


class Person(BaseModel):
    slack_id: str
    name: str
    """How Slack names them (for "only <name> can approve this"); their Slack id when unknown."""
    identity: Identity | None = None
    """None: not a technician of ours; nothing runs for them."""


def who_is(client: WebClient, slack_id: str) -> Person:
    """Blocking (a Web API call and SQLite): call it from a worker thread."""
    profile = _profile(client, slack_id)
    name = profile.get("real_name") or profile.get("display_name") or slack_id
    technician = technicians.lookup_by_slack_id(slack_id)
    email = (profile.get("email") or "").strip().lower()
    if technician is None and email:
        technician = technicians.lookup_by_email(email)
    if technician is None:
        return Person(slack_id=slack_id, name=name)
    identity = Identity(user=technician.email, member=technician.member, via="slack")
    return Person(slack_id=slack_id, name=name, identity=identity)


def _profile(client: WebClient, slack_id: str) -> dict[str, str]:
    try:
        user = client.users_info(user=slack_id).get("user") or {}
    except SlackApiError as exc:
        # Without users.info a linked Slack id still identifies them; an unlinked one stays unknown.
        log.warning("users.info failed for %s: %s", slack_id, exc.response.get("error"))
        return {}
    profile = dict(user.get("profile") or {})
    profile.setdefault("real_name", user.get("real_name") or user.get("name") or "")
    return {k: v for k, v in profile.items() if isinstance(v, str)}
