"""The two client transports against peers that break framing, flood, trickle or never stop.

Each test runs once per transport: both must end the same way, and soon.
The servers are real (tests/hostile_server.py, 127.0.0.1, port 0); one that
"never stops" writes until the client leaves or FLOOD_LIMIT seconds pass,
so a client that hangs fails its test instead of hanging the suite.
"""

import socket
import time
from typing import Iterator, List, Tuple

import pytest

from sse_core import Event, LimitExceeded, RemoteProtocolError
from sse_core.__main__ import main
from sse_core.adapters.client import EndReason, Response, Timeouts, stream

from .hostile_server import HOLD, LAST_CHUNK, HostileServer, Pause, chunk, response_head, sse_head

FLOOD_LIMIT = 8.0  # seconds a never-ending server goes on, at most
PROMPTLY = 2.0  # seconds within which the client must have given up

FAST = Timeouts(connect=5.0, idle=5.0, total=None)


@pytest.fixture(params=["socket", "http.client"])
def transport(request):
    return request.param


def endless(first: list, *steps) -> Iterator:
    """The steps of ``first`` once, then ``steps`` again and again for FLOOD_LIMIT seconds (or until the client leaves)."""
    yield from first
    stop = time.monotonic() + FLOOD_LIMIT
    while time.monotonic() < stop:
        yield from steps


def endless_script(first: list, *steps):
    return lambda request, index: endless(first, *steps)


def run(transport: str, script, **kwargs) -> Tuple[List[Event], Response, float]:
    kwargs.setdefault("timeouts", FAST)
    started = time.monotonic()
    with HostileServer(script) as server:
        with stream("GET", server.url(), transport=transport, **kwargs) as response:
            events = list(response)
        elapsed = time.monotonic() - started
    return events, response, elapsed


# --- a framing fault followed by silence (issue 15) ------------------------------


def test_framing_error_then_silence_ends_at_once_truncated(transport):
    # The good chunk and the bad size line arrive in one read; the server
    # then says nothing. The event is delivered and the fault reported at
    # once, not after the idle timeout.
    script = [sse_head(), chunk(b"data: a\n\n") + b"zz\r\n", HOLD]
    events, response, elapsed = run(transport, script)
    assert events == [Event("a")]
    assert response.end_reason is EndReason.TRUNCATED
    assert isinstance(response.error, RemoteProtocolError)
    assert elapsed < PROMPTLY


def test_framing_error_in_the_read_with_the_head_ends_at_once(transport):
    script = [sse_head() + chunk(b"data: a\n\n") + b"zz\r\n", HOLD]
    events, response, elapsed = run(transport, script)
    assert (events, response.end_reason) == ([Event("a")], EndReason.TRUNCATED)
    assert elapsed < PROMPTLY


# --- finding 1: a chunk size of 2**63 -----------------------------------------------


@pytest.mark.parametrize("size", [b"80000000", b"100000000", b"8000000000000000", b"ffffffffffffffff"])
def test_chunk_size_at_2_63_is_a_long_chunk_and_the_events_before_it_arrive(transport, size):
    # Issue 19, finding 1: OverflowError escaped the socket transport, and
    # the event in the same read was lost.
    script = [sse_head(), chunk(b"data: a\n\n") + size + b"\r\ndata: b\n\n"]
    events, response, _ = run(transport, script)
    assert events == [Event("a"), Event("b")]
    assert response.end_reason is EndReason.TRUNCATED  # the long chunk never ends
    assert isinstance(response.error, RemoteProtocolError)


# --- finding 7: hangs before and after the body -------------------------------------


def test_a_flood_of_interim_responses_is_stopped(transport):
    started = time.monotonic()
    with HostileServer(endless_script([], b"HTTP/1.1 102 Processing\r\n\r\n")) as server:
        with pytest.raises(LimitExceeded) as info:
            stream("GET", server.url(), transport=transport, timeouts=FAST)
    assert info.value.limit == "max_interim_responses"
    assert time.monotonic() - started < PROMPTLY


def test_total_timeout_bounds_a_trickled_head(transport):
    script = endless_script([b"HTTP/1.1 200 OK\r\nX-Slow: "], b"a", Pause(0.02))
    started = time.monotonic()
    with HostileServer(script) as server:
        with pytest.raises(socket.timeout):
            stream("GET", server.url(), transport=transport, timeouts=Timeouts(connect=5, idle=5, total=0.5))
    assert time.monotonic() - started < PROMPTLY


def test_total_timeout_bounds_a_flood_of_interim_responses(transport):
    # Under the interim bound, a 1xx every 20 ms: only the total bound ends it.
    script = endless_script([], b"HTTP/1.1 102 Processing\r\n\r\n", Pause(0.02))
    started = time.monotonic()
    with HostileServer(script) as server:
        with pytest.raises(socket.timeout):
            stream("GET", server.url(), transport=transport, timeouts=Timeouts(connect=5, idle=5, total=0.5))
    assert time.monotonic() - started < PROMPTLY


def test_an_endless_trailer_section_is_bounded(transport):
    script = endless_script([sse_head(), chunk(b"data: a\n\n"), b"0\r\n"], b"X-T: 1\r\n")
    events, response, elapsed = run(transport, script)
    assert events == [Event("a")]
    assert response.end_reason is EndReason.LIMIT_EXCEEDED
    assert isinstance(response.error, LimitExceeded) and response.error.limit == "max_trailer_size"
    assert elapsed < PROMPTLY


def test_total_timeout_bounds_a_trickled_trailer_section(transport):
    script = endless_script([sse_head(), chunk(b"data: a\n\n"), b"0\r\n"], b"X", Pause(0.02))
    events, response, elapsed = run(transport, script, timeouts=Timeouts(idle=5, total=0.5))
    assert events == [Event("a")]
    assert response.end_reason is EndReason.TOTAL_TIMEOUT
    assert elapsed < PROMPTLY


def test_a_trailer_section_cut_short_is_truncated(transport):
    events, response, _ = run(transport, [sse_head(), chunk(b"data: a\n\n"), b"0\r\nX-T: 1\r\n"])
    assert events == [Event("a")] and response.end_reason is EndReason.TRUNCATED


def test_trailers_are_read_and_the_body_ends(transport):
    events, response, _ = run(transport, [sse_head(), chunk(b"data: a\n\n"), b"0\r\nX-T: 1\r\n\r\n", HOLD])
    assert events == [Event("a")] and response.end_reason is EndReason.CLOSED


# --- both transports refuse the same heads (issue 20) ---------------------------------


def test_a_malformed_header_field_line_is_the_same_error(transport):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nno colon here\r\n\r\n"
    with pytest.raises(RemoteProtocolError, match="malformed header field line"):
        run(transport, [head, b"data: a\n\n"])


def test_a_malformed_header_field_line_gives_get_the_same_exit_status(transport, capsysbinary):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nno colon here\r\n\r\n"
    with HostileServer([head, b"data: a\n\n"]) as server:
        status = main(["get", "--connect-timeout", "5", "--idle-timeout", "5", "--transport", transport, server.url()])
    _, err = capsysbinary.readouterr()
    assert status == 3 and b"malformed header field line" in err


def test_a_head_cut_short_is_an_error(transport):
    with pytest.raises(RemoteProtocolError):
        run(transport, [b"HTTP/1.1 200 OK\r\nContent-"])


def test_transfer_encoding_with_content_length_is_refused_before_the_body(transport):
    head = response_head(200, [("Content-Type", "text/event-stream"), ("Transfer-Encoding", "chunked"), ("Content-Length", "5")])
    with pytest.raises(RemoteProtocolError, match="both Transfer-Encoding and Content-Length"):
        run(transport, [head, HOLD])


def sse_length_head(length: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " + length + b"\r\n\r\n"


@pytest.mark.parametrize("length", [b"9223372036854775808", b"18446744073709551616", b"9" * 100])
def test_content_length_of_2_63_or_more_is_refused_on_both(transport, length):
    # Finding 1's hunt, for Content-Length: past 18 digits it never reaches
    # a slice or a countdown, on either transport.
    with pytest.raises(RemoteProtocolError, match="Content-Length too large"):
        run(transport, [sse_length_head(length), b"data: a\n\n"])


def test_content_length_of_18_digits_is_a_long_body(transport):
    events, response, _ = run(transport, [sse_length_head(b"9" * 18), b"data: a\n\n"])
    assert events == [Event("a")] and response.end_reason is EndReason.TRUNCATED



def test_a_204_yields_nothing_whatever_its_framing_says(transport):
    # RFC 9112 section 6.3: no body follows a 204, even one with a
    # Transfer-Encoding (found by fuzz/check_client on http.client).
    head = response_head(204, [("Content-Type", "text/event-stream"), ("Transfer-Encoding", "chunked")])
    events, response, _ = run(transport, [head + chunk(b"data: x\n\n") + LAST_CHUNK], done_marker=None)
    assert events == []
    assert response.end_reason is EndReason.CLOSED
