"""Every client transport against every server adapter, over real loopback sockets.

Servers: http.server speaking HTTP/1.1 (chunked), http.server speaking
HTTP/1.0 (close-delimited), and the raw socket adapter. Clients: our socket
transport and http.client.
"""

import contextlib
import json
import threading
import time
from typing import Iterator, List

import pytest

from sse_core import Event
from sse_core.adapters.client import EndReason, EventSource, Timeouts, stream

from .servers import http_server, raw_server

FAST = Timeouts(connect=5.0, idle=5.0, total=20.0)


@contextlib.contextmanager
def url_of(server) -> Iterator[str]:
    with server as port:
        yield f"http://127.0.0.1:{port}"


SERVERS = {
    "httpserver-1.1": lambda source, **options: url_of(http_server(source, "HTTP/1.1", **options)),
    "httpserver-1.0": lambda source, **options: url_of(http_server(source, "HTTP/1.0", **options)),
    "rawsocket": lambda source, **options: url_of(raw_server(source, **options)),
}


@pytest.fixture(params=sorted(SERVERS))
def serve(request):
    return SERVERS[request.param]


@pytest.fixture(params=["socket", "http.client"])
def transport(request):
    return request.param


ITEMS = [
    Event("plain"),
    Event("two\nlines", event="delta", id="1"),
    Event(" leading space, \u2028 and \x85 and \u00e9\u20ac\U0001f600", id="2"),
    Event("", id="3"),
    {"data": "cr\r\nlf", "retry": 50},
]
EXPECTED = [
    Event("plain"),
    Event("two\nlines", event="delta", id="1"),
    Event(" leading space, \u2028 and \x85 and \u00e9\u20ac\U0001f600", id="2"),
    Event("", id="3"),
    Event("cr\nlf", id="3", retry=50),
]


def test_events_arrive_intact_and_the_stream_ends_cleanly(serve, transport):
    with serve(lambda ctx: iter(ITEMS)) as url:
        with stream("GET", url + "/events", transport=transport, timeouts=FAST) as response:
            events = list(response)
    assert events == EXPECTED
    assert response.end_reason is EndReason.CLOSED
    assert response.status == 200
    assert dict(response.headers)["content-type"] == "text/event-stream; charset=utf-8"
    assert dict(response.headers)["x-accel-buffering"] == "no"


def test_llm_post_with_json_body_ends_at_done(serve, transport):
    def completion(ctx):
        request = json.loads(ctx.body)
        for word in request["prompt"].split():
            yield {"data": '{"delta": "%s"}' % word}
        yield "[DONE]"

    with serve(completion) as url:
        with stream("POST", url + "/v1/chat/completions", json={"stream": True, "prompt": "hello there you"},
                    transport=transport, timeouts=FAST) as response:
            events = [event.data for event in response]
    assert events == ['{"delta": "hello"}', '{"delta": "there"}', '{"delta": "you"}']
    assert response.end_reason is EndReason.DONE


def test_each_event_arrives_before_the_source_makes_the_next(serve, transport):
    received = threading.Event()

    def source(ctx):
        yield Event("first")
        received.wait(10)  # the next only once the client has the first
        yield Event("second")

    with serve(source) as url:
        with stream("GET", url, transport=transport, timeouts=FAST) as response:
            iterator = iter(response)
            assert next(iterator) == Event("first")
            received.set()
            assert list(iterator) == [Event("second")]


def test_heartbeats_keep_an_idle_stream_alive(serve, transport):
    def source(ctx):
        ctx.wait(0.6)
        yield Event("late")

    with serve(source, heartbeat=0.1) as url:
        with stream("GET", url, transport=transport, timeouts=Timeouts(connect=5, idle=0.4, total=20)) as response:
            assert list(response) == [Event("late")]
    assert response.end_reason is EndReason.CLOSED


def test_eventsource_resumes_with_last_event_id(serve, transport):
    seen_ids: List[str] = []

    def source(ctx):
        seen_ids.append(ctx.last_event_id)
        start = int(ctx.last_event_id or 0)
        if start >= 6:
            return
        yield {"retry": 10}
        for number in range(start + 1, start + 3):  # two events a connection, then close
            yield Event(str(number), id=str(number))

    with serve(source) as url:
        with EventSource(url, transport=transport, timeouts=FAST, max_reconnects=10) as events:
            deadline = time.monotonic() + 20
            got = []
            for event in events:
                got.append(event.data)
                if len(got) == 6 or time.monotonic() > deadline:
                    break
    assert got == ["1", "2", "3", "4", "5", "6"]
    assert seen_ids[:3] == ["", "2", "4"]
