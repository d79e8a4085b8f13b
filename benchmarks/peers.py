"""The implementations the benchmarks compare, behind one registry.

An SSE implementation is a function ``reads -> [(event, data, id), ...]``
(``id`` being the last event ID at dispatch); a chunked one is a function
``reads -> body bytes``; an encoder is a function ``messages -> bytes`` (see
"SSE encoders" below). Each is registered by a *factory* that imports what
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
import os
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

from .workloads import LONG_LINE_PREFIX, Workload

__all__ = ["Peer", "peer", "load", "load_btubbs_sseclient", "PEERS", "BASELINE", "FLOOR"]

# The implementation every ratio is to, and the floor row, which no peer is.
BASELINE = "sse_core"
FLOOR = "floor"


class Peer(NamedTuple):
    name: str
    kind: str  # "sse", "chunked" or "encode", as Workload.kind
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


@peer(BASELINE)
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


@peer(FLOOR, applies=lambda workload: workload.line_end is not None)
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


class _EndOfReads(Exception):
    """Raised by the fake transports below when the reads run out.

    Clients that reconnect (and sleep) at the end of a stream would loop
    forever on an in-memory one; none of them catches this, so it ends the
    iteration, and the wrapper stops there.
    """


def _reads_then_end(reads: List[bytes]) -> Iterator[bytes]:
    yield from reads
    raise _EndOfReads


_EVENT_STREAM = "text/event-stream"


@peer("httpx-sse")
def httpx_sse_peer() -> Callable:
    """httpx_sse.EventSource(response).iter_sse(), as its README shows it.

    The response is a real httpx.Response streaming the reads, so httpx's
    incremental UTF-8 decoding (iter_text) and httpx-sse's own line splitter
    run exactly as they do over a socket.
    """
    import httpx
    from httpx_sse import EventSource

    headers = {"content-type": _EVENT_STREAM}

    def decode(reads: List[bytes]) -> list:
        response = httpx.Response(200, headers=headers, content=iter(reads))
        return [(sse.event, sse.data, sse.id) for sse in EventSource(response).iter_sse()]

    return decode


@peer("httpx2")
def httpx2_peer() -> Callable:
    """httpx2.EventSource(response), what ``client.sse(...)`` yields.

    Its default max_event_size (1 MiB) refuses the long-line workloads, so
    it is given sse_core's default, 64 MiB: the same bound, still checked.
    """
    import httpx2

    headers = {"content-type": _EVENT_STREAM}
    request = httpx2.Request("GET", "http://127.0.0.1/events")

    def decode(reads: List[bytes]) -> list:
        response = httpx2.Response(200, headers=headers, content=iter(reads), request=request)
        source = httpx2.EventSource(response, max_event_size=64 * 1024 * 1024)
        return [(sse.event, sse.data, sse.id) for sse in source]

    return decode


@peer("openai")
def openai_peer() -> Callable:
    """openai._streaming.SSEDecoder().iter_bytes(), what openai.Stream runs.

    Its events carry ``event=None`` for a stream that names no type (its
    Stream then treats it as a message) and ``id=None`` before any id.
    """
    from openai._streaming import SSEDecoder as OpenAIDecoder

    def decode(reads: List[bytes]) -> list:
        return [
            (sse.event or "message", sse.data, sse.id or "")
            for sse in OpenAIDecoder().iter_bytes(iter(reads))
        ]

    return decode


@peer("sseclient-py")
def sseclient_py_peer() -> Callable:
    """sseclient.SSEClient(reads).events() (mpetazzoni/sseclient, on PyPI as sseclient-py).

    Its events carry their own ``id:`` field or None, not the last event
    ID, so this keeps the last one as a caller must.
    """
    from sseclient import SSEClient  # sseclient-py's package shadows btubbs's module

    if not hasattr(SSEClient, "events"):
        raise ImportError("the sseclient module found is not sseclient-py's")

    def decode(reads: List[bytes]) -> list:
        out = []
        last_id = ""
        for event in SSEClient(iter(reads)).events():
            if event.id is not None:
                last_id = event.id
            out.append((event.event, event.data, last_id))
        return out

    return decode


class _FakeRaw:
    """A urllib3 response as requests and its callers read it, over the reads."""

    def __init__(self, reads: List[bytes]) -> None:
        self._reads = _reads_then_end(reads)

    def read(self, amt: Optional[int] = None) -> bytes:
        return next(self._reads)

    def close(self) -> None:
        pass

    def stream(self, amt: Optional[int] = None, decode_content: Optional[bool] = None) -> Iterator[bytes]:
        return self._reads


def _requests_response(reads: List[bytes]) -> Any:
    import requests

    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = _EVENT_STREAM
    response.encoding = "utf-8"
    response.url = "http://127.0.0.1/events"
    response.raw = _FakeRaw(reads)
    return response


class _FakeSession:
    """Enough of requests (module or Session) to answer one GET with the reads."""

    def __init__(self, reads: List[bytes]) -> None:
        self._reads = reads

    def get(self, url: str, **kwargs: Any) -> Any:
        return _requests_response(self._reads)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return _requests_response(self._reads)

    def close(self) -> None:
        pass


def load_btubbs_sseclient() -> Any:
    """btubbs/sseclient's module, loaded from its file.

    Its module is also named ``sseclient``, and sseclient-py's package wins
    the import. Raises ImportError when it is not installed.
    """
    import importlib.metadata
    import importlib.util

    try:
        path = importlib.metadata.distribution("sseclient").locate_file("sseclient.py")
    except importlib.metadata.PackageNotFoundError as exc:
        raise ImportError(f"No distribution named {exc}") from None
    spec = importlib.util.spec_from_file_location("sseclient_btubbs", str(path))
    if spec is None or spec.loader is None or not os.path.exists(str(path)):
        raise ImportError(f"btubbs sseclient: no module at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Its buffer is rescanned and copied whole on every read: line/1MiB takes
# ~2 s a call, so the longer lines (4 to 64 times that) are not run.
@peer("sseclient", applies=lambda workload: not workload.name.startswith(LONG_LINE_PREFIX) or workload.name == "line/1MiB")
def sseclient_btubbs_peer() -> Callable:
    """btubbs/sseclient's SSEClient over a session whose response holds the reads.

    ``last_id`` is the client's own record of the last event ID.
    """
    module = load_btubbs_sseclient()

    def decode(reads: List[bytes]) -> list:
        client = module.SSEClient("http://127.0.0.1/events", session=_FakeSession(reads))
        out = []
        try:
            for message in client:
                out.append((message.event, message.data, client.last_id or ""))
        except _EndOfReads:
            pass
        return out

    return decode


@peer("requests-sse")
def requests_sse_peer() -> Callable:
    """requests_sse.EventSource over a session whose response holds the reads.

    Lines come from requests' own ``Response.iter_lines()``, as over a socket.
    """
    from requests_sse import EventSource

    def decode(reads: List[bytes]) -> list:
        out = []
        with EventSource("http://127.0.0.1/events", session=_FakeSession(reads)) as source:
            try:
                for message in source:
                    out.append((message.type, message.data, message.last_event_id))
            except _EndOfReads:
                pass
        return out

    return decode


@peer("ssec")
def ssec_peer() -> Callable:
    """ssec.EventSource's parser, fed the reads through its raw-read loop.

    ssec only delivers events to listeners while it runs its blocking
    ``open()``; this sets up the state open() would leave (an OPEN source
    with a response) and runs its listen loop, with one listener for every
    event type. ``_last_event_id`` is its own last event ID.
    """
    import collections

    import ssec

    listen = getattr(ssec.EventSource, "_EventSource__listen", None)
    if listen is None:
        raise ImportError(f"ssec {getattr(ssec, '__version__', '?')}: not the 2.x API this wrapper drives")

    def decode(reads: List[bytes]) -> list:
        source = ssec.EventSource("http://127.0.0.1/events")
        out = []

        def record(event: Any) -> None:
            out.append((event.type, event.data, source._last_event_id))

        source._listeners = collections.defaultdict(lambda: [record])
        source._response = _requests_response(reads)
        source._state = source.State.OPEN
        try:
            listen(source)
        except _EndOfReads:
            pass
        return out

    return decode


# --- chunked body decoders ---------------------------------------------------


@peer(BASELINE, kind="chunked")
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


@peer("h11", kind="chunked")
def h11_chunked() -> Callable:
    """h11.Connection(h11.CLIENT) after a GET, fed the response head, then the reads.

    Collects the Data events' bytes up to EndOfMessage, as an h11 client does.
    """
    import h11

    request = h11.Request(method="GET", target="/events", headers=[("Host", "127.0.0.1")])

    def decode(reads: List[bytes]) -> bytes:
        connection = h11.Connection(h11.CLIENT)
        connection.send(request)
        connection.send(h11.EndOfMessage())
        receive = connection.receive_data
        next_event = connection.next_event
        NEED_DATA = h11.NEED_DATA
        Data = h11.Data
        body = []
        for data in [_RESPONSE_HEAD] + reads:
            receive(data)
            while True:
                event = next_event()
                if event is NEED_DATA:
                    break
                if type(event) is Data:
                    body.append(event.data)
                elif type(event) is h11.EndOfMessage:
                    return b"".join(body)
        raise ValueError("h11: the body did not end")

    return decode


# --- SSE encoders ------------------------------------------------------------
#
# An encoder is a function ``messages -> bytes``, each message a dict of
# ``data``, ``event``, ``id`` and ``retry`` (absent keys not sent). The run
# reads the bytes back with its own checker, so encoders that order fields
# or end lines differently are all correct if a client gets the same events.


@peer(BASELINE, kind="encode")
def sse_core_encoder() -> Callable:
    from sse_core import encode

    def encode_all(messages: List[Dict[str, Any]]) -> bytes:
        return b"".join([encode(**message) for message in messages])

    return encode_all


@peer("sse-starlette", kind="encode")
def sse_starlette_encoder() -> Callable:
    """sse_starlette.ServerSentEvent(...).encode(), what EventSourceResponse sends."""
    from sse_starlette import ServerSentEvent

    def encode_all(messages: List[Dict[str, Any]]) -> bytes:
        return b"".join([ServerSentEvent(**message).encode() for message in messages])

    return encode_all


@peer("aiohttp-sse", kind="encode")
def aiohttp_sse_encoder() -> Callable:
    """aiohttp_sse.EventSourceResponse.send(), with write() collecting the bytes.

    Its formatting lives inside the coroutine send(), which also enters an
    asyncio.timeout (so it needs a running loop): that per-message cost is
    part of what its users pay. One loop runs all the messages of a call.
    """
    import asyncio

    from aiohttp_sse import EventSourceResponse

    class Collecting(EventSourceResponse):
        async def write(self, data: bytes) -> None:  # type: ignore[override]
            self.collected.append(data)

    loop = asyncio.new_event_loop()

    async def send_all(messages: List[Dict[str, Any]]) -> bytes:
        response = Collecting()
        response.collected = []  # type: ignore[attr-defined]
        send = response.send
        for message in messages:
            await send(**message)
        return b"".join(response.collected)  # type: ignore[attr-defined]

    def encode_all(messages: List[Dict[str, Any]]) -> bytes:
        return loop.run_until_complete(send_all(messages))

    return encode_all
