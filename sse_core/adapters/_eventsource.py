"""EventSource: a stream that reconnects, by the WHATWG client rules.

This is the blocking driver: it waits (on a ``threading.Event``, so that
``close()`` wakes it), connects and reads. Every decision is a policy's:
``_reconnect_policy`` (when, how long, with which Last-Event-ID),
``_redirect_policy`` (which redirects, which headers cross) and
``_response_policy`` (which responses carry events, how a stream ended).
"""

import itertools
import random
import ssl
import threading
from typing import Any, Callable, Iterator, Mapping, Optional, Union

from .._http11 import header_value
from ..decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from ..errors import RemoteProtocolError
from ..events import Event
from ._reconnect_policy import (
    DEFAULT_MAX_BACKOFF,
    DEFAULT_RETRY,
    ReconnectPolicy,
    Verdict,
    attempt_request,
    ends_reconnection,
)
from ._redirect_policy import DEFAULT_MAX_REDIRECTS, Redirect, follow_redirect
from ._request import Headers, build_request, header_list, origin
from ._response import Response, fail, open_response
from ._response_policy import DEFAULT_MAX_ERROR_BODY, EndReason, check_response
from ._timeouts import Timeouts

__all__ = ["EventSource"]

RequestHook = Callable[[int, str], Optional[Mapping[str, Any]]]


class EventSource:
    """Iterate events across reconnections, as a browser's ``EventSource`` would.

    Each connection is a request like :func:`~sse_core.adapters.client.stream`
    makes (``timeouts`` apply to each). When one ends, for any reason but the
    done marker or a limit, it waits ``retry`` milliseconds (the server can
    change it with a ``retry`` field, up to ``RETRY_CEILING``, 10 minutes)
    and reconnects, sending the last event ID as ``Last-Event-ID`` (as
    UTF-8, without the control characters and end blanks a header cannot
    carry). Connection errors (OSError, or a malformed response head:
    RemoteProtocolError) are retried too. After two or more failures in a
    row (errors, or streams ending with no event), the wait doubles each
    time from at least ``BACKOFF_FLOOR`` (0.1 s) up to ``max_backoff``
    seconds, with random jitter.

    Iteration stops on HTTP 204, on the done marker, on ``close()``, or when
    ``max_reconnects`` reconnections are used up; then a connection error
    is raised, and an ended stream just stops. It raises
    :class:`~sse_core.adapters.client.HTTPStatusError` for any other status
    than 200 (and 204), ContentTypeError for a response that is not
    ``text/event-stream``, and LimitExceeded when an event passes a bound
    (reconnecting would fetch it again), all without retrying.

    GET requests follow up to ``max_redirects`` redirects, each time from
    ``url``; a redirect that leaves the origin (scheme, host or port) keeps
    only the headers in ``CROSS_ORIGIN_SAFE_HEADERS`` (Accept, User-Agent and
    the like): Authorization, Cookie, API keys and every other header set
    are not sent to another origin. A ``Location`` that cannot be followed
    raises HTTPStatusError.

    ``request``, if given, is called before each attempt with the attempt
    number (0 first) and the last event ID, and returns None or a mapping
    with any of ``headers`` (merged over ``headers``), ``json`` or ``content``
    (replacing the body): a fresh token, a new POST body.

    ``last_event_id``, ``retry`` (milliseconds), ``response`` (the current
    or last one), ``end_reason`` and ``error`` (of the last stream) are
    kept up to date. ``close()`` may be called from another thread.
    """

    def __init__(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Optional[Headers] = None,
        json: Any = None,
        content: Union[bytes, str, None] = None,
        request: Optional[RequestHook] = None,
        transport: str = "socket",
        timeouts: Timeouts = Timeouts(),
        ssl_context: Optional[ssl.SSLContext] = None,
        retry: int = DEFAULT_RETRY,
        last_event_id: str = "",
        max_reconnects: Optional[int] = None,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        done_marker: Optional[str] = "[DONE]",
        max_line_size: Optional[int] = DEFAULT_MAX_LINE_SIZE,
        max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
        max_error_body: int = DEFAULT_MAX_ERROR_BODY,
    ) -> None:
        origin(url)  # refuse a bad URL now, not at the first iteration
        self.url = url
        self.method = method
        self.headers = header_list(headers)
        self.json = json
        self.content = content
        self.request = request
        self.transport = transport
        self.timeouts = timeouts
        self.ssl_context = ssl_context
        self.retry = retry
        self.last_event_id = last_event_id
        self.max_reconnects = max_reconnects
        self.max_redirects = max_redirects
        self.max_backoff = max_backoff
        self.done_marker = done_marker
        self.max_line_size = max_line_size
        self.max_event_size = max_event_size
        self.max_error_body = max_error_body
        self.response: Optional[Response] = None
        self.end_reason: Optional[EndReason] = None
        self.error: Optional[BaseException] = None
        self._closed = threading.Event()

    def __enter__(self) -> "EventSource":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop: close the connection and end the iteration."""
        self._closed.set()
        if self.response is not None:
            self.response.close()

    def __iter__(self) -> Iterator[Event]:
        policy = ReconnectPolicy(
            retry=self.retry,
            last_event_id=self.last_event_id,
            max_reconnects=self.max_reconnects,
            max_backoff=self.max_backoff,
        )
        while not self._closed.wait(policy.delay(random.random())):
            attempt = policy.begin_attempt()
            try:
                response = self._connect(attempt)
            except (OSError, RemoteProtocolError) as exc:
                self.error = exc
                if policy.connection_failed() is Verdict.RAISE or self._closed.is_set():
                    raise
                continue
            if response is None:
                return
            with response:
                for event in response:
                    policy.event_received(response.last_event_id, response.retry)
                    self.last_event_id, self.retry = policy.last_event_id, policy.retry
                    yield event
            self.end_reason, self.error = response.end_reason, response.error
            verdict = policy.stream_ended(
                response.end_reason, response.error, response.last_event_id, response.retry
            )
            self.last_event_id, self.retry = policy.last_event_id, policy.retry
            if verdict is Verdict.RAISE and response.error is not None:
                raise response.error
            if verdict is not Verdict.RECONNECT:
                return

    def _connect(self, attempt: int) -> Optional[Response]:
        """Open the next stream, following redirects; None on HTTP 204."""
        overrides = self.request(attempt, self.last_event_id) if self.request is not None else None
        headers, json, content = attempt_request(self.headers, self.json, self.content, overrides, self.last_event_id)
        url = self.url
        for redirects in itertools.count():
            request = build_request(self.method, url, headers, json=json, content=content)
            self.response = response = open_response(
                request,
                transport=self.transport,
                timeouts=self.timeouts,
                ssl_context=self.ssl_context,
                done_marker=self.done_marker,
                last_event_id=self.last_event_id,
                max_line_size=self.max_line_size,
                max_event_size=self.max_event_size,
            )
            location = header_value(response.headers, "location")
            step = follow_redirect(
                self.method,
                url,
                headers,
                response.status,
                location,
                redirects=redirects,
                max_redirects=self.max_redirects,
            )
            if step is None:
                break
            if not isinstance(step, Redirect):
                fail(response, step, self.max_error_body)
            response.close()
            url, headers = step
        refusal = check_response(response.status, response.reason, response.headers, reconnecting=True)
        if refusal is not None:
            fail(response, refusal, self.max_error_body)
        if ends_reconnection(response.status):
            response.close()
            return None
        return response
