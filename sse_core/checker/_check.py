"""check(): run the exchanges, watch each read as it arrives, collect every rule's findings.

Nothing keeps the stream: each read goes through the content decoder, the
observer and the rules' watches (counters, the first few examples, the
gaps between events in bounded form) and is dropped, so a check's memory
does not grow with the length or the rate of the stream. The decoder's own
bounds (a line, an event) are the largest things held.
"""

import ssl
from typing import Any, Callable, List, Optional, Tuple

from .._http11 import ResponseHead, header_value
from ..adapters._request import Headers, Request, build_request, header_list
from ..errors import LocalProtocolError
from ._capture import DURATION, INTERRUPTED, CheckError, Capture, Read, capture
from ._coding import ContentDecoder
from ._findings import Finding, finding
from ._observe import StreamObserver
from ._report import Report
from ._rules_framing import framing_findings
from ._rules_headers import ACCEPT_COMPRESSED, head_findings
from ._rules_openai import OpenAIWatch, openai_findings
from ._rules_resume import IdTrail, continuity_findings, no_ids_finding
from ._rules_timing import DEFAULT_IDLE_LIMIT, TimingWatch, timing_figures, timing_findings

__all__ = ["check", "CheckInterrupted", "DEFAULT_OPENAI_REQUEST", "DEFAULT_DURATION", "DEFAULT_CONNECT_TIMEOUT"]

DEFAULT_DURATION = 10.0
DEFAULT_CONNECT_TIMEOUT = 10.0

# Sent in openai mode when no body is given: the smallest streamed chat request.
DEFAULT_OPENAI_REQUEST = {
    "model": "gpt-4o-mini",
    "stream": True,
    "messages": [{"role": "user", "content": "Say hello."}],
}

# How many events with ids the resume check reads before dropping the connection.
_RESUME_EVENTS = 3
# Ids kept of the uninterrupted stream, to say which id should follow the
# one resumed from; a resume from further on is judged without it.
_REFERENCE_IDS = 1000
# Ids kept of the resumed connection (one read may bring more than it waits for).
_RESUMED_IDS = 64

Progress = Callable[[int, float], None]


class CheckInterrupted(KeyboardInterrupt):
    """Ctrl-C during a check; ``report`` holds what was found until then."""

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report


def check(
    url: str,
    *,
    method: Optional[str] = None,
    headers: Optional[Headers] = None,
    body: Any = None,
    openai: bool = False,
    duration: float = DEFAULT_DURATION,
    resume: bool = False,
    compressed: bool = False,
    connect_timeout: Optional[float] = DEFAULT_CONNECT_TIMEOUT,
    idle_limit: float = DEFAULT_IDLE_LIMIT,
    ssl_context: Optional[ssl.SSLContext] = None,
    progress: Optional[Progress] = None,
) -> Report:
    """Request ``url``, read its event stream for up to ``duration`` seconds, and judge it.

    ``method`` defaults to POST in ``openai`` mode and GET otherwise.
    ``body`` is bytes or str (sent as is) or a JSON value (sent as
    ``application/json``); in ``openai`` mode it defaults to a small
    streamed chat request. ``resume`` also reconnects with
    ``Last-Event-ID`` and checks continuity. ``compressed`` sends
    ``Accept-Encoding: gzip, deflate, br`` as a browser does, to learn
    whether the server or a proxy compresses the stream (a gzip or deflate
    body is decoded and analysed either way). ``idle_limit`` is the proxy
    idle limit heartbeats are judged against. ``progress(events, elapsed)``
    is called as the stream is read.

    Raises :class:`CheckError` when no response head can be had (connection
    refused, TLS failure, silence), LocalProtocolError for a request that
    cannot be sent (a bad URL or header), and :class:`CheckInterrupted`
    (a KeyboardInterrupt) on Ctrl-C once the response head is in.
    """
    if not duration > 0:
        raise LocalProtocolError(f"duration must be positive, not {duration!r}")
    if openai and body is None:
        body = DEFAULT_OPENAI_REQUEST
    method = (method or ("POST" if openai else "GET")).upper()
    headers = header_list(headers)
    if compressed and not any(name.lower() == "accept-encoding" for name, _ in headers):
        headers.append(("Accept-Encoding", ACCEPT_COMPRESSED))
    request = _build(method, url, headers, body)
    stream = _Stream(openai=openai, keep_ids=_REFERENCE_IDS)

    def on_read(read: Read) -> bool:
        stream.on_read(read)
        if progress is not None:
            progress(stream.seen.event_count, read.at)
        return False

    def on_tick(elapsed: float) -> None:
        if progress is not None:
            progress(stream.seen.event_count, elapsed)

    result = capture(
        request,
        duration=duration,
        connect_timeout=connect_timeout,
        ssl_context=ssl_context,
        on_head=stream.on_head,
        on_read=on_read,
        on_tick=on_tick,
    )
    stream.finish(result)
    findings = head_findings(result.head, result.head_error, result.error_body, compressed)
    streamed = result.head is not None and result.head.status == 200
    if streamed:
        findings += stream.findings(result, idle_limit)
    interrupted = result.end == INTERRUPTED
    if streamed and resume and not interrupted:
        try:
            findings += _resume(request, stream.ids, duration, connect_timeout, ssl_context)
        except KeyboardInterrupt:
            interrupted = True
    report = Report(url, method, result.head, timing_figures(result, stream.seen, stream.timing), findings)
    if interrupted:
        raise CheckInterrupted(report)
    return report


class _Stream:
    """Everything one connection's reads go through as they arrive."""

    def __init__(self, *, openai: bool, keep_ids: int) -> None:
        self.coding = ContentDecoder(None)
        self.seen = StreamObserver()
        self.timing = TimingWatch()
        self.openai = OpenAIWatch() if openai else None
        self.ids = IdTrail(keep_ids)

    def on_head(self, head: ResponseHead) -> None:
        self.coding = ContentDecoder(header_value(head.headers, "content-encoding"))

    def on_read(self, read: Read) -> None:
        completed = 0
        for piece in self.coding.feed(read.body):
            events = self.seen.feed(piece)
            completed += len(events)
            if self.openai is not None:
                self.openai.feed(events)
            self.ids.feed(events)
        self.timing.on_read(read, completed)

    def finish(self, result: Capture) -> None:
        """The body is over: a stream that ended (not one the check stopped reading) is closed."""
        self.timing.finish()
        if result.end in (DURATION, INTERRUPTED):
            return
        for piece in self.coding.close():
            events = self.seen.feed(piece)
            if self.openai is not None:
                self.openai.feed(events)
            self.ids.feed(events)
        self.seen.close()

    def findings(self, result: Capture, idle_limit: float) -> List[Finding]:
        analysed = self.coding.decodable
        found: List[Finding] = []
        if self.coding.error is not None:
            found.append(finding("framing.compression", self.coding.error))
        if analysed:
            found += framing_findings(result, self.seen)
        found += timing_findings(result, self.seen, self.timing, idle_limit, analysed)
        if self.openai is not None and analysed:
            found += openai_findings(result, self.openai)
        return found


def _build(method: str, url: str, headers: Optional[Headers], body: Any) -> Request:
    if body is None or isinstance(body, (bytes, bytearray, str)):
        return build_request(method, url, headers, content=body)
    return build_request(method, url, headers, json=body)


def _resume(
    request: Request,
    reference: IdTrail,
    duration: float,
    connect_timeout: Optional[float],
    ssl_context: Optional[ssl.SSLContext],
) -> List[Finding]:
    """Read a few events with ids, drop the connection, resume with Last-Event-ID, compare."""
    if not reference.with_id:
        return [no_ids_finding()]
    try:
        # The client is taken to drop right after the last event it wanted,
        # though one read may complete more.
        first, _ = _read_ids(request, _RESUME_EVENTS, duration, connect_timeout, ssl_context)
        if first.last_id is None:
            return [finding("resume.continuity", "a second connection brought no event with an id within the duration")]
        headers = [(name, value) for name, value in request.headers if name.lower() != "last-event-id"]
        again = _build(request.method, request.url, headers + [("Last-Event-ID", first.last_id)], request.body)
        resumed, status = _read_ids(again, _RESUMED_IDS, duration, connect_timeout, ssl_context)
    except CheckError as exc:
        return [finding("resume.continuity", f"reconnecting failed: {exc}")]
    if status != 200:
        return [finding("resume.continuity", f"the reconnect with Last-Event-ID: {first.last_id} got status {status}")]
    return continuity_findings(reference, first, resumed)


def _read_ids(
    request: Request,
    keep: int,
    duration: float,
    connect_timeout: Optional[float],
    ssl_context: Optional[ssl.SSLContext],
) -> Tuple[IdTrail, Optional[int]]:
    """The ids of one connection, dropped once it brought a few events with ids."""
    stream = _Stream(openai=False, keep_ids=keep)

    def on_read(read: Read) -> bool:
        stream.on_read(read)
        return stream.ids.with_id >= _RESUME_EVENTS

    result = capture(
        request,
        duration=duration,
        connect_timeout=connect_timeout,
        ssl_context=ssl_context,
        on_head=stream.on_head,
        on_read=on_read,
    )
    if result.end == INTERRUPTED:
        raise KeyboardInterrupt
    status = result.head.status if result.head is not None else None
    return stream.ids, status
