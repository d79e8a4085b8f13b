"""Server values and URLs that once crashed or misled the client, over real loopback sockets.

Each test is named for the hardening finding it pins (issue 19: findings 4,
5 and the URL part of 11) and runs on both transports where a transport is
involved. The servers are tests/hostile_server.py's: 127.0.0.1, port 0.
"""

import threading
import time

import pytest

from sse_core import Event, LocalProtocolError
from sse_core.__main__ import main
from sse_core.adapters.client import (
    RETRY_CEILING,
    BACKOFF_FLOOR,
    EventSource,
    HTTPStatusError,
    Timeouts,
    stream,
)

from .hostile_server import LAST_CHUNK, HostileServer, chunk, response_head, sse_head

FAST = Timeouts(connect=5.0, idle=5.0, total=None)


@pytest.fixture(params=["socket", "http.client"])
def transport(request):
    return request.param


def one_stream_then_204(body: bytes):
    """A script: ``body`` as the first stream, then 204 (which stops an EventSource)."""

    def script(request, index):
        if index == 0:
            return [sse_head(), chunk(body), LAST_CHUNK]
        return [response_head(204)]

    return script


# --- finding 4: server values must not stop an EventSource --------------------------


@pytest.mark.parametrize(
    "sent_id, header",
    [
        ("7 ", "7"),  # a trailing blank: the peer would strip it, so it is not sent
        ("\t7", "7"),
        ("7\x01\x1b[2J", "7[2J"),  # controls are dropped, the rest is sent
        ("a\x7fb", "ab"),
        ("é 1", "é 1".encode().decode("latin-1")),  # UTF-8 on the wire, inner blank kept
    ],
)
def test_finding4_an_unsendable_event_id_is_cleaned_for_last_event_id(transport, sent_id, header):
    body = f"id: {sent_id}\ndata: a\n\n".encode()
    with HostileServer(one_stream_then_204(body)) as server:
        with EventSource(server.url(), transport=transport, timeouts=FAST, retry=1) as source:
            events = list(source)
    assert events == [Event("a", id=sent_id)]
    assert source.last_event_id == sent_id  # kept as the server sent it
    assert [r.headers.get("last-event-id") for r in server.requests] == [None, header]


def test_finding4_an_event_id_of_only_controls_sends_no_last_event_id(transport):
    with HostileServer(one_stream_then_204(b"id: \x01\x02\ndata: a\n\n")) as server:
        with EventSource(server.url(), transport=transport, timeouts=FAST, retry=1) as source:
            list(source)
    assert ["last-event-id" in r.headers for r in server.requests] == [False, False]


def test_finding4_get_reconnect_with_a_bad_event_id_exits_0_not_as_a_usage_error(capsysbinary):
    with HostileServer(one_stream_then_204(b"retry: 1\nid: 5 \ndata: a\n\n")) as server:
        status = main(["get", "--reconnect", "--idle-timeout", "5", server.url()])
    out, err = capsysbinary.readouterr()
    assert (status, err) == (0, b"")
    assert out == b"id: 5 \nretry: 1\ndata: a\n\n"
    assert server.requests[1].headers["last-event-id"] == "5"


def test_finding4_a_huge_retry_is_clamped_to_retry_ceiling(transport):
    body = b"retry: 9300000000000\ndata: a\n\n"  # 9.3e12 ms once overflowed the wait
    with HostileServer([sse_head(), chunk(body), LAST_CHUNK]) as server:
        source = EventSource(server.url(), transport=transport, timeouts=FAST, retry=1)
        timer = threading.Timer(0.3, source.close)
        timer.start()
        started = time.monotonic()
        try:
            assert list(source) == [Event("a", retry=9300000000000)]
        finally:
            timer.join()
    assert source.retry == RETRY_CEILING
    assert time.monotonic() - started < 5  # close() ended the (clamped) wait
    assert len(server.requests) == 1


def test_finding4_a_malformed_location_is_an_http_status_error(transport):
    script = [response_head(302, [("Location", "http://[::1/next"), ("Content-Length", "2")]), b"no"]
    with HostileServer(script) as server:
        with pytest.raises(HTTPStatusError) as info:
            list(EventSource(server.url(), transport=transport, timeouts=FAST, retry=1))
    assert (info.value.status, info.value.body) == (302, b"no")
    assert "http://[::1/next" in str(info.value)
    assert len(server.requests) == 1


def test_finding4_a_location_with_blanks_and_utf8_is_percent_encoded(transport):
    location = "/a b\tc" + "é".encode().decode("latin-1")  # the UTF-8 bytes of é

    def script(request, index):
        if index == 0:
            return [response_head(307, [("Location", location), ("Content-Length", "0")])]
        return [sse_head(), chunk(b"data: here\n\ndata: [DONE]\n\n"), LAST_CHUNK]

    with HostileServer(script) as server:
        events = list(EventSource(server.url(), transport=transport, timeouts=FAST, retry=1))
    assert events == [Event("here")]
    assert server.requests[1].target == "/a%20b%09c%C3%A9"


def test_finding4_retry_0_still_backs_off_after_failures_in_a_row(transport):
    # Each stream carries no event: a failure. retry: 0 once made the
    # backoff 0 * 2**n, and 10,000+ reconnections in 5 s.
    with HostileServer([sse_head("close") + b"retry: 0\n\n"]) as server:
        source = EventSource(server.url(), transport=transport, timeouts=FAST, retry=0)
        timer = threading.Timer(1.0, source.close)
        timer.start()
        try:
            assert list(source) == []
        finally:
            timer.join()
    # Immediately, immediately (one failure), then at least 0.1, 0.2, 0.4 s.
    assert 3 <= len(server.requests) <= 5
    assert BACKOFF_FLOOR == 0.1


# --- finding 5: a redirect that leaves the origin keeps only the safe headers --------

SECRET_HEADERS = ["Authorization", "Proxy-Authorization", "Cookie", "api-key", "x-api-key", "X-Custom-Token"]


@pytest.mark.parametrize("name", SECRET_HEADERS)
def test_finding5_a_cross_origin_redirect_drops_the_callers_headers(transport, name):
    with HostileServer([sse_head(), chunk(b"data: there\n\ndata: [DONE]\n\n"), LAST_CHUNK]) as other:
        location = other.url("/next")  # another port: another origin
        redirect = [response_head(307, [("Location", location), ("Content-Length", "0")])]
        with HostileServer(redirect) as server:
            headers = {name: "secret", "Accept-Language": "fr", "User-Agent": "mine/1"}
            source = EventSource(server.url(), transport=transport, timeouts=FAST, headers=headers, retry=1)
            assert list(source) == [Event("there")]
    (first,), (second,) = server.requests, other.requests
    assert first.headers[name.lower()] == "secret"
    assert name.lower() not in second.headers
    assert (second.headers["accept-language"], second.headers["user-agent"]) == ("fr", "mine/1")
    assert second.headers["host"] == f"127.0.0.1:{other.port}"


@pytest.mark.parametrize("name", SECRET_HEADERS)
def test_finding5_a_same_origin_redirect_keeps_the_callers_headers(transport, name):
    def script(request, index):
        if index == 0:
            return [response_head(308, [("Location", "/next"), ("Content-Length", "0")])]
        return [sse_head(), chunk(b"data: here\n\ndata: [DONE]\n\n"), LAST_CHUNK]

    with HostileServer(script) as server:
        source = EventSource(server.url(), transport=transport, timeouts=FAST, headers={name: "secret"}, retry=1)
        assert list(source) == [Event("here")]
    assert [r.headers[name.lower()] for r in server.requests] == ["secret", "secret"]


# --- finding 11 (URL part): a malformed URL is the caller's error, typed -------------

BAD_URLS = ["http://[::1", "http://[::1/x", "http://exa mple.com:80x/"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_finding11_a_malformed_url_is_a_local_protocol_error(url):
    with pytest.raises(LocalProtocolError):
        stream("GET", url)
    with pytest.raises(LocalProtocolError):
        EventSource(url)


@pytest.mark.parametrize("reconnect", [[], ["--reconnect"]])
def test_finding11_get_with_a_malformed_url_exits_2_with_one_error_line(capsys, reconnect):
    with pytest.raises(SystemExit) as info:
        main(["get", *reconnect, "http://[::1"])
    _, err = capsys.readouterr()
    assert info.value.code == 2
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if "error:" in line]
    assert line.endswith("get: error: invalid URL 'http://[::1' (Invalid IPv6 URL)")
