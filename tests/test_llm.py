"""sse_core.adapters.llm over real loopback sockets: JSON chunks until [DONE], typed errors."""

import json
import pickle
import socket

import pytest

from sse_core.adapters.client import EndReason, HTTPStatusError, Timeouts
from sse_core.adapters.llm import (
    InvalidJSON,
    LLMStreamError,
    ServerErrorEvent,
    TruncatedStream,
    delta_text,
    stream_json,
)

from .hostile_server import RESET, HostileServer, chunk, response_head, sse_head
from .servers import http_server

TIMEOUTS = Timeouts(connect=5, idle=5, total=20)


def chunk_event(text: str) -> dict:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]}


def collect(url: str, body: dict, transport: str = "socket") -> list:
    return list(stream_json(url, body, timeouts=TIMEOUTS, transport=transport))


@pytest.mark.parametrize("transport", ["socket", "http.client"])
def test_yields_each_json_object_until_done_and_sends_stream_true(transport):
    seen = {}

    def source(ctx):
        seen["body"] = json.loads(ctx.body)
        seen["method"] = ctx.request_head.method
        yield json.dumps({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
        for text in ["Hel", "lo", " ✓"]:
            yield json.dumps(chunk_event(text))
        yield "[DONE]"
        yield json.dumps(chunk_event("after done"))

    with http_server(source) as port:
        objects = collect(f"http://127.0.0.1:{port}/v1/chat/completions", {"model": "m", "stream": False}, transport)
    assert seen == {"body": {"model": "m", "stream": True}, "method": "POST"}
    assert "".join(delta_text(obj) for obj in objects) == "Hello ✓"
    assert len(objects) == 4


def test_an_error_event_raises_server_error_event_with_its_payload():
    def source(ctx):
        yield json.dumps(chunk_event("partial"))
        yield {"data": json.dumps({"error": {"message": "overloaded", "type": "server_error"}}), "event": "error"}

    with http_server(source) as port:
        received = []
        with pytest.raises(ServerErrorEvent, match="overloaded") as info:
            for obj in stream_json(f"http://127.0.0.1:{port}/", {}, timeouts=TIMEOUTS):
                received.append(obj)
    assert [delta_text(obj) for obj in received] == ["partial"]
    assert info.value.event == "error"
    assert info.value.payload["error"]["type"] == "server_error"


def test_a_data_object_with_an_error_key_is_an_error_even_as_a_message_event():
    def source(ctx):
        yield json.dumps({"error": {"message": "context too long"}})

    with http_server(source) as port, pytest.raises(ServerErrorEvent, match="context too long"):
        collect(f"http://127.0.0.1:{port}/", {})


def test_a_null_error_key_is_not_an_error():
    def source(ctx):
        yield json.dumps({"error": None, "choices": []})
        yield "[DONE]"

    with http_server(source) as port:
        assert collect(f"http://127.0.0.1:{port}/", {}) == [{"error": None, "choices": []}]


def test_an_error_event_whose_data_is_not_json_keeps_the_text():
    def source(ctx):
        yield {"data": "upstream timed out", "event": "error"}

    with http_server(source) as port, pytest.raises(ServerErrorEvent) as info:
        collect(f"http://127.0.0.1:{port}/", {})
    assert info.value.payload == "upstream timed out"


def test_data_that_is_not_json_raises_invalid_json():
    def source(ctx):
        yield "not json"

    with http_server(source) as port, pytest.raises(InvalidJSON) as info:
        collect(f"http://127.0.0.1:{port}/", {})
    assert info.value.data == "not json"


def test_a_clean_close_without_done_is_a_truncated_stream_after_every_object():
    def source(ctx):
        yield json.dumps(chunk_event("a"))
        yield json.dumps(chunk_event("b"))

    with http_server(source) as port:
        received = []
        with pytest.raises(TruncatedStream) as info:
            for obj in stream_json(f"http://127.0.0.1:{port}/", {}, timeouts=TIMEOUTS):
                received.append(obj)
    assert [delta_text(obj) for obj in received] == ["a", "b"]
    assert info.value.reason is EndReason.CLOSED


def test_a_connection_reset_mid_stream_is_a_truncated_stream_with_its_cause():
    script = [sse_head(), chunk(b'data: {"n": 1}\n\ndata: {"n"'), RESET]
    with HostileServer(script) as server, pytest.raises(TruncatedStream) as info:
        list(stream_json(server.url(), {}, timeouts=TIMEOUTS))
    assert info.value.reason is EndReason.TRUNCATED
    assert isinstance(info.value.__cause__, OSError)


def test_an_http_error_before_the_stream_is_the_clients_http_status_error():
    body = json.dumps({"error": {"message": "bad key"}}).encode()
    script = [response_head(401, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]) + body]
    with HostileServer(script) as server, pytest.raises(HTTPStatusError) as info:
        collect(server.url(), {})
    assert info.value.status == 401 and b"bad key" in info.value.body


def test_a_refused_connection_raises_the_sockets_oserror_untouched():
    # As the module docstring says: OSError before the response head passes through.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        collect(f"http://127.0.0.1:{port}/", {})


def test_the_errors_are_sse_errors_and_pickle():
    for error in [
        ServerErrorEvent("m", {"error": 1}, "error"),
        InvalidJSON("m", "x"),
        TruncatedStream("m", EndReason.CLOSED),
    ]:
        assert isinstance(error, LLMStreamError)
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == "m" and copy.__dict__ == error.__dict__


@pytest.mark.parametrize(
    "chunk_obj, text",
    [
        (chunk_event("x"), "x"),
        ({"choices": [{"delta": {"role": "assistant"}}]}, ""),
        ({"choices": [{"delta": {"content": None}, "finish_reason": "stop"}]}, ""),
        ({"choices": [], "usage": {"total_tokens": 3}}, ""),
        ({"choices": [{"delta": {"content": "a"}}, {"delta": {"content": "b"}}]}, "ab"),
        ([1, 2], ""),
        ({"choices": "x"}, ""),
    ],
)
def test_delta_text(chunk_obj, text):
    assert delta_text(chunk_obj) == text
