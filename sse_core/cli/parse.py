"""``python -m sse_core parse``: stream bytes on stdin, one JSON object per event on stdout.

Each event is printed as it is dispatched, flushed at once. Bad input gives
one line on stderr and exit status 1.
"""

import argparse
from typing import BinaryIO, Dict, List, Union

from ..adapters._io import READ_SIZE
from ..chunked import ChunkedDecoder
from ..decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, SSEDecoder
from ..events import Comment, Event
from ._common import count_or_none, json_line

__all__ = ["add_command"]


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``parse`` with the ``python -m sse_core`` command parser."""
    parser = commands.add_parser("parse", help="stream bytes on stdin -> one JSON object per event")
    parser.add_argument("--chunked", action="store_true", help="stdin is still chunk-encoded (HTTP/1.1)")
    parser.add_argument("--comments", action="store_true", help='also print comments as {"comment": text}')
    parser.add_argument(
        "--dispatch-unterminated",
        action="store_true",
        help="at end of input, dispatch an event that lacks its closing blank line",
    )
    parser.add_argument("--max-line-size", type=count_or_none, default=DEFAULT_MAX_LINE_SIZE, metavar="BYTES")
    parser.add_argument("--max-event-size", type=count_or_none, default=DEFAULT_MAX_EVENT_SIZE, metavar="BYTES")
    parser.set_defaults(run=_parse)


def _parse(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO) -> None:
    decoder = SSEDecoder(
        max_line_size=args.max_line_size,
        max_event_size=args.max_event_size,
        comments=args.comments,
        dispatch_unterminated=args.dispatch_unterminated,
    )
    chunked = ChunkedDecoder() if args.chunked else None
    while True:
        data = stdin.read1(READ_SIZE)  # type: ignore[attr-defined]
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
        stdout.write(json_line(obj))
        stdout.flush()
