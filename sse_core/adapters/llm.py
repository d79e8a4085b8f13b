"""LLM token streams: post a JSON request, get JSON objects until ``[DONE]``.

OpenAI-style streaming APIs answer ``POST`` with ``"stream": true`` by an
event stream whose every ``data`` is one JSON object (a chunk), ended by
``data: [DONE]``. :func:`stream_json` does that exchange over
:func:`~sse_core.adapters.client.stream` and yields the decoded objects;
:func:`delta_text` picks the text out of a chat completion chunk.

Errors are the client's (:mod:`sse_core.adapters.client`): everything
the server or the request gets wrong is an :class:`~sse_core.SSEError`,
and OSError from the socket before the response head (a refused
connection, a failed TLS verification, a connect timeout) passes through
untouched. The SSEErrors are the client's HTTPStatusError /
ContentTypeError before the first event (``str()`` includes the server's
explanation), then :class:`ServerErrorEvent` for an error reported inside
the stream, :class:`InvalidJSON` for a data payload that is not JSON, and
:class:`TruncatedStream` when the stream ends without ``[DONE]``, however
it broke off (raised after every object that did arrive has been yielded;
``__cause__`` holds an OSError behind it).
"""

import json as jsonlib
import ssl
from typing import Any, Iterator, Mapping, Optional

from ..decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from ..errors import SSEError
from ._explain import explain_error
from ._request import Headers
from ._response_policy import EndReason
from ._timeouts import Timeouts
from .client import stream

__all__ = ["stream_json", "delta_text", "LLMStreamError", "ServerErrorEvent", "InvalidJSON", "TruncatedStream"]


class LLMStreamError(SSEError):
    """A token stream that broke the rules of the exchange."""


class ServerErrorEvent(LLMStreamError):
    """The server reported an error inside the stream.

    ``payload`` is the decoded data (the object holding ``error``, or the
    raw text if it is not JSON) and ``event`` the event type.
    """

    def __init__(self, message: str, payload: Any, event: str) -> None:
        super().__init__(message)
        self.payload = payload
        self.event = event

    def __reduce__(self):  # keep the exception picklable despite the custom __init__
        return (type(self), (str(self), self.payload, self.event))


class InvalidJSON(LLMStreamError):
    """An event's data is neither JSON nor ``[DONE]``; ``data`` holds it."""

    def __init__(self, message: str, data: str) -> None:
        super().__init__(message)
        self.data = data

    def __reduce__(self):
        return (type(self), (str(self), self.data))


class TruncatedStream(LLMStreamError):
    """The stream ended without ``[DONE]``.

    ``reason`` is the response's :class:`~sse_core.adapters.client.EndReason`
    and ``__cause__`` the error behind it, if any.
    """

    def __init__(self, message: str, reason: Optional[EndReason]) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):
        return (type(self), (str(self), self.reason))


def stream_json(
    url: str,
    body: Mapping[str, Any],
    *,
    headers: Optional[Headers] = None,
    timeouts: Timeouts = Timeouts(),
    transport: str = "socket",
    ssl_context: Optional[ssl.SSLContext] = None,
    max_line_size: Optional[int] = DEFAULT_MAX_LINE_SIZE,
    max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
) -> Iterator[Any]:
    """POST ``body`` with ``"stream": true`` to ``url``; yield each JSON object until ``[DONE]``.

    ``body`` is sent as JSON with ``stream`` set to true. ``headers`` (e.g.
    ``Authorization``), ``timeouts``, ``transport``, ``ssl_context`` and the
    size limits are those of :func:`~sse_core.adapters.client.stream`. The connection is
    closed when the generator ends or is closed.
    """
    request_body = dict(body)
    request_body["stream"] = True
    with stream(
        "POST",
        url,
        headers=headers,
        json=request_body,
        timeouts=timeouts,
        transport=transport,
        ssl_context=ssl_context,
        max_line_size=max_line_size,
        max_event_size=max_event_size,
    ) as response:
        for event in response:
            yield _decode(event.data, event.event)
        if response.end_reason is not EndReason.DONE:
            how = response.end_reason.value if response.end_reason is not None else "unread"
            raise TruncatedStream(f"the stream ended without [DONE] ({how})", response.end_reason) from response.error


def delta_text(chunk: Any) -> str:
    """The text a ``chat.completion.chunk`` adds: its choices' ``delta.content``, joined.

    Role, finish and usage chunks add ``""``; so does anything not shaped
    like a chunk.
    """
    if not isinstance(chunk, dict) or not isinstance(chunk.get("choices"), list):
        return ""
    pieces = []
    for choice in chunk["choices"]:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str):
            pieces.append(content)
    return "".join(pieces)


def _decode(data: str, event: str) -> Any:
    """One event's data as JSON, raising for an in-band error."""
    try:
        payload = jsonlib.loads(data)
    except (ValueError, RecursionError):
        if event == "error":
            raise ServerErrorEvent(f"error event: {explain_error(data)}", data, event) from None
        raise InvalidJSON(f"event data is not JSON: {data[:200]!r}", data) from None
    if event == "error" or (isinstance(payload, dict) and payload.get("error") is not None):
        raise ServerErrorEvent(f"error event: {explain_error(payload)}", payload, event)
    return payload
