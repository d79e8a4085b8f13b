"""``python -m sse_core encode``: one JSON object per line on stdin, the SSE bytes on stdout.

Each object has some of the keys ``data``, ``event``, ``id``, ``retry`` and
``comment`` (the arguments of :func:`sse_core.encode`). A bad line gives one
line on stderr, naming the line, and exit status 1.
"""

import argparse
import json
from typing import BinaryIO, Callable, Dict

from ..chunked import encode_chunk, encode_last_chunk
from ..encoder import encode
from ..errors import SSEError
from ._common import UsageError

__all__ = ["add_command"]

_ENCODE_KEYS = ("data", "event", "id", "retry", "comment")


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``encode`` with the ``python -m sse_core`` command parser."""
    parser = commands.add_parser("encode", help="one JSON object per line on stdin -> SSE bytes")
    parser.add_argument("--chunked", action="store_true", help="chunk-encode the output (HTTP/1.1)")
    parser.set_defaults(run=_encode)


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
