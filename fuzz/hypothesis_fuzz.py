"""Run the fuzz targets under hypothesis, each for a time budget.

    python fuzz/hypothesis_fuzz.py [--seconds N] [TARGET ...]

Runs every target in targets.py (or those named) for N seconds each, one
after another (default 20), so all of them take N seconds times their
number; says so first, prints how many examples each ran, and on the first
failure prints the shrunk failing input and its traceback and exits with
status 1.
Needs nothing but hypothesis; nothing is written to disk.
"""

import argparse
import sys
import time
import traceback
from typing import Any, Callable, List, Optional

from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import strategies as st

from targets import TARGETS

# Random bytes seldom make a line "data: x" followed by a blank line, or a
# chunk whose size matches its data, so the two decoders also get inputs
# built from their grammar's pieces, good ones and near misses, with
# arbitrary bytes mixed in. Every input starts with one free control byte,
# which targets.py reads to pick how to split the rest.
#
# Each strategy is built once, at import: hypothesis spends far more time
# per example than the targets do, and it labels a new sampled_from by
# walking its whole list.

Draw = Callable[[st.SearchStrategy[Any]], Any]
CONTROL = st.binary(min_size=1, max_size=1)


def _mostly(good: List[bytes], bad: List[bytes]) -> st.SearchStrategy[bytes]:
    """A good piece seven times in eight, else a near miss, in one choice."""
    return st.sampled_from(good * (7 * len(bad)) + bad * len(good))


# An SSE line is a field, a colon, a value and a line end, each from these
# lists (near misses included, good pieces repeated to weigh more). Every
# combination is listed once, so a line costs hypothesis one choice, not four.
SSE_FIELDS = [b"data", b"data", b"data", b"event", b"id", b"retry", b"", b"dat", b"Data", b"data ", b"id\x00"]
SSE_COLONS = [b": ", b": ", b":", b":", b"", b":  ", b"::"]
# Values: retry digits and near misses, NUL (an id with it is ignored), a
# BOM, line breaks that are not SSE line ends, invalid UTF-8 (a lone
# continuation byte, a truncated sequence, an encoded surrogate, an
# overlong form), and lines just within and just past max_line_size=64.
SSE_VALUES = [
    b"", b"x", b"0", b"1000", b"007", b"999999999999999999", b"1000000000000000000",
    b"18446744073709551616", b"9300000000000", b"9223372036854775808", b"+5", b" 5", b"1_0", b"\xd9\xa5", b"1.5",
    b"\x00", b"a\x00b", b"\xef\xbb\xbf", b"\xe2\x80\xa8\x0b\x0c",
    b"\x80", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"x" * 20, b"y" * 50, b"z" * 58, b"w" * 59,
]
SSE_LINE_ENDS = [b"\n", b"\n", b"\r\n", b"\r\n", b"\r", b"\r", b"", b"\r\r\n", b"\n\r"]
SSE_LINES = [f + c + v + e for f in SSE_FIELDS for c in SSE_COLONS for v in SSE_VALUES for e in SSE_LINE_ENDS]
SSE_START = st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xef\xbb"])
SSE_LINE = st.one_of(st.sampled_from(SSE_LINES), st.binary(max_size=6))
SSE_REPEAT = st.sampled_from([1] * 5 + [2, 6, 12])  # repeats reach max_event_size
SSE_BLANK = st.sampled_from([b"", b"", b"", b"\n", b"\r\n", b"\r"])  # a blank line dispatches


# For check_decoder_long, where each 0xFF byte stands for a 32 KiB run:
# values of one to five runs (two reach 64 KiB), the line ends cut off.
LONG_LINES = [f + c + b"\xff" * runs for f in SSE_FIELDS[3:] + [b"data"] for c in SSE_COLONS for runs in range(1, 6)]
LONG_LINE = st.one_of(SSE_LINE, st.builds(bytes.__add__, st.sampled_from(LONG_LINES), st.sampled_from(SSE_LINE_ENDS)))


def _sse_streams(line: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def streams(draw: Draw) -> bytes:
        out = [draw(CONTROL), draw(SSE_START)]
        for _ in range(draw(st.integers(0, 16))):
            out += [draw(line) * draw(SSE_REPEAT), draw(SSE_BLANK)]
        return b"".join(out)

    return streams()


SSE_STREAMS = _sse_streams(SSE_LINE)


CHUNK_SIZES = _mostly([b"%x", b"%X", b"000%x"], [b"%032x", b"1%016x", b"%x ", b"+%x", b"0x%x", b"-%x", b" %x"])
# Sizes at the edges of machine integers (2^31, 2^32, 2^63, 2^64, each less
# one too), written with and without leading zeros: a size that passes the
# digit bound but not sys.maxsize must still end in RemoteProtocolError or a
# long chunk, never OverflowError. Random sizes never reach them.
EDGE_SIZES = [2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64]
EDGE_SIZE_LINES = st.sampled_from(
    [b"%x" % size for size in EDGE_SIZES] + [b"%X" % size for size in EDGE_SIZES] + [b"00%x" % size for size in EDGE_SIZES]
)
CHUNK_EXTENSIONS = _mostly(
    [b"", b"", b";a", b";a=b", b' ; n = "q\\"x"', b";" + b"e" * 30],
    [b";a=\"\x7f\"", b";", b";a=", b"; a b", b"=b", b'"', b";a\x00"],
)
CHUNK_LINE_END = _mostly([b"\r\n"], [b"\n", b"\r", b"\r\r\n", b"", b" \r\n"])
CHUNK_DATA_END = _mostly([b"\r\n"], [b"\n", b"\r", b"", b"x\r\n"])
CHUNK_SIZE_ERROR = st.sampled_from([0] * 14 + [1, -1])
CHUNK_DATA = st.lists(st.binary(min_size=1, max_size=24), max_size=5)
LAST_CHUNK = _mostly([b"0", b"000"], [b"0" * 40, b"0 "])
TRAILER_LINES = st.lists(
    _mostly(
        [b"Name: value", b"x-A:b", b"n:", b"n:\t v \t", b"n:\x80\xff", b"n" * 20 + b": v", b"v: " + b"v" * 40],
        [b" folded", b"\tfolded", b"bad name: v", b"n:\x00", b": v", b"n", b"n :v"],
    ),
    max_size=4,
)


@st.composite
def chunked_bodies(draw: Draw) -> bytes:
    out = [draw(CONTROL)]
    for data in draw(CHUNK_DATA):
        size = len(data) + draw(CHUNK_SIZE_ERROR)
        # One size line in eight is an edge size, so that data follows it.
        size_line = draw(EDGE_SIZE_LINES) if draw(st.integers(0, 7)) == 0 else draw(CHUNK_SIZES) % size
        out += [size_line, draw(CHUNK_EXTENSIONS), draw(CHUNK_LINE_END)]
        out += [data, draw(CHUNK_DATA_END)]
    if draw(st.integers(0, 15)) < 15:  # the last chunk, trailers, final CRLF
        out += [draw(LAST_CHUNK), draw(CHUNK_EXTENSIONS), draw(CHUNK_LINE_END)]
        for line in draw(TRAILER_LINES):
            out += [line, draw(CHUNK_LINE_END)]
        out.append(draw(CHUNK_LINE_END))
        out.append(draw(st.binary(max_size=8)))  # bytes past the body
    return b"".join(out)


# For check_roundtrip (see targets._messages): message and field breaks,
# line breaks and the characters encode() must refuse in event and id.
ROUNDTRIP_TOKENS = [
    b"\x1e", b"\x1fd", b"\x1fe", b"\x1fi", b"\x1fr", b"\x1fc", b"\r", b"\n", b"\r\n", b"\x00", b" ", b":",
    b"\xef\xbb\xbf", b"\xe2\x80\xa8", b"\xc2\x85", b"\x0b", b"\xff", b"x" * 9,
]


def _tokens(pieces: List[bytes]) -> st.SearchStrategy[bytes]:
    piece = st.one_of(st.sampled_from(pieces), st.binary(max_size=4))
    return st.lists(piece).map(b"".join)


# For the head readers: start lines, header fields (framing fields among
# them) and line ends, good ones and near misses. Control-byte bit 2 picks
# max_head_size 48 or 512, so about half the heads run into the bound.
REQUEST_LINES = _mostly(
    [b"GET / HTTP/1.1", b"POST /v1/chat/completions HTTP/1.1", b"GET /e?x=1 HTTP/1.0", b"OPTIONS * HTTP/1.1",
     b"GET /\xc3\xa9 HTTP/1.1"],
    [b"GET  / HTTP/1.1", b"GET / HTTP/2.0", b"GET /", b"G(T / HTTP/1.1", b"GET / http/1.1", b" GET / HTTP/1.1",
     b"GET /\x7f HTTP/1.1", b"GET / HTTP/1.1 "],
)
STATUS_LINES = _mostly(
    [b"HTTP/1.1 200 OK", b"HTTP/1.1 200", b"HTTP/1.1 200 ", b"HTTP/1.0 204 No Content", b"HTTP/1.1 101 Up",
     b"HTTP/1.1 304 Not\tModified \xe9", b"HTTP/1.1 000 x"],
    [b"HTTP/1.1 20 OK", b"HTTP/1.1 2000 OK", b"HTTP/2 200 OK", b"HTTP/1.1 200 O\x00K", b"HTTP/1.1  200 OK",
     b"ICY 200 OK", b"HTTP/1.1 200 OK\r"],
)
HEADER_LINES = st.lists(
    _mostly(
        [b"Host: example.test", b"host:x", b"Content-Length: 5", b"content-length: 0005, 5", b"Content-Length:\t0",
         b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip, chunked", b"Transfer-Encoding: chunked;q=1",
         b"Transfer-Encoding: gzip", b"Content-Type: text/event-stream", b"X-Empty:", b"X: \xff v \t",
         b"Last-Event-ID: 7"],
        [b" folded", b"\tfolded", b"Host : x", b"Bad Name: v", b"X: a\x00b", b": v", b"NoColon",
         b"Content-Length: 1, 2", b"Content-Length: +5", b"Content-Length: " + b"9" * 19,
         b"Content-Length: 9223372036854775808", b"Content-Length: 18446744073709551616",
         b"Transfer-Encoding: ,", b"Transfer-Encoding: chunked, gzip", b"X: " + b"v" * 60],
    ),
    max_size=6,
)
HEAD_LINE_ENDS = _mostly([b"\r\n", b"\n"], [b"\r", b"", b"\r\r\n", b"\n\r", b" \r\n"])
LEADING_EMPTY_LINES = st.sampled_from([b""] * 6 + [b"\r\n", b"\n", b"\r\n\r\n"])


# An HTTP/1.1 request needs exactly one Host: most request heads get one first.
HOST_LINES = st.sampled_from([b"Host: example.test\r\n"] * 6 + [b"", b"Host: a\r\nHost: b\r\n"])


def _heads(start_lines: st.SearchStrategy[bytes], first_lines: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def heads(draw: Draw) -> bytes:
        out = [draw(CONTROL), draw(LEADING_EMPTY_LINES), draw(start_lines), draw(HEAD_LINE_ENDS), draw(first_lines)]
        for line in draw(HEADER_LINES):
            out += [line, draw(HEAD_LINE_ENDS)]
        out += [draw(HEAD_LINE_ENDS), draw(st.binary(max_size=8))]  # the empty line, then a body
        return b"".join(out)

    return heads()


@st.composite
def chunked_sse_streams(draw: Draw) -> bytes:
    """For check_parse_cli: an SSE stream cut into chunks, framed with the chunk pieces above."""
    stream = draw(SSE_STREAMS)[1:]  # without its control byte
    out = [draw(CONTROL)]
    # Mostly well framed, so the SSE decoder gets to run; else near misses.
    clean = draw(st.integers(0, 3)) < 3
    pos = 0
    while pos < len(stream):
        data = stream[pos : pos + draw(st.integers(1, 48))]
        pos += len(data)
        if clean:
            out.append(b"%x\r\n%s\r\n" % (len(data), data))
            continue
        size = len(data) + draw(CHUNK_SIZE_ERROR)
        out += [draw(CHUNK_SIZES) % size, draw(CHUNK_EXTENSIONS), draw(CHUNK_LINE_END)]
        out += [data, draw(CHUNK_DATA_END)]
    if draw(st.integers(0, 7)) < 7:  # the last chunk, trailers, final CRLF
        out += [draw(LAST_CHUNK), b"\r\n"]
        for line in draw(TRAILER_LINES):
            out += [line, b"\r\n"]
        out += [draw(CHUNK_LINE_END), draw(st.binary(max_size=8))]
    return b"".join(out)


# For check_client: a response head (interim responses, statuses that do
# and do not carry events, framing fields) and an SSE body framed by it,
# well or not.
RESPONSE_STARTS = _mostly(
    [b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"],
    [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n",
     b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n", b"HTTP/1.1 200 OK\r\n",
     b"HTTP/1.1 204 No Content\r\n", b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n",
     b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n", b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX: a\r\n b\r\n"],
)


@st.composite
def sse_responses(draw: Draw) -> bytes:
    framing = draw(st.sampled_from(["chunked", "length", "close"]))
    start = draw(RESPONSE_STARTS)
    extra = b"".join(line + b"\r\n" for line in draw(HEADER_LINES) if b"ost" not in line)
    if framing == "chunked":
        framed = draw(chunked_sse_streams())
        control, body = framed[:1], framed[1:]
        fields = b"Transfer-Encoding: chunked\r\n"
    else:
        stream = draw(SSE_STREAMS)
        control, body = stream[:1], stream[1:]
        fields = b"Content-Length: %d\r\n" % (len(body) + draw(CHUNK_SIZE_ERROR)) if framing == "length" else b""
    return control + start + fields + extra + b"\r\n" + body


@st.composite
def requests(draw: Draw) -> bytes:
    """For check_server: a request head, with a chunked body after it one time in three."""
    head = draw(_heads(REQUEST_LINES, HOST_LINES))
    if draw(st.integers(0, 2)) == 0:
        head += draw(chunked_bodies())[1:]
    return head


STRATEGIES = {
    "check_decoder": st.one_of(st.binary(), SSE_STREAMS),
    "check_decoder_long": st.one_of(st.binary(), _sse_streams(LONG_LINE)),
    "check_chunked": st.one_of(st.binary(), chunked_bodies()),
    "check_roundtrip": st.one_of(st.binary(), _tokens(ROUNDTRIP_TOKENS)),
    "check_request_head": st.one_of(st.binary(), _heads(REQUEST_LINES, HOST_LINES)),
    "check_response_head": st.one_of(st.binary(), _heads(STATUS_LINES, st.just(b""))),
    "check_parse_cli": st.one_of(st.binary(), chunked_sse_streams()),
    "check_client": st.one_of(st.binary(max_size=64), sse_responses()),
    "check_server": st.one_of(st.binary(max_size=64), requests()),
}


class _TimeUp(BaseException):
    # Not an Exception: hypothesis lets it through at once, as it does
    # KeyboardInterrupt, instead of taking it for a failure to shrink.
    pass


def fuzz(name: str, seconds: float) -> bool:
    """Run one target for ``seconds``; print its summary; return True if it held."""
    target: Callable[[bytes], None] = TARGETS[name]
    deadline = time.monotonic() + seconds
    count = 0
    last: List[Optional[bytes]] = [None]

    @settings(
        max_examples=10 ** 9,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
    )
    @given(STRATEGIES.get(name, st.binary()))
    def run(data: bytes) -> None:
        nonlocal count
        if time.monotonic() > deadline:
            raise _TimeUp
        count += 1
        # Hypothesis replays the shrunk failing example last, so this ends
        # up holding the input to print.
        last[0] = data
        target(data)

    start = time.monotonic()
    try:
        while time.monotonic() < deadline:  # a run that ends early is started afresh
            run()
    except _TimeUp:
        pass
    except Exception:
        elapsed = time.monotonic() - start
        print(f"{name}: FAILED after {count} examples in {elapsed:.1f} s")
        print(f"input: {last[0]!r}")
        print(f"reproduce: from fuzz.targets import {name}; {name}({last[0]!r})")
        traceback.print_exc(file=sys.stdout)
        return False
    elapsed = time.monotonic() - start
    print(f"{name}: ok, {count} examples in {elapsed:.1f} s ({count / elapsed:.0f}/s)")
    return True


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=20.0,
        help=f"time per target, one after another (default 20; {len(TARGETS)} targets in all)",
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="targets to run (default: all): " + ", ".join(TARGETS))
    args = parser.parse_args(argv)
    unknown = [name for name in args.targets if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target {unknown[0]!r}; choose from " + ", ".join(TARGETS))
    names = args.targets or list(TARGETS)
    print(f"{len(names)} target(s), {args.seconds:g} s each: {len(names) * args.seconds:g} s in all")
    for name in names:
        if not fuzz(name, args.seconds):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
