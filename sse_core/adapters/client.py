"""An SSE client: one-shot :func:`stream` and the reconnecting :class:`EventSource`.

Two interchangeable transports carry the HTTP/1.1 exchange:
``transport="socket"`` is sse_core's own (``socket`` and ``ssl``, parsing
by ``_http11`` and :class:`~sse_core.ChunkedDecoder`), and
``transport="http.client"`` is the standard library's. Both behave the
same; https certificates are verified with ``ssl.create_default_context()``
unless an ``ssl_context`` is passed.

Errors: everything raised on purpose is an :class:`~sse_core.SSEError`
(LocalProtocolError for an unsendable request, RemoteProtocolError for a
malformed response head, HTTPStatusError and ContentTypeError for a
response without events). OSError from the socket (connection refused, a
TLS verification failure, a timeout before the response head) passes
through. Once the head is in, iterating a response never raises: see
:class:`Response` and :class:`EndReason`.
"""

import ssl
from typing import Any, Optional, Union

from .._http11 import DEFAULT_MAX_HEAD_SIZE
from ..decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from ._eventsource import EventSource
from ._reconnect_policy import BACKOFF_FLOOR, DEFAULT_MAX_BACKOFF, DEFAULT_RETRY, RETRY_CEILING
from ._redirect_policy import CROSS_ORIGIN_SAFE_HEADERS, DEFAULT_MAX_REDIRECTS
from ._request import Headers, build_request
from ._response import Response, fail, open_response
from ._response_policy import (
    DEFAULT_MAX_ERROR_BODY,
    ContentTypeError,
    EndReason,
    HTTPStatusError,
    ResponseError,
    check_response,
)
from ._timeouts import Timeouts

__all__ = [
    "stream",
    "Response",
    "EndReason",
    "Timeouts",
    "EventSource",
    "ResponseError",
    "HTTPStatusError",
    "ContentTypeError",
    "DEFAULT_MAX_ERROR_BODY",
    "DEFAULT_RETRY",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_REDIRECTS",
    "RETRY_CEILING",
    "BACKOFF_FLOOR",
    "CROSS_ORIGIN_SAFE_HEADERS",
]


def stream(
    method: str,
    url: str,
    *,
    headers: Optional[Headers] = None,
    json: Any = None,
    content: Union[bytes, str, None] = None,
    timeouts: Timeouts = Timeouts(),
    transport: str = "socket",
    ssl_context: Optional[ssl.SSLContext] = None,
    done_marker: Optional[str] = "[DONE]",
    max_line_size: Optional[int] = DEFAULT_MAX_LINE_SIZE,
    max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
    max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE,
    max_error_body: int = DEFAULT_MAX_ERROR_BODY,
) -> Response:
    """Send one request and return its event stream, ready to iterate.

    ``json`` is sent serialised as ``application/json``; ``content`` is a
    raw body (bytes, or str sent as UTF-8). ``headers`` (a mapping or pairs) replace the
    defaults (``Accept: text/event-stream``, ``Cache-Control: no-cache``,
    ``User-Agent``, ``Host``, ``Content-Length``) of the same name.

    An event whose data equals ``done_marker`` ends the stream with
    ``EndReason.DONE`` and is not yielded; ``None`` disables this. The
    limits are those of SSEDecoder, plus ``max_head_size`` for the response
    head (socket transport only) and ``max_error_body`` for the body kept
    by an error.

    A status other than 2xx raises HTTPStatusError; a 2xx response that is
    not ``text/event-stream`` raises ContentTypeError (204 is let through:
    it yields nothing). Use it as a context manager to close the connection.
    """
    request = build_request(method, url, headers, json=json, content=content)
    response = open_response(
        request,
        transport=transport,
        timeouts=timeouts,
        ssl_context=ssl_context,
        done_marker=done_marker,
        max_line_size=max_line_size,
        max_event_size=max_event_size,
        max_head_size=max_head_size,
    )
    refusal = check_response(response.status, response.reason, response.headers)
    if refusal is not None:
        fail(response, refusal, max_error_body)
    return response
