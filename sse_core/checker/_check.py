"""check(): run the exchanges, feed the observers, collect every rule's findings."""

import ssl
from typing import Any, Callable, List, Optional, Tuple

from ..adapters._request import Headers, Request, build_request
from ..errors import LocalProtocolError
from ..events import Event
from ._capture import DURATION, CheckError, Capture, Read, capture
from ._findings import Finding, finding
from ._observe import StreamObserver
from ._report import Report
from ._rules_framing import framing_findings
from ._rules_headers import head_findings
from ._rules_openai import openai_findings
from ._rules_resume import continuity_findings, no_ids_finding
from ._rules_timing import DEFAULT_IDLE_LIMIT, timing_figures, timing_findings

__all__ = ["check", "DEFAULT_OPENAI_REQUEST", "DEFAULT_DURATION", "DEFAULT_CONNECT_TIMEOUT"]

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

Progress = Callable[[int, float], None]


def check(
    url: str,
    *,
    method: Optional[str] = None,
    headers: Optional[Headers] = None,
    body: Any = None,
    openai: bool = False,
    duration: float = DEFAULT_DURATION,
    resume: bool = False,
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
    ``Last-Event-ID`` and checks continuity. ``idle_limit`` is the proxy
    idle limit heartbeats are judged against. ``progress(events, elapsed)``
    is called as the stream is read.

    Raises :class:`CheckError` when no response head can be had (connection
    refused, TLS failure, silence) and LocalProtocolError for a request
    that cannot be sent (a bad URL or header).
    """
    if not duration > 0:
        raise LocalProtocolError(f"duration must be positive, not {duration!r}")
    if openai and body is None:
        body = DEFAULT_OPENAI_REQUEST
    method = (method or ("POST" if openai else "GET")).upper()
    request = _build(method, url, headers, body)
    seen = StreamObserver()

    def on_read(read: Read) -> bool:
        seen.feed(read.body, read.at)
        if progress is not None:
            progress(len(seen.events), read.at)
        return False

    def on_tick(elapsed: float) -> None:
        if progress is not None:
            progress(len(seen.events), elapsed)

    result = capture(
        request,
        duration=duration,
        connect_timeout=connect_timeout,
        ssl_context=ssl_context,
        on_read=on_read,
        on_tick=on_tick,
    )
    if result.end != DURATION:
        seen.close()
    findings = head_findings(result.head, result.head_error)
    streamed = result.head is not None and result.head.status == 200
    if streamed:
        findings += framing_findings(result, seen)
        findings += timing_findings(result, seen, idle_limit)
        if openai:
            findings += openai_findings(result, seen)
        if resume:
            events = [item.event for item in seen.events]
            findings += _resume(request, events, duration, connect_timeout, ssl_context)
    return Report(url, method, result.head, timing_figures(result, seen), findings)


def _build(method: str, url: str, headers: Optional[Headers], body: Any) -> Request:
    if body is None or isinstance(body, (bytes, bytearray, str)):
        return build_request(method, url, headers, content=body)
    return build_request(method, url, headers, json=body)


def _resume(
    request: Request,
    reference: List[Event],
    duration: float,
    connect_timeout: Optional[float],
    ssl_context: Optional[ssl.SSLContext],
) -> List[Finding]:
    """Read a few events with ids, drop the connection, resume with Last-Event-ID, compare."""
    if not any(event.id for event in reference):
        return [no_ids_finding()]
    try:
        first, _ = _read_events(request, duration, connect_timeout, ssl_context)
        with_ids = [index for index, event in enumerate(first) if event.id]
        if not with_ids:
            return [finding("resume.continuity", "a second connection brought no event with an id within the duration")]
        # One read may complete more events than asked for; the client is
        # taken to drop right after the last one it wanted.
        first = first[: with_ids[: _RESUME_EVENTS][-1] + 1]
        last_id = first[-1].id
        headers = [(name, value) for name, value in request.headers if name.lower() != "last-event-id"]
        again = _build(request.method, request.url, headers + [("Last-Event-ID", last_id)], request.body)
        resumed, status = _read_events(again, duration, connect_timeout, ssl_context)
    except CheckError as exc:
        return [finding("resume.continuity", f"reconnecting failed: {exc}")]
    if status != 200:
        return [finding("resume.continuity", f"the reconnect with Last-Event-ID: {last_id} got status {status}")]
    return continuity_findings(reference, first, last_id, resumed)


def _read_events(
    request: Request, duration: float, connect_timeout: Optional[float], ssl_context: Optional[ssl.SSLContext]
) -> Tuple[List[Event], Optional[int]]:
    """The events of one connection, dropped once it brought a few with ids."""
    seen = StreamObserver()

    def on_read(read: Read) -> bool:
        seen.feed(read.body, read.at)
        return sum(1 for item in seen.events if item.event.id) >= _RESUME_EVENTS

    result: Capture = capture(
        request, duration=duration, connect_timeout=connect_timeout, ssl_context=ssl_context, on_read=on_read
    )
    status = result.head.status if result.head is not None else None
    return [item.event for item in seen.events], status
