"""``python -m sse_core serve``: run the mock OpenAI-compatible server until Ctrl-C."""

import argparse
import sys
import time
from typing import BinaryIO

from ..mock import MockOptions, MockServer, parse_fault
from ..mock.options import DEFAULT_LATENCY_MS, DEFAULT_TOKENS_PER_SECOND, FAULT_KINDS, Fault
from ._common import non_negative, seconds

__all__ = ["add_command", "add_pacing_arguments"]


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "serve",
        help="run the mock OpenAI-compatible server",
        description="Serve POST /v1/chat/completions, GET /v1/models, GET /events and a live page at GET /. "
        "Prints the URL it listens on, then one line per request on stderr; Ctrl-C stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--cors", metavar="ORIGIN", help="let pages from ORIGIN ('*' for any) read the responses")
    parser.add_argument(
        "--heartbeat", type=seconds, default=15.0, metavar="SECONDS", help="': ping' after this much silence"
    )
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    add_pacing_arguments(parser)
    parser.set_defaults(run=_serve)


def add_pacing_arguments(parser: argparse.ArgumentParser) -> None:
    """The options a command shares with ``demo``: pacing and faults of chat completions."""
    parser.add_argument(
        "--latency-ms",
        type=non_negative,
        default=DEFAULT_LATENCY_MS,
        metavar="MS",
        help=f"time to first token (default {DEFAULT_LATENCY_MS:g})",
    )
    parser.add_argument(
        "--tokens-per-second",
        type=non_negative,
        default=DEFAULT_TOKENS_PER_SECOND,
        metavar="N",
        help=f"pace of the tokens; 0 sends them at once (default {DEFAULT_TOKENS_PER_SECOND:g})",
    )
    parser.add_argument(
        "--fault",
        type=fault,
        metavar="KIND[:N]",
        help=f"inject a fault after N tokens into every chat completion: {' or '.join(FAULT_KINDS)}",
    )


def fault(text: str) -> Fault:
    """A fault such as ``error:3``, for argparse."""
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, not {text!r}")
    return int(text)


def _serve(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO) -> int:
    options = MockOptions(
        latency_ms=args.latency_ms,
        tokens_per_second=args.tokens_per_second,
        fault=args.fault,
        cors_origin=args.cors,
        heartbeat=args.heartbeat,
    )
    try:
        server = MockServer(args.host, args.port, options=options, log=None if args.quiet else sys.stderr)
    except OSError as exc:  # the port is taken, the address is not ours, ...
        print(
            f"sse_core serve: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    with server:
        stdout.write(f"{server.url}\n".encode("ascii"))
        stdout.flush()
        if not args.quiet:
            print(f"the OpenAI API at {server.url}/v1, a live page at {server.url}/; Ctrl-C stops", file=sys.stderr)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0
