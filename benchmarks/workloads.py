"""Benchmark workloads: a byte stream cut into reads, and what it must decode to.

Every workload is built deterministically (fixed seeds, no clock), so two runs
time the same bytes. The expected output is never computed by sse_core: each
generator records the events (or the chunked body) as it writes the stream,
from the same inputs, so checking an implementation against it checks
sse_core too.

An SSE workload expects a list of ``(event, data, id)`` tuples, where ``id``
is the last event ID at dispatch, as a browser reports it. A chunked workload
expects the decoded body bytes. An encode workload's "reads" are messages
(keyword dicts for an encoder) and it expects the events a client gets from
the bytes encoded; ``read_back`` turns those bytes into events.
"""

import base64
import json
import random
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = [
    "Workload",
    "Expected",
    "sse_workloads",
    "chunked_workloads",
    "encode_workloads",
    "all_workloads",
    "read_back",
    "MIB",
    "LONG_LINE_PREFIX",
]

Expected = Tuple[str, str, str]  # (event, data, id)

MIB = 1 << 20

# About 1 MiB per stream: big enough that per-call setup is noise, small
# enough that the slowest workload (1-64 B reads) stays well under a second
# per decode.
STREAM_SIZE = 1 << 20
# Chunks of 1-10 bytes more than double the stream with framing and cost a
# Python-level step each, so that workload gets a smaller body.
TINY_CHUNK_BODY_SIZE = 256 << 10
# What one recv() of an ordinary read loop returns (http.client and the
# adapters ask for 64 KiB).
SOCKET_READ_SIZE = 64 << 10
# A TCP segment's payload on an Ethernet MTU: how a long line really arrives.
SEGMENT_SIZE = 1460


class Workload:
    """One stream, the reads it arrives in, and the output it must give.

    ``kind`` is ``"sse"`` (``expected`` is a list of ``(event, data, id)``),
    ``"chunked"`` (``expected`` is the body bytes) or ``"encode"`` (``reads``
    are messages, and ``check`` reads the encoded bytes back as events).
    ``line_end`` is the one line end an SSE stream uses throughout, or None
    when it mixes them, which is what tells a naive splitter it does not
    apply. ``items`` counts the events or the chunks. ``size`` defaults to
    the bytes of the reads.
    """

    def __init__(
        self,
        name: str,
        kind: str,
        description: str,
        reads: List[Any],
        expected: object,
        items: int,
        line_end: Optional[bytes] = None,
        size: Optional[int] = None,
        check: Optional[Callable[[Any], object]] = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.description = description
        self.reads = reads
        self.expected = expected
        self.items = items
        self.line_end = line_end
        self.size = sum(len(read) for read in reads) if size is None else size
        # Maps an implementation's output to what is compared with expected.
        self.check = check

    def __repr__(self) -> str:
        return f"<Workload {self.name}: {self.size} bytes in {len(self.reads)} reads>"


# --- cutting a stream into reads ---------------------------------------------


def fixed_reads(stream: bytes, size: int) -> List[bytes]:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


def random_reads(stream: bytes, seed: int, smallest: int, largest: int) -> List[bytes]:
    rng = random.Random(seed)
    reads = []
    pos = 0
    while pos < len(stream):
        step = rng.randint(smallest, largest)
        reads.append(stream[pos : pos + step])
        pos += step
    return reads


# --- LLM token events --------------------------------------------------------

# Token text as a chat model streams it, with 2-, 3- and 4-byte UTF-8 mixed
# in so that reads split multi-byte characters. json.dumps escapes the
# newline, as real servers do.
_TOKENS = (
    "The", " model", " streams", " one", " token", " at", " a", " time", ",", ".",
    " and", " the", " result", " is", " café", " naïve", " über", " Ωmega",
    " 日本語", " 한국어", " 🙂", " 🚀", " —", " “quoted”", "\n", " €5",
)


def token_payloads(seed: int, total_size: int) -> List[str]:
    """JSON data values of OpenAI-style completion chunks, about 150 bytes each."""
    rng = random.Random(seed)
    payloads = []
    size = 0
    index = 0
    while size < total_size:
        content = "".join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 3)))
        chunk = {
            "id": "chatcmpl-9x2LmQ7r",
            "object": "chat.completion.chunk",
            "created": 1700000000 + index // 40,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": content}}],
        }
        payload = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
        payloads.append(payload)
        size += len(payload.encode("utf-8")) + 8  # "data: " and two LFs
        index += 1
    return payloads


def token_stream(seed: int, total_size: int, pings: int = 0) -> Tuple[bytes, List[Expected]]:
    """``data: {...}\\n\\n`` per token, with ``pings`` heartbeat blocks after each."""
    heartbeats = b": ping\n\n" * pings
    parts = []
    expected = []
    for payload in token_payloads(seed, total_size):
        parts.append(b"data: " + payload.encode("utf-8") + b"\n\n" + heartbeats)
        expected.append(("message", payload, ""))
    return b"".join(parts), expected


# --- big multi-line events ---------------------------------------------------

_WORDS = tuple(token for token in _TOKENS if token != "\n")


def multiline_stream(seed: int, total_size: int, event_size: int) -> Tuple[bytes, List[Expected]]:
    """Events of at least ``event_size`` data bytes, in lines of about 0-160 bytes.

    A document streamed as one event: each line of text is its own ``data:``
    field, some lines are empty and many start with a space (which a parser
    must keep, after the one it strips).
    """
    rng = random.Random(seed)
    parts = []
    expected = []
    total = 0
    while total < total_size:
        lines = []
        size = 0
        while size < event_size:
            wanted = rng.randint(0, 160)
            words = []
            length = 0
            while length < wanted:
                words.append(rng.choice(_WORDS))
                length += len(words[-1].encode("utf-8"))
            lines.append("".join(words))
            size += length + 1
        block = b"".join(b"data: " + line.encode("utf-8") + b"\n" for line in lines) + b"\n"
        parts.append(block)
        expected.append(("message", "\n".join(lines), ""))
        total += len(block)
    return b"".join(parts), expected


# --- field-rich streams: id, event, retry, comments, multi-line data ---------


def field_blocks(seed: int, total_size: int) -> Tuple[List[List[bytes]], List[Expected]]:
    """Event blocks as lists of field lines (no line ends), and their events.

    Most events carry an id; the rest inherit the previous one, as the spec
    says. Some have a named type, a ``retry``, a comment, several data lines,
    or ``data:`` without the optional space.
    """
    rng = random.Random(seed)
    payloads = token_payloads(seed + 1, total_size)
    blocks = []
    expected = []
    last_id = ""
    pos = 0
    index = 0
    while pos < len(payloads):
        lines = []
        if rng.random() < 0.2:
            lines.append(b": keep-alive")
        event_type = rng.choice(("delta", "delta", "delta", "usage", ""))
        if event_type:
            lines.append(b"event: " + event_type.encode("ascii"))
        if index % 50 == 0:
            lines.append(b"retry: 3000")
        if rng.random() < 0.9:
            last_id = f"{seed}-{index}"
            lines.append(b"id: " + last_id.encode("ascii"))
        data = payloads[pos : pos + rng.choice((1, 1, 1, 2, 3))]
        pos += len(data)
        for value in data:
            prefix = b"data:" if rng.random() < 0.1 else b"data: "
            lines.append(prefix + value.encode("utf-8"))
        blocks.append(lines)
        expected.append((event_type or "message", "\n".join(data), last_id))
        index += 1
    return blocks, expected


def render_blocks(blocks: Iterable[Sequence[bytes]], line_end: bytes) -> bytes:
    return b"".join(line_end.join(lines) + line_end + line_end for lines in blocks)


def render_blocks_mixed(blocks: Iterable[Sequence[bytes]], seed: int) -> bytes:
    """Render with a line end drawn per line from CRLF, LF and CR."""
    rng = random.Random(seed)
    ends = (b"\r\n", b"\n", b"\r")
    parts = []
    previous = b""
    for lines in blocks:
        for line in list(lines) + [b""]:
            end = rng.choice(ends)
            if previous == b"\r" and not line and end != b"\r":
                # CR, then a blank line's LF, would read as one CRLF and
                # swallow the blank line; the generator must not write that.
                end = b"\r"
            parts.append(line + end)
            previous = end
    return b"".join(parts)


# --- long lines --------------------------------------------------------------


def long_line_stream(seed: int, size: int) -> Tuple[bytes, List[Expected]]:
    """One event whose single data line is ``size`` bytes of base64."""
    rng = random.Random(seed)
    raw_size = size * 3 // 4
    value = base64.b64encode(rng.getrandbits(raw_size * 8).to_bytes(raw_size, "little"))
    assert len(value) == size, (len(value), size)
    return b"data: " + value + b"\n\n", [("message", value.decode("ascii"), "")]


# --- chunked transfer coding -------------------------------------------------


def chunk_body(body: bytes, sizes: Iterable[int]) -> Tuple[bytes, int]:
    """Frame ``body`` as chunks of the given sizes; return it and the chunk count.

    Written out here rather than with sse_core.encode_chunk, so the framing is
    independent of the code under test.
    """
    parts = []
    pos = 0
    for size in sizes:
        if pos >= len(body):
            break
        piece = body[pos : pos + size]
        parts.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
        pos += len(piece)
    assert pos == len(body)
    parts.append(b"0\r\n\r\n")
    return b"".join(parts), len(parts) - 1


def _repeat(size: int) -> Iterable[int]:
    while True:
        yield size


def _random_sizes(seed: int, smallest: int, largest: int) -> Iterable[int]:
    rng = random.Random(seed)
    while True:
        yield rng.randint(smallest, largest)


# --- the workloads -----------------------------------------------------------

# The single-line workloads: time per MiB must stay flat from the first to the last.
LONG_LINE_MIBS = (1, 2, 4, 8)
LONG_LINE_PREFIX = "line/"


def sse_workloads() -> List[Workload]:
    tokens, token_events = token_stream(1, STREAM_SIZE)
    heartbeats, heartbeat_events = token_stream(2, STREAM_SIZE, pings=8)
    multiline, multiline_events = multiline_stream(15, STREAM_SIZE, 64 << 10)
    blocks, block_events = field_blocks(3, STREAM_SIZE)
    crlf = render_blocks(blocks, b"\r\n")
    cr = render_blocks(blocks, b"\r")
    mixed = render_blocks_mixed(blocks, 4)
    workloads = [
        Workload("tokens/4K", "sse", "LLM token events (~150 B JSON, some multi-byte UTF-8), LF, 4 KiB reads",
                 fixed_reads(tokens, 4096), token_events, len(token_events), b"\n"),
        Workload("tokens/1-64B", "sse", "the same events in reads of 1-64 bytes (seeded)",
                 random_reads(tokens, 7, 1, 64), token_events, len(token_events), b"\n"),
        Workload("multiline/64K", "sse", "64 KiB events of 0-160 B data lines (some multi-byte UTF-8), 64 KiB reads",
                 fixed_reads(multiline, SOCKET_READ_SIZE), multiline_events, len(multiline_events), b"\n"),
        Workload("heartbeats", "sse", "token events with 8 ': ping' blocks after each, 4 KiB reads",
                 fixed_reads(heartbeats, 4096), heartbeat_events, len(heartbeat_events), b"\n"),
        Workload("fields/CRLF", "sse", "CRLF; id, event, retry, comments, multi-line data; 4 KiB reads",
                 fixed_reads(crlf, 4096), block_events, len(block_events), b"\r\n"),
        Workload("fields/CR", "sse", "the same blocks with CR-only line ends, 4 KiB reads",
                 fixed_reads(cr, 4096), block_events, len(block_events), b"\r"),
        Workload("fields/mixed", "sse", "the same blocks, CRLF/LF/CR drawn per line, 1-64 B reads",
                 random_reads(mixed, 8, 1, 64), block_events, len(block_events), None),
    ]
    for seed, mebibytes in enumerate(LONG_LINE_MIBS, start=5):
        line, line_events = long_line_stream(seed, mebibytes << 20)
        workloads.append(
            Workload(f"{LONG_LINE_PREFIX}{mebibytes}MiB", "sse", f"one {mebibytes} MiB data line (base64) in 1460-byte reads",
                     fixed_reads(line, SEGMENT_SIZE), line_events, 1, b"\n")
        )
    return workloads


def chunked_workloads() -> List[Workload]:
    body, _ = token_stream(9, STREAM_SIZE)
    small_body = body[:TINY_CHUNK_BODY_SIZE]
    workloads = []
    for name, description, data, sizes in (
        ("chunked/1K", "token stream as 1 KiB chunks, 64 KiB reads", body, _repeat(1024)),
        ("chunked/16K", "token stream as 16 KiB chunks, 64 KiB reads", body, _repeat(16384)),
        ("chunked/1-10B", "256 KiB of it as 1-10 B chunks (seeded), 64 KiB reads",
         small_body, _random_sizes(10, 1, 10)),
    ):
        raw, count = chunk_body(data, sizes)
        workloads.append(
            Workload(name, "chunked", description, fixed_reads(raw, SOCKET_READ_SIZE), data, count)
        )
    return workloads


# --- encoding ----------------------------------------------------------------

_LINE_END = re.compile(rb"\r\n|\r|\n")


def read_back(stream: bytes) -> List[Expected]:
    """The events a client gets from ``stream``: a small checker, not timed.

    Enough of the spec for what encoders write (any of the three line ends,
    comments, ``data:`` without the space); independent of sse_core, so an
    encode workload checks sse_core's encoder too.
    """
    lines = _LINE_END.split(stream)
    lines.pop()  # after the last line end: nothing, or an unfinished line
    out = []
    data: List[str] = []
    event = ""
    last_id = ""
    for line in lines:
        if not line:
            if data:
                out.append((event or "message", "\n".join(data), last_id))
            data = []
            event = ""
            continue
        name, _, raw = line.decode("utf-8").partition(":")
        value = raw[1:] if raw.startswith(" ") else raw
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id":
            last_id = value
    return out


def encode_workloads() -> List[Workload]:
    token_messages: List[Dict[str, Any]] = []
    token_events = []
    for payload in token_payloads(11, STREAM_SIZE):
        token_messages.append({"data": payload})
        token_events.append(("message", payload, ""))

    rng = random.Random(12)
    payloads = token_payloads(13, STREAM_SIZE)
    field_messages: List[Dict[str, Any]] = []
    field_events = []
    last_id = ""
    pos = 0
    while pos < len(payloads):
        index = len(field_messages)
        data = "\n".join(payloads[pos : pos + rng.choice((1, 1, 1, 2, 3))])
        pos += data.count("\n") + 1
        message: Dict[str, Any] = {"data": data}
        event_type = rng.choice(("delta", "delta", "delta", "usage", ""))
        if event_type:
            message["event"] = event_type
        if rng.random() < 0.9:
            last_id = message["id"] = f"12-{index}"
        if index % 50 == 0:
            message["retry"] = 3000
        field_messages.append(message)
        field_events.append((event_type or "message", data, last_id))

    def data_size(messages: List[Dict[str, Any]]) -> int:
        return sum(len(message["data"].encode("utf-8")) for message in messages)

    return [
        Workload("encode/tokens", "encode", "encode LLM token events (data only); MB/s of data",
                 token_messages, token_events, len(token_events),
                 size=data_size(token_messages), check=read_back),
        Workload("encode/fields", "encode", "encode events with event, id, some retry, multi-line data",
                 field_messages, field_events, len(field_events),
                 size=data_size(field_messages), check=read_back),
    ]


def all_workloads() -> List[Workload]:
    return sse_workloads() + chunked_workloads() + encode_workloads()
