"""Command line: python -m sse_core COMMAND.

``parse`` reads raw stream bytes on stdin and prints one JSON object per
event as it is dispatched; ``encode`` reads one JSON object per line and
writes the SSE bytes. Bad input gives one line on stderr and exit status 1.
Each other command lives in a module of its own, which registers it with
``add_command(commands)`` and sets ``run(args, stdin, stdout)``, returning
the exit status (None for 0).
"""

import argparse
import json
import os
import sys
from typing import BinaryIO, Callable, Dict, List, Optional, Union

from . import _cmd_check, _cmd_demo, _cmd_get, _cmd_serve
from ._cli import UsageError, count_or_none
from .chunked import ChunkedDecoder, encode_chunk, encode_last_chunk
from .decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, SSEDecoder
from .encoder import encode
from .errors import SSEError
from .events import Comment, Event

__all__ = ["main"]

_READ_SIZE = 65536
_ENCODE_KEYS = ("data", "event", "id", "retry", "comment")


def main(argv: Optional[List[str]] = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.run(args, sys.stdin.buffer, sys.stdout.buffer)
    except (SSEError, UsageError) as exc:
        print(f"sse_core {args.command}: error: {exc}", file=sys.stderr)
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

    parse = commands.add_parser("parse", help="stream bytes on stdin -> one JSON object per event")
    parse.add_argument("--chunked", action="store_true", help="stdin is still chunk-encoded (HTTP/1.1)")
    parse.add_argument("--comments", action="store_true", help='also print comments as {"comment": text}')
    parse.add_argument(
        "--dispatch-unterminated",
        action="store_true",
        help="at end of input, dispatch an event that lacks its closing blank line",
    )
    parse.add_argument("--max-line-size", type=count_or_none, default=DEFAULT_MAX_LINE_SIZE, metavar="BYTES")
    parse.add_argument("--max-event-size", type=count_or_none, default=DEFAULT_MAX_EVENT_SIZE, metavar="BYTES")
    parse.set_defaults(run=_parse)

    encode_cmd = commands.add_parser("encode", help="one JSON object per line on stdin -> SSE bytes")
    encode_cmd.add_argument("--chunked", action="store_true", help="chunk-encode the output (HTTP/1.1)")
    encode_cmd.set_defaults(run=_encode)
    for command in (_cmd_demo, _cmd_serve, _cmd_get, _cmd_check):
        command.add_command(commands)
    return parser


def _parse(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO) -> None:
    decoder = SSEDecoder(
        max_line_size=args.max_line_size,
        max_event_size=args.max_event_size,
        comments=args.comments,
        dispatch_unterminated=args.dispatch_unterminated,
    )
    chunked = ChunkedDecoder() if args.chunked else None
    while True:
        data = stdin.read1(_READ_SIZE)  # type: ignore[attr-defined]
        if not data:
            break
        if chunked is not None:
            data = chunked.feed(data)
        _print_events(decoder.feed(data), stdout)
        if chunked is not None and chunked.done:
            break
    if chunked is not None:
        chunked.close()
    _print_events(decoder.close(), stdout)


def _print_events(events: List[Union[Event, Comment]], stdout: BinaryIO) -> None:
    for item in events:
        if isinstance(item, Event):
            obj: Dict[str, object] = {"event": item.event, "data": item.data, "id": item.id, "retry": item.retry}
        else:
            obj = {"comment": item.text}
        stdout.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
        stdout.flush()


def _encode(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO) -> None:
    frame: Callable[[bytes], bytes] = encode_chunk if args.chunked else (lambda data: data)
    for number, raw in enumerate(iter(stdin.readline, b""), start=1):
        if not raw.strip():
            continue
        try:
            message = encode(**_message(raw, number))  # type: ignore[arg-type]
        except SSEError as exc:
            raise UsageError(f"line {number}: {exc}") from None
        stdout.write(frame(message))
        stdout.flush()
    if args.chunked:
        stdout.write(encode_last_chunk())
        stdout.flush()


def _message(raw: bytes, number: int) -> Dict[str, object]:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8; JSON nested too deep
        raise UsageError(f"line {number}: not a JSON object: {exc}") from None
    if not isinstance(obj, dict):
        raise UsageError(f"line {number}: expected a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - set(_ENCODE_KEYS))
    if unknown:
        raise UsageError(f"line {number}: unknown key {unknown[0]!r} (expected {', '.join(_ENCODE_KEYS)})")
    return obj


if __name__ == "__main__":
    sys.exit(main())
