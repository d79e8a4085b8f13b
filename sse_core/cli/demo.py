"""``python -m sse_core demo``: stream a chat completion from an in-process mock server, token by token.

It starts the mock server on a free loopback port, posts a chat
completion with ``"stream": true`` through :func:`~sse_core.adapters.llm.stream_json`,
prints each token as its event arrives, and ends with one summary line:
time to first token, events, tokens per second, and how the stream ended.
Nothing to install, no network: a first run shows the whole library at work.
"""

import argparse
import time
from typing import BinaryIO, Optional

from ..adapters.client import Timeouts
from ..adapters.llm import ServerErrorEvent, TruncatedStream, delta_text, stream_json
from ..mock import MODEL_ID, MockOptions, MockServer
from .serve import add_pacing_arguments

__all__ = ["add_command"]

DEFAULT_PROMPT = "Why stream tokens?"


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "demo",
        help="stream a chat completion from a built-in mock server, token by token",
        description="Start the mock server on a free loopback port, POST a chat completion with"
        ' "stream": true through sse_core.adapters.llm.stream_json, print each token as its event arrives,'
        " and end with one line: time to first token, events, tokens per second, how the stream ended.",
    )
    parser.add_argument("--prompt", default=DEFAULT_PROMPT, help=f"the user message (default {DEFAULT_PROMPT!r})")
    parser.add_argument(
        "--transport", choices=("socket", "http.client"), default="socket", help="the client's HTTP/1.1"
    )
    add_pacing_arguments(parser)
    parser.set_defaults(run=_demo)


def _demo(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO) -> int:
    options = MockOptions(latency_ms=args.latency_ms, tokens_per_second=args.tokens_per_second, fault=args.fault)
    body = {
        "model": MODEL_ID,
        "messages": [{"role": "user", "content": args.prompt}],
        "stream_options": {"include_usage": True},
    }

    def write(text: str) -> None:
        stdout.write(text.encode("utf-8"))
        stdout.flush()

    with MockServer(options=options) as server:
        url = f"{server.url}/v1/chat/completions"
        write(f"POST {url} (stream: true, transport: {args.transport})\n")
        events = 0
        tokens = 0
        first: Optional[float] = None
        last = 0.0
        ended = "[DONE]"
        started = time.monotonic()
        try:
            for chunk in stream_json(url, body, timeouts=Timeouts(connect=5, idle=60), transport=args.transport):
                events += 1
                text = delta_text(chunk)
                if text:
                    last = time.monotonic()
                    first = last if first is None else first
                    tokens += 1
                    write(text)
            events += 1  # [DONE]
        except ServerErrorEvent as exc:
            events += 1
            ended = str(exc)
        except TruncatedStream as exc:
            ended = str(exc)
    first_token = "no token" if first is None else f"first token {(first - started) * 1000:.0f} ms"
    rate = f"{(tokens - 1) / (last - first):.1f}" if first is not None and last > first else "–"
    status = "[done]" if ended == "[DONE]" else "[failed]"
    write(f"\n{status} {first_token} · {events} events · {tokens} tokens · {rate} tokens/s · ended: {ended}\n")
    return 0 if ended == "[DONE]" else 1
