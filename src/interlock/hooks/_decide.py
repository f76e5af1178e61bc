"""Turning a coding agent's tool call into a verdict, and recording it.

    shell command  -> the shell classifier (curl bodies go on to HTTP / GraphQL) -> gate
    MCP tool call  -> the MCP classifier -> gate
    file read      -> read the file (bounded) and refuse it if it holds a credential
    file write     -> refuse or hold writes to sensitive places (~/.ssh, /etc, .git/config,
                      .env, the agents' own hook settings, the Interlock home)
    other tools    -> read-only ones pass; unknown ones go to the gate as `unknown`

Each action of a shell command is decided on the resource it acts on (`interlock.targets`:
this machine's workspace, home or system; a registered resource matched by host, URL or
name; a target named as production); what cannot be resolved takes the environment of the
`[hooks]` table of interlock.toml (default: production, fail closed). A hold becomes the
agent's "ask" (or a deny where it has none) and opens a request in the approval store (the
one queue the console, the CLI and the HTTP proxy share) whose id the agent is told; once a
human approves it, the same tool call by the same agent is allowed once. Every verdict is
written to the audit log with the agent's session id.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.approvals import ApprovalStore
from interlock.audit import AuditLog
from interlock.checking import Checker, CheckRequest
from interlock.config import DEFAULT_BUDGET_SECONDS as DEFAULT_BUDGET_SECONDS
from interlock.config import DEFAULT_READ_LIMIT as DEFAULT_READ_LIMIT
from interlock.config import HookSettings as HookSettings
from interlock.config import ProductionMarker as ProductionMarker
from interlock.config import read_config
from interlock.enforce import ActionRequest, EnforcementPoint, suspended_decision
from interlock.errors import ConfigError, InterlockError
from interlock.gate import SELF_REFUSAL, Gate
from interlock.home import Home, find_home
from interlock.hooks._history import history_text
from interlock.hooks._pins import AGENT_SETTINGS, PinWatch
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
from interlock.hooks._snapshot import LocalSnapshots
from interlock.model import (
    SELF_PROTECTION_RULE,
    Action,
    ActionDecision,
    Decision,
    Outcome,
    Resource,
    Verb,
    unknown_action,
)
from interlock.protect import as_action, installation_places, scan_paths
from interlock.redact import is_sensitive_key
from interlock.secrets import contains_secret, find_secrets

MAX_READ_FILES = 50
SECRET_READ_RULE = "hooks-secret-read"  # noqa: S105 (a rule name)
SENSITIVE_WRITE_RULE = "hooks-sensitive-write"
WORKSPACE_RULE = "hooks-workspace-file"
FAILURE_RULE = "hooks-fail-closed"
PIN_RULE = "hooks-pinned-configuration"


def load_hook_settings(config_path: Path) -> HookSettings:
    """Read `[hooks]` from interlock.toml; raises `ConfigError` naming what is wrong."""
    return read_config(config_path).hooks


# --- sensitive places -------------------------------------------------------------------

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
    ".bash_login",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    ".profile",
    ".config/fish/",
    ".config/git/",
    ".config/environment.d/",
)
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist")


def sensitive_write(path: str, *, home_root: Path | None = None) -> tuple[Outcome, str] | None:
    """Whether writing `path` (absolute, normalised) must be refused or held, and why."""
    user_home = os.path.expanduser("~").rstrip("/") + "/"
    name = os.path.basename(path)
    if any(path.endswith("/" + tail) for tail in AGENT_SETTINGS):
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
    """Answers hook events with one checker and the hook settings; with a home, every verdict
    goes through the enforcement pipeline (`point`): recorded, and a hold meets the approval
    store there."""

    checker: Checker
    settings: HookSettings = field(default_factory=HookSettings)
    point: EnforcementPoint | None = None
    home_root: Path | None = None
    pins: PinWatch | None = None
    snapshots: LocalSnapshots | None = None  # the `snapshot` safeguard (hooks/_snapshot.py)

    @property
    def audit(self) -> AuditLog | None:
        return self.point.audit if self.point is not None else None

    @classmethod
    def for_home(cls, explicit: Path | None = None) -> HookDecider:
        """The decider for the home (policies, resources, agents, audit, approvals), or the
        defaults."""
        home = find_home(explicit)
        if home is None:
            return cls(Checker(Gate()))
        checker = _home_checker(home)
        audit = home.audit_log()
        from interlock.baseline import tracker_for_home

        checker.gate.baseline = tracker_for_home(home, audit=audit) or checker.gate.baseline
        point = EnforcementPoint(
            gate=checker.gate,
            audit=audit,
            approvals=ApprovalStore(home.database, audit=audit),
            hmac_key=home.hmac_key.read_bytes(),
            shadow=read_config(home.config_path).enforcement.shadow("hooks"),
            # Interlock's own guard holds in shadow mode too: its pins, and failing closed.
            enforced_in_shadow=frozenset({PIN_RULE, FAILURE_RULE}),
        )
        settings = load_hook_settings(home.config_path)
        return cls(
            checker,
            settings,
            point,
            home.root,
            PinWatch.for_home(home),
            LocalSnapshots(home, settings.snapshot_limit),
        )

    def answer(
        self,
        agent: str,
        raw: bytes,
        *,
        deadline: float | None = None,
        caller: Mapping[str, int] | None = None,
    ) -> HookAnswer:
        """The agent's exact answer to one raw event; never raises. `caller` is who asked, as
        the daemon's kernel saw it ({"uid", "pid"}; None in process), for the record."""
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
        try:
            verdict = self._pinned(verdict)
        except Exception as exc:  # checking the pins must never let a tool through
            verdict = Verdict(
                Permission.DENY,
                f"the pinned configuration could not be checked ({type(exc).__name__}); "
                "refused (fail closed)",
            )
        if self.snapshots is not None:  # only an allowed destructive command pays for it
            verdict = self.snapshots.guard(call, verdict, self.settings.agent or "")
        if deadline is not None and time.monotonic() > deadline:
            verdict = timeout_verdict(self.settings.budget_seconds)
        try:
            verdict = self._record(agent, call, verdict, caller)
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

    def _pinned(self, verdict: Verdict) -> Verdict:
        """Only reads pass while the guard's own configuration has drifted from its pins."""
        if self.pins is None or verdict.permission is Permission.DENY:
            return verdict
        if verdict.details.get("risk") == "read":
            return verdict
        drift = self.pins.drift()
        if drift is None:
            return verdict
        return Verdict(
            Permission.DENY,
            f"Interlock's configuration drifted: {drift}. Until a human checks it and pins it "
            "again (`interlock hooks pin`), only reads are allowed. Tell the user; do not try "
            "to change it back yourself.",
            details={"policies": [PIN_RULE], "risk": verdict.details.get("risk", "unknown")},
        )

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
            "shell", call.command, env=env, agent=self._principal_name(call), cwd=call.cwd
        )
        decision = self.checker.check(request)
        # Printing the environment is a secret read whatever else the command does.
        printed = [
            t[4:]
            for d in decision.actions
            if d.action.protocol == "shell" and d.action.operation in _ENVIRONMENT_READS
            for t in d.action.targets
            if t.startswith("env:")
        ]
        if any(name == "*" or is_sensitive_key(name) for name in printed):
            return self._environment_verdict(printed, call)
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
            for d in decision.actions:
                text = history_text(d.action, call.cwd, self.settings.read_limit)
                if text and contains_secret(text):
                    return self._history_verdict(d.action, call)
        env = decided_environment(decision, env)
        return self._from_decision(decision, call, "shell", call.command, env)

    def _mcp(self, call: ToolCall) -> Verdict:
        payload = dict(call.mcp or {})
        env = self.settings.environment_for(repr(payload))
        request = CheckRequest(
            "mcp", payload, env=env, agent=self._principal_name(call), cwd=call.cwd
        )
        decision = self.checker.check(request)
        return self._from_decision(decision, call, "mcp", payload, env)

    def _self_protection(self, call: ToolCall, *, change: bool) -> Verdict | None:
        """A file tool aimed at Interlock itself: refused, in every environment."""
        findings = scan_paths(call.paths, self.checker.places, cwd=call.cwd or None, change=change)
        if not findings:
            return None
        first = findings[0]
        return Verdict(
            Permission.DENY,
            f"{call.tool} on {first.target} is refused: {first.why}. Interlock protects itself; "
            "ask the user to make this change themselves.",
            details={
                "gate": _self_decision(call, [as_action(f) for f in findings]),
                "kind": "file",
                "payload": list(call.paths),
            },
        )

    def _read(self, call: ToolCall) -> Verdict:
        refused = self._self_protection(call, change=False)
        if refused is not None:
            return refused
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
        refused = self._self_protection(call, change=True)
        if refused is not None:
            return refused
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
            "gate": decision,
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

    def _history_verdict(self, action: Action, call: ToolCall) -> Verdict:
        name = self._principal_name(call)
        return Verdict(
            Permission.DENY,
            f"{action.detail or action.operation} prints a credential from the repository's "
            "history; reading it is refused. Do not look for credentials in files or history: "
            "ask the user for a scoped Interlock token instead "
            f"(`interlock agent create {name} --env <environment> --task '<what it is for>'`).",
            details={"policies": [SECRET_READ_RULE], "risk": "read", "paths": []},
        )

    def _environment_verdict(self, names: list[str], call: ToolCall) -> Verdict:
        shown = "every environment variable" if "*" in names else ", ".join(names)
        name = self._principal_name(call)
        return Verdict(
            Permission.DENY,
            f"printing {shown} is refused: environment variables hold credentials. Do not "
            "look for credentials: ask the user for a scoped Interlock token instead "
            f"(`interlock agent create {name} --env <environment> --task '<what it is for>'`); "
            "to see one setting, print it by name (`printenv PATH`).",
            details={"policies": [SECRET_READ_RULE], "risk": "read", "paths": []},
        )

    def _record(
        self,
        agent: str,
        call: ToolCall | None,
        verdict: Verdict,
        caller: Mapping[str, int] | None = None,
    ) -> Verdict:
        """Send the verdict through the pipeline: recorded before the tool runs; a hold is
        allowed once if a human approved exactly this call, else it opens a request."""
        if self.point is None:
            env = str(verdict.details.get("environment", "workspace"))
            if verdict.permission is Permission.ASK and not self.settings.may_ask(env):
                return Verdict(
                    Permission.DENY,
                    f"{verdict.reason} It needs a human's approval, and no Interlock home is "
                    "set up to queue one: ask the user to run it.",
                    None,
                    verdict.details,
                )
            return verdict
        details = dict(verdict.details)
        payload = details.pop("payload", None)
        held: Decision | None = details.pop("held", None)
        hold = bool(details.pop("hold", False))
        gate_decision: Decision | None = details.pop("gate", None)
        env = str(details.pop("environment", "workspace"))
        kind = str(details.pop("kind", call.kind.value if call else "unreadable"))
        for key in ("policies", "risk"):
            details.pop(key, None)
        decision = held if hold and held is not None else gate_decision
        if decision is None or decision.outcome.value != _OUTCOME_OF[verdict.permission]:
            decision = _rule_decision(verdict, kind, call)
        principal = self.settings.agent or agent
        agent_of = self.checker.principal(CheckRequest(kind, "", agent=principal))
        suspended = self.point.refusal(agent_of)
        if suspended is not None:  # its circuit breaker tripped: nothing runs until a human
            decision = suspended_decision(agent_of, suspended)
            verdict = Verdict(Permission.DENY, decision.reasons[0], None, verdict.details)
            hold = False
        context: dict[str, object] = {
            "event": call.event if call else "",
            "tool": call.tool if call else "",
            # A hold is recorded as one: what the agent is then told (a deny naming the
            # request, the host's ask, or allowed once approved) follows from it.
            "verdict": "hold" if hold else verdict.permission.value,
            "reason": verdict.reason,
            **details,
        }
        if call is not None and call.cwd:
            context["cwd"] = call.cwd
        if caller:
            context["caller"] = dict(caller)  # who asked, as the daemon's kernel saw it
        request = ActionRequest(
            source=f"hook:{agent}",
            agent=agent_of,
            resource=Resource(
                name=f"{agent}-{call.kind.value if call else 'event'}", environment=env
            ),
            kind=kind,
            payload=payload if payload is not None else "",
            summary="; ".join(d.action.detail or d.action.operation for d in decision.actions),
            session_id=call.session if call else "",
            stated_reason=call.description if call else "",
            context=context,
        )
        judged = self.point.record(self.point.verdict(request, decision))
        if judged.shadow:  # shadow mode: recorded as it would have been, then allowed
            return Verdict(Permission.ALLOW, judged.message, None, verdict.details)
        if not hold:
            return verdict
        asking = self.settings.may_ask(env)
        ttl = self.settings.ask_ttl if asking else None
        settled = self.point.resolve(judged, ttl=ttl)
        if settled.approved:
            allowed = Verdict(
                Permission.ALLOW, settled.message, settled.approval_id, verdict.details
            )
            if self.snapshots is not None and decision is not None:
                allowed = self.snapshots.after_approval(
                    call, allowed, decision, self.point, judged.seq
                )
            return allowed
        request_id = settled.approval_id
        if not request_id:
            return (
                verdict
                if asking
                else Verdict(Permission.DENY, verdict.reason, None, verdict.details)
            )
        if asking:
            reason = (
                f"{verdict.reason} Approval request {request_id} was created (it expires with "
                f"this prompt, in {self.settings.ask_ttl:g} s)."
            )
            return Verdict(Permission.ASK, reason, request_id, verdict.details)
        reason = (
            f"{verdict.reason} Interlock is holding it for a human: approval request "
            f"{request_id}. Do not look for another way to do this. Tell the user it needs "
            f"their approval in Interlock (`interlock approvals approve {request_id} --user "
            f"NAME` or the console), wait, and run exactly the same command again once it is "
            f"approved: it will run once."
        )
        return Verdict(Permission.DENY, reason, request_id, verdict.details)


_OUTCOME_OF = {Permission.ALLOW: "allow", Permission.ASK: "hold", Permission.DENY: "deny"}
_ENVIRONMENT_READS = frozenset({"shell:env", "shell:printenv"})


def decided_environment(decision: Decision, configured: str) -> str:
    """The environment a decision was made in: that of the resources its deciding actions
    act on (production when any of them is), else the configured one. It decides whether a
    hold may become the host's own ask (never on production) and labels the record."""
    envs = [
        d.action.target.resource.environment if d.action.target else configured
        for d in decision.actions
        if d.outcome is decision.outcome
    ]
    if "production" in envs:
        return "production"
    return envs[0] if envs else configured


def _self_decision(call: ToolCall, actions: list[Action]) -> Decision:
    decisions = tuple(
        ActionDecision(a, Outcome.DENY, (a.reason, SELF_REFUSAL), (SELF_PROTECTION_RULE,))
        for a in actions
    )
    return Decision(
        Outcome.DENY,
        Verb.DESTRUCTIVE,
        decisions,
        (decisions[0].reasons[0], SELF_REFUSAL),
        (SELF_PROTECTION_RULE,),
    )


def _rule_decision(verdict: Verdict, kind: str, call: ToolCall | None) -> Decision:
    """The decision of a hook rule (a secret read, a sensitive write, a failure), in the
    gate's shape, so every hook verdict is recorded like any other decision."""
    outcome = Outcome(_OUTCOME_OF[verdict.permission])
    details = verdict.details
    try:
        risk = Verb(str(details.get("risk", "unknown")))
    except ValueError:
        risk = Verb.UNKNOWN
    policies = tuple(str(p) for p in details.get("policies", ()) or (FAILURE_RULE,))
    targets = tuple(str(p) for p in details.get("paths", ()))
    tool = call.tool if call is not None and call.tool else kind
    action = Action(kind, f"{kind}:{tool}", risk, targets, reason=verdict.reason)
    return Decision(
        outcome,
        risk,
        (ActionDecision(action, outcome, (verdict.reason,), policies),),
        (verdict.reason,),
        policies,
        approvers=1 if outcome is Outcome.HOLD else 0,
    )


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
    from interlock.identity import registered_agents, registered_resources, resource_targets

    try:
        return Checker(
            Gate(home.load_policies()),
            resources={**registered_resources(home), **home.load_config().resources},
            agents=registered_agents(home),
            places=installation_places(home.root, _outside_state(home)),
            targets=resource_targets(home),
            workspace_environment=home.load_config().hooks.workspace_environment,
        )
    except InterlockError:
        raise
    except Exception as exc:
        raise ConfigError(f"{home.root}: cannot load the home ({exc})") from None


def _outside_state(home: Home) -> list[Path]:
    """State of the home kept outside it (the audit witness directory, the vault)."""
    witness = home.audit_settings().witness_directory
    outside = [witness] if witness is not None else []
    vault = home.vault_dir
    if not vault.is_relative_to(home.root):
        outside.append(vault)
    return outside


def settings_table(settings: HookSettings) -> Mapping[str, object]:
    """The effective `[hooks]` settings, for `interlock hooks status`."""
    return {
        "environment": settings.environment,
        "agent": settings.agent or "(the agent's own name)",
        "production_markers": [m.contains or f"${m.variable}" for m in settings.production_markers],
        "budget_seconds": settings.budget_seconds,
        "read_limit": settings.read_limit,
    }
