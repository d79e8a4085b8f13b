"""``python -m sse_core``: the command line, which lives in :mod:`sse_core.cli`."""

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
