"""Command line: python -m sse_core COMMAND.

Each command lives in a module of its own, which registers it with
``add_command(commands)`` and sets ``run(args, stdin, stdout)``, returning
the exit status (None for 0). An error the command reports itself is one
line on stderr and exit status 1.
"""

import argparse
import os
import sys
from typing import List, Optional

from .._controls import escape_controls
from ..errors import SSEError
from . import check, demo, encode, get, parse, serve
from ._common import UsageError

__all__ = ["main"]


def main(argv: Optional[List[str]] = None) -> int:
    """Run ``python -m sse_core`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = _build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # parse_args() would blame the top-level parser and print its usage;
        # the command's own usage is the one that helps.
        args.usage_error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        status = args.run(args, sys.stdin.buffer, sys.stdout.buffer)
    except (SSEError, UsageError) as exc:
        # One line, whatever the message carries (a server's text, a line of input).
        print(f"sse_core {args.command}: error: {escape_controls(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python
        # from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status or 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sse_core", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (parse, encode, demo, serve, get, check):
        command.add_command(commands)
    for subparser in commands.choices.values():
        subparser.set_defaults(usage_error=subparser.error)
    return parser
