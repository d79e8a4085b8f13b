"""``python -m sse_core check URL``: a conformance report on an SSE server.

One line per finding (``severity rule: message (spec)``) and a summary, or
with ``--json`` one JSON document. Exit status 1 when a finding is an
error, 2 when the server could not be reached or the request is unusable.
"""

import argparse
import sys
from typing import BinaryIO, List, TextIO

from .._controls import escape_controls, escape_controls_in_json
from ..checker import DEFAULT_CONNECT_TIMEOUT, DEFAULT_DURATION, DEFAULT_IDLE_LIMIT, CheckError, Report, check
from ..errors import LocalProtocolError
from ._common import UsageError, header, read_json_body, seconds

__all__ = ["add_command"]

_UNREACHABLE = 2


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``check`` with the ``python -m sse_core`` command parser."""
    parser = commands.add_parser(
        "check",
        help="connect to an SSE server and report how its stream conforms",
        description=__doc__.split("\n")[0],
    )
    parser.add_argument("url", metavar="URL", help="http:// or https:// URL of the event stream")
    parser.add_argument("-X", "--request", dest="method", metavar="METHOD", help="default GET (POST with --openai)")
    parser.add_argument(
        "-H", "--header", dest="headers", type=header, action="append", default=[], metavar="'Name: value'", help="repeatable"
    )
    parser.add_argument("-d", "--data", metavar="JSON", help="JSON request body; @FILE reads a file, @- stdin")
    parser.add_argument(
        "--openai",
        action="store_true",
        help="an OpenAI-style stream: POST (a small streamed chat request unless -d), JSON payloads, [DONE]",
    )
    parser.add_argument(
        "--duration", type=seconds, default=DEFAULT_DURATION, metavar="SECONDS", help="stop reading after this long"
    )
    parser.add_argument("--resume", action="store_true", help="reconnect with Last-Event-ID and check continuity")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of lines")
    parser.add_argument("--connect-timeout", type=seconds, default=DEFAULT_CONNECT_TIMEOUT, metavar="SECONDS")
    parser.add_argument(
        "--idle-limit",
        type=seconds,
        default=DEFAULT_IDLE_LIMIT,
        metavar="SECONDS",
        help="proxy idle limit to judge heartbeats against (default 60)",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO) -> int:
    try:
        body = None if args.data is None else read_json_body(args.data, stdin)[0]
    except UsageError as exc:
        args.usage_error(str(exc))
    headers = list(args.headers)
    if body is not None and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
    try:
        try:
            report = check(
                args.url,
                method=args.method,
                headers=headers,
                body=body,
                openai=args.openai,
                duration=args.duration,
                resume=args.resume,
                connect_timeout=args.connect_timeout,
                idle_limit=args.idle_limit,
                progress=progress,
            )
        finally:
            if progress is not None:
                progress.clear()  # before anything else is written to stderr
    except (CheckError, LocalProtocolError, OSError) as exc:
        print(f"sse_core check: error: {escape_controls(str(exc))}", file=sys.stderr)
        return _UNREACHABLE
    stdout.write(_render(report, args.json).encode("utf-8"))
    stdout.flush()
    return 1 if report.errors else 0


def _render(report: Report, as_json: bool) -> str:
    # The findings quote the server (its headers, event data, reason phrase):
    # every control is escaped, one finding per line.
    if as_json:
        return escape_controls_in_json(report.to_json()) + "\n"
    lines: List[str] = [f"{item.severity} {item.rule}: {item.message} ({item.spec})" for item in report.findings]
    status = f"{report.status} {report.reason}".strip() if report.status is not None else "no valid response"
    lines.append(f"{report.method} {report.url}: {status}; {report.summary()}")
    return "".join(escape_controls(line) + "\n" for line in lines)


class _Progress:
    """One line on a terminal, rewritten in place: events so far, elapsed time."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = 0

    def __call__(self, events: int, elapsed: float) -> None:
        text = f"checking: {events} event(s), {elapsed:.1f} s"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
