"""sse_core.adapters.client against a hostile loopback server, over both transports.

Every test runs once per transport and must give the same events and the
same end reason. The server (tests/hostile_server.py) is real: 127.0.0.1,
port 0, scripted writes and pauses; every wait is bounded and every thread
joined.
"""

import json
import random
import socket
import ssl
import threading
import time
from typing import List, Tuple

import pytest

from sse_core import Event, LimitExceeded, LocalProtocolError, RemoteProtocolError, SSEError, __version__
from sse_core.adapters.client import (
    ContentTypeError,
    EndReason,
    EventSource,
    HTTPStatusError,
    Response,
    Timeouts,
    stream,
)

from .hostile_server import (
    AWAIT_CLIENT_CLOSE,
    HOLD,
    LAST_CHUNK,
    RESET,
    HostileServer,
    Pause,
    WaitFor,
    bytewise,
    chunk,
    response_head,
    sse_head,
    tls_server,
)

FAST = Timeouts(connect=5.0, idle=5.0, total=None)

EVENTS = b"id: 1\ndata: one\n\nevent: delta\ndata: two\ndata: lines\n\n"
EXPECTED = [Event("one", "message", "1"), Event("two\nlines", "delta", "1")]


@pytest.fixture(params=["socket", "http.client"])
def transport(request):
    return request.param


def run(transport: str, script, **kwargs) -> Tuple[List[Event], Response, HostileServer]:
    kwargs.setdefault("timeouts", FAST)
    with HostileServer(script) as server:
        with stream("GET", server.url(), transport=transport, **kwargs) as response:
            events = list(response)
    return events, response, server


# --- framing: each script gives these events and this end reason ----------------

BODIES = {
    "chunked": ([sse_head(), chunk(EVENTS), LAST_CHUNK], EXPECTED, EndReason.CLOSED),
    "one-byte writes": ([*bytewise(sse_head() + chunk(EVENTS) + LAST_CHUNK)], EXPECTED, EndReason.CLOSED),
    "cr and lf in separate writes": (
        [sse_head()]
        + [step for piece in (b"data: a\r", b"\n", b"\r", b"\n", b"data: b\r\n\r\n") for step in (chunk(piece), Pause(0.01))]
        + [LAST_CHUNK],
        [Event("a"), Event("b")],
        EndReason.CLOSED,
    ),
    "one-byte chunks with extensions": (
        [sse_head(), *(chunk(byte, b';ext="v";x') for byte in bytewise(EVENTS)), LAST_CHUNK],
        EXPECTED,
        EndReason.CLOSED,
    ),
    "trailers": ([sse_head(), chunk(EVENTS), b"0\r\nX-Done: 1\r\n\r\n"], EXPECTED, EndReason.CLOSED),
    "early hints skipped": (
        [response_head(103, [("Link", "</a>; rel=preload")]), sse_head(), chunk(EVENTS), LAST_CHUNK],
        EXPECTED,
        EndReason.CLOSED,
    ),
    # HOLD: the body ends at its length, without waiting for the server to close.
    "content-length": ([sse_head("length", len(EVENTS)), EVENTS, HOLD], EXPECTED, EndReason.CLOSED),
    "content-length short": ([sse_head("length", len(EVENTS) + 5), EVENTS], EXPECTED, EndReason.TRUNCATED),
    "close-delimited": ([sse_head("close"), EVENTS], EXPECTED, EndReason.CLOSED),
    "close-delimited mid-event": ([sse_head("close"), EVENTS + b"data: cut"], EXPECTED, EndReason.TRUNCATED),
    "close-delimited after a comment": ([sse_head("close"), EVENTS + b": bye\n"], EXPECTED, EndReason.CLOSED),
    "close mid-chunk": ([sse_head(), chunk(EVENTS), b"10\r\ndata: x"], EXPECTED, EndReason.TRUNCATED),
    "close in chunk size line": ([sse_head(), chunk(EVENTS), b"1"], EXPECTED, EndReason.TRUNCATED),
    "chunked body ends mid-event": (
        [sse_head(), chunk(EVENTS + b"data: cut\n"), LAST_CHUNK],
        EXPECTED,
        EndReason.TRUNCATED,
    ),
    "reset mid-stream": ([sse_head(), chunk(EVENTS), Pause(0.1), RESET], EXPECTED, EndReason.TRUNCATED),
    "crlf and bom": (
        [sse_head(), chunk(b"\xef\xbb\xbf" + EVENTS.replace(b"\n", b"\r\n")), LAST_CHUNK],
        EXPECTED,
        EndReason.CLOSED,
    ),
}


@pytest.mark.parametrize("name", list(BODIES))
def test_body_gives_events_and_end_reason(transport, name):
    script, expected, reason = BODIES[name]
    events, response, _ = run(transport, script)
    assert events == expected
    assert response.end_reason is reason
    if reason is EndReason.CLOSED:
        assert response.error is None


def test_truncation_errors_are_typed(transport):
    _, response, _ = run(transport, [sse_head(), chunk(EVENTS), b"10\r\ndata: x"])
    assert isinstance(response.error, RemoteProtocolError)
    _, response, _ = run(transport, [sse_head(), chunk(EVENTS), Pause(0.1), RESET])
    assert isinstance(response.error, OSError)


def test_response_exposes_head_and_decoder_state(transport):
    body = chunk(b"retry: 1500\nid: 9\ndata: x\n\n")
    events, response, _ = run(transport, [sse_head(extra=[("X-Request-Id", "abc")]), body, LAST_CHUNK])
    assert events == [Event("x", "message", "9", 1500)]
    assert (response.status, response.reason) == (200, "OK")
    assert ("x-request-id", "abc") in response.headers
    assert (response.last_event_id, response.retry) == ("9", 1500)


def test_done_marker_ends_the_stream_and_closes(transport):
    script = [sse_head(), chunk(b"data: a\n\ndata: [DONE]\n\ndata: after\n\n"), AWAIT_CLIENT_CLOSE]
    events, response, server = run(transport, script)
    assert events == [Event("a")]
    assert response.end_reason is EndReason.DONE
    assert server.client_closed == [True]


def test_done_marker_can_be_disabled_or_changed(transport):
    script = [sse_head(), chunk(b"data: [DONE]\n\ndata: END\n\n"), LAST_CHUNK]
    events, response, _ = run(transport, script, done_marker=None)
    assert [e.data for e in events] == ["[DONE]", "END"] and response.end_reason is EndReason.CLOSED
    events, response, _ = run(transport, script, done_marker="END")
    assert [e.data for e in events] == ["[DONE]"] and response.end_reason is EndReason.DONE


def test_event_limit_ends_with_limit_exceeded(transport):
    script = [sse_head(), chunk(b"data: ok\n\ndata: " + b"x" * 100 + b"\n\n"), LAST_CHUNK]
    events, response, _ = run(transport, script, max_event_size=50)
    assert events == [Event("ok")]
    assert response.end_reason is EndReason.LIMIT_EXCEEDED
    assert isinstance(response.error, LimitExceeded)


# --- responses that carry no events ------------------------------------------------


def test_wrong_content_type_raises_with_status_headers_and_body(transport):
    body = b'{"error": "nope"}'
    head = response_head(200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    with pytest.raises(ContentTypeError) as info:
        run(transport, [head, body])
    assert (info.value.status, info.value.body) == (200, body)
    assert ("content-type", "application/json") in info.value.headers
    assert isinstance(info.value, SSEError)


def test_client_error_raises_with_json_body(transport):
    body = json.dumps({"error": {"type": "rate_limit", "message": "slow down"}}).encode()
    head = response_head(429, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
    with pytest.raises(HTTPStatusError) as info:
        run(transport, [head, *(chunk(body[i : i + 7]) for i in range(0, len(body), 7)), LAST_CHUNK])
    assert info.value.status == 429
    assert json.loads(info.value.body) == {"error": {"type": "rate_limit", "message": "slow down"}}


def test_error_body_is_bounded(transport):
    head = response_head(500, [("Content-Type", "text/plain"), ("Connection", "close")])
    with pytest.raises(HTTPStatusError) as info:
        run(transport, [head, b"x" * 5000, HOLD], max_error_body=1000)
    assert info.value.body == b"x" * 1000


def test_no_content_yields_nothing(transport):
    events, response, _ = run(transport, [response_head(204)])
    assert events == [] and response.end_reason is EndReason.CLOSED


def test_transfer_encoding_with_content_length_is_refused(transport):
    head = sse_head(extra=[("Content-Length", "20")])
    with pytest.raises(RemoteProtocolError):
        run(transport, [head, chunk(EVENTS), LAST_CHUNK])


def test_closing_before_the_head_raises(transport):
    with pytest.raises(RemoteProtocolError):
        run(transport, [])
    with pytest.raises(RemoteProtocolError):
        run(transport, [b"HTTP/1.1 200 OK\r\nContent-"])


def test_connection_refused_is_oserror(transport):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(OSError):
        stream("GET", f"http://127.0.0.1:{port}/", transport=transport, timeouts=FAST)


# --- requests ----------------------------------------------------------------------


def test_request_headers_and_json_body(transport):
    script = [sse_head(), LAST_CHUNK]
    with HostileServer(script) as server:
        with stream(
            "POST",
            server.url("/v1/chat?x=1"),
            json={"stream": True, "text": "héllo"},
            headers={"Authorization": "Bearer t", "accept": "text/event-stream, */*"},
            transport=transport,
            timeouts=FAST,
        ) as response:
            assert list(response) == []
    (request,) = server.requests
    assert (request.method, request.target) == ("POST", "/v1/chat?x=1")
    assert json.loads(request.body) == {"stream": True, "text": "héllo"}
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(request.body))
    assert headers["accept"] == "text/event-stream, */*"  # the user's, replacing the default
    assert headers["cache-control"] == "no-cache"
    assert headers["user-agent"] == f"sse_core/{__version__}"
    assert headers["host"] == f"127.0.0.1:{server.port}"
    assert headers["authorization"] == "Bearer t"
    assert "accept-encoding" not in headers


def test_raw_body(transport):
    with HostileServer([sse_head(), LAST_CHUNK]) as server:
        with stream("PUT", server.url(), content=b"\x00raw", transport=transport, timeouts=FAST) as response:
            list(response)
    assert server.requests[0].body == b"\x00raw"


def test_unsendable_requests_raise_local_protocol_error(transport):
    with pytest.raises(LocalProtocolError):
        stream("GET", "http://127.0.0.1:1/", headers={"X": "a\r\nInjected: 1"}, transport=transport)
    with pytest.raises(LocalProtocolError):
        stream("GET", "ftp://127.0.0.1/", transport=transport)
    with pytest.raises(LocalProtocolError):
        stream("POST", "http://127.0.0.1:1/", json={}, content=b"", transport=transport)
    with pytest.raises(LocalProtocolError):
        stream("GET", "http://127.0.0.1:1/", transport="carrier-pigeon")


# --- latency and timeouts ----------------------------------------------------------


def test_event_is_yielded_before_more_bytes_arrive(transport):
    released = threading.Event()
    seen_before_release = []
    script = [sse_head(), chunk(b"data: first\n\n"), WaitFor(released, 5.0), chunk(b"data: second\n\n"), LAST_CHUNK]
    with HostileServer(script) as server:
        with stream("GET", server.url(), transport=transport, timeouts=FAST) as response:
            events = []
            for event in response:
                seen_before_release.append(not released.is_set())
                released.set()
                events.append(event.data)
    assert events == ["first", "second"]
    assert seen_before_release == [True, False]


def test_idle_timeout(transport):
    started = time.monotonic()
    events, response, _ = run(transport, [sse_head(), chunk(b"data: a\n\n"), HOLD], timeouts=Timeouts(idle=0.3))
    assert events == [Event("a")]
    assert response.end_reason is EndReason.IDLE_TIMEOUT
    assert isinstance(response.error, socket.timeout)
    assert time.monotonic() - started < 3


def test_heartbeats_reset_the_idle_timeout(transport):
    heartbeats = [step for _ in range(6) for step in (chunk(b": ping\n\n"), Pause(0.1))]
    script = [sse_head(), *heartbeats, chunk(b"data: a\n\n"), LAST_CHUNK]
    events, response, _ = run(transport, script, timeouts=Timeouts(idle=0.3))
    assert events == [Event("a")] and response.end_reason is EndReason.CLOSED


def test_total_timeout_while_bytes_keep_coming(transport):
    heartbeats = [step for _ in range(100) for step in (chunk(b": ping\n\n"), Pause(0.02))]
    started = time.monotonic()
    events, response, _ = run(transport, [sse_head(), chunk(b"data: a\n\n"), *heartbeats], timeouts=Timeouts(total=0.4))
    elapsed = time.monotonic() - started
    assert events == [Event("a")] and response.end_reason is EndReason.TOTAL_TIMEOUT
    assert 0.3 < elapsed < 1.5


def test_total_timeout_while_silent(transport):
    events, response, _ = run(transport, [sse_head(), HOLD], timeouts=Timeouts(idle=5, total=0.3))
    assert events == [] and response.end_reason is EndReason.TOTAL_TIMEOUT


def test_timeout_before_the_head_raises_socket_timeout(transport):
    with pytest.raises(socket.timeout):
        run(transport, [HOLD], timeouts=Timeouts(idle=0.2))


def test_timeouts_defaults():
    assert Timeouts() == (10.0, 300.0, None)


# --- EventSource -------------------------------------------------------------------


def eventsource(server: HostileServer, transport: str, path: str = "/", **kwargs) -> EventSource:
    kwargs.setdefault("timeouts", FAST)
    kwargs.setdefault("retry", 10)
    return EventSource(server.url(path), transport=transport, **kwargs)


def test_reconnects_with_last_event_id_and_server_retry(transport):
    def script(request, index):
        bodies = [b"retry: 10\nid: 1\ndata: a\n\n", b"data: b\n\n", "id: 3€\ndata: c\n\n".encode()]
        if index < len(bodies):
            return [sse_head(), chunk(bodies[index]), LAST_CHUNK]
        return [response_head(204)]

    started = time.monotonic()
    with HostileServer(script) as server:
        with eventsource(server, transport, retry=60_000) as source:
            events = list(source)
    assert events == [Event("a", id="1", retry=10), Event("b", id="1"), Event("c", id="3€")]
    sent = [request.headers.get("last-event-id") for request in server.requests]
    assert sent == [None, "1", "1", "3€".encode().decode("latin-1")]  # UTF-8 on the wire
    assert source.retry == 10 and source.last_event_id == "3€"
    assert time.monotonic() - started < 5  # the server's 10 ms, not the 60 s default


def test_no_content_stops(transport):
    with HostileServer([response_head(204)]) as server:
        assert list(eventsource(server, transport)) == []
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [500, 201, 404])
def test_other_status_raises_without_retry(transport, status):
    head = response_head(status, [("Content-Type", "application/json"), ("Content-Length", "2")])
    with HostileServer([head, b"{}"]) as server:
        with pytest.raises(HTTPStatusError) as info:
            list(eventsource(server, transport))
    assert (info.value.status, info.value.body) == (status, b"{}")
    assert len(server.requests) == 1


def test_wrong_content_type_raises_without_retry(transport):
    head = response_head(200, [("Content-Type", "text/html"), ("Content-Length", "2")])
    with HostileServer([head, b"<>"]) as server:
        with pytest.raises(ContentTypeError):
            list(eventsource(server, transport))
    assert len(server.requests) == 1


def test_connection_errors_are_retried_until_max_reconnects(transport):
    def script(request, index):
        return [] if index < 2 else [sse_head(), chunk(b"data: ok\n\ndata: [DONE]\n\n"), LAST_CHUNK]

    with HostileServer(script) as server:
        assert list(eventsource(server, transport)) == [Event("ok")]
    with HostileServer([]) as server:
        with pytest.raises(RemoteProtocolError):
            list(eventsource(server, transport, max_reconnects=2))
    assert len(server.requests) == 3


def test_repeated_failures_back_off(transport):
    started = time.monotonic()
    with HostileServer([]) as server:
        with pytest.raises(RemoteProtocolError):
            list(eventsource(server, transport, retry=20, max_reconnects=4))
    # 20 ms, then jittered within [1/2, 1] of 40, 80, 160 ms, never below 20 ms.
    assert time.monotonic() - started >= 0.02 + 0.02 + 0.04 + 0.08


def test_limit_exceeded_raises_without_retry(transport):
    script = [sse_head(), chunk(b"data: " + b"x" * 100 + b"\n\n"), LAST_CHUNK]
    with HostileServer(script) as server:
        with pytest.raises(LimitExceeded):
            list(eventsource(server, transport, max_event_size=50))
    assert len(server.requests) == 1


def test_request_hook_rebuilds_each_attempt(transport):
    calls = []

    def hook(attempt, last_event_id):
        calls.append((attempt, last_event_id))
        return {"headers": {"Authorization": f"Bearer {attempt}"}, "json": {"attempt": attempt}}

    def script(request, index):
        body = b"id: 5\ndata: a\n\n" if index == 0 else b"data: [DONE]\n\n"
        return [sse_head(), chunk(body), LAST_CHUNK]

    with HostileServer(script) as server:
        events = list(eventsource(server, transport, method="POST", json={"attempt": None}, request=hook))
    assert events == [Event("a", id="5")]
    assert calls == [(0, ""), (1, "5")]
    assert [json.loads(r.body) for r in server.requests] == [{"attempt": 0}, {"attempt": 1}]
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer 0", "Bearer 1"]


@pytest.mark.parametrize("host, kept", [("127.0.0.1", True), ("localhost", False)])
def test_redirects_drop_credentials_across_hosts(transport, host, kept):
    def script(request, index):
        if request.target == "/start":
            return [response_head(307, [("Location", f"http://{host}:{server.port}/next"), ("Content-Length", "0")])]
        return [sse_head(), chunk(b"data: here\n\ndata: [DONE]\n\n"), LAST_CHUNK]

    server = HostileServer(script)
    with server:
        headers = {"Authorization": "Bearer secret", "X-Other": "1"}
        events = list(eventsource(server, transport, "/start", headers=headers))
    assert events == [Event("here")]
    first, second = server.requests
    assert (first.target, second.target) == ("/start", "/next")
    assert first.headers["authorization"] == "Bearer secret"
    assert ("authorization" in second.headers) is kept
    assert ("x-other" in second.headers) is kept  # only the safe list crosses origins (issue 19, finding 5)
    assert second.headers["host"] == f"{host}:{server.port}"


def test_redirect_limit(transport):
    script = [response_head(302, [("Location", "/again"), ("Content-Length", "0")])]
    with HostileServer(script) as server:
        with pytest.raises(HTTPStatusError) as info:
            list(eventsource(server, transport, max_redirects=3))
    assert info.value.status == 302 and len(server.requests) == 4


def test_post_is_not_redirected(transport):
    script = [response_head(307, [("Location", "/elsewhere"), ("Content-Length", "0")])]
    with HostileServer(script) as server:
        with pytest.raises(HTTPStatusError):
            list(eventsource(server, transport, method="POST", content=b"x"))
    assert len(server.requests) == 1


def test_close_from_another_thread_stops_iteration(transport):
    with HostileServer([sse_head(), chunk(b"data: a\n\n"), HOLD]) as server:
        source = eventsource(server, transport)
        timer = threading.Timer(0.2, source.close)
        started = time.monotonic()
        timer.start()
        events = list(source)
        timer.join()
    assert events == [Event("a")]
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("framing", ["chunked", "close"])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_drops_lose_and_duplicate_nothing(transport, framing, seed):
    rng = random.Random(seed)
    total, drops = 40, 6
    state = {"drops": drops}

    def event(i: int) -> bytes:
        line_end = rng.choice([b"\n", b"\r\n", b"\r"])
        return b"id: %d%sdata: event %d%s%s" % (i, line_end, i, line_end, line_end)

    def script(request, index):
        start = int(request.headers.get("last-event-id", "-1")) + 1
        body = b"retry: 1\n" + b"".join(event(i) for i in range(start, total))
        if state["drops"] == 0:
            if framing == "chunked":
                return [sse_head(), chunk(body), chunk(b"data: [DONE]\n\n"), LAST_CHUNK]
            return [sse_head("close"), body + b"data: [DONE]\n\n"]
        state["drops"] -= 1
        if framing == "chunked":
            cuts = sorted(rng.sample(range(1, len(body)), 5))
            body = b"".join(chunk(body[a:b]) for a, b in zip([0] + cuts, cuts + [len(body)]))
        sent = body[: rng.randrange(len(body))]
        pieces = sorted(rng.sample(range(len(sent) + 1), 3))
        writes = [sent[a:b] for a, b in zip([0] + pieces, pieces + [len(sent)]) if a < b]
        return [sse_head(framing), *writes, rng.choice([RESET, Pause(0)])]

    with HostileServer(script) as server:
        events = list(eventsource(server, transport, retry=1))
    assert [e.data for e in events] == [f"event {i}" for i in range(total)]
    assert [e.id for e in events] == [str(i) for i in range(total)]
    assert len(server.requests) == drops + 1


# --- https -------------------------------------------------------------------------


def test_https_with_a_trusted_certificate(transport, certificate):
    client_context = ssl.create_default_context(cafile=certificate[0])
    with tls_server(certificate, [sse_head(), chunk(EVENTS), LAST_CHUNK]) as server:
        with stream("GET", server.url(), transport=transport, timeouts=FAST, ssl_context=client_context) as response:
            assert list(response) == EXPECTED
            assert response.end_reason is EndReason.CLOSED


def test_https_verifies_certificates_by_default(transport, certificate):
    with tls_server(certificate, [sse_head(), LAST_CHUNK]) as server:
        with pytest.raises(ssl.SSLCertVerificationError):
            stream("GET", server.url(), transport=transport, timeouts=FAST)
