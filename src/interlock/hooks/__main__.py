"""`python -m interlock.hooks AGENT [--home DIR]`: answer one event without the daemon."""

import sys

from interlock.hooks._local import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
