"""sse_core.mock over real loopback sockets, read by our client and by raw sockets."""

import contextlib
import http.client
import json
import re
import socket
import threading
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sse_core import ChunkedDecoder, Comment, Event, SSEDecoder
from sse_core._http11 import ResponseHead, ResponseHeadReader, header_value
from sse_core.adapters.client import EventSource, HTTPStatusError, Timeouts
from sse_core.adapters.llm import ServerErrorEvent, TruncatedStream, delta_text, stream_json
from sse_core.mock import MODEL_ID, Fault, MockOptions, MockServer, parse_fault, reply_text, tokenize

from .servers import EVENT_STREAM_HEADERS, no_thread_left  # noqa: F401 (a fixture)

TIMEOUT = 10.0
TIMEOUTS = Timeouts(connect=5, idle=10, total=30)
UNPACED = MockOptions(latency_ms=0, tokens_per_second=0)
PROMPT = "Stream me something ✓"




@contextlib.contextmanager
def mock_server(**options) -> Iterator[MockServer]:
    with MockServer(options=UNPACED._replace(**options)) as server:
        yield server


def chat_body(prompt: str = PROMPT, **extra) -> Dict:
    return {"model": "test-model", "messages": [{"role": "user", "content": prompt}], **extra}


def chat(server: MockServer, **extra) -> List[Dict]:
    return list(stream_json(server.url + "/v1/chat/completions", chat_body(**extra), timeouts=TIMEOUTS))


# --- raw HTTP ----------------------------------------------------------------


class Answer:
    """One response read off a raw socket: its head and its body, de-chunked."""

    def __init__(self, head: ResponseHead, body: bytes, raw: bytes) -> None:
        self.head = head
        self.body = body
        self.raw = raw

    @property
    def status(self) -> int:
        return self.head.status

    def header(self, name: str) -> Optional[str]:
        return header_value(self.head.headers, name)

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def items(self) -> List:
        decoder = SSEDecoder(comments=True)
        return decoder.feed(self.body) + decoder.close()


def exchange(port: int, method: str, target: str, body: bytes = b"", headers: Tuple[str, ...] = ()) -> Answer:
    """Send one request with ``Connection: close`` and read the response to EOF."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall("\r\n".join(lines + ["", ""]).encode("utf-8") + body)
        raw = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            raw += data
    reader = ResponseHeadReader()
    head = reader.feed(raw)
    assert head is not None, raw
    rest = reader.unused
    if method != "HEAD" and header_value(head.headers, "transfer-encoding") == "chunked":
        chunked = ChunkedDecoder()
        rest = chunked.feed(rest)
        assert chunked.done, raw
    return Answer(head, rest, raw)


def post_json(port: int, obj, target: str = "/v1/chat/completions") -> Answer:
    return exchange(port, "POST", target, json.dumps(obj).encode("utf-8"), ("Content-Type: application/json",))


def without_date_and_server(head: ResponseHead) -> List[Tuple[str, str]]:
    return [(name, value) for name, value in head.headers if name not in ("date", "server")]


# --- the model ---------------------------------------------------------------


def test_model_reply_is_deterministic_echoes_the_prompt_and_carries_multibyte_utf8():
    assert reply_text("Hello") == reply_text("Hello")
    assert reply_text("Hello") != reply_text("Hello!")
    assert "“Hello”" in reply_text("Hello")
    assert all(len(reply_text(prompt).encode("utf-8")) > len(reply_text(prompt)) for prompt in ("a", "b", ""))


@given(st.text())
def test_tokens_join_back_to_the_text(text):
    assert "".join(tokenize(text)) == text


def test_parse_fault():
    assert parse_fault("error") == Fault("error", 0)
    assert parse_fault("close:7") == Fault("close", 7)
    for bad in ("boom", "error:", "error:-1", "close:x", "error:٣"):
        with pytest.raises(ValueError):
            parse_fault(bad)


# --- chat completions, streamed ---------------------------------------------


@pytest.mark.parametrize("transport", ["socket", "http.client"])
def test_stream_chunks_role_first_then_tokens_then_finish_and_usage(transport):
    with mock_server() as server:
        body = chat_body(stream_options={"include_usage": True})
        chunks = list(stream_json(server.url + "/v1/chat/completions", body, timeouts=TIMEOUTS, transport=transport))
    expected = tokenize(reply_text(PROMPT))
    role, *contents, finish, usage = chunks
    assert [chunk["choices"][0]["delta"]["content"] for chunk in contents] == expected
    assert role["choices"] == [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
    assert all(chunk["choices"][0]["finish_reason"] is None for chunk in contents)
    assert finish["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    assert usage["choices"] == []
    assert usage["usage"] == {
        "prompt_tokens": len(tokenize(PROMPT)),
        "completion_tokens": len(expected),
        "total_tokens": len(tokenize(PROMPT)) + len(expected),
    }
    assert all(chunk["usage"] is None for chunk in [role, *contents, finish])
    assert {(c["id"], c["object"], c["created"], c["model"]) for c in chunks} == {
        (role["id"], "chat.completion.chunk", role["created"], "test-model")
    }
    assert role["id"].startswith("chatcmpl-")
    assert "".join(map(delta_text, chunks)) == reply_text(PROMPT)


def test_stream_without_include_usage_has_no_usage_anywhere():
    with mock_server() as server:
        chunks = chat(server)
    assert all("usage" not in chunk for chunk in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_stream_ends_with_done_on_the_wire_and_a_last_chunk():
    with mock_server() as server:
        answer = post_json(server.port, chat_body(stream=True))
    assert answer.status == 200
    assert answer.body.endswith(b"data: [DONE]\n\n")
    assert answer.raw.endswith(b"\r\n0\r\n\r\n")
    assert "“".encode("utf-8") in answer.body and b"\\u" not in answer.body  # raw UTF-8, not escapes
    assert without_date_and_server(answer.head) == EVENT_STREAM_HEADERS + [
        ("connection", "close"),
        ("transfer-encoding", "chunked"),
    ]


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_cuts_the_reply_with_finish_reason_length(name):
    with mock_server() as server:
        chunks = chat(server, **{name: 3})
    assert "".join(map(delta_text, chunks)) == "".join(tokenize(reply_text(PROMPT))[:3])
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_the_reply_answers_the_last_user_message_and_reads_content_parts():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": None},
        {"role": "user", "content": [{"type": "text", "text": "second"}, {"type": "image_url", "image_url": {}}]},
    ]
    with mock_server() as server:
        chunks = list(
            stream_json(server.url + "/v1/chat/completions", {"model": "m", "messages": messages}, timeouts=TIMEOUTS)
        )
    assert "".join(map(delta_text, chunks)) == reply_text("second")


def test_a_lone_surrogate_in_the_prompt_still_streams_valid_utf8():
    body = b'{"model": "m", "stream": true, "messages": [{"role": "user", "content": "a\\ud800b"}]}'
    with mock_server() as server:
        answer = exchange(server.port, "POST", "/v1/chat/completions", body)
    text = "".join(delta_text(json.loads(e.data)) for e in answer.items() if e.data.startswith("{"))
    assert answer.body.decode("utf-8") and text == reply_text("a\ud800b")
    assert "a?b" in text


def test_get_stream_endpoint_for_eventsource_gives_the_same_reply():
    with mock_server() as server:
        answer = exchange(server.port, "GET", "/v1/chat/completions/stream?prompt=Stream+me+something+%E2%9C%93")
        with_usage = exchange(
            server.port, "GET", "/v1/chat/completions/stream?prompt=x&include_usage=true&max_tokens=2"
        )
    events = [event.data for event in answer.items()]
    assert events[-1] == "[DONE]"
    assert "".join(delta_text(json.loads(data)) for data in events[:-1]) == reply_text(PROMPT)
    chunks = [json.loads(event.data) for event in with_usage.items()[:-1]]
    assert chunks[-1]["usage"]["completion_tokens"] == 2
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize(
    "query, param",
    [("fault=boom", "fault"), ("latency_ms=x", "latency_ms"), ("max_tokens=0", "max_tokens"), ("colour=red", "colour")],
)
def test_get_stream_endpoint_bad_query_gets_400(query, param):
    with mock_server() as server:
        answer = exchange(server.port, "GET", "/v1/chat/completions/stream?prompt=x&" + query)
    assert answer.status == 400
    assert answer.json()["error"]["param"] == param


def test_get_stream_endpoint_takes_a_fault():
    with mock_server() as server:
        answer = exchange(server.port, "GET", "/v1/chat/completions/stream?prompt=x&fault=error:1")
    *chunks, error = answer.items()
    assert "".join(delta_text(json.loads(event.data)) for event in chunks) == tokenize(reply_text("x"))[0]
    assert error.event == "error" and json.loads(error.data)["error"]["code"] == "mock_fault"


# --- chat completions, not streamed ------------------------------------------


def test_non_stream_answer_is_one_chat_completion():
    with mock_server() as server:
        answer = post_json(server.port, chat_body())
    assert answer.status == 200
    assert answer.header("content-type") == "application/json"
    completion = answer.json()
    assert completion["object"] == "chat.completion"
    assert completion["id"].startswith("chatcmpl-")
    assert completion["model"] == "test-model"
    assert completion["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": reply_text(PROMPT)}, "finish_reason": "stop"}
    ]
    completion_tokens = len(tokenize(reply_text(PROMPT)))
    assert completion["usage"] == {
        "prompt_tokens": len(tokenize(PROMPT)),
        "completion_tokens": completion_tokens,
        "total_tokens": len(tokenize(PROMPT)) + completion_tokens,
    }


# --- errors ------------------------------------------------------------------

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "body, param, code",
    [
        (b"{not json", None, "invalid_json"),
        (b"\xff\xfe", None, "invalid_json"),
        (b"[1, 2]", None, "invalid_type"),
        (json.dumps({"model": "m"}).encode(), "messages", "missing_required_parameter"),
        (json.dumps({"messages": MESSAGES}).encode(), "model", "missing_required_parameter"),
        (json.dumps({"model": 7, "messages": MESSAGES}).encode(), "model", "invalid_type"),
        (json.dumps({"model": "m", "messages": "hi"}).encode(), "messages", "invalid_type"),
        (json.dumps({"model": "m", "messages": []}).encode(), "messages", "empty_array"),
        (json.dumps({"model": "m", "messages": ["hi"]}).encode(), "messages[0]", "invalid_type"),
        (json.dumps({"model": "m", "messages": [{"content": "x"}]}).encode(), "messages[0].role", None),
        (
            json.dumps({"model": "m", "messages": [{"role": "robot", "content": "x"}]}).encode(),
            "messages[0].role",
            None,
        ),
        (json.dumps({"model": "m", "messages": [{"role": "user"}]}).encode(), "messages[0].content", None),
        (
            json.dumps({"model": "m", "messages": [{"role": "user", "content": 5}]}).encode(),
            "messages[0].content",
            None,
        ),
        (json.dumps({"model": "m", "messages": MESSAGES, "stream": "yes"}).encode(), "stream", "invalid_type"),
        (json.dumps({"model": "m", "messages": MESSAGES, "max_tokens": True}).encode(), "max_tokens", None),
        (json.dumps({"model": "m", "messages": MESSAGES, "max_tokens": 0}).encode(), "max_tokens", None),
        (json.dumps({"model": "m", "messages": MESSAGES, "stream_options": {}}).encode(), "stream_options", None),
        (
            json.dumps(
                {"model": "m", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": 1}}
            ).encode(),
            "stream_options.include_usage",
            "invalid_type",
        ),
        (json.dumps({"model": "m", "messages": MESSAGES, "mock": {"fault": "boom"}}).encode(), "mock.fault", None),
        (
            json.dumps({"model": "m", "messages": MESSAGES, "mock": {"latency_ms": -1}}).encode(),
            "mock.latency_ms",
            None,
        ),
        (json.dumps({"model": "m", "messages": MESSAGES, "mock": {"speed": 1}}).encode(), "mock.speed", None),
    ],
)
def test_bad_requests_get_400_with_an_openai_style_error(body, param, code):
    with mock_server() as server:
        answer = exchange(server.port, "POST", "/v1/chat/completions", body)
    assert answer.status == 400
    assert answer.header("content-type") == "application/json"
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code


def test_a_400_reaches_stream_json_as_http_status_error():
    with mock_server() as server, pytest.raises(HTTPStatusError) as info:
        list(stream_json(server.url + "/v1/chat/completions", {"model": "m"}, timeouts=TIMEOUTS))
    assert info.value.status == 400
    assert b"missing_required_parameter" in info.value.body


def test_a_refused_request_leaves_the_connection_usable():
    with mock_server() as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            connection.request("POST", "/v1/chat/completions", body=b"{bad")
            first = connection.getresponse()
            first.read()
            connection.request("GET", "/v1/models")
            second = connection.getresponse()
            models = json.loads(second.read())
        finally:
            connection.close()
    assert (first.status, second.status) == (400, 200)
    assert models == {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "sse_core"}],
    }


@pytest.mark.parametrize(
    "header, status, code",
    [
        ("Content-Length: 1048577", 413, "body_too_large"),  # refused before the body is sent
        ("Transfer-Encoding: gzip, chunked", 501, "invalid_request"),
        ("Transfer-Encoding : chunked", 400, "invalid_request"),
    ],
)
def test_requests_the_reader_refuses_get_an_openai_style_error_and_close(header, status, code):
    with mock_server() as server:
        answer = exchange(server.port, "GET", "/v1/models", headers=(header,))
        assert server.requests == []  # refused before routing
    assert answer.status == status
    assert answer.header("connection") == "close"
    assert answer.json()["error"]["code"] == code


def test_unknown_path_gets_404_and_wrong_method_405_as_json():
    with mock_server() as server:
        missing = exchange(server.port, "GET", "/v2/nothing")
        wrong = exchange(server.port, "GET", "/v1/chat/completions")
    assert missing.status == 404 and missing.json()["error"]["code"] == "unknown_url"
    assert wrong.status == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    assert wrong.header("allow") == "POST, OPTIONS"


# --- faults ------------------------------------------------------------------


def test_server_wide_error_fault_reaches_stream_json_as_server_error_event():
    received = []
    with mock_server(fault=Fault("error", 3)) as server, pytest.raises(ServerErrorEvent) as info:
        for chunk in stream_json(server.url + "/v1/chat/completions", chat_body(), timeouts=TIMEOUTS):
            received.append(chunk)
    assert "".join(map(delta_text, received)) == "".join(tokenize(reply_text(PROMPT))[:3])
    assert info.value.event == "error"
    assert info.value.payload["error"]["code"] == "mock_fault"
    assert info.value.payload["error"]["type"] == "server_error"


@pytest.mark.parametrize("transport", ["socket", "http.client"])
def test_per_request_close_fault_reaches_stream_json_as_truncated_stream(transport):
    received = []
    with mock_server() as server, pytest.raises(TruncatedStream):
        body = chat_body(mock={"fault": "close:2"})
        for chunk in stream_json(server.url + "/v1/chat/completions", body, timeouts=TIMEOUTS, transport=transport):
            received.append(chunk)
    assert "".join(map(delta_text, received)) == "".join(tokenize(reply_text(PROMPT))[:2])


def test_a_fault_after_every_token_comes_before_the_finish_chunk():
    with mock_server() as server, pytest.raises(ServerErrorEvent):
        chat(server, mock={"fault": "error:100000"})


def test_a_request_may_clear_the_server_wide_fault():
    with mock_server(fault=Fault("error", 0)) as server:
        chunks = chat(server, mock={"fault": None})
    assert "".join(map(delta_text, chunks)) == reply_text(PROMPT)


def test_non_stream_faults_are_a_500_or_a_closed_connection():
    with mock_server() as server:
        error = post_json(server.port, chat_body(mock={"fault": "error"}))
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
            body = json.dumps(chat_body(mock={"fault": "close"})).encode()
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            closed_with = sock.recv(65536)
    assert error.status == 500 and error.json()["error"]["code"] == "mock_fault"
    assert closed_with == b""


def test_per_request_pacing_overrides_the_server():
    # A server that would wait ten minutes before the first token answers at once when told to.
    with mock_server(latency_ms=600_000) as server:
        chunks = chat(server, mock={"latency_ms": 0, "tokens_per_second": 0})
    assert "".join(map(delta_text, chunks)) == reply_text(PROMPT)


# --- /events -----------------------------------------------------------------


def test_events_ids_data_and_retry_first():
    with mock_server() as server:
        answer = exchange(server.port, "GET", "/events?count=3&interval_ms=5&retry=250")
    assert answer.status == 200
    assert answer.body.startswith(b"retry: 250\n\n")
    assert answer.items() == [Event(json.dumps({"n": n, "count": 3}), id=str(n), retry=None) for n in (1, 2, 3)]
    assert without_date_and_server(answer.head) == EVENT_STREAM_HEADERS + [
        ("connection", "close"),
        ("transfer-encoding", "chunked"),
    ]


def test_events_close_after_ends_each_response_and_last_event_id_resumes():
    with mock_server() as server:
        first = exchange(server.port, "GET", "/events?count=5&close_after=2&interval_ms=1")
        resumed = exchange(
            server.port, "GET", "/events?count=5&close_after=2&interval_ms=1", headers=("Last-Event-ID: 2",)
        )
        last = exchange(
            server.port, "GET", "/events?count=5&close_after=2&interval_ms=1", headers=("Last-Event-ID: 4",)
        )
        done = exchange(
            server.port, "GET", "/events?count=5&close_after=2&interval_ms=1", headers=("Last-Event-ID: 5",)
        )
        foreign = exchange(server.port, "GET", "/events?count=1", headers=("Last-Event-ID: abc",))
    assert [e.id for e in first.items()] == ["1", "2"]
    assert [e.id for e in resumed.items()] == ["3", "4"]
    assert [e.id for e in last.items()] == ["5"]
    assert done.status == 204 and done.body == b""
    assert [e.id for e in foreign.items()] == ["1"]  # an id that is not ours starts over


def test_eventsource_reconnects_through_close_after_until_204():
    with mock_server() as server:
        url = server.url + "/events?count=5&close_after=2&interval_ms=1&retry=10"
        with EventSource(url, timeouts=TIMEOUTS, max_reconnects=10) as source:
            ids = [event.id for event in source]
        sent = [request.headers.get("last-event-id") for request in server.requests]
    assert ids == ["1", "2", "3", "4", "5"]
    assert sent == [None, "2", "4", "5"]


def test_events_heartbeats_while_idle():
    with mock_server() as server:
        answer = exchange(server.port, "GET", "/events?count=2&interval_ms=700&heartbeat_ms=100")
    items = answer.items()
    assert [item.id for item in items if isinstance(item, Event)] == ["1", "2"]
    between = items[1:-1]
    assert between and all(item == Comment("ping") for item in between)


@pytest.mark.parametrize(
    "query", ["count=-1", "count=x", "interval_ms=nan", "close_after=0", "retry=1.5", "heartbeat_ms=0", "colour=red"]
)
def test_events_bad_query_gets_400(query):
    with mock_server() as server:
        answer = exchange(server.port, "GET", "/events?" + query)
    assert answer.status == 400
    assert answer.json()["error"]["param"] == query.split("=")[0]


# --- CORS --------------------------------------------------------------------

ORIGIN = "http://app.example"


def test_cors_headers_on_every_answer_and_preflight():
    with mock_server(cors_origin=ORIGIN) as server:
        stream = exchange(server.port, "GET", "/events?count=1", headers=(f"Origin: {ORIGIN}",))
        models = exchange(server.port, "GET", "/v1/models", headers=(f"Origin: {ORIGIN}",))
        refused = exchange(server.port, "POST", "/v1/chat/completions", b"{}")
        done = exchange(server.port, "GET", "/events?count=1", headers=("Last-Event-ID: 1",))
        preflight = exchange(
            server.port,
            "OPTIONS",
            "/v1/chat/completions",
            headers=(
                f"Origin: {ORIGIN}",
                "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: authorization, content-type",
            ),
        )
    for answer in (stream, models, refused, done, preflight):
        assert answer.header("access-control-allow-origin") == ORIGIN
    assert preflight.status == 204
    assert preflight.header("access-control-allow-methods") == "GET, POST, OPTIONS"
    assert preflight.header("access-control-allow-headers") == "authorization, content-type"
    assert preflight.header("access-control-max-age") == "600"
    assert without_date_and_server(stream.head) == [("access-control-allow-origin", ORIGIN)] + EVENT_STREAM_HEADERS + [
        ("connection", "close"),
        ("transfer-encoding", "chunked"),
    ]


def test_no_cors_headers_without_cors():
    with mock_server() as server:
        preflight = exchange(server.port, "OPTIONS", "/v1/chat/completions", headers=(f"Origin: {ORIGIN}",))
        models = exchange(server.port, "GET", "/v1/models", headers=(f"Origin: {ORIGIN}",))
    assert preflight.status == 204 and preflight.header("allow") == "GET, POST, OPTIONS"
    for answer in (preflight, models):
        assert not [name for name, _ in answer.head.headers if name.startswith("access-control-")]


# --- the page ----------------------------------------------------------------


def test_the_page_is_served_and_loads_nothing_from_elsewhere():
    with mock_server() as server:
        answer = exchange(server.port, "GET", "/")
    page = answer.body.decode("utf-8")
    assert answer.status == 200 and answer.header("content-type") == "text/html; charset=utf-8"
    assert "new EventSource(" in page and "/events?" in page and "/v1/chat/completions/stream?prompt=" in page
    assert re.search(r"<script[^>]*\bsrc|<link|@import|https?://|url\(", page, re.IGNORECASE) is None


# --- lifecycle ---------------------------------------------------------------


def test_close_ends_endless_streams_and_idle_connections():
    server = MockServer(options=UNPACED).start()
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    endless = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    try:
        idle.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")  # kept alive after its answer
        assert _recv_until(idle, b"}]}").startswith(b"HTTP/1.1 200")
        endless.sendall(b"GET /events?interval_ms=100000 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"id: 1" in _recv_until(endless, b"id: 1")
        closer = threading.Thread(target=server.close)
        closer.start()
        closer.join(TIMEOUT)
        assert not closer.is_alive(), "close() did not return"
        assert b"id: 2" not in _recv_until(endless, None)  # EOF long before id 2 is due; a timeout would raise
        assert idle.recv(65536) == b""
    finally:
        idle.close()
        endless.close()


def _recv_until(sock: socket.socket, marker: Optional[bytes]) -> bytes:
    """Read until ``marker`` arrives (None: until EOF)."""
    data = b""
    while marker is None or marker not in data:
        more = sock.recv(65536)
        if not more:
            break
        data += more
    return data
