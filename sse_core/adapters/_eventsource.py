"""EventSource: a stream that reconnects, by the WHATWG client rules."""

import random
import ssl
import threading
from typing import Any, Callable, Iterator, List, Mapping, Optional, Tuple, Union
from urllib.parse import urljoin

from .._http11 import header_value
from ..decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from ..errors import LocalProtocolError, RemoteProtocolError
from ..events import Event
from ._request import Headers, build_request, header_list, origin
from ._response import DEFAULT_MAX_ERROR_BODY, EndReason, HTTPStatusError, Response, check_event_stream, fail, open_response
from ._timeouts import Timeouts

__all__ = ["EventSource", "DEFAULT_RETRY", "DEFAULT_MAX_BACKOFF", "DEFAULT_MAX_REDIRECTS"]

DEFAULT_RETRY = 3000  # milliseconds; browsers use a few seconds too
# Backoff doubles per failure in a row up to this many seconds: long enough
# to spare a struggling server, short enough to notice its recovery soon.
DEFAULT_MAX_BACKOFF = 30.0
DEFAULT_MAX_REDIRECTS = 10  # as requests' default is 30 and browsers' 20, with less need

_REDIRECTS = (301, 302, 303, 307, 308)
# Sent only to the origin the caller chose, as requests and browsers do.
_CREDENTIAL_HEADERS = ("authorization", "cookie")
_OVERRIDES = ("headers", "json", "content")

RequestHook = Callable[[int, str], Optional[Mapping[str, Any]]]


class EventSource:
    """Iterate events across reconnections, as a browser's ``EventSource`` would.

    Each connection is a request like :func:`~sse_core.adapters.client.stream`
    makes (``timeouts`` apply to each). When one ends, for any reason but the
    done marker or a limit, it waits ``retry`` milliseconds (the server can
    change it with a ``retry`` field) and reconnects, sending the last event
    ID as ``Last-Event-ID``. Connection errors (OSError, or a malformed
    response head: RemoteProtocolError) are retried too. After two or more
    failures in a row (errors, or streams ending with no event), the wait
    doubles each time up to ``max_backoff`` seconds, with random jitter.

    Iteration stops on HTTP 204, on the done marker, on ``close()``, or when
    ``max_reconnects`` reconnections are used up; then a connection error
    is raised, and an ended stream just stops. It raises
    :class:`~sse_core.adapters.client.HTTPStatusError` for any other status
    than 200 (and 204), ContentTypeError for a response that is not
    ``text/event-stream``, and LimitExceeded when an event passes a bound
    (reconnecting would fetch it again), all without retrying.

    GET requests follow up to ``max_redirects`` redirects, each time from
    ``url``; the ``Authorization`` and ``Cookie`` headers are dropped when
    the redirect leaves the origin.

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
        attempt = 0
        failures = 0  # in a row
        while not self._closed.is_set():
            if attempt and self._closed.wait(self._delay(failures)):
                return
            last_attempt = self.max_reconnects is not None and attempt >= self.max_reconnects
            attempt += 1
            try:
                response = self._connect(attempt - 1)
            except (OSError, RemoteProtocolError) as exc:
                self.error = exc
                if last_attempt or self._closed.is_set():
                    raise
                failures += 1
                continue
            if response is None:
                return
            delivered = False
            with response:
                for event in response:
                    delivered = True
                    failures = 0
                    self._remember(response)
                    yield event
            self._remember(response)
            self.end_reason, self.error = response.end_reason, response.error
            if response.end_reason is EndReason.DONE:
                return
            if response.end_reason is EndReason.LIMIT_EXCEEDED and response.error is not None:
                raise response.error
            if not delivered:
                failures += 1
            if last_attempt:
                return

    def _remember(self, response: Response) -> None:
        self.last_event_id = response.last_event_id
        if response.retry is not None:
            self.retry = response.retry

    def _delay(self, failures: int) -> float:
        delay = self.retry / 1000
        if failures > 1:
            ceiling = min(self.max_backoff, delay * 2.0 ** min(failures - 1, 32))
            delay = max(delay, random.uniform(ceiling / 2, ceiling))
        return delay

    def _connect(self, attempt: int) -> Optional[Response]:
        """Open the next stream, following redirects; None on HTTP 204."""
        headers, json, content = self.headers, self.json, self.content
        if self.request is not None:
            overrides = self.request(attempt, self.last_event_id) or {}
            unknown = set(overrides) - set(_OVERRIDES)
            if unknown:
                raise LocalProtocolError(f"request() returned unknown keys {sorted(unknown)}")
            headers = _merge(headers, header_list(overrides.get("headers")))
            if "json" in overrides or "content" in overrides:
                json, content = overrides.get("json"), overrides.get("content")
        if self.last_event_id:
            # Sent as UTF-8, as browsers do; the head encoder takes latin-1 str.
            wire_id = self.last_event_id.encode("utf-8").decode("latin-1")
            headers = _merge(headers, [("Last-Event-ID", wire_id)])
        url = self.url
        for redirects in range(self.max_redirects + 1):
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
            if response.status not in _REDIRECTS or self.method != "GET" or location is None:
                break
            if redirects == self.max_redirects:
                fail(response, HTTPStatusError, f"more than {self.max_redirects} redirects", self.max_error_body)
            target = urljoin(url, location)
            try:
                leaves_origin = origin(target) != origin(url)
            except LocalProtocolError:
                fail(response, HTTPStatusError, f"redirect to unsupported URL {location!r}", self.max_error_body)
            response.close()
            if leaves_origin:
                headers = [(name, value) for name, value in headers if name.lower() not in _CREDENTIAL_HEADERS]
            url = target
        if response.status == 204:
            response.close()
            return None
        if response.status != 200:
            fail(response, HTTPStatusError, f"HTTP {response.status} {response.reason}", self.max_error_body)
        check_event_stream(response, self.max_error_body)
        return response


def _merge(base: List[Tuple[str, str]], extra: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    replaced = {name.lower() for name, _ in extra}
    return [(name, value) for name, value in base if name.lower() not in replaced] + extra
