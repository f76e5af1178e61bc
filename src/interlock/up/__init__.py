"""`interlock up`: every configured component in its own supervised child process.

    _plan        interlock.toml → a `Plan` (which children, their arguments, where they
                 listen), validated by each component's own loader; no I/O but reading
    _supervisor  start, probe, restart with back-off, stop (SIGTERM, then SIGKILL)
    children run `python -m interlock.cli._supervised …` (the CLI, SIGTERM as Ctrl-C)

See docs/up.md.
"""

from interlock.up._plan import ChildSpec, Plan, Probe, load_plan
from interlock.up._supervisor import Supervisor, backoff, probe

__all__ = ["ChildSpec", "Plan", "Probe", "Supervisor", "backoff", "load_plan", "probe"]
