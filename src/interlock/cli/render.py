"""Human-readable, coloured explanations of decisions."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from interlock.model import Decision, Outcome, RiskLevel, Verb

OUTCOME_STYLE = {Outcome.ALLOW: "bold green", Outcome.HOLD: "bold yellow", Outcome.DENY: "bold red"}
RISK_STYLE = {
    Verb.READ: "green",
    Verb.WRITE: "cyan",
    Verb.PRIVILEGE: "yellow",
    Verb.DESTRUCTIVE: "red",
    Verb.UNKNOWN: "magenta",
}
RISK_LEVEL_STYLE = {
    RiskLevel.NONE: "green",
    RiskLevel.LOW: "cyan",
    RiskLevel.MEDIUM: "yellow",
    RiskLevel.HIGH: "red",
    RiskLevel.CRITICAL: "bold red",
}
OUTCOME_WORDS = {
    Outcome.ALLOW: "ALLOW",
    Outcome.HOLD: "HOLD — needs a human's approval",
    Outcome.DENY: "DENY",
}


def render_decision(console: Console, decision: Decision) -> None:
    style = OUTCOME_STYLE[decision.outcome]
    console.print(
        f"[{style}]{OUTCOME_WORDS[decision.outcome]}[/]  "
        f"risk [{RISK_STYLE[decision.risk]}]{decision.risk.value}[/]"
    )
    for item in decision.actions:
        action = item.action
        targets = f" → {escape(', '.join(action.targets[:5]))}" if action.targets else ""
        console.print(
            f"  [{OUTCOME_STYLE[item.outcome]}]{item.outcome.value:<5}[/] "
            f"[{RISK_STYLE[action.verb]}]{action.verb.value:<11}[/] "
            f"{escape(action.operation)}{targets}"
        )
        if action.reason:
            console.print(f"        [dim]{escape(action.reason)}[/]")
        if action.target is not None:
            where = action.target.resource
            console.print(f"        [dim]on {escape(where.name)} ({escape(where.environment)})[/]")
    deciding = [d for d in decision.actions if d.outcome is decision.outcome]
    for reason in dict.fromkeys(r for d in deciding for r in d.policy_reasons):
        console.print(f"  [bold]why:[/] {escape(reason)}")
    unusual = decision.baseline
    if unusual.reasons:
        style = RISK_LEVEL_STYLE[unusual.level]
        learning = " (still learning this agent: novelty does not count yet)" * unusual.learning
        console.print(
            f"  [bold]behaviour:[/] [{style}]{unusual.level.value}[/] risk, score "
            f"{unusual.score}{learning}"
        )
        for reason in unusual.reasons:
            console.print(f"        [dim]{escape(reason)}[/]")
    if decision.safeguards:
        console.print(f"  [bold]safeguards:[/] {escape(', '.join(decision.safeguards))}")
    if decision.outcome is Outcome.HOLD:
        console.print(
            "  [yellow]An agent receiving this must wait for a human to approve; "
            "it must not look for another way.[/]"
        )
