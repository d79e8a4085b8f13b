"""The body readers and the message readers of sse_core._body: one test per rule.

Most cases run through ``check``, which feeds a message whole and byte by
byte, as h11's t_body_reader does; both runs must give the same events
(consecutive Data merged) and the same error.
"""

import pickle
from typing import List, NamedTuple, Optional, Type, Union

import pytest
from hypothesis import example, given, strategies as st

from sse_core._body import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_INTERIM_RESPONSES,
    NEED_DATA,
    ConnectionClosed,
    ContentLengthReader,
    Data,
    EndOfMessage,
    RequestReader,
    ResponseReader,
    UntilCloseReader,
)
from sse_core._http11 import RequestHead, ResponseHead
from sse_core.chunked import encode_chunk, encode_last_chunk
from sse_core.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError, SSEError

Reader = Union[RequestReader, ResponseReader]


class Result(NamedTuple):
    events: list
    error: Optional[Type[SSEError]]
    status_hint: Optional[int]
    unused: bytes


def drain(reader: Reader, events: list) -> None:
    """Take events until NEED_DATA (or the end), merging consecutive Data."""
    while True:
        event = reader.next_event()
        if event is NEED_DATA:
            return
        if isinstance(event, Data) and events and isinstance(events[-1], Data):
            events[-1] = Data(events[-1].data + event.data)
        else:
            events.append(event)
        if isinstance(event, (EndOfMessage, ConnectionClosed)):
            return


def ended(events: list) -> bool:
    return bool(events) and isinstance(events[-1], (EndOfMessage, ConnectionClosed))


def read(make, pieces: List[bytes], close: bool = True) -> Result:
    reader = make()
    events: list = []
    error = None
    try:
        for piece in pieces:
            reader.feed(piece)
            if not ended(events):
                drain(reader, events)
        if close:
            reader.close()
            if not ended(events):
                drain(reader, events)
    except SSEError as exc:
        error = exc
        with pytest.raises(type(exc)) as again:
            reader.next_event()
        assert again.value is exc and reader.error is exc  # sticky
    return Result(events, type(error) if error else None, getattr(error, "error_status_hint", None), reader.unused)


def bytewise(data: bytes) -> List[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def check(make, data: bytes, close: bool = True) -> Result:
    whole = read(make, [data], close)
    assert read(make, bytewise(data), close) == whole
    return whole


def response(method: str = "GET", **limits):
    return lambda: ResponseReader(method, **limits)


def request(**limits):
    return lambda: RequestReader(**limits)


def body_of(result: Result) -> bytes:
    return b"".join(event.data for event in result.events if isinstance(event, Data))


OK = b"HTTP/1.1 200 OK\r\n"
CHUNKED = b"Transfer-Encoding: chunked\r\n"
POST = b"POST / HTTP/1.1\r\nHost: x\r\n"


# --- the body readers --------------------------------------------------------


def test_content_length_reader_returns_the_body_and_keeps_the_rest_unused():
    reader = ContentLengthReader(3)
    assert reader.feed(b"ab") == b"ab" and not reader.done
    assert reader.feed(b"cde") == b"c" and reader.done
    assert reader.unused == b"de" and reader.remaining == 0


def test_content_length_reader_cut_short_raises_at_close():
    reader = ContentLengthReader(3)
    reader.feed(b"ab")
    with pytest.raises(RemoteProtocolError, match="1 body bytes still due"):
        reader.close()
    assert isinstance(reader.error, RemoteProtocolError)


def test_until_close_reader_ends_at_close():
    reader = UntilCloseReader()
    assert reader.feed(b"abc") == b"abc" and not reader.done
    reader.close()
    assert reader.done and reader.error is None


def test_body_readers_refuse_feed_after_close():
    for reader in (ContentLengthReader(0), UntilCloseReader()):
        reader.close()
        with pytest.raises(LocalProtocolError):
            reader.feed(b"x")


# --- responses: the head -----------------------------------------------------


def test_response_head_then_body_then_end():
    result = check(response(), OK + b"Content-Length: 5\r\n\r\nhello")
    assert result.events == [
        ResponseHead("1.1", 200, "OK", [("content-length", "5")]),
        Data(b"hello"),
        EndOfMessage([]),
    ]


def test_interim_responses_are_skipped():
    data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    result = check(response(), data + OK + b"Content-Length: 0\r\n\r\n")
    assert [type(event) for event in result.events] == [ResponseHead, EndOfMessage]
    assert result.events[0].status == 200


def test_101_is_final_and_has_no_body():
    result = check(response(), b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nraw", close=False)
    assert result.events[0].status == 101 and result.events[1:] == [EndOfMessage([])]
    assert result.unused == b"raw"


def test_interim_responses_past_max_interim_responses_raise():
    interim = b"HTTP/1.1 102 Processing\r\n\r\n"
    assert check(response(max_interim_responses=3), interim * 3 + OK + b"\r\n").error is None
    result = check(response(max_interim_responses=3), interim * 4 + OK + b"\r\n")
    assert result.error is LimitExceeded


def test_interim_response_limit_names_itself_and_counts_responses():
    reader = ResponseReader("GET", max_interim_responses=2)
    reader.feed(b"HTTP/1.1 100 Continue\r\n\r\n" * 3)
    with pytest.raises(LimitExceeded) as info:
        reader.next_event()
    assert (info.value.limit, info.value.maximum, info.value.size) == ("max_interim_responses", 2, 3)


def test_max_interim_responses_has_a_default_and_none_disables_it():
    interim = b"HTTP/1.1 102 Processing\r\n\r\n" * (DEFAULT_MAX_INTERIM_RESPONSES + 1)
    assert read(response(), [interim]).error is LimitExceeded
    assert read(response(max_interim_responses=None), [interim + OK + b"\r\n"]).error is None


def test_eof_before_the_response_head_raises():
    assert check(response(), b"").error is RemoteProtocolError
    assert check(response(), b"HTTP/1.1 200 OK\r\n").error is RemoteProtocolError


def test_eof_after_an_interim_response_raises():
    assert check(response(), b"HTTP/1.1 100 Continue\r\n\r\n").error is RemoteProtocolError


def test_response_head_over_max_head_size_is_a_431():
    result = check(response(max_head_size=20), OK + b"X: " + b"a" * 20 + b"\r\n\r\n")
    assert (result.error, result.status_hint) == (LimitExceeded, 431)


# --- responses: which have a body, and how it is framed -----------------------


@pytest.mark.parametrize("status", [204, 304])
def test_204_and_304_have_no_body(status):
    data = b"HTTP/1.1 %d X\r\nContent-Length: 5\r\n\r\nhello" % status
    result = check(response(), data, close=False)
    assert result.events[1:] == [EndOfMessage([])] and result.unused == b"hello"


def test_response_to_head_has_no_body():
    result = check(response("HEAD"), OK + CHUNKED + b"\r\n", close=False)
    assert result.events[1:] == [EndOfMessage([])]


def test_chunked_response_body_and_trailers():
    data = OK + CHUNKED + b"\r\n" + encode_chunk(b"hello") + encode_last_chunk([(b"X-A", b"1")])
    result = check(response(), data, close=False)
    assert result.events[1:] == [Data(b"hello"), EndOfMessage([(b"x-a", b"1")])]


def test_transfer_coding_not_ending_in_chunked_reads_until_close():
    result = check(response(), OK + b"Transfer-Encoding: gzip\r\n\r\nabc")
    assert result.events[1:] == [Data(b"abc"), EndOfMessage([])] and result.error is None


def test_no_framing_reads_until_close():
    result = check(response(), OK + b"\r\nabc")
    assert result.events[1:] == [Data(b"abc"), EndOfMessage([])]


def test_until_close_body_needs_the_end_of_input():
    result = check(response(), OK + b"\r\nabc", close=False)
    assert result.events[1:] == [Data(b"abc")]


def test_content_length_body_cut_short_raises():
    result = check(response(), OK + b"Content-Length: 5\r\n\r\nhel")
    assert result.error is RemoteProtocolError and body_of(result) == b"hel"


def test_chunked_body_cut_short_raises():
    result = check(response(), OK + CHUNKED + b"\r\n5\r\nhello\r\n")
    assert result.error is RemoteProtocolError and body_of(result) == b"hello"


def test_transfer_encoding_with_content_length_raises():
    assert check(response(), OK + CHUNKED + b"Content-Length: 5\r\n\r\n").error is RemoteProtocolError


def test_bytes_after_the_message_are_unused():
    result = check(response(), OK + b"Content-Length: 2\r\n\r\nhiHTTP/1.1", close=False)
    assert result.events[1:] == [Data(b"hi"), EndOfMessage([])] and result.unused == b"HTTP/1.1"


def test_end_of_message_is_returned_again():
    reader = ResponseReader("GET")
    reader.feed(OK + b"Content-Length: 0\r\n\r\n")
    assert isinstance(reader.next_event(), ResponseHead)
    end = reader.next_event()
    assert end == EndOfMessage([]) and reader.next_event() is end


# --- the fault behind good bytes: never missed -------------------------------


def test_framing_fault_after_a_good_chunk_raises_on_the_next_call_without_more_input():
    # Issue 15: the good chunk is delivered, and the fault in the same read
    # surfaces on the very next call, before the driver waits for input.
    reader = ResponseReader("GET")
    reader.feed(OK + CHUNKED + b"\r\n5\r\nhello\r\nzz\r\n")
    assert isinstance(reader.next_event(), ResponseHead)
    assert reader.next_event() == Data(b"hello")
    with pytest.raises(RemoteProtocolError) as info:
        reader.next_event()
    assert reader.error is info.value


def test_framing_fault_in_a_later_read_raises_at_once():
    reader = ResponseReader("GET")
    reader.feed(OK + CHUNKED + b"\r\n")
    assert isinstance(reader.next_event(), ResponseHead)
    assert reader.next_event() is NEED_DATA
    reader.feed(b"2\r\nhi\r\nzz\r\n")
    assert reader.next_event() == Data(b"hi")
    with pytest.raises(RemoteProtocolError):
        reader.next_event()


def test_chunk_line_over_its_limit_is_named_for_the_reader_and_a_400():
    reader = ResponseReader("GET", max_chunk_line_size=8)
    reader.feed(OK + CHUNKED + b"\r\n" + b"0" * 9)
    reader.next_event()
    with pytest.raises(LimitExceeded) as info:
        reader.next_event()
    assert (info.value.limit, info.value.maximum, info.value.error_status_hint) == ("max_chunk_line_size", 8, 400)


def test_huge_chunk_size_is_a_long_chunk():
    # Finding 1 (issue 19), through the reader: 2**63 is read as a long chunk.
    result = check(response(), OK + CHUNKED + b"\r\n2\r\nhi\r\n8000000000000000\r\nabc", close=False)
    assert body_of(result) == b"hiabc" and result.error is None


# --- input ---------------------------------------------------------------------


def test_empty_feed_marks_the_end_of_input():
    reader = ResponseReader("GET")
    reader.feed(OK + b"\r\nabc")
    reader.feed(b"")
    assert [reader.next_event() for _ in range(3)][1:] == [Data(b"abc"), EndOfMessage([])]


def test_feed_after_the_end_of_input_is_a_local_error():
    reader = ResponseReader("GET")
    reader.close()
    with pytest.raises(LocalProtocolError):
        reader.feed(b"x")


def test_buffered_counts_the_incomplete_head_then_the_framing():
    reader = ResponseReader("GET")
    reader.feed(OK)
    assert reader.next_event() is NEED_DATA and reader.buffered == len(OK)
    reader.feed(CHUNKED + b"\r\n5;a")
    assert isinstance(reader.next_event(), ResponseHead)
    assert reader.next_event() is NEED_DATA and reader.buffered == 3


# --- requests ------------------------------------------------------------------


def test_request_without_body_ends_after_its_head():
    result = check(request(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert result.events == [RequestHead("GET", "/", "1.1", [("host", "x")]), EndOfMessage([])]


def test_request_body_by_content_length():
    result = check(request(), POST + b"Content-Length: 3\r\n\r\nabcGET", close=False)
    assert result.events[1:] == [Data(b"abc"), EndOfMessage([])] and result.unused == b"GET"


def test_request_body_chunked():
    result = check(request(), POST + CHUNKED + b"\r\n2\r\nhi\r\n0\r\n\r\n")
    assert result.events[1:] == [Data(b"hi"), EndOfMessage([])]


def test_request_body_cut_short_raises():
    assert check(request(), POST + b"Content-Length: 3\r\n\r\nab").error is RemoteProtocolError


def test_connection_closed_before_any_byte():
    assert check(request(), b"").events == [ConnectionClosed()]


def test_connection_closed_inside_a_request_head_raises():
    assert check(request(), b"GET / HTTP/1.1\r\n").error is RemoteProtocolError


def test_content_length_over_max_body_size_is_a_413_as_soon_as_the_head_is_in():
    result = check(request(max_body_size=2), POST + b"Content-Length: 3\r\n\r\n", close=False)
    assert (result.events, result.error, result.status_hint) == ([], LimitExceeded, 413)


def test_chunked_body_over_max_body_size_is_a_413():
    result = check(request(max_body_size=3), POST + CHUNKED + b"\r\n2\r\nab\r\n2\r\ncd\r\n", close=False)
    assert (result.error, result.status_hint) == (LimitExceeded, 413)


def test_max_body_size_defaults_to_1_mib():
    assert RequestReader().max_body_size == DEFAULT_MAX_BODY_SIZE == 1024 * 1024


def test_request_transfer_encoding_not_ending_in_chunked_is_a_400():
    result = check(request(), POST + b"Transfer-Encoding: gzip\r\n\r\n")
    assert (result.error, result.status_hint) == (RemoteProtocolError, 400)


@pytest.mark.parametrize("value", [b"gzip, chunked", b"identity, chunked", b"deflate;q=1, chunked"])
def test_request_transfer_coding_other_than_chunked_is_a_501(value):
    result = check(request(), POST + b"Transfer-Encoding: " + value + b"\r\n\r\n")
    assert (result.error, result.status_hint) == (RemoteProtocolError, 501)


def test_request_chunked_twice_is_a_400():
    result = check(request(), POST + b"Transfer-Encoding: chunked, chunked\r\n\r\n")
    assert (result.error, result.status_hint) == (RemoteProtocolError, 400)


def test_request_with_both_framings_is_a_400():
    result = check(request(), POST + CHUNKED + b"Content-Length: 3\r\n\r\n")
    assert (result.error, result.status_hint) == (RemoteProtocolError, 400)


def test_request_head_over_max_head_size_is_a_431():
    result = check(request(max_head_size=30), POST + b"X: " + b"a" * 30 + b"\r\n\r\n")
    assert (result.error, result.status_hint) == (LimitExceeded, 431)


def test_request_in_an_unsupported_http_version_is_a_505():
    result = check(request(), b"GET / HTTP/2.0\r\n\r\n")
    assert (result.error, result.status_hint) == (RemoteProtocolError, 505)


def test_expect_100_continue_is_reported_until_the_body_comes():
    reader = RequestReader()
    reader.feed(POST + b"Expect: 100-Continue\r\nContent-Length: 2\r\n\r\n")
    assert isinstance(reader.next_event(), RequestHead)
    assert reader.next_event() is NEED_DATA and reader.expects_continue
    reader.feed(b"hi")
    assert not reader.expects_continue  # the body is here: too late for 100
    assert reader.next_event() == Data(b"hi") and not reader.expects_continue


def test_expect_100_continue_without_a_body_is_not_reported():
    reader = RequestReader()
    reader.feed(POST + b"Expect: 100-continue\r\nContent-Length: 0\r\n\r\n")
    reader.next_event()
    assert not reader.expects_continue


def test_expect_100_continue_in_http_1_0_is_ignored():
    reader = RequestReader()
    reader.feed(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    reader.next_event()
    assert not reader.expects_continue


def test_errors_keep_their_status_hint_when_pickled():
    exc = LimitExceeded("max_body_size", 2, 3, error_status_hint=413)
    again = pickle.loads(pickle.dumps(exc))
    assert (again.limit, again.maximum, again.size, again.error_status_hint) == ("max_body_size", 2, 3, 413)
    assert str(again) == str(exc)
    assert pickle.loads(pickle.dumps(RemoteProtocolError("x", error_status_hint=501))).error_status_hint == 501


# --- properties ----------------------------------------------------------------


@st.composite
def split_points(draw, data: bytes) -> List[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    bounds = [0] + cuts + [len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]  # b"" would mean the end of input


@st.composite
def responses(draw) -> bytes:
    """A response, with interim responses before it and a body in one of the framings."""
    head = b"HTTP/1.1 100 Continue\r\n\r\n" * draw(st.integers(0, 2))
    chunks = draw(st.lists(st.binary(max_size=20), max_size=4))
    framing = draw(st.sampled_from(["length", "chunked", "close", "none"]))
    body = b"".join(chunks)
    if framing == "length":
        return head + OK + b"Content-Length: %d\r\n\r\n" % len(body) + body
    if framing == "chunked":
        return head + OK + CHUNKED + b"\r\n" + b"".join(map(encode_chunk, chunks)) + encode_last_chunk()
    if framing == "close":
        return head + OK + b"\r\n" + body
    return head + b"HTTP/1.1 204 No Content\r\n\r\n"


@given(message=responses(), data=st.data())
@example(message=OK + b"\r\n", data=None)
def test_any_split_of_a_response_gives_the_same_events(message, data):
    whole = read(response(), [message])
    assert whole.error is None and isinstance(whole.events[-1], EndOfMessage)
    if data is not None:
        assert read(response(), data.draw(split_points(message))) == whole


@given(blob=st.binary(max_size=120), data=st.data())
def test_any_bytes_give_events_or_remote_protocol_error_at_any_split(blob, data):
    for make, message in ((response(max_head_size=64), OK + blob), (request(max_head_size=64, max_body_size=16), POST + blob)):
        whole = read(make, [message])
        assert read(make, bytewise(message)) == whole
        assert read(make, data.draw(split_points(message))) == whole
        assert whole.error is None or issubclass(whole.error, RemoteProtocolError)
