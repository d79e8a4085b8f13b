"""The implementations the benchmarks compare, behind one registry.

An SSE implementation is a function ``reads -> [(event, data, id), ...]``
(``id`` being the last event ID at dispatch); a chunked one is a function
``reads -> body bytes``. Each is registered by a *factory* that imports what
it needs and returns that function. A factory that raises ImportError marks
the peer missing: the run skips it and says why. So adding a peer is a few
lines::

    @peer("some-lib", applies=lambda workload: ...)   # applies= is optional
    def some_lib():
        from some_lib import Parser                   # ImportError: skipped
        def decode(reads):
            ...
            return [(e.event, e.data, e.id) for e in events]
        return decode

The first registered peer of each kind is the baseline every ratio is
relative to.
"""

import io
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

from .workloads import Workload

__all__ = ["Peer", "peer", "load", "PEERS"]


class Peer(NamedTuple):
    name: str
    kind: str  # "sse" or "chunked", as Workload.kind
    factory: Callable[[], Callable[[List[bytes]], object]]
    # False where the implementation is known not to handle the workload, so
    # it is not run at all (shown as n/a) rather than shown as WRONG.
    applies: Callable[[Workload], bool]


PEERS: List[Peer] = []


def _always(workload: Workload) -> bool:
    return True


def peer(
    name: str, *, kind: str = "sse", applies: Optional[Callable[[Workload], bool]] = None
) -> Callable:
    """Register the decorated factory as an implementation called ``name``."""

    def register(factory: Callable) -> Callable:
        PEERS.append(Peer(name, kind, factory, applies or _always))
        return factory

    return register


def load() -> Tuple[List[Tuple[Peer, Callable]], Dict[str, str]]:
    """Call every factory once: ``([(peer, function)], {missing name: reason})``."""
    loaded = []
    missing = {}
    for entry in PEERS:
        try:
            loaded.append((entry, entry.factory()))
        except ImportError as exc:
            missing[entry.name] = str(exc)
    return loaded, missing


# --- SSE decoders ------------------------------------------------------------


@peer("sse_core")
def sse_core_decoder() -> Callable:
    from sse_core import SSEDecoder

    def decode(reads: List[bytes]) -> list:
        decoder = SSEDecoder()
        feed = decoder.feed
        out = []
        for data in reads:
            out.extend(feed(data))
        out.extend(decoder.close())
        return [(event.event, event.data, event.id) for event in out]

    return decode


@peer("floor", applies=lambda workload: workload.line_end is not None)
def floor() -> Callable:
    """What pure Python cannot beat by much, not a parser.

    It sees the whole stream at once, splits it on the one line end it
    finds, and walks the lines once, decoding per event as a parser must.
    It ignores incremental input, a CRLF split across reads, a BOM, ``retry``
    and every limit, so it only runs where the workload uses one line end
    throughout. (Decoding the whole stream first and splitting the str
    instead measured a little slower.)
    """

    def decode(reads: List[bytes]) -> list:
        stream = b"".join(reads)
        if b"\r\n" in stream:
            lines = stream.split(b"\r\n")
        elif b"\r" in stream:
            lines = stream.split(b"\r")
        else:
            lines = stream.split(b"\n")
        lines.pop()  # after the last line end: incomplete, never dispatched
        out = []
        data: List[bytes] = []
        event = ""
        id_buffer = ""
        for line in lines:
            if not line:
                if data:
                    text = b"\n".join(data).decode("utf-8", "replace")
                    out.append((event or "message", text, id_buffer))
                    data = []
                event = ""
                continue
            name, _, value = line.partition(b":")
            if value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data.append(value)
            elif name == b"event":
                event = value.decode("utf-8", "replace")
            elif name == b"id":
                id_buffer = value.decode("utf-8", "replace")
        return out

    return decode


# --- chunked body decoders ---------------------------------------------------


@peer("sse_core", kind="chunked")
def sse_core_chunked() -> Callable:
    from sse_core import ChunkedDecoder

    def decode(reads: List[bytes]) -> bytes:
        decoder = ChunkedDecoder()
        feed = decoder.feed
        body = [feed(data) for data in reads]
        decoder.close()
        return b"".join(body)

    return decode


_RESPONSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


class _InMemorySocket:
    """All HTTPResponse needs of a socket: ``makefile`` over the raw response."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self._raw)


def _httpclient_reader(read_name: str) -> Callable:
    # Imported here rather than at the top: only this peer needs http.client.
    from http.client import HTTPResponse

    def decode(reads: List[bytes]) -> bytes:
        # Joining the reads and parsing the head are timed too; for these
        # bodies (0.5-1 MiB) both are a fraction of a percent of the total.
        response = HTTPResponse(_InMemorySocket(_RESPONSE_HEAD + b"".join(reads)))
        response.begin()
        read = getattr(response, read_name)
        body = []
        while True:
            data = read(65536)
            if not data:
                break
            body.append(data)
        return b"".join(body)

    return decode


@peer("stdlib read1", kind="chunked")
def httpclient_read1() -> Callable:
    """http.client.HTTPResponse.read1(65536): at most one chunk per call."""
    return _httpclient_reader("read1")


@peer("stdlib read", kind="chunked")
def httpclient_read() -> Callable:
    """http.client.HTTPResponse.read(65536): loops over chunks to fill 64 KiB."""
    return _httpclient_reader("read")
