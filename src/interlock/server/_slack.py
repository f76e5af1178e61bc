"""Approving from Slack: the Approve and Deny buttons of a hold's Slack message.

Slack POSTs each button press to the interactivity endpoint (`POST /v1/slack/interactions`)
as `application/x-www-form-urlencoded` with one field, `payload`: JSON with `type`
("block_actions"), `user.id`, `actions[].action_id` / `value`, and a `response_url` to
update the message. Every request is signed (Slack's "Verifying requests from Slack"):
`X-Slack-Signature: v0=` + hex HMAC-SHA256, keyed with the app's signing secret, of
`v0:{X-Slack-Request-Timestamp}:{raw body}`; the timestamp must be within `max_age` (five
minutes by default) of now, so a captured request cannot be replayed later.

A verified press is then an ordinary decision by a registered human: the Slack user must be
mapped to one in `[[slack.users]]` (unmapped users are refused), the approval store counts
one vote per human (a second press by the same person is refused, two-person rules hold),
owner separation applies, and a policy that held the action with `@approve_in("console")`
refuses Slack altogether: that human must approve in the console, with their TOTP code.
The outcome replaces the message (or, for a refusal, is shown to the presser only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from interlock.approvals import ApprovalRequest, Status
from interlock.config import SlackSettings
from interlock.errors import ConfigError
from interlock.model import Human
from interlock.server._api_approvals import decide, find
from interlock.server._auth import ApiRefusal, no_agent_credentials, plane_of

log = logging.getLogger("interlock.slack")
router = APIRouter(prefix="/v1/slack", tags=["slack"])

APPROVE, DENY = "interlock_approve", "interlock_deny"
CHANNEL_ANNOTATION = "approve_in"
MAX_BODY = 64 * 1024
RESPONSE_TIMEOUT = 5.0


# --- the pure part: signatures, payloads, messages ------------------------------------


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of one request."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()


def verify(
    secret: bytes, timestamp: str, body: bytes, signed: str, *, now: float, max_age: float
) -> str | None:
    """Why the request is not Slack's (None when it is): a missing or stale timestamp, or a
    signature that does not match (compared in constant time)."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "no valid X-Slack-Request-Timestamp"
    if abs(now - int(timestamp)) > max_age:
        return f"X-Slack-Request-Timestamp is more than {max_age:g} s from now"
    if not hmac.compare_digest(signature(secret, timestamp, body), signed.strip()):
        return "X-Slack-Signature does not match"
    return None


@dataclass(frozen=True, slots=True)
class Press:
    """One button press: who, which verb, on which request, where to answer."""

    slack_user: str
    verb: str  # approve | deny
    request_id: str
    response_url: str


def parse_press(body: bytes) -> Press:
    """The press in a block_actions payload; ValueError naming what is wrong."""
    fields = parse_qs(body.decode("utf-8", "strict"), strict_parsing=False)
    raw = fields.get("payload", [""])
    if len(raw) != 1 or not raw[0]:
        raise ValueError("no payload field")
    payload = json.loads(raw[0])
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise ValueError("not a block_actions payload")
    user = payload.get("user")
    actions = payload.get("actions")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        raise ValueError("no user.id")
    if not isinstance(actions, list) or len(actions) != 1 or not isinstance(actions[0], dict):
        raise ValueError("expected exactly one action")
    action = actions[0]
    verb = {APPROVE: "approve", DENY: "deny"}.get(str(action.get("action_id")))
    value = action.get("value")
    if verb is None or not isinstance(value, str) or not value.startswith("apr_"):
        raise ValueError("not an Interlock button")
    url = payload.get("response_url", "")
    return Press(user["id"], verb, value, url if isinstance(url, str) else "")


def buttons(request_id: str) -> dict[str, Any]:
    """The actions block of a hold's Slack message."""
    return {
        "type": "actions",
        "block_id": "interlock_decide",
        "elements": [
            {
                "type": "button",
                "action_id": APPROVE,
                "text": {"type": "plain_text", "text": "Approve"},
                "style": "primary",
                "value": request_id,
            },
            {
                "type": "button",
                "action_id": DENY,
                "text": {"type": "plain_text", "text": "Deny"},
                "style": "danger",
                "value": request_id,
            },
        ],
    }


def outcome_message(request: ApprovalRequest, human: Human, verb: str) -> dict[str, Any]:
    """What replaces the message once a press was recorded."""
    if verb == "deny":
        line = f":no_entry: Denied by {human.name}"
    elif request.status is Status.APPROVED:
        line = f":white_check_mark: Approved by {human.name}: the agent's action will run once"
    else:
        line = (
            f":ballot_box_with_check: {human.name} approved: {len(request.approvals)} of "
            f"{request.approvers_needed} distinct approvers so far"
        )
    text = f"{line}\n*{request.agent}* on *{request.resource}* ({request.environment}): " + (
        f"`{request.summary[:200]}`"
    )
    keep_buttons = verb == "approve" and request.status is Status.PENDING
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if keep_buttons:
        blocks.append(buttons(request.id))
    return {"replace_original": True, "text": text, "blocks": blocks}


def refusal_message(why: str) -> dict[str, Any]:
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": f":warning: Interlock did not record your press: {why}",
    }


def console_only(request: ApprovalRequest, policies: Mapping[str, Any]) -> str | None:
    """The policy that held `request` and asks for the console (with TOTP), if any."""
    held_by = request.detail.get("policies", [])
    for policy_id in held_by if isinstance(held_by, list) else []:
        policy = policies.get(str(policy_id))
        if policy is not None and policy.annotations.get(CHANNEL_ANNOTATION) == "console":
            return str(policy.id)
    return None


# --- the shell: the endpoint ------------------------------------------------------------


def settings_of(request: Request) -> SlackSettings:
    plane = plane_of(request)
    try:
        return plane.home.load_config().slack
    except ConfigError as exc:
        log.error("slack: %s", exc)
        return SlackSettings()


def _post(url: str, message: Mapping[str, Any]) -> None:
    """Answer on Slack's response_url (in the background: Slack wants the 200 at once)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return

    def send() -> None:
        data = json.dumps(message).encode()
        req = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=RESPONSE_TIMEOUT):  # noqa: S310
                pass
        except OSError as exc:
            log.warning("slack: could not update the message (%s)", type(exc).__name__)

    threading.Thread(target=send, name="interlock-slack-response", daemon=True).start()


@router.post(
    "/interactions",
    summary="Slack's interactivity endpoint: Approve / Deny buttons (signed by Slack)",
    dependencies=[Depends(no_agent_credentials)],
)
async def interactions(request: Request) -> Response:
    settings = settings_of(request)
    secret = os.environ.get(settings.signing_secret_env, "") if settings.enabled else ""
    if not secret:
        return JSONResponse({"detail": "Slack approvals are not configured"}, status_code=404)
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"detail": "request too large"}, status_code=413)
    plane = plane_of(request)
    why = verify(
        secret.encode(),
        request.headers.get("x-slack-request-timestamp", ""),
        body,
        request.headers.get("x-slack-signature", ""),
        now=time.time(),
        max_age=settings.max_age,
    )
    if why is not None:
        await run_in_threadpool(
            plane.audit.append, "approval", {"event": "slack_refused", "why": why}
        )
        return JSONResponse({"detail": why}, status_code=401)
    try:
        press = parse_press(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return JSONResponse({"detail": f"not a button press Interlock knows: {exc}"}, 400)
    refusal, message = await run_in_threadpool(_decide, plane, settings, press)
    if refusal is not None:
        await run_in_threadpool(
            plane.audit.append,
            "approval",
            {
                "event": "slack_refused",
                "id": press.request_id,
                "slack_user": press.slack_user,
                "why": refusal,
            },
        )
        message = refusal_message(refusal)
    _post(press.response_url, message)
    # Slack ignores this body for block_actions (the response_url carries the answer).
    return JSONResponse({"ok": refusal is None, "detail": refusal or "recorded"})


def _decide(plane: Any, settings: SlackSettings, press: Press) -> tuple[str | None, dict[str, Any]]:
    name = settings.users.get(press.slack_user)
    if name is None:
        return f"Slack user {press.slack_user} is not mapped to an Interlock human", {}
    known = {u.name: u for u in plane.humans.users()}
    record = known.get(name)
    if record is None:
        return f"{name} (mapped from Slack) is not a registered human", {}
    human = Human(name=record.name, role=record.role)
    try:
        current = find(plane, press.request_id)
    except ApiRefusal as exc:
        return str(exc.detail), {}
    if press.verb == "approve":
        policy = console_only(current, plane.bundle.policies)
        if policy is not None:
            return (
                f"policy {policy} requires approving in the Interlock console (with your "
                "TOTP code), not from Slack",
                {},
            )
    comment = f"from Slack ({press.slack_user})"
    try:
        decided = decide(plane, current.id, human, press.verb, comment)
    except ApiRefusal as exc:
        return str(exc.detail), {}
    return None, outcome_message(decided, human, press.verb)
