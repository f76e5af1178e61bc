"""`python -m interlock.cli._supervised ARGS…`: one child of `interlock up`.

It is the `interlock` command line with one difference: SIGTERM means what Ctrl-C means.
The control plane and the hooks daemon handle SIGTERM themselves; for a child that only
handles KeyboardInterrupt (the PostgreSQL proxy), this turns the supervisor's SIGTERM into
the same clean shutdown (listener closed, sessions ended and recorded) instead of an
immediate death.
"""

from __future__ import annotations

import signal
import sys


def main() -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.argv = ["interlock", *sys.argv[1:]]
    from interlock.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
