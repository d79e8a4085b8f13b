"""``python -m sse_core get URL``: a curl for event streams.

The output formats and exit statuses are in ``_EPILOG``, which ``--help``
prints.
"""

import argparse
import contextlib
import socket
import ssl
import sys
from typing import Any, BinaryIO, Callable, List, NamedTuple, NoReturn, Optional, Tuple

from .._controls import escape_controls
from ..adapters._explain import explain_error, trim_explanation
from ..adapters.client import (
    ContentTypeError,
    EndReason,
    EventSource,
    Response,
    ResponseError,
    Timeouts,
    stream,
)
from ..adapters.llm import InvalidJSON, ServerErrorEvent, TruncatedStream, delta_text, stream_json
from ..decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from ..encoder import encode
from ..errors import LimitExceeded, LocalProtocolError, RemoteProtocolError
from ..events import Event
from ._common import UsageError, count_or_none, header, json_line, read_json_body, seconds_or_none

__all__ = [
    "add_command",
    "EXIT_SERVER_ERROR",
    "EXIT_USAGE",
    "EXIT_NO_RESPONSE",
    "EXIT_STREAM_BROKEN",
    "DEFAULT_MAX_RECONNECTS",
]

EXIT_SERVER_ERROR = 1
EXIT_USAGE = 2  # argparse's own
EXIT_NO_RESPONSE = 3
EXIT_STREAM_BROKEN = 4

# Enough to ride out a server restart (with backoff, minutes), few enough
# that a tool left running against a broken server stops on its own.
DEFAULT_MAX_RECONNECTS = 10

_DESCRIPTION = "Connect to an event stream and print its events, each as it arrives."
_EPILOG = """\
output (stdout, flushed per event):
  default   event stream text: event:, id:, retry: and data: lines and a blank
            line per event (id: where it changes; parse decodes it back)
  --json    one JSON object per line: {"event": ..., "data": ..., "id": ...}
  --openai  the text of choices[].delta.content, flushed per chunk, then a newline
  data: [DONE] is printed and ends the stream. Errors go to stderr.
  Control characters from the server are shown as \\xNN (in JSON as \\u00NN);
  the default and --openai text are escaped only when stdout is a terminal.

exit status:
  0    the stream ended at an event boundary, at [DONE], or with HTTP 204
  1    an HTTP error status, a response that is not an event stream, or with
       --openai an error event or a chunk that is not JSON
  2    usage error
  3    no response: connection refused, DNS, TLS, a timeout, a malformed head
  4    the stream broke off: cut short, --idle-timeout, a size limit, no [DONE]
       with --openai, --max-reconnects used up
  130  interrupted (Ctrl-C)
"""
_DONE = "[DONE]"
_DEFAULT_TIMEOUTS = Timeouts()


class _Request(NamedTuple):
    method: str
    url: str
    headers: List[Tuple[str, str]]
    body: Optional[bytes]  # the -d bytes, checked to be JSON
    json: Any  # the same, decoded (None without -d)


def add_command(commands: "argparse._SubParsersAction") -> None:
    """Register ``get`` with the ``python -m sse_core`` subcommands."""
    get = commands.add_parser(
        "get",
        help="connect to an event stream URL and print its events as they arrive",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    get.add_argument("url", metavar="URL", help="http:// or https:// URL")
    get.add_argument("-X", "--request", dest="method", metavar="METHOD", help="default GET, POST with -d or --openai")
    get.add_argument(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        type=header,
        metavar="'NAME: VALUE'",
        help="add or replace a request header (repeatable)",
    )
    get.add_argument("-d", "--data", metavar="JSON", help="JSON request body; @FILE reads a file, @- stdin")
    output = get.add_mutually_exclusive_group()
    output.add_argument(
        "--openai",
        action="store_true",
        help='POST the body with "stream": true; print choices[].delta.content as it comes',
    )
    output.add_argument("--json", action="store_true", help='one JSON object per event: {"event", "data", "id"}')
    get.add_argument("-i", "--include", action="store_true", help="print the response status and headers first")
    get.add_argument("--last-event-id", default="", metavar="ID", help="send Last-Event-ID: ID")
    get.add_argument(
        "--reconnect",
        action="store_true",
        help="reconnect with Last-Event-ID when a stream ends, as a browser does, until HTTP 204",
    )
    get.add_argument(
        "--max-reconnects",
        type=count_or_none,
        default=argparse.SUPPRESS,  # absent unless given, so that it can need --reconnect
        metavar="N",
        help=f"with --reconnect, give up after N reconnections ('none': never; default {DEFAULT_MAX_RECONNECTS})",
    )
    get.add_argument(
        "--connect-timeout",
        type=seconds_or_none,
        default=_DEFAULT_TIMEOUTS.connect,
        metavar="S",
        help=f"seconds to connect (0 or 'none': no bound; default {_DEFAULT_TIMEOUTS.connect:g})",
    )
    get.add_argument(
        "--idle-timeout",
        type=seconds_or_none,
        default=_DEFAULT_TIMEOUTS.idle,
        metavar="S",
        help=f"seconds without a byte before giving up (0 or 'none': no bound; default {_DEFAULT_TIMEOUTS.idle:g})",
    )
    get.add_argument(
        "--max-line-size",
        type=count_or_none,
        default=DEFAULT_MAX_LINE_SIZE,
        metavar="BYTES",
        help=f"longest line of the stream ('none': no bound; default {DEFAULT_MAX_LINE_SIZE >> 20} MiB)",
    )
    get.add_argument(
        "--max-event-size",
        type=count_or_none,
        default=DEFAULT_MAX_EVENT_SIZE,
        metavar="BYTES",
        help=f"most data in one event ('none': no bound; default {DEFAULT_MAX_EVENT_SIZE >> 20} MiB)",
    )
    get.add_argument("--transport", choices=("socket", "http.client"), default="socket")
    get.set_defaults(run=_run)


def _run(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO) -> int:
    try:
        return _get(args, stdin, stdout)
    except (UsageError, LocalProtocolError) as exc:
        # LocalProtocolError: a URL, a method or a header that the wire cannot carry.
        usage_error: Callable[[str], NoReturn] = args.usage_error
        usage_error(str(exc))


def _get(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO) -> int:
    request = _build_request(args, stdin)
    timeouts = Timeouts(connect=args.connect_timeout, idle=args.idle_timeout)
    try:
        if args.openai:
            return _get_text(args, request, timeouts, stdout)
        if args.reconnect:
            return _get_reconnecting(args, request, timeouts, stdout)
        return _get_once(args, request, timeouts, stdout)
    except ResponseError as exc:
        _report(_explain_response_error(exc))
        return EXIT_SERVER_ERROR
    except BrokenPipeError:
        raise  # stdout is gone, not the server: main() handles it
    except (OSError, RemoteProtocolError) as exc:
        _report(f"no response from {request.url}: {_explain_connection_error(exc)}")
        return EXIT_NO_RESPONSE


def _build_request(args: argparse.Namespace, stdin: BinaryIO) -> _Request:
    if args.openai and (args.reconnect or args.include):
        raise UsageError("--openai cannot be combined with --reconnect or --include")
    if hasattr(args, "max_reconnects") and not args.reconnect:
        raise UsageError("--max-reconnects needs --reconnect")
    method = args.method or ("POST" if args.data is not None or args.openai else "GET")
    if args.openai and method.upper() != "POST":
        raise UsageError("--openai always POSTs (drop -X)")
    body, value = None, None
    if args.data is not None:
        body, value = read_json_body(args.data, stdin)
    if args.openai and args.data is not None and not isinstance(value, dict):
        raise UsageError("--openai needs a JSON object as the body: -d '{...}'")
    headers = list(args.headers)
    named = {name.lower() for name, _ in headers}
    if body is not None and not args.openai and "content-type" not in named:
        headers.insert(0, ("Content-Type", "application/json"))
    if args.last_event_id and not args.reconnect and "last-event-id" not in named:
        headers.append(("Last-Event-ID", args.last_event_id.encode("utf-8", "surrogateescape").decode("latin-1")))
    return _Request(method, args.url, headers, body, value)


def _get_once(args: argparse.Namespace, request: _Request, timeouts: Timeouts, stdout: BinaryIO) -> int:
    printer = _EventPrinter(stdout, args.json)
    with stream(
        request.method,
        request.url,
        headers=request.headers,
        content=request.body,
        timeouts=timeouts,
        transport=args.transport,
        done_marker=None,
        max_line_size=args.max_line_size,
        max_event_size=args.max_event_size,
    ) as response:
        if args.include:
            printer.head(response)
        for event in response:
            printer.event(event)
            if event.data == _DONE:
                return 0
    if response.end_reason is EndReason.CLOSED:
        return 0
    _report(_explain_end(response.end_reason, response.error, timeouts))
    return EXIT_STREAM_BROKEN


def _get_reconnecting(args: argparse.Namespace, request: _Request, timeouts: Timeouts, stdout: BinaryIO) -> int:
    printer = _EventPrinter(stdout, args.json)
    limit = getattr(args, "max_reconnects", DEFAULT_MAX_RECONNECTS)
    shown: Optional[Response] = None
    source = EventSource(
        request.url,
        method=request.method,
        headers=request.headers,
        content=request.body,
        transport=args.transport,
        timeouts=timeouts,
        last_event_id=args.last_event_id,
        max_reconnects=limit,
        done_marker=None,
        max_line_size=args.max_line_size,
        max_event_size=args.max_event_size,
    )
    with source:
        try:
            for event in source:
                if args.include and source.response is not shown:
                    shown = source.response
                    printer.head(shown)
                printer.event(event)
                if event.data == _DONE:
                    return 0
        except LimitExceeded as exc:
            if source.end_reason is not EndReason.LIMIT_EXCEEDED:
                raise  # a response head over its bound: no response
            _report(_explain_end(EndReason.LIMIT_EXCEEDED, exc, timeouts))
            return EXIT_STREAM_BROKEN
    last = source.response
    if args.include and last is not None and last is not shown:
        printer.head(last)
    if last is not None and last.status == 204:
        return 0
    how = source.end_reason.value if source.end_reason is not None else "unread"
    _report(f"gave up after {limit} reconnections (the last stream ended: {how})")
    return EXIT_STREAM_BROKEN


def _get_text(args: argparse.Namespace, request: _Request, timeouts: Timeouts, stdout: BinaryIO) -> int:
    chunks = stream_json(
        request.url,
        request.json if request.json is not None else {},
        headers=request.headers,
        timeouts=timeouts,
        transport=args.transport,
        max_line_size=args.max_line_size,
        max_event_size=args.max_event_size,
    )
    printer = _TextPrinter(stdout)
    # closing(): a Ctrl-C between two chunks leaves the generator suspended
    # with its connection open; close it now rather than at exit.
    with contextlib.closing(chunks):
        try:
            for chunk in chunks:
                printer.write(delta_text(chunk))
        except ServerErrorEvent as exc:
            printer.end_line()
            _report(f"the server sent an error event: {explain_error(exc.payload)}")
            return EXIT_SERVER_ERROR
        except InvalidJSON as exc:
            printer.end_line()
            _report(f"an event's data is not JSON: {trim_explanation(exc.data)}")
            return EXIT_SERVER_ERROR
        except TruncatedStream as exc:
            printer.end_line()
            _report(f"the stream ended without [DONE]: {_explain_end(exc.reason, exc.__cause__, timeouts)}")
            return EXIT_STREAM_BROKEN
    printer.end_line()
    return 0


class _EventPrinter:
    """Writes each event (and the response head) to stdout, flushed at once.

    The event stream text is the server's, byte for byte, unless stdout is a
    terminal (``on_terminal``), where its controls are escaped; the head is
    escaped always, and JSON escapes every control (see ``_controls``).
    """

    def __init__(self, stdout: BinaryIO, as_json: bool) -> None:
        self._stdout = stdout
        self._as_json = as_json
        self._on_terminal = stdout.isatty()
        self._last_id = ""

    def head(self, response: Response) -> None:
        if self._as_json:
            self._write(json_line({"status": response.status, "reason": response.reason, "headers": response.headers}))
            return
        lines = [f"HTTP {response.status} {response.reason}"]
        lines += [f"{name}: {value}" for name, value in response.headers]
        text = "".join(escape_controls(line) + "\n" for line in lines) + "\n"
        self._write(text.encode("utf-8", "replace"))

    def event(self, event: Event) -> None:
        if self._as_json:
            self._write(json_line({"event": event.event, "data": event.data, "id": event.id}))
            return
        # The ID persists from event to event: write it where it changes, so
        # the text is an event stream that decodes to these same events.
        text = encode(
            event.data,
            event=None if event.event == "message" else event.event,
            id=event.id if event.id != self._last_id else None,
            retry=event.retry,
        )
        self._last_id = event.id
        if self._on_terminal:
            text = escape_controls(text.decode("utf-8"), keep_line_breaks=True).encode("utf-8")
        self._write(text)

    def _write(self, data: bytes) -> None:
        self._stdout.write(data)
        self._stdout.flush()


class _TextPrinter:
    """Writes text pieces as they come, and ends the text with a line feed.

    As with the event stream, the text is the server's unless stdout is a
    terminal, where its controls (but line feeds and tabs) are escaped.
    """

    def __init__(self, stdout: BinaryIO) -> None:
        self._stdout = stdout
        self._on_terminal = stdout.isatty()
        self._at_line_start = True

    def write(self, text: str) -> None:
        if text:
            shown = escape_controls(text, keep_line_breaks=True) if self._on_terminal else text
            # "replace": a JSON escape can decode to a lone surrogate.
            self._stdout.write(shown.encode("utf-8", "replace"))
            self._stdout.flush()
            self._at_line_start = text.endswith("\n")

    def end_line(self) -> None:
        if not self._at_line_start:
            self.write("\n")


def _report(message: str) -> None:
    """Write ``message`` to stderr, which is often a terminal: server text is escaped there."""
    sys.stderr.write(f"sse_core get: error: {escape_controls(message, keep_line_breaks=True)}\n")
    sys.stderr.flush()


def _explain_response_error(exc: ResponseError) -> str:
    """The status (or the content type) and what the body says, readably."""
    if isinstance(exc, ContentTypeError):
        return f"HTTP {exc.status}, not an event stream: {exc}"
    return str(exc)


def _explain_end(reason: Optional[EndReason], error: Optional[BaseException], timeouts: Timeouts) -> str:
    """Why a stream stopped before its end."""
    if reason is EndReason.IDLE_TIMEOUT:
        return f"no data for {timeouts.idle:g} s (--idle-timeout)"
    if reason is EndReason.TRUNCATED:
        if error is None:
            return "the stream was cut short in the middle of an event"
        return f"the stream was cut short: {_explain_connection_error(error)}"
    if reason is EndReason.LIMIT_EXCEEDED:
        return f"the stream passed a size limit: {error}"
    if reason is EndReason.CLOSED:
        return "the server closed the stream"
    return f"the stream ended: {reason.value if reason is not None else 'unread'}"


def _explain_connection_error(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name ({exc.strerror})"
    if isinstance(exc, socket.timeout):
        return "timed out (see --connect-timeout and --idle-timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(exc, RemoteProtocolError):
        return f"malformed response ({trim_explanation(str(exc))})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
