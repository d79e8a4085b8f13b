"""The mock server's request handler: routes, JSON answers, CORS, event streams.

Routes: ``GET /`` (the page), ``GET /v1/models``, ``POST
/v1/chat/completions``, ``GET /v1/chat/completions/stream`` (the same
stream for ``EventSource``, which can only GET), ``GET /events``;
``OPTIONS`` anywhere answers a CORS preflight. Errors are JSON in the
OpenAI shape: 400 for a bad request, 404 for an unknown path, 405 for a
wrong method, 413 for a body over 1 MiB (the request reader's refusals,
400 for a malformed request and 501 for an unknown transfer coding among
them, carry the same JSON body).
"""

import json
import urllib.parse
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from ..adapters.httpserver import Item, Source, StrictRequestHandler, StreamContext, send_event_stream
from ..errors import RemoteProtocolError
from .chat import (
    AbruptClose,
    ChatRequest,
    chat_request_from_query,
    chunk_source,
    complete,
    completion_object,
    parse_chat_request,
)
from .errors import RequestError, error_body
from .model import MODEL_ID
from .numbered import first_id, numbered_source, parse_events_query
from .options import MockOptions, apply_overrides
from .page import PAGE_HTML

__all__ = ["MockHandler"]

_ALLOWED_METHODS = "GET, POST, OPTIONS"
_DEFAULT_ALLOWED_HEADERS = "Authorization, Content-Type, Last-Event-ID, Cache-Control"


class MockHandler(StrictRequestHandler):
    """Answers one connection's requests; ``server`` is a :class:`~sse_core.mock.server.MockServer`'s.

    Each request, body included, is read before it is routed, so the
    connection can carry the next request whatever the answer.
    """

    protocol_version = "HTTP/1.1"
    server_version = "sse_core-mock"

    @property  # type: ignore[override]
    def request_timeout(self) -> Optional[float]:
        return self.server.request_timeout  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_OPTIONS(self) -> None:
        self.server.record(self)  # type: ignore[attr-defined]
        self.send_response(204)
        self.send_header("Allow", _ALLOWED_METHODS)
        origin = self._options.cors_origin
        if origin is not None:
            requested = self.headers.get("Access-Control-Request-Headers")
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Methods", _ALLOWED_METHODS)
            self.send_header("Access-Control-Allow-Headers", requested or _DEFAULT_ALLOWED_HEADERS)
            self.send_header("Access-Control-Max-Age", "600")
        self.end_headers()

    def refuse_request(self, exc: RemoteProtocolError) -> None:
        """Answer a request the reader refused with an OpenAI-style JSON error."""
        status = exc.error_status_hint
        if status == 413:
            body = error_body("The request body is too large.", code="body_too_large")
        else:
            body = error_body(f"Malformed request: {exc}.", code="invalid_request")
        self._send_json(status, body, [("Connection", "close")])

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(format % args, self.address_string())  # type: ignore[attr-defined]

    @property
    def _options(self) -> MockOptions:
        return self.server.options  # type: ignore[attr-defined]

    def _route(self) -> None:
        self.server.record(self)  # type: ignore[attr-defined]
        body = self.request_body
        target = urllib.parse.urlsplit(self.path)
        routes: Dict[str, Dict[str, Callable[[bytes, Dict[str, str]], None]]] = {
            "/": {"GET": self._page},
            "/v1/models": {"GET": self._models},
            "/v1/chat/completions": {"POST": self._chat},
            "/v1/chat/completions/stream": {"GET": self._chat_get},
            "/events": {"GET": self._events},
        }
        methods = routes.get(target.path)
        if methods is None:
            message = f"Invalid URL ({self.command} {target.path})"
            return self._send_json(404, error_body(message, code="unknown_url"))
        answer = methods.get(self.command)
        if answer is None:
            allowed = ", ".join(list(methods) + ["OPTIONS"])
            message = f"Method {self.command} is not allowed for {target.path} (allowed: {allowed})"
            return self._send_json(405, error_body(message, code="method_not_allowed"), [("Allow", allowed)])
        # A repeated parameter counts once, with its last value.
        query = dict(urllib.parse.parse_qsl(target.query, keep_blank_values=True))
        try:
            answer(body, query)
        except RequestError as exc:
            self._send_json(exc.status, exc.body())

    # --- routes --------------------------------------------------------

    def _page(self, body: bytes, query: Dict[str, str]) -> None:
        self._send(200, PAGE_HTML.encode("utf-8"), "text/html; charset=utf-8")

    def _models(self, body: bytes, query: Dict[str, str]) -> None:
        model = {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "sse_core"}
        self._send_json(200, {"object": "list", "data": [model]})

    def _chat(self, body: bytes, query: Dict[str, str]) -> None:
        self._answer_chat(parse_chat_request(body), body, "mock")

    def _chat_get(self, body: bytes, query: Dict[str, str]) -> None:
        self._answer_chat(chat_request_from_query(query), body, "")

    def _answer_chat(self, request: ChatRequest, body: bytes, overrides_param: str) -> None:
        options = apply_overrides(self._options, request.overrides, overrides_param)
        completion = complete(request)
        if request.stream:

            def source(ctx: StreamContext) -> Iterator[Item]:
                return chunk_source(completion, request.include_usage, options, self._waiter(ctx))

            try:
                self._stream(source, body, self._options.heartbeat)
            except AbruptClose:
                pass  # the connection closes with the stream cut short: the fault asked for that
            return
        if options.latency_ms and self.server.stopping.wait(options.latency_ms / 1000):  # type: ignore[attr-defined]
            return self._send_json(503, error_body("The server is shutting down.", type="server_error"))
        fault = options.fault
        if fault is not None and fault.kind == "close":
            self.close_connection = True  # before any byte of a response
            return
        if fault is not None:
            message = f"The mock server injected this error (fault {fault.kind}:{fault.after})."
            return self._send_json(500, error_body(message, type="server_error", code="mock_fault"))
        self._send_json(200, completion_object(completion))

    def _events(self, body: bytes, query: Dict[str, str]) -> None:
        events = parse_events_query(query)
        start = first_id(self.headers.get("Last-Event-ID", ""))
        if events.count is not None and start > events.count:
            return self._send(204, b"", None)  # all delivered: a browser stops reconnecting
        heartbeat = self._options.heartbeat if events.heartbeat_ms is None else events.heartbeat_ms / 1000
        self._stream(lambda ctx: numbered_source(events, start, self._waiter(ctx)), body, heartbeat, events.retry)

    # --- answers -------------------------------------------------------

    def _stream(self, source: Source, body: bytes, heartbeat: Optional[float], retry: Optional[int] = None) -> None:
        send_event_stream(
            self,
            source,
            heartbeat=heartbeat,
            retry=retry,
            body=body,
            headers=self._cors_headers(),
        )

    def _waiter(self, ctx: StreamContext) -> Callable[[float], bool]:
        return lambda seconds: self.server.wait(ctx, seconds)  # type: ignore[attr-defined]

    def _send_json(self, status: int, obj: Any, headers: Sequence[Tuple[str, str]] = ()) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self._send(status, data, "application/json", headers)

    def _send(
        self, status: int, data: bytes, content_type: Optional[str], headers: Sequence[Tuple[str, str]] = ()
    ) -> None:
        self.send_response(status)
        for name, value in [*headers, *self._cors_headers()]:
            self.send_header(name, value)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _cors_headers(self) -> List[Tuple[str, str]]:
        origin = self._options.cors_origin
        return [] if origin is None else [("Access-Control-Allow-Origin", origin)]
