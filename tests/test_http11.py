"""sse_core._http11: one test per rule of RFC 9112 heads and body framing.

Every parsing case runs twice, fed whole and fed one byte at a time, and
both runs must agree on everything.
"""

from typing import List, NamedTuple, Optional, Type, Union

import pytest
from hypothesis import example, given, strategies as st

from sse_core._http11 import (
    DEFAULT_MAX_HEAD_SIZE,
    RequestHead,
    RequestHeadReader,
    ResponseHead,
    ResponseHeadReader,
    encode_request_head,
    encode_response_head,
    content_length,
    header_value,
    transfer_codings,
)
from sse_core.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError, SSEError

Reader = Union[Type[RequestHeadReader], Type[ResponseHeadReader]]


class Result(NamedTuple):
    head: Union[RequestHead, ResponseHead, None]
    error: Optional[Type[SSEError]]
    unused: bytes


def read(reader_class: Reader, pieces: List[bytes], close: bool = True, **limits) -> Result:
    reader = reader_class(**limits)
    head = None
    error = None
    try:
        for piece in pieces:
            head = reader.feed(piece)
        if close:
            reader.close()
    except SSEError as exc:
        error = type(exc)
    return Result(head, error, reader.unused)


def check(reader_class: Reader, data: bytes, close: bool = True, **limits) -> Result:
    """Read ``data`` whole and byte by byte; both must agree."""
    whole = read(reader_class, [data], close, **limits)
    assert read(reader_class, [data[i : i + 1] for i in range(len(data))], close, **limits) == whole
    return whole


def request(data: bytes, **limits) -> RequestHead:
    result = check(RequestHeadReader, data, **limits)
    assert result.error is None
    return result.head


def response(data: bytes, **limits) -> ResponseHead:
    result = check(ResponseHeadReader, data, **limits)
    assert result.error is None
    return result.head


def bad_request(data: bytes, error: Type[SSEError] = RemoteProtocolError) -> None:
    assert check(RequestHeadReader, data).error is error


def bad_response(data: bytes, error: Type[SSEError] = RemoteProtocolError) -> None:
    assert check(ResponseHeadReader, data).error is error


# --- request heads ---------------------------------------------------------


def test_request_parsed():
    head = request(b"GET /stream?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: text/event-stream\r\n\r\n")
    assert head == RequestHead(
        "GET", "/stream?x=1", "1.1", [("host", "example.com"), ("accept", "text/event-stream")]
    )


def test_request_http10_without_host_allowed():
    assert request(b"GET / HTTP/1.0\r\n\r\n") == RequestHead("GET", "/", "1.0", [])


def test_request_http11_without_host_rejected():
    bad_request(b"GET / HTTP/1.1\r\n\r\n")


def test_request_two_hosts_rejected():
    bad_request(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")


def test_request_leading_empty_lines_skipped():
    assert request(b"\r\n\n\r\nGET / HTTP/1.0\r\n\r\n").method == "GET"


def test_request_method_must_be_token():
    bad_request(b"G(T / HTTP/1.0\r\n\r\n")


def test_request_line_needs_single_spaces():
    bad_request(b"GET  / HTTP/1.0\r\n\r\n")
    bad_request(b"GET / HTTP/1.0 \r\n\r\n")
    bad_request(b"GET\t/ HTTP/1.0\r\n\r\n")


def test_request_target_obs_text_allowed():
    assert request(b"GET /caf\xc3\xa9 HTTP/1.0\r\n\r\n").target == "/caf\xc3\xa9"


def test_request_target_control_rejected():
    bad_request(b"GET /a\x00b HTTP/1.0\r\n\r\n")
    bad_request(b"GET /a\x7fb HTTP/1.0\r\n\r\n")


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/1.2", b"HTTP/0.9", b"http/1.1", b"HTTP/1", b"HTTP/1.10"])
def test_request_other_versions_rejected(version):
    bad_request(b"GET / " + version + b"\r\nHost: a\r\n\r\n")


def test_request_missing_version_rejected():
    bad_request(b"GET /\r\n\r\n")


# --- response heads --------------------------------------------------------


def test_response_parsed():
    head = response(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
    assert head == ResponseHead("1.1", 200, "OK", [("content-type", "text/event-stream")])


def test_response_reason_may_hold_spaces_and_obs_text():
    assert response(b"HTTP/1.0 404 Not \tFound \xe9\r\n\r\n").reason == "Not \tFound \xe9"


def test_response_missing_reason_tolerated():
    assert response(b"HTTP/1.1 200\r\n\r\n").reason == ""
    assert response(b"HTTP/1.1 204 \r\n\r\n").reason == ""


@pytest.mark.parametrize("line", [b"HTTP/1.1 20 OK", b"HTTP/1.1 2000 OK", b"HTTP/1.1 2x0 OK", b"HTTP/1.1  200 OK"])
def test_response_status_must_be_three_digits(line):
    bad_response(line + b"\r\n\r\n")


def test_response_reason_control_rejected():
    bad_response(b"HTTP/1.1 200 O\x00K\r\n\r\n")


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/1.2", b"HTTP/0.9", b"HTTP/1"])
def test_response_other_versions_rejected(version):
    bad_response(version + b" 200 OK\r\n\r\n")


def test_response_leading_empty_line_rejected():
    bad_response(b"\r\nHTTP/1.1 200 OK\r\n\r\n")


# --- line ends -------------------------------------------------------------


def test_bare_lf_line_ends_accepted():
    assert request(b"GET / HTTP/1.1\nHost: a\n\n") == RequestHead("GET", "/", "1.1", [("host", "a")])


def test_mixed_line_ends_accepted():
    assert response(b"HTTP/1.1 200 OK\nA: 1\r\n\n").headers == [("a", "1")]


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\rA: 1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: 1\r\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: 1\r\nB: x\ry\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\r\n",
    ],
)
def test_bare_cr_rejected(data):
    bad_response(data)


def test_bare_cr_never_ends_the_head():
    assert check(ResponseHeadReader, b"HTTP/1.1 200 OK\r\r", close=False) == Result(None, None, b"")


# --- header fields ---------------------------------------------------------


def test_header_names_lowercased_order_kept():
    head = response(b"HTTP/1.1 200 OK\r\nX-B: 1\r\nx-a: 2\r\nX-B: 3\r\n\r\n")
    assert head.headers == [("x-b", "1"), ("x-a", "2"), ("x-b", "3")]


def test_header_value_ows_stripped_inner_kept():
    assert response(b"HTTP/1.1 200 OK\r\nA: \t x \t y \t\r\n\r\n").headers == [("a", "x \t y")]


def test_header_empty_value():
    assert response(b"HTTP/1.1 200 OK\r\nA:\r\nB: \r\n\r\n").headers == [("a", ""), ("b", "")]


def test_header_value_obs_text_decoded_latin1():
    assert response(b"HTTP/1.1 200 OK\r\nA: caf\xc3\xa9\r\n\r\n").headers == [("a", "caf\xc3\xa9")]


def test_header_whitespace_before_colon_rejected():
    bad_response(b"HTTP/1.1 200 OK\r\nA : 1\r\n\r\n")
    bad_response(b"HTTP/1.1 200 OK\r\nA\t: 1\r\n\r\n")


def test_header_name_must_be_token():
    bad_response(b"HTTP/1.1 200 OK\r\nA(b: 1\r\n\r\n")
    bad_response(b"HTTP/1.1 200 OK\r\n: 1\r\n\r\n")
    bad_response(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n")


def test_obs_fold_rejected():
    bad_response(b"HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n\r\n")
    bad_request(b"GET / HTTP/1.1\r\nHost: a\r\n\tb\r\n\r\n")


@pytest.mark.parametrize("byte", [b"\x00", b"\x01", b"\x7f"])
def test_header_value_controls_rejected(byte):
    bad_response(b"HTTP/1.1 200 OK\r\nA: x" + byte + b"y\r\n\r\n")


# --- the reader's life -----------------------------------------------------


def test_need_more_returns_none():
    assert RequestHeadReader().feed(b"GET / HTTP/1.0\r\n") is None


def test_bytes_after_head_left_unused():
    result = check(ResponseHeadReader, b"HTTP/1.1 200 OK\r\n\r\nbody\r\n\r\nmore")
    assert result.unused == b"body\r\n\r\nmore"


def test_feed_after_head_returns_it_and_keeps_bytes():
    reader = ResponseHeadReader()
    head = reader.feed(b"HTTP/1.1 200 OK\r\n\r\nab")
    assert reader.feed(b"cd") == head
    assert reader.unused == b"abcd"


def test_close_after_partial_head_raises():
    assert check(ResponseHeadReader, b"HTTP/1.1 200 OK\r\n").error is RemoteProtocolError
    reader = ResponseHeadReader()
    reader.feed(b"H")
    with pytest.raises(RemoteProtocolError, match="before the response head"):
        reader.close()


def test_close_with_nothing_received_is_quiet():
    RequestHeadReader().close()


def test_close_after_head_is_quiet():
    reader = RequestHeadReader()
    reader.feed(b"GET / HTTP/1.0\r\n\r\n")
    reader.close()


def test_feed_after_close_rejected():
    reader = RequestHeadReader()
    reader.close()
    with pytest.raises(LocalProtocolError):
        reader.feed(b"GET")


def test_error_is_sticky():
    reader = ResponseHeadReader()
    with pytest.raises(RemoteProtocolError):
        reader.feed(b"HTTP/3 200 OK\r\n\r\n")
    with pytest.raises(RemoteProtocolError):
        reader.feed(b"")
    with pytest.raises(RemoteProtocolError):
        reader.close()


# --- the size limit --------------------------------------------------------


def head_of_size(size: int) -> bytes:
    start = b"HTTP/1.1 200 OK\r\nX: "
    return start + b"a" * (size - len(start) - 4) + b"\r\n\r\n"


def test_head_at_limit_accepted():
    data = head_of_size(100)
    assert check(ResponseHeadReader, data + b"body", max_head_size=100).unused == b"body"


def test_head_over_limit_rejected():
    assert check(ResponseHeadReader, head_of_size(101), max_head_size=100).error is LimitExceeded


def test_limit_checked_before_the_head_ends():
    reader = ResponseHeadReader(max_head_size=100)
    reader.feed(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 80)
    with pytest.raises(LimitExceeded) as info:
        reader.feed(b"a" * 10)
    assert (info.value.limit, info.value.maximum) == ("max_head_size", 100)


def test_skipped_empty_lines_count_toward_limit():
    assert check(RequestHeadReader, b"\r\n" * 60, close=False, max_head_size=100).error is LimitExceeded


def test_limit_disabled():
    assert response(head_of_size(DEFAULT_MAX_HEAD_SIZE * 2), max_head_size=None).status == 200


def test_head_over_limit_is_a_431():
    with pytest.raises(LimitExceeded) as info:
        ResponseHeadReader(max_head_size=100).feed(head_of_size(101))
    assert info.value.error_status_hint == 431


def test_unsupported_version_is_a_505():
    with pytest.raises(RemoteProtocolError) as info:
        RequestHeadReader().feed(b"GET / HTTP/2.0\r\n\r\n")
    assert info.value.error_status_hint == 505


def test_malformed_head_is_a_400():
    with pytest.raises(RemoteProtocolError) as info:
        RequestHeadReader().feed(b"GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n")
    assert info.value.error_status_hint == 400


def test_buffered_is_the_incomplete_head_then_zero():
    reader = ResponseHeadReader()
    reader.feed(b"HTTP/1.1 200 OK\r\n")
    assert reader.buffered == 17
    reader.feed(b"\r\nbody")
    assert reader.buffered == 0 and reader.unused == b"body"


def test_default_limit():
    assert check(ResponseHeadReader, head_of_size(DEFAULT_MAX_HEAD_SIZE)).error is None
    assert check(ResponseHeadReader, head_of_size(DEFAULT_MAX_HEAD_SIZE + 1)).error is LimitExceeded


# --- header_value ----------------------------------------------------------


def test_header_value_joins_repeats_any_case():
    headers = [("a", "1"), ("b", "x"), ("a", "2")]
    assert header_value(headers, "A") == "1, 2"
    assert header_value(headers, "b") == "x"
    assert header_value(headers, "c") is None


# --- framing fields (the message readers of _body choose the framing) -----


def test_repeated_identical_content_length_is_one_length():
    assert content_length([("content-length", "7, 7"), ("content-length", "7")]) == 7


@pytest.mark.parametrize("values", [["7", "8"], ["7, 8"], ["+7"], ["-1"], ["0x7"], [" "], ["7 7"], ["\u0667"], ["1" * 19]])
def test_invalid_content_length_rejected(values):
    with pytest.raises(RemoteProtocolError):
        content_length([("content-length", v) for v in values])


def test_content_length_leading_zeros_not_counted_as_digits():
    assert content_length([("content-length", "0" * 30 + "9" * 18)]) == 10**18 - 1


def test_transfer_codings_of_repeated_fields_are_one_list():
    headers = [("transfer-encoding", "gzip"), ("transfer-encoding", "Chunked")]
    assert transfer_codings(headers) == ["gzip", "chunked"]


# --- encoding --------------------------------------------------------------


def test_encode_request_head():
    data = encode_request_head("GET", "/s?a=1", [("Host", "example.com"), ("Accept", "text/event-stream")])
    assert data == b"GET /s?a=1 HTTP/1.1\r\nHost: example.com\r\nAccept: text/event-stream\r\n\r\n"


def test_encode_response_head():
    assert encode_response_head(200, "OK", [("A", "b")]) == b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n"
    assert encode_response_head(400, "Bad Request", [], version="1.0") == b"HTTP/1.0 400 Bad Request\r\n\r\n"


def test_encoded_heads_parse_back():
    headers = [("Host", "h"), ("X-A", "caf\xe9 \t x")]
    head = request(encode_request_head("POST", "/p", headers))
    assert head == RequestHead("POST", "/p", "1.1", [("host", "h"), ("x-a", "caf\xe9 \t x")])
    assert response(encode_response_head(204, "No Content", headers)).headers == head.headers


@pytest.mark.parametrize("method", ["", "G T", "GET\r\n", "G(T", "GÉT", b"GET"])
def test_encode_invalid_method_rejected(method):
    with pytest.raises(LocalProtocolError):
        encode_request_head(method, "/", [])


@pytest.mark.parametrize("target", ["", "/a b", "/a\r\nX: y", "/\x00", "/caf\xe9", "/\x7f"])
def test_encode_invalid_target_rejected(target):
    with pytest.raises(LocalProtocolError):
        encode_request_head("GET", target, [])


@pytest.mark.parametrize(
    "name, value",
    [
        ("A B", "x"),
        ("A:", "x"),
        ("", "x"),
        ("A\r\nB", "x"),
        ("A", "x\r\nInjected: 1"),
        ("A", "x\ny"),
        ("A", "x\ry"),
        ("A", "x\x00y"),
        ("A", " x"),
        ("A", "x\t"),
        ("A", "\u20ac"),
        ("A", 1),
    ],
)
def test_encode_invalid_field_rejected(name, value):
    with pytest.raises(LocalProtocolError):
        encode_request_head("GET", "/", [(name, value)])
    with pytest.raises(LocalProtocolError):
        encode_response_head(200, "OK", [(name, value)])


@pytest.mark.parametrize("status, reason, version", [(99, "x", "1.1"), (1000, "x", "1.1"), (True, "x", "1.1"),
                                                     (200, "O\r\nK", "1.1"), (200, "O\x00K", "1.1"),
                                                     (200, "OK", "2"), (200, "OK", "1.2")])
def test_encode_invalid_status_line_rejected(status, reason, version):
    with pytest.raises(LocalProtocolError):
        encode_response_head(status, reason, [], version=version)


# --- properties ------------------------------------------------------------


# Pieces of the grammar, so that drawn inputs often parse or fail late.
_PIECES = [b"GET", b"HTTP/1.1 200 OK", b" ", b"/", b"HTTP/1.1", b"HTTP/1.0", b"\r\n", b"\n", b"\r",
           b"Host", b"Content-Length", b":", b"a", b"\t", b"\x00", b"\xff"]


@given(st.binary(max_size=300) | st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join),
       st.integers(min_value=1, max_value=40))
@example(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest", 3)
@example(b"HTTP/1.1 200 OK\r\nA: 1\n\nrest", 5)
@example(b"\r\n" * 30, 7)
def test_any_bytes_only_sse_errors_and_any_split_agrees(data, step):
    for reader_class in (RequestHeadReader, ResponseHeadReader):
        whole = read(reader_class, [data], max_head_size=64)
        pieces = [data[i : i + step] for i in range(0, len(data), step)]
        assert read(reader_class, pieces, max_head_size=64) == whole
        assert read(reader_class, [data[i : i + 1] for i in range(len(data))], max_head_size=64) == whole


# --- transfer_codings, content_length ------------------------------------------


def test_transfer_codings_lowercased_in_order_without_parameters():
    headers = [("transfer-encoding", "GZIP;q=1, , chunked"), ("transfer-encoding", "Chunked")]
    assert transfer_codings(headers) == ["gzip", "chunked", "chunked"]


def test_transfer_codings_absent_is_none():
    assert transfer_codings([("content-length", "3")]) is None


@pytest.mark.parametrize("value", ["", " , ", "@@, chunked", "chunked, \x01"])
def test_transfer_codings_malformed_is_rejected(value):
    with pytest.raises(RemoteProtocolError):
        transfer_codings([("transfer-encoding", value)])


def test_transfer_codings_with_content_length_is_rejected():
    with pytest.raises(RemoteProtocolError):
        transfer_codings([("transfer-encoding", "chunked"), ("content-length", "3")])


def test_content_length_absent_is_none():
    assert content_length([]) is None


@pytest.mark.parametrize("value", ["999999999999999999", "0" * 30 + "5"])
def test_content_length_up_to_18_significant_digits(value):
    assert content_length([("content-length", value)]) == int(value)


@pytest.mark.parametrize("value", ["9223372036854775808", "18446744073709551616", "1" * 19])
def test_content_length_of_19_digits_or_more_is_rejected(value):
    # 2**63 and 2**64 never reach a slice or a countdown.
    with pytest.raises(RemoteProtocolError):
        content_length([("content-length", value)])
