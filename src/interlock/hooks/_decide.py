"""Turning a coding agent's tool call into a verdict, and recording it.

    shell command  -> the shell classifier (curl bodies go on to HTTP / GraphQL) -> gate
    MCP tool call  -> the MCP classifier -> gate
    file read      -> read the file (bounded) and refuse it if it holds a credential
    file write     -> refuse or hold writes to sensitive places (~/.ssh, /etc, .git/config,
                      .env, the agents' own hook settings, the Interlock home)
    other tools    -> read-only ones pass; unknown ones go to the gate as `unknown`

The environment of a shell command is not visible to a hook, so it comes from the `[hooks]`
table of interlock.toml (default: production, fail closed). A hold becomes the agent's "ask"
(or a deny where it has none) and opens a request in the approval store (the one queue the
console, the CLI and the HTTP proxy share) whose id the agent is told; once a human approves
it, the same tool call by the same agent is allowed once. Every verdict is written to the
audit log with the agent's session id.
"""

from __future__ import annotations

import glob
import os
import time
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.approvals import ApprovalStore
from interlock.audit import AuditLog
from interlock.checking import Checker, CheckRequest
from interlock.errors import ConfigError, InterlockError
from interlock.gate import Gate
from interlock.home import Home, find_home
from interlock.hooks._protocols import (
    EventError,
    HookAnswer,
    Permission,
    ToolCall,
    ToolKind,
    Verdict,
    deny_answer,
    parse_event,
    render,
)
from interlock.model import (
    Action,
    ActionDecision,
    Decision,
    Outcome,
    Resource,
    Verb,
    unknown_action,
)
from interlock.redact import redact_value
from interlock.secrets import contains_secret, find_secrets

DEFAULT_READ_LIMIT = 1_000_000
DEFAULT_BUDGET_SECONDS = 2.0
MAX_READ_FILES = 50
SECRET_READ_RULE = "hooks-secret-read"  # noqa: S105 (a rule name)
SENSITIVE_WRITE_RULE = "hooks-sensitive-write"
WORKSPACE_RULE = "hooks-workspace-file"
FAILURE_RULE = "hooks-fail-closed"


@dataclass(frozen=True, slots=True)
class ProductionMarker:
    """A declaration that a command or tool call touching something is production.

    `contains`: a substring (a host name, a database name); `variable`: an environment
    variable name whose use (`$NAME` / `${NAME}`) marks the command as production.
    """

    contains: str = ""
    variable: str = ""

    def matches(self, text: str) -> bool:
        if self.contains and self.contains in text:
            return True
        if self.variable:
            return f"${self.variable}" in text or f"${{{self.variable}}}" in text
        return False


@dataclass(frozen=True, slots=True)
class HookSettings:
    """The `[hooks]` table of interlock.toml."""

    environment: str = "production"
    agent: str | None = None
    production_markers: tuple[ProductionMarker, ...] = ()
    read_limit: int = DEFAULT_READ_LIMIT
    budget_seconds: float = DEFAULT_BUDGET_SECONDS

    def environment_for(self, text: str) -> str:
        if any(marker.matches(text) for marker in self.production_markers):
            return "production"
        return self.environment


def load_hook_settings(config_path: Path) -> HookSettings:
    """Read `[hooks]` from interlock.toml; raises `ConfigError` naming what is wrong."""
    try:
        raw = tomllib.loads(config_path.read_text())
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML ({exc})") from None
    table = raw.get("hooks", {})
    where = f"{config_path}: [hooks]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(table) - {
        "environment",
        "agent",
        "production_markers",
        "read_limit",
        "budget_seconds",
    }
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    environment = table.get("environment", "production")
    if not isinstance(environment, str) or not environment.strip():
        raise ConfigError(f"{where}: environment must be a non-empty string")
    agent = table.get("agent")
    if agent is not None and (not isinstance(agent, str) or not agent.strip()):
        raise ConfigError(f"{where}: agent must be a non-empty string")
    markers = []
    for index, spec in enumerate(table.get("production_markers", [])):
        at = f"{config_path}: [[hooks.production_markers]] #{index + 1}"
        if not isinstance(spec, dict) or set(spec) - {"contains", "variable"}:
            raise ConfigError(f"{at}: expected a table with `contains` or `variable`")
        contains, variable = spec.get("contains", ""), spec.get("variable", "")
        if not isinstance(contains, str) or not isinstance(variable, str):
            raise ConfigError(f"{at}: `contains` and `variable` must be strings")
        if not contains and not variable:
            raise ConfigError(f"{at}: give `contains` or `variable`")
        markers.append(ProductionMarker(contains, variable))
    read_limit = table.get("read_limit", DEFAULT_READ_LIMIT)
    if not isinstance(read_limit, int) or read_limit < 1024:
        raise ConfigError(f"{where}: read_limit must be an integer of at least 1024 (bytes)")
    budget = table.get("budget_seconds", DEFAULT_BUDGET_SECONDS)
    if not isinstance(budget, int | float) or not 0.05 <= budget <= 30:
        raise ConfigError(f"{where}: budget_seconds must be between 0.05 and 30")
    return HookSettings(environment, agent, tuple(markers), read_limit, float(budget))


# --- sensitive places -------------------------------------------------------------------

_HOOK_SETTINGS = (
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".cursor/hooks.json",
    ".codex/hooks.json",
    ".codex/config.toml",
    ".gemini/settings.json",
)
_HOME_ASK = (
    ".aws/",
    ".kube/",
    ".config/gcloud/",
    ".docker/config.json",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".gitconfig",
    ".bashrc",
    ".bash_profile",
    ".zshrc",
    ".profile",
)
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist")


def sensitive_write(path: str, *, home_root: Path | None = None) -> tuple[Outcome, str] | None:
    """Whether writing `path` (absolute, normalised) must be refused or held, and why."""
    user_home = os.path.expanduser("~").rstrip("/") + "/"
    name = os.path.basename(path)
    if any(path.endswith("/" + tail) for tail in _HOOK_SETTINGS):
        return Outcome.DENY, "it holds a coding agent's hook settings (Interlock's own hooks)"
    parts = path.split("/")
    if ".interlock" in parts or (home_root is not None and _under(path, str(home_root))):
        return Outcome.DENY, "it is inside the Interlock home (policies, keys, audit log)"
    if _under(path, user_home + ".ssh"):
        return Outcome.DENY, "it is an SSH key or SSH configuration"
    if "/.git/hooks/" in path:
        return Outcome.DENY, "git hooks run code on the next git command"
    if _under(path, "/etc"):
        return Outcome.HOLD, "it is system configuration (/etc)"
    if path.endswith("/.git/config"):
        return Outcome.HOLD, "it is a repository's git configuration (remotes, credentials)"
    if (name == ".env" or name.startswith(".env.")) and not name.endswith(_ENV_TEMPLATES):
        return Outcome.HOLD, "it is an environment file (usually credentials)"
    if path.startswith(user_home) and any(
        path[len(user_home) :] == tail.rstrip("/") or path[len(user_home) :].startswith(tail)
        for tail in _HOME_ASK
    ):
        return Outcome.HOLD, "it is user-level credential or shell configuration"
    return None


def _under(path: str, directory: str) -> bool:
    directory = directory.rstrip("/")
    return path == directory or path.startswith(directory + "/")


# --- the decider ------------------------------------------------------------------------


@dataclass(slots=True)
class HookDecider:
    """Answers hook events with one checker, the hook settings and an optional audit log."""

    checker: Checker
    settings: HookSettings = field(default_factory=HookSettings)
    audit: AuditLog | None = None
    home_root: Path | None = None
    approvals: ApprovalStore | None = None

    @classmethod
    def for_home(cls, explicit: Path | None = None) -> HookDecider:
        """The decider for the home (policies, resources, agents, audit, approvals), or the
        defaults."""
        home = find_home(explicit)
        if home is None:
            return cls(Checker(Gate()))
        audit = home.audit_log()
        return cls(
            _home_checker(home),
            load_hook_settings(home.config_path),
            audit,
            home.root,
            ApprovalStore(home.database, audit=audit),
        )

    def answer(self, agent: str, raw: bytes, *, deadline: float | None = None) -> HookAnswer:
        """The agent's exact answer to one raw event; never raises."""
        call: ToolCall | None = None
        try:
            call = parse_event(agent, raw)
            verdict = self.decide(call)
        except EventError as exc:
            verdict = Verdict(Permission.DENY, f"the hook event could not be read ({exc})")
        except Exception as exc:  # an internal failure must never let the tool run
            verdict = Verdict(
                Permission.DENY,
                f"internal error while deciding ({type(exc).__name__}); refused (fail closed)",
            )
        if deadline is not None and time.monotonic() > deadline:
            verdict = timeout_verdict(self.settings.budget_seconds)
        try:
            verdict = self._record(agent, call, verdict)
        except Exception as exc:
            # Nothing runs unrecorded: when the audit log cannot be written, refuse.
            verdict = Verdict(
                Permission.DENY,
                f"the decision could not be recorded in the audit log ({type(exc).__name__}); "
                "refused (fail closed)",
            )
        try:
            return render(call, agent, verdict)
        except Exception:
            return deny_answer(agent, "internal error while answering; refused (fail closed)")

    def decide(self, call: ToolCall) -> Verdict:
        if call.kind is ToolKind.IGNORED:
            return Verdict(Permission.ALLOW, f"{call.event} is not a tool call")
        if call.kind is ToolKind.SHELL:
            return self._shell(call)
        if call.kind is ToolKind.MCP:
            return self._mcp(call)
        if call.kind is ToolKind.READ:
            return self._read(call)
        if call.kind is ToolKind.WRITE:
            return self._write(call)
        if call.kind is ToolKind.SAFE:
            return Verdict(
                Permission.ALLOW,
                f"{call.tool} only reads or searches",
                details={"policies": [WORKSPACE_RULE], "risk": "read"},
            )
        return self._unknown_tool(call)

    # -- per kind

    def _principal_name(self, call: ToolCall) -> str:
        return self.settings.agent or call.agent

    def _shell(self, call: ToolCall) -> Verdict:
        env = self.settings.environment_for(call.command)
        request = CheckRequest(
            "shell", call.command, env=env, agent=self._principal_name(call), cwd=call.cwd or None
        )
        decision = self.checker.check(request)
        if decision.outcome is Outcome.ALLOW:
            # A command that only reads may still read a credential out of a file (`cat .env`).
            files = [
                t
                for d in decision.actions
                if d.action.verb is Verb.READ and d.action.protocol == "shell"
                for t in d.action.targets
            ]
            leak = self._secret_in(files, call.cwd)
            if leak is not None:
                return self._secret_verdict(leak, call)
        return self._from_decision(decision, call, "shell", call.command, env)

    def _mcp(self, call: ToolCall) -> Verdict:
        payload = dict(call.mcp or {})
        env = self.settings.environment_for(repr(payload))
        request = CheckRequest("mcp", payload, env=env, agent=self._principal_name(call))
        decision = self.checker.check(request)
        return self._from_decision(decision, call, "mcp", payload, env)

    def _read(self, call: ToolCall) -> Verdict:
        if call.content is not None and contains_secret(call.content[: self.settings.read_limit]):
            return self._secret_verdict(call.paths[0] if call.paths else "the file", call)
        leak = self._secret_in(call.paths, call.cwd)
        if leak is not None:
            return self._secret_verdict(leak, call)
        shown = ", ".join(call.paths[:3])
        return Verdict(
            Permission.ALLOW,
            f"reading {shown}: no credential found in it",
            details={"policies": [SECRET_READ_RULE], "risk": "read", "paths": list(call.paths)},
        )

    def _write(self, call: ToolCall) -> Verdict:
        worst: tuple[Outcome, str, str] | None = None
        for raw in call.paths:
            for path in _candidate_paths(raw, call.cwd):
                found = sensitive_write(path, home_root=self.home_root)
                if found is not None and (worst is None or found[0].severity > worst[0].severity):
                    worst = (found[0], path, found[1])
        details: dict[str, Any] = {"risk": "write", "paths": list(call.paths)}
        if worst is None:
            return Verdict(
                Permission.ALLOW,
                f"{call.tool} writes {', '.join(call.paths[:3]) or 'files'} in the workspace",
                details={**details, "policies": [WORKSPACE_RULE]},
            )
        outcome, path, why = worst
        details["policies"] = [SENSITIVE_WRITE_RULE]
        if outcome is Outcome.DENY:
            return Verdict(
                Permission.DENY,
                f"writing {path} is refused: {why}. Ask the user to make this change themselves.",
                details=details,
            )
        action = Action(
            "file", f"file:{call.tool}", Verb.WRITE, (path,), reason=why, detail=f"write {path}"
        )
        reason = f"writing {path} needs a human's approval: {why}."
        decision = Decision(
            Outcome.HOLD,
            Verb.WRITE,
            (ActionDecision(action, Outcome.HOLD, (reason,), (SENSITIVE_WRITE_RULE,)),),
            (reason,),
            (SENSITIVE_WRITE_RULE,),
            approvers=1,
        )
        return Verdict(
            Permission.ASK,
            reason,
            details={**details, "hold": True, "held": decision, "payload": list(call.paths)},
        )

    def _unknown_tool(self, call: ToolCall) -> Verdict:
        action = unknown_action("tool", f"{call.tool} is a tool Interlock does not know", call.tool)
        name = self._principal_name(call)
        request = CheckRequest("mcp", {}, env=self.settings.environment, agent=name)
        principal = self.checker.principal(request)
        resource = self.checker.resource(request)
        decision = self.checker.gate.decide(principal, resource, [action])
        return self._from_decision(decision, call, "tool", call.tool, self.settings.environment)

    # -- helpers

    def _from_decision(
        self, decision: Decision, call: ToolCall, kind: str, payload: object, env: str
    ) -> Verdict:
        reasons = "; ".join(decision.reasons[:3]) or decision.outcome.value
        details: dict[str, Any] = {
            "decision": decision.to_json(),
            "kind": kind,
            "environment": env,
            "payload": payload,
            "policies": list(decision.policies),
            "risk": decision.risk.value,
        }
        if decision.outcome is Outcome.ALLOW:
            return Verdict(Permission.ALLOW, reasons, details=details)
        if decision.outcome is Outcome.DENY:
            return Verdict(Permission.DENY, f"refused: {reasons}", details=details)
        return Verdict(
            Permission.ASK,
            f"held for a human's approval: {reasons}.",
            details={**details, "hold": True, "held": decision},
        )

    def _secret_in(self, paths: Iterable[str], cwd: str) -> str | None:
        """The first of `paths` that is a file holding a credential (bounded reads)."""
        seen = 0
        for raw in paths:
            for path in _candidate_paths(raw, cwd, expand_globs=True):
                if seen >= MAX_READ_FILES:
                    return None
                try:
                    if not os.path.isfile(path):
                        continue
                    seen += 1
                    with open(path, "rb") as handle:
                        data = handle.read(self.settings.read_limit)
                except OSError:
                    continue  # the agent's own read fails the same way
                if contains_secret(data.decode("utf-8", errors="replace")):
                    return path
        return None

    def _secret_verdict(self, path: str, call: ToolCall) -> Verdict:
        rule = ""
        try:
            with open(path, "rb") as handle:
                found = find_secrets(
                    handle.read(self.settings.read_limit).decode("utf-8", "replace")
                )
            rule = f" ({found[0].rule})" if found else ""
        except OSError:
            pass
        name = self._principal_name(call)
        return Verdict(
            Permission.DENY,
            f"{path} holds a credential{rule}; reading it is refused. Do not look for "
            "credentials in files: ask the user for a scoped Interlock token instead "
            f"(`interlock agent create {name} --env <environment> --task '<what it is for>'`).",
            details={"policies": [SECRET_READ_RULE], "risk": "read", "paths": [path]},
        )

    def _record(self, agent: str, call: ToolCall | None, verdict: Verdict) -> Verdict:
        """Write the verdict to the audit log; a hold also opens (or, once a human approved
        this exact call, claims) a request in the approval store."""
        if self.audit is None:
            return verdict
        details = dict(verdict.details)
        payload = details.pop("payload", None)
        held: Decision | None = details.pop("held", None)
        hold = bool(details.pop("hold", False))
        outcome = _OUTCOME_OF[verdict.permission]
        decision = dict(details.pop("decision", None) or {})
        decision.update(
            decision=outcome,
            risk=decision.get("risk", details.get("risk", "unknown")),
            actions=decision.get("actions", []),
            reasons=[*decision.get("reasons", []), verdict.reason][-4:],
            policies=decision.get("policies", details.get("policies", [])),
        )
        env = details.pop("environment", "workspace")
        kind = details.pop("kind", call.kind.value if call else "unreadable")
        principal = self.settings.agent or agent
        resource = Resource(name=f"{agent}-{call.kind.value if call else 'event'}", environment=env)
        body: dict[str, Any] = {
            "source": f"hook:{agent}",
            "principal": {"type": "agent", "name": principal},
            "resource": {"name": resource.name, "environment": resource.environment},
            "decision": decision,
            "session_id": call.session if call else "",
            "event": call.event if call else "",
            "tool": call.tool if call else "",
            "kind": kind,
            "verdict": verdict.permission.value,
            "reason": verdict.reason,
            **details,
        }
        if payload is not None:
            body["payload_hmac"] = self.audit.fingerprint(payload)
        if call is not None and call.cwd:
            body["cwd"] = call.cwd
        if not (hold and held is not None and self.approvals is not None):
            self.audit.append("decision", body)
            return verdict
        return self._hold(agent, principal, resource, kind, payload, held, body, verdict)

    def _hold(
        self,
        agent: str,
        principal: str,
        resource: Resource,
        kind: str,
        payload: object,
        held: Decision,
        body: dict[str, Any],
        verdict: Verdict,
    ) -> Verdict:
        """A held call: run once if a human approved exactly it, else open a request."""
        assert self.audit is not None and self.approvals is not None
        who = self.checker.principal(CheckRequest(kind, "", agent=principal))
        fingerprint = self.audit.fingerprint(
            {
                "agent": who.id or who.name,
                "resource": resource.name,
                "kind": kind,
                "payload": payload,
            }
        )
        approved = self.approvals.find_approved(fingerprint, who.id or who.name)
        if approved is not None:
            claimed = self.approvals.claim(approved.id, fingerprint)
            if claimed is not None:
                by = ", ".join(claimed.approvals) or "a human"
                reason = f"approved by {by} ({claimed.id}); allowed once"
                decision = {**body["decision"], "decision": "allow"}
                decision["reasons"] = [*decision.get("reasons", []), reason][-4:]
                self.audit.append(
                    "decision",
                    {
                        **body,
                        "decision": decision,
                        "verdict": Permission.ALLOW.value,
                        "reason": reason,
                        "approval_request": claimed.id,
                    },
                )
                return Verdict(Permission.ALLOW, reason, claimed.id, verdict.details)
        record = self.audit.append("decision", body)
        summary = "; ".join(d.action.detail or d.action.operation for d in held.actions)
        request = self.approvals.open_request(
            fingerprint=fingerprint,
            agent=who,
            resource=resource,
            decision=held,
            summary=str(redact_value(summary)),
            source=f"hook:{agent}",
            decision_seq=record.seq,
        )
        reason = (
            f"{verdict.reason} Approval request {request.id} was created; do not look for "
            f"another way to do this: wait for a human to approve {request.id}."
        )
        return Verdict(verdict.permission, reason, request.id, verdict.details)


_OUTCOME_OF = {Permission.ALLOW: "allow", Permission.ASK: "hold", Permission.DENY: "deny"}


def timeout_verdict(budget: float) -> Verdict:
    return Verdict(
        Permission.DENY,
        f"the decision took longer than its {budget:g} s budget; refused (fail closed)",
        details={"policies": [FAILURE_RULE]},
    )


def _candidate_paths(raw: str, cwd: str, *, expand_globs: bool = False) -> list[str]:
    """`raw` as absolute, normalised paths: lexical and (if different) symlink-resolved."""
    expanded = os.path.expanduser(raw)
    if not os.path.isabs(expanded):
        expanded = os.path.join(cwd or os.getcwd(), expanded)
    lexical = os.path.normpath(expanded)
    if expand_globs and any(c in lexical for c in "*?["):
        return sorted(glob.glob(lexical, recursive=True))[:MAX_READ_FILES]
    out = [lexical]
    try:
        resolved = str(Path(lexical).resolve())
    except (OSError, RuntimeError):
        resolved = lexical
    if resolved != lexical:
        out.append(resolved)
    return out


def _home_checker(home: Home) -> Checker:
    # Imported here: interlock.identity pulls in cryptography, needed only with a home.
    from interlock.identity import registered_agents, registered_resources

    try:
        return Checker(
            Gate(home.load_policies()),
            resources={**registered_resources(home), **home.load_config().resources},
            agents=registered_agents(home),
        )
    except InterlockError:
        raise
    except Exception as exc:
        raise ConfigError(f"{home.root}: cannot load the home ({exc})") from None


def settings_table(settings: HookSettings) -> Mapping[str, object]:
    """The effective `[hooks]` settings, for `interlock hooks status`."""
    return {
        "environment": settings.environment,
        "agent": settings.agent or "(the agent's own name)",
        "production_markers": [m.contains or f"${m.variable}" for m in settings.production_markers],
        "budget_seconds": settings.budget_seconds,
        "read_limit": settings.read_limit,
    }
