"""The server's sans-IO event-stream writer and its HTTP/1.x framing, one rule per test."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sse_core import ChunkedDecoder, Event
from sse_core._eventstream import HEARTBEAT, EventStreamWriter, HTTP1Framing, encode_item, event_stream_fields
from sse_core._http11 import ResponseHeadReader
from sse_core.errors import LocalProtocolError

STANDARD = [
    ("Content-Type", "text/event-stream; charset=utf-8"),
    ("Cache-Control", "no-cache, no-transform"),
    ("X-Accel-Buffering", "no"),
]


def parse_head(data: bytes):
    reader = ResponseHeadReader()
    head = reader.feed(data)
    assert head is not None and reader.unused == b""
    return head


# --- fields and bytes, whatever the framing ---------------------------------


def test_fields_are_the_callers_then_the_standard_ones_and_nothing_connection_specific():
    assert event_stream_fields([("X-Extra", "1")]) == [("X-Extra", "1"), *STANDARD]
    assert EventStreamWriter().fields == STANDARD


@pytest.mark.parametrize("name", ["Connection", "transfer-encoding", "Keep-Alive", "TE", "Upgrade", "Content-Length"])
def test_fields_the_framing_owns_are_refused_from_the_caller(name):
    with pytest.raises(LocalProtocolError):
        event_stream_fields([(name, "x")])


def test_retry_opens_the_body_when_given():
    assert EventStreamWriter(retry=2500).start() == b"retry: 2500\n\n"
    assert EventStreamWriter().start() == b""


def test_heartbeat_is_a_ping_comment():
    assert EventStreamWriter().heartbeat() == HEARTBEAT == b": ping\n\n"


def test_event_type_message_and_empty_id_are_left_out():
    assert encode_item(Event("a")) == b"data: a\n\n"
    assert encode_item(Event("a", event="x", id="7", retry=5)) == b"event: x\nid: 7\nretry: 5\ndata: a\n\n"


def test_dict_items_are_encode_keywords_and_str_items_are_data():
    assert encode_item({"data": "b", "id": ""}) == b"id: \ndata: b\n\n"
    assert encode_item("c\nd") == b"data: c\ndata: d\n\n"


@pytest.mark.parametrize("item", [42, b"bytes", {"data": "x", "colour": "red"}, {"id": "a\nb"}])
def test_items_that_cannot_be_encoded_are_local_errors(item):
    with pytest.raises(LocalProtocolError):
        encode_item(item)


# --- HTTP/1.x framing -------------------------------------------------------


def test_http11_both_ways_is_chunked_and_kept_alive():
    framing = HTTP1Framing("GET", "1.1")
    head = parse_head(framing.head(STANDARD))
    assert (head.version, head.status, head.reason) == ("1.1", 200, "OK")
    assert head.headers[-2:] == [("connection", "keep-alive"), ("transfer-encoding", "chunked")]
    assert framing.frame(b"data: a\n\n") == b"9\r\ndata: a\n\n\r\n"
    assert framing.end() == b"0\r\n\r\n"


def test_keep_alive_false_says_close():
    framing = HTTP1Framing("GET", "1.1", keep_alive=False)
    assert parse_head(framing.head([])).headers == [("connection", "close"), ("transfer-encoding", "chunked")]
    assert not framing.keep_alive


@pytest.mark.parametrize("request_version, response_version", [("1.0", "1.1"), ("1.1", "1.0"), ("1.0", "1.0")])
def test_http10_either_way_is_close_delimited(request_version, response_version):
    framing = HTTP1Framing("GET", request_version, response_version=response_version, keep_alive=True)
    head = parse_head(framing.head([]))
    assert head.version == response_version and head.headers == [("connection", "close")]
    assert not framing.keep_alive
    assert framing.frame(b"data: a\n\n") == b"data: a\n\n"
    assert framing.end() == b""


def test_empty_data_frames_to_nothing_never_to_a_last_chunk():
    framing = HTTP1Framing("GET", "1.1")
    framing.head([])
    assert framing.frame(b"") == b""


def test_head_request_gets_the_head_alone():
    framing = HTTP1Framing("HEAD", "1.1")
    assert not framing.has_body
    parse_head(framing.head([]))
    with pytest.raises(LocalProtocolError):
        framing.frame(b"data: a\n\n")
    with pytest.raises(LocalProtocolError):
        framing.end()


def test_calls_out_of_order_are_local_errors():
    framing = HTTP1Framing("GET", "1.1")
    with pytest.raises(LocalProtocolError):
        framing.frame(b"x")  # before the head
    framing.head([])
    with pytest.raises(LocalProtocolError):
        framing.head([])
    framing.end()
    with pytest.raises(LocalProtocolError):
        framing.frame(b"x")  # after the last chunk
    with pytest.raises(LocalProtocolError):
        framing.end()


@given(st.lists(st.binary(max_size=300), max_size=8), st.integers(min_value=1, max_value=64))
def test_chunked_frames_and_last_chunk_decode_to_the_same_bytes_in_any_split(pieces, read_size):
    framing = HTTP1Framing("GET", "1.1")
    framing.head([])
    wire = b"".join(framing.frame(piece) for piece in pieces) + framing.end()
    decoder = ChunkedDecoder()
    body = b"".join(decoder.feed(wire[at : at + read_size]) for at in range(0, len(wire), read_size))
    assert body == b"".join(pieces) and decoder.done and decoder.unused == b""


def test_bytes_received_during_the_body_mean_the_connection_is_not_kept():
    framing = HTTP1Framing("GET", "1.1")
    framing.head([])
    framing.drop_received(b"")
    assert framing.keep_alive
    framing.drop_received(b"GET /next HTTP/1.1\r\n")
    assert not framing.keep_alive
