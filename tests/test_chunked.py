"""ChunkedDecoder and the chunk encoders: one test per rule of RFC 9112 §7.1.

Every decoding case runs twice, as h11's t_body_reader does: fed whole and
fed one byte at a time, and both runs must agree on everything.
"""

import string
from typing import List, NamedTuple, Optional, Tuple, Type

import pytest
from hypothesis import example, given, strategies as st

from sse_core import chunked
from sse_core.chunked import (
    DEFAULT_MAX_LINE_SIZE,
    DEFAULT_MAX_TRAILER_SIZE,
    ChunkedDecoder,
    encode_chunk,
    encode_last_chunk,
)
from sse_core.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError, SSEError


class Result(NamedTuple):
    body: bytes
    error: Optional[Type[SSEError]]
    done: bool
    trailers: List[Tuple[bytes, bytes]]
    unused: bytes


def bytewise(data: bytes) -> List[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def decode(pieces: List[bytes], close: bool = True, **limits) -> Result:
    """Feed ``pieces``, then b"" (to surface a deferred fault), then maybe close()."""
    decoder = ChunkedDecoder(**limits)
    out = []
    error = None
    try:
        for piece in pieces:
            out.append(decoder.feed(piece))
        decoder.feed(b"")
        if close:
            decoder.close()
    except SSEError as exc:
        error = type(exc)
    return Result(b"".join(out), error, decoder.done, decoder.trailers, decoder.unused)


def check(data: bytes, body: bytes = b"", error=None, close: bool = True, **limits) -> Result:
    """Decode ``data`` whole and byte by byte; both must agree and match."""
    whole = decode([data], close, **limits)
    assert decode(bytewise(data), close, **limits) == whole
    assert whole.body == body
    assert whole.error is error
    return whole


def rejected(data: bytes, body: bytes = b"") -> None:
    check(data, body, RemoteProtocolError)


# --- valid bodies ----------------------------------------------------------


def test_single_chunk_decoded():
    result = check(b"5\r\nhello\r\n0\r\n\r\n", b"hello")
    assert result.done and result.trailers == [] and result.unused == b""


def test_several_chunks_joined():
    check(b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", b"hello world")


def test_hex_size_either_case():
    check(b"a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n", b"0123456789" * 2)


def test_leading_zeros_in_size_allowed():
    check(b"0" * 100 + b"5\r\nhello\r\n0\r\n\r\n", b"hello")


def test_last_chunk_of_several_zeros():
    assert check(b"000\r\n\r\n").done


def test_chunk_data_may_hold_crlf():
    check(b"4\r\n\r\n\r\n\r\n0\r\n\r\n", b"\r\n\r\n")


def test_extension_ignored():
    check(b"5;name=value\r\nhello\r\n0\r\n\r\n", b"hello")


def test_extension_without_value():
    check(b"5;name\r\nhello\r\n0\r\n\r\n", b"hello")


def test_several_extensions():
    check(b"5;a=1;b;c=\"x\"\r\nhello\r\n0\r\n\r\n", b"hello")


def test_bws_around_extension_allowed():
    check(b"5 \t; a \t= b ;c\r\nhello\r\n0\r\n\r\n", b"hello")


def test_quoted_extension_value():
    check(b'5;a="x y; z=\t\x80"\r\nhello\r\n0\r\n\r\n', b"hello")


def test_quoted_pair_in_extension_value():
    check(b'5;a="\\"\\\\"\r\nhello\r\n0\r\n\r\n', b"hello")


def test_extension_on_last_chunk():
    assert check(b"0;a=b\r\n\r\n").done


def test_trailers_parsed():
    result = check(b"0\r\nX-A: 1\r\nx-b:two\r\nX-A: 3\r\n\r\n")
    assert result.trailers == [(b"x-a", b"1"), (b"x-b", b"two"), (b"x-a", b"3")]


def test_trailer_value_ows_stripped():
    assert check(b"0\r\nA: \t x \t y \t\r\n\r\n").trailers == [(b"a", b"x \t y")]


def test_trailer_empty_value():
    assert check(b"0\r\nA:\r\nB: \r\n\r\n").trailers == [(b"a", b""), (b"b", b"")]


def test_trailer_obs_text_value_allowed():
    assert check(b"0\r\nA: caf\xc3\xa9\r\n\r\n").trailers == [(b"a", b"caf\xc3\xa9")]


def test_more_needed_returns_empty_bytes():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"5\r") == b""
    assert decoder.feed(b"\nhe") == b"he"
    assert decoder.feed(b"llo\r\n0\r\n") == b"llo"
    assert decoder.feed(b"\r") == b""
    assert not decoder.done


def test_empty_feed_is_noop():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"") == b""
    assert decoder.feed(b"1\r\nx") == b"x"
    assert decoder.feed(b"") == b""
    assert decoder.feed(b"\r\n0\r\n\r\n") == b""
    assert decoder.done


def test_done_only_after_final_crlf():
    assert not check(b"0\r\nA: b\r\n", close=False).done
    assert check(b"0\r\nA: b\r\n\r\n").done


def test_bytes_after_end_kept_in_unused():
    result = check(b"1\r\nx\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", b"x")
    assert result.done and result.unused == b"HTTP/1.1 200 OK\r\n"


def test_bytes_fed_after_done_appended_to_unused():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"0\r\n\r\nab") == b""
    assert decoder.feed(b"c") == b""
    assert decoder.feed(b"5\r\nhello\r\n") == b""
    assert decoder.unused == b"abc5\r\nhello\r\n"


# --- line ends -------------------------------------------------------------


def test_bare_lf_after_size_is_rejected():
    rejected(b"5\nhello\r\n0\r\n\r\n")


def test_bare_cr_after_size_is_rejected():
    rejected(b"5\rhello\r\n0\r\n\r\n")


def test_bare_lf_after_chunk_data_is_rejected():
    rejected(b"5\r\nhello\n0\r\n\r\n", b"hello")


def test_bare_cr_after_chunk_data_is_rejected():
    rejected(b"5\r\nhello\r0\r\n\r\n", b"hello")


def test_data_longer_than_size_is_rejected():
    rejected(b"3\r\nhello\r\n0\r\n\r\n", b"hel")


def test_bare_lf_after_last_chunk_is_rejected():
    rejected(b"0\n\r\n")


def test_bare_lf_after_trailer_field_is_rejected():
    rejected(b"0\r\nA: b\n\r\n")


def test_bare_lf_ending_body_is_rejected():
    rejected(b"0\r\n\n")


def test_bare_cr_ending_body_is_rejected():
    rejected(b"0\r\n\rx")


# --- chunk size ------------------------------------------------------------


@pytest.mark.parametrize("line", [b"0x5", b"+5", b"-5", b"5_0", b"5.0", b"g", b"\xef\xbc\x95"])
def test_size_with_non_hex_digit_is_rejected(line):
    rejected(line + b"\r\nhello\r\n0\r\n\r\n")


def test_size_with_0x_prefix_is_rejected():
    rejected(b"0x5\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize("blank", [b" ", b"\t"])
def test_blank_before_size_is_rejected(blank):
    rejected(blank + b"5\r\nhello\r\n0\r\n\r\n")


def test_blank_after_size_without_extension_is_rejected():
    rejected(b"5 \r\nhello\r\n0\r\n\r\n")


def test_empty_size_is_rejected():
    rejected(b"\r\nhello\r\n0\r\n\r\n")


def test_sixteen_significant_hex_digits_accepted():
    check(b"000ffffffffffffffff\r\nabc", b"abc", close=False)


def test_seventeen_significant_hex_digits_rejected():
    rejected(b"10000000000000000\r\n")


HUGE_SIZES = [2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1]


@pytest.mark.parametrize("size", HUGE_SIZES, ids=hex)
def test_chunk_size_at_2_63_and_other_word_edges_is_a_long_chunk_not_an_overflow(size):
    # Finding 1 (issue 19): a plain 16-digit size line whole in one read
    # made the fast path match at a position past sys.maxsize, and
    # OverflowError escaped feed(), losing the chunk before it.
    result = check(b"2\r\nhi\r\n%x\r\nabc" % size, b"hiabc", close=False)
    assert not result.done


@pytest.mark.parametrize("size", HUGE_SIZES, ids=hex)
def test_chunk_size_at_word_edges_counts_down_exactly(size):
    decoder = ChunkedDecoder()
    assert decoder.feed(b"%x\r\n" % size) == b""
    assert decoder.feed(b"x" * 1000) == b"x" * 1000
    with pytest.raises(RemoteProtocolError, match="chunk data"):
        decoder.close()  # the rest of the chunk never came


def test_thousand_hex_digit_size_rejected_without_int(monkeypatch):
    calls = []

    def spy(*args):
        calls.append(args)
        return int(*args)

    # A module global shadows the builtin, so this sees every int() call.
    monkeypatch.setattr(chunked, "int", spy, raising=False)
    check(b"5\r\nhello", b"hello", close=False)
    assert calls  # the spy works
    calls.clear()
    rejected(b"f" * 1000 + b"\r\n")
    assert calls == []


# --- chunk extensions ------------------------------------------------------


@pytest.mark.parametrize("ext", [b";", b";=x", b"; ", b";;a"])
def test_extension_without_name_is_rejected(ext):
    rejected(b"5" + ext + b"\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize("ext", [b";a=", b";a= ", b";a=;b"])
def test_extension_with_empty_value_is_rejected(ext):
    rejected(b"5" + ext + b"\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize("ext", [b";a@b", b";a=b@c", b";a b", b";a=b c", b";\x80"])
def test_extension_with_non_token_char_is_rejected(ext):
    rejected(b"5" + ext + b"\r\nhello\r\n0\r\n\r\n")


def test_extension_without_semicolon_is_rejected():
    rejected(b"5 a=b\r\nhello\r\n0\r\n\r\n")


def test_unterminated_quoted_extension_value_is_rejected():
    rejected(b'5;a="x\r\nhello\r\n0\r\n\r\n')


def test_text_after_quoted_extension_value_is_rejected():
    rejected(b'5;a="x"y\r\nhello\r\n0\r\n\r\n')


@pytest.mark.parametrize("ctl", [b"\x00", b"\x01", b"\x7f", b"\r"])
def test_control_char_in_quoted_extension_value_is_rejected(ctl):
    rejected(b'5;a="' + ctl + b'"\r\nhello\r\n0\r\n\r\n')


def test_quoted_pair_of_control_char_is_rejected():
    rejected(b'5;a="\\\x00"\r\nhello\r\n0\r\n\r\n')


def test_bad_extension_on_last_chunk_is_rejected():
    rejected(b"0;\r\n\r\n")


def test_long_extension_list_parses_in_linear_time():
    # Would take minutes with a backtracking-prone pattern.
    rejected(b"5" + b" ;a = b" * 500 + b" \x00\r\n")
    rejected(b"5" + b';a="' + b"\\ " * 1500 + b"\r\n")


# --- trailer section -------------------------------------------------------


def test_obs_fold_in_trailer_rejected():
    rejected(b"0\r\nA: b\r\n c\r\n\r\n")


def test_trailer_starting_with_blank_rejected():
    rejected(b"0\r\n\tA: b\r\n\r\n")


def test_trailer_without_colon_rejected():
    rejected(b"0\r\nA b\r\n\r\n")


@pytest.mark.parametrize("blank", [b" ", b"\t"])
def test_blank_before_trailer_colon_rejected(blank):
    rejected(b"0\r\nA" + blank + b": b\r\n\r\n")


def test_empty_trailer_name_rejected():
    rejected(b"0\r\n: b\r\n\r\n")


def test_non_token_trailer_name_rejected():
    rejected(b"0\r\nA(b): c\r\n\r\n")


@pytest.mark.parametrize("ctl", [b"\x00", b"\x01", b"\x1f", b"\x7f", b"\r", b"\x0b"])
def test_control_char_in_trailer_value_rejected(ctl):
    rejected(b"0\r\nA: b" + ctl + b"c\r\n\r\n")


# --- end of input ----------------------------------------------------------


@pytest.mark.parametrize(
    "data, body",
    [
        pytest.param(b"", b"", id="before-any-input"),
        pytest.param(b"5", b"", id="mid-size-line"),
        pytest.param(b"5;a=b\r", b"", id="mid-size-line-crlf"),
        pytest.param(b"5\r\nhel", b"hel", id="mid-chunk"),
        pytest.param(b"5\r\nhello", b"hello", id="before-crlf-after-data"),
        pytest.param(b"5\r\nhello\r", b"hello", id="mid-crlf-after-data"),
        pytest.param(b"5\r\nhello\r\n", b"hello", id="before-last-chunk"),
        pytest.param(b"0\r\n", b"", id="before-final-crlf"),
        pytest.param(b"0\r\nA: b", b"", id="mid-trailers"),
        pytest.param(b"0\r\nA: b\r\n\r", b"", id="mid-final-crlf"),
    ],
)
def test_close_of_incomplete_body_raises(data, body):
    check(data, body, RemoteProtocolError)


def test_close_mid_chunk_raises():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"5\r\nhel") == b"hel"
    with pytest.raises(RemoteProtocolError):
        decoder.close()


def test_close_after_done_returns_none():
    decoder = ChunkedDecoder()
    decoder.feed(b"0\r\n\r\nextra")
    assert decoder.close() is None
    assert decoder.close() is None
    assert decoder.unused == b"extra"


def test_feed_after_close_raises_local_error():
    decoder = ChunkedDecoder()
    decoder.feed(b"0\r\n\r\n")
    decoder.close()
    with pytest.raises(LocalProtocolError):
        decoder.feed(b"x")


# --- error semantics -------------------------------------------------------


def test_bytes_before_fault_returned_then_fault_raised():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"2\r\nab\r\n3\r\ncdeX") == b"abcde"
    with pytest.raises(RemoteProtocolError):
        decoder.feed(b"more")


def test_deferred_fault_raised_by_empty_feed():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"2\r\nabX") == b"ab"
    with pytest.raises(RemoteProtocolError):
        decoder.feed(b"")


def test_deferred_fault_raised_by_close():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"2\r\nabX") == b"ab"
    with pytest.raises(RemoteProtocolError):
        decoder.close()


def test_fault_with_nothing_decoded_raises_at_once():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"2\r\nab") == b"ab"
    with pytest.raises(RemoteProtocolError):
        decoder.feed(b"\r\nzz\r\n")


def test_error_is_none_until_a_fault():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"2\r\nab") == b"ab"
    assert decoder.error is None


def test_deferred_fault_is_shown_by_error_at_once():
    # A driver checks error after feed() instead of feeding again: the
    # fault behind the returned bytes is visible without another call.
    decoder = ChunkedDecoder()
    assert decoder.feed(b"2\r\nab\r\nzz\r\n") == b"ab"
    assert isinstance(decoder.error, RemoteProtocolError)
    with pytest.raises(RemoteProtocolError) as info:
        decoder.feed(b"")
    assert info.value is decoder.error


def test_malformed_chunk_is_a_400():
    with pytest.raises(RemoteProtocolError) as info:
        ChunkedDecoder().feed(b"zz\r\n")
    assert info.value.error_status_hint == 400


def test_error_is_sticky():
    decoder = ChunkedDecoder()
    with pytest.raises(RemoteProtocolError) as first:
        decoder.feed(b"zz\r\n")
    for call in (lambda: decoder.feed(b"0\r\n\r\n"), lambda: decoder.feed(b""), decoder.close):
        with pytest.raises(RemoteProtocolError) as again:
            call()
        assert again.value is first.value
    assert not decoder.done


# --- limits ----------------------------------------------------------------


def test_default_limits():
    decoder = ChunkedDecoder()
    assert decoder.max_line_size == DEFAULT_MAX_LINE_SIZE == 4096
    assert decoder.max_trailer_size == DEFAULT_MAX_TRAILER_SIZE == 16 * 1024


def test_limits_are_keyword_only():
    with pytest.raises(TypeError):
        ChunkedDecoder(10)  # type: ignore[misc]


def test_size_line_of_max_line_size_accepted():
    # The bound counts the CRLF: "0005;a=b\r\n" is 10 bytes.
    check(b"0005;a=b\r\nhello\r\n0\r\n\r\n", b"hello", max_line_size=10)


def test_size_line_limit_hit_fed_one_byte_at_a_time():
    decoder = ChunkedDecoder(max_line_size=10)
    for byte in bytewise(b"0005;a=bbb"):
        assert decoder.feed(byte) == b""
    assert decoder.buffered == 10  # the partial size line
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"b")
    assert (info.value.limit, info.value.maximum, info.value.size) == ("max_line_size", 10, 11)
    assert decoder.buffered == 0  # the oversized line is dropped, not kept


def test_size_line_over_its_limit_is_a_400_not_a_431():
    # Finding 11 (issue 19): the size line is part of the body, not a header.
    with pytest.raises(LimitExceeded) as info:
        ChunkedDecoder(max_line_size=10).feed(b"0" * 11)
    assert info.value.error_status_hint == 400


def test_trailer_section_over_its_limit_is_a_431():
    with pytest.raises(LimitExceeded) as info:
        ChunkedDecoder(max_trailer_size=10).feed(b"0\r\nA: bcdefghij")
    assert info.value.error_status_hint == 431


def test_size_line_limit_hit_without_line_end():
    check(b"0" * 5000, error=LimitExceeded)


def test_size_line_limit_applies_to_every_chunk():
    check(b"1\r\nx\r\n" + b"0" * 10 + b"1\r\ny\r\n", b"x", LimitExceeded, max_line_size=10)


@pytest.mark.parametrize("limit, error", [(3, None), (2, LimitExceeded)])
def test_plain_size_lines_obey_a_max_line_size_below_their_longest(limit, error):
    # A bound under 18 bytes turns off the loop over whole chunks; the
    # bound must hold just the same.
    check(b"5\r\nhello\r\n0\r\n\r\n", b"hello" if error is None else b"", error, max_line_size=limit)


# --- chunks whole in one read, taken in one loop ----------------------------


def test_whole_chunks_around_a_chunk_with_an_extension():
    check(b"3\r\nabc\r\n2;x=y\r\nde\r\n1\r\nf\r\n0\r\n\r\n", b"abcdef")


def test_whole_chunks_then_one_cut_by_the_end_of_the_read():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"3\r\nabc\r\n2\r\nd") == b"abcd"
    assert decoder.feed(b"e\r") == b"e"
    assert decoder.feed(b"\n1\r\nf\r\n0\r\n\r\n") == b"f"
    assert decoder.done


def test_whole_chunks_around_the_view_size():
    sizes = [4095, 4096, 5000, 1]
    body = bytes(range(256)) * 40
    data = b"".join(b"%x\r\n%s\r\n" % (size, body[:size]) for size in sizes) + b"0\r\n\r\n"
    check(data, b"".join(body[:size] for size in sizes))


@pytest.mark.parametrize("cut", [10, 4095, 4096, 4097, 9000])
def test_a_chunk_cut_by_reads_around_the_view_size(cut):
    # The part of a chunk in one read is viewed from 4096 bytes on: the
    # parts on either side of the cut, each side of that size.
    body = bytes(range(256)) * 40
    data = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    decoder = ChunkedDecoder()
    got = [decoder.feed(data[:cut]), decoder.feed(data[cut : cut + 4100]), decoder.feed(data[cut + 4100 :])]
    decoder.close()
    assert all(type(part) is bytes for part in got)
    assert b"".join(got) == body and decoder.done


def test_whole_chunks_then_data_not_followed_by_crlf():
    rejected(b"3\r\nabc\r\n2\r\ndeX\r\n0\r\n\r\n", b"abcde")


def test_trailer_section_of_max_trailer_size_accepted():
    # "A: bcd\r\n" plus the closing "\r\n" is 10 bytes.
    result = check(b"0\r\nA: bcd\r\n\r\n", max_trailer_size=10)
    assert result.trailers == [(b"a", b"bcd")]


def test_trailer_section_one_byte_over_rejected():
    check(b"0\r\nA: bcde\r\n\r\n", error=LimitExceeded, max_trailer_size=10)


def test_trailer_limit_hit_fed_one_byte_at_a_time():
    decoder = ChunkedDecoder(max_trailer_size=10)
    decoder.feed(b"0\r\nA: b\r\n")  # 6 bytes of trailer section so far
    assert decoder.buffered == 6
    for byte in bytewise(b"Cdef"):
        assert decoder.feed(byte) == b""
    assert decoder.buffered == 10
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"g")
    assert (info.value.limit, info.value.maximum, info.value.size) == ("max_trailer_size", 10, 11)
    assert decoder.buffered == 6  # the oversized line is dropped


def test_trailer_limit_counts_all_field_lines():
    trailers = b"".join(b"A%d: b\r\n" % i for i in range(3000))
    check(b"0\r\n" + trailers + b"\r\n", error=LimitExceeded)


def test_limit_exceeded_is_remote_protocol_error():
    with pytest.raises(RemoteProtocolError):
        ChunkedDecoder(max_line_size=2).feed(b"abc")


def test_max_line_size_none_disables():
    line = b"5;" + b"a" * 100_000 + b"\r\n"
    check(line + b"hello\r\n0\r\n\r\n", b"hello", max_line_size=None)


def test_max_trailer_size_none_disables():
    trailer = b"A: " + b"b" * 100_000 + b"\r\n"
    result = check(b"0\r\n" + trailer + b"\r\n", max_trailer_size=None)
    assert result.trailers == [(b"a", b"b" * 100_000)]


# --- encoders --------------------------------------------------------------


def test_encode_chunk_frames_data_with_hex_size():
    assert encode_chunk(b"0123456789") == b"a\r\n0123456789\r\n"


def test_encode_chunk_of_empty_data_is_empty():
    assert encode_chunk(b"") == b""


def test_encode_last_chunk_without_trailers():
    assert encode_last_chunk() == encode_last_chunk([]) == b"0\r\n\r\n"


def test_encode_last_chunk_with_trailers():
    encoded = encode_last_chunk([(b"X-A", b"1"), (b"b", b"")])
    assert encoded == b"0\r\nX-A: 1\r\nb: \r\n\r\n"


@pytest.mark.parametrize("name", [b"", b"a b", b"a:", b"a\r\n", b"\x80"])
def test_encode_last_chunk_rejects_non_token_name(name):
    with pytest.raises(LocalProtocolError):
        encode_last_chunk([(name, b"x")])


@pytest.mark.parametrize("ctl", [b"\r", b"\n", b"\x00", b"\x01", b"\x7f"])
def test_encode_last_chunk_rejects_control_char_in_value(ctl):
    with pytest.raises(LocalProtocolError):
        encode_last_chunk([(b"a", b"x" + ctl + b"y")])


@pytest.mark.parametrize("value", [b" x", b"x\t", b" "])
def test_encode_last_chunk_rejects_blank_at_value_edge(value):
    # The peer strips OWS, so it would receive a different value.
    with pytest.raises(LocalProtocolError):
        encode_last_chunk([(b"a", value)])


# --- properties ------------------------------------------------------------

_TCHARS = (string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~").encode()
_VALUE_BYTES = bytes([0x09, 0x20]) + bytes(range(0x21, 0x7F)) + bytes(range(0x80, 0x100))

trailer_names = st.lists(st.sampled_from(_TCHARS), min_size=1, max_size=8).map(bytes)
trailer_values = (
    st.lists(st.sampled_from(_VALUE_BYTES), max_size=12).map(bytes).map(lambda v: v.strip(b" \t"))
)


@st.composite
def split_points(draw, data: bytes) -> List[bytes]:
    """``data`` cut at sorted indices drawn together with it."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    bounds = [0] + cuts + [len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


@given(
    chunks=st.lists(st.binary(max_size=40), max_size=6),
    trailers=st.lists(st.tuples(trailer_names, trailer_values), max_size=4),
    tail=st.binary(max_size=10),
    data=st.data(),
)
@example(chunks=[], trailers=[], tail=b"", data=None)
def test_encoded_body_decodes_at_any_split(chunks, trailers, tail, data):
    wire = b"".join(map(encode_chunk, chunks)) + encode_last_chunk(trailers) + tail
    pieces = [wire] if data is None else data.draw(split_points(wire))
    result = decode(pieces)
    assert result.error is None
    assert result.body == b"".join(chunks)
    assert result.done
    assert result.trailers == [(name.lower(), value) for name, value in trailers]
    assert result.unused == tail


_TOKENS = [b"0", b"a", b"F", b"\r\n", b";", b"=", b'"', b" ", b"\t", b":", b"\r", b"\n", b"\\"]
token_streams = st.lists(st.sampled_from(_TOKENS), max_size=40).map(b"".join)
limits = st.one_of(st.none(), st.integers(1, 12))


def assert_buffers_bounded(decoder: ChunkedDecoder) -> None:
    # buffered is the partial size line, or the trailer section so far: the
    # bound that applies depends on which, and trailers show the latter.
    line, trailer = decoder.max_line_size, decoder.max_trailer_size
    if line is not None and trailer is not None:
        assert decoder.buffered <= max(line, trailer)
    if decoder.trailers and trailer is not None:
        assert decoder.buffered <= trailer
    if decoder.max_trailer_size is not None:
        stored = sum(len(name) + len(value) + 3 for name, value in decoder.trailers)
        assert stored <= decoder.max_trailer_size


def decode_bounded(pieces: List[bytes], **kwargs) -> Result:
    decoder = ChunkedDecoder(**kwargs)
    out = []
    error = None
    try:
        for piece in pieces:
            out.append(decoder.feed(piece))
            assert_buffers_bounded(decoder)
        decoder.feed(b"")
        decoder.close()
    except SSEError as exc:
        error = type(exc)
    return Result(b"".join(out), error, decoder.done, decoder.trailers, decoder.unused)


def check_any_bytes(blob: bytes, line: Optional[int], trailer: Optional[int], data) -> Result:
    """Whole, byte by byte and (unless ``data`` is None) at drawn splits agree."""
    kwargs = {"max_line_size": line, "max_trailer_size": trailer}
    whole = decode_bounded([blob], **kwargs)
    assert decode_bounded(bytewise(blob), **kwargs) == whole
    if data is not None:
        assert decode_bounded(data.draw(split_points(blob)), **kwargs) == whole
    return whole


@given(blob=st.binary(max_size=200), line=limits, trailer=limits, data=st.data())
@example(blob=b"00", line=None, trailer=1, data=None)  # size line past a trailer bound
def test_arbitrary_bytes_raise_only_sse_errors_at_any_split(blob, line, trailer, data):
    check_any_bytes(blob, line, trailer, data)


@given(blob=token_streams, line=limits, trailer=limits, data=st.data())
def test_token_streams_raise_only_sse_errors_at_any_split(blob, line, trailer, data):
    check_any_bytes(blob, line, trailer, data)


@st.composite
def mutated_bodies(draw) -> bytes:
    """A valid encoded body with one byte inserted, deleted or replaced."""
    chunks = draw(st.lists(st.binary(max_size=12), max_size=4))
    trailers = draw(st.lists(st.tuples(trailer_names, trailer_values), max_size=2))
    wire = b"".join(map(encode_chunk, chunks)) + encode_last_chunk(trailers)
    index = draw(st.integers(0, len(wire) - 1))
    byte = draw(st.sampled_from(_TOKENS + [b"\x00", b"\x7f", b"\xff", b"x"]))[:1]
    cut = draw(st.sampled_from([0, 1]))  # 0 inserts, 1 deletes or replaces
    return wire[:index] + draw(st.sampled_from([byte, b""])) + wire[index + cut :]


@given(blob=mutated_bodies(), line=limits, trailer=limits, data=st.data())
def test_mutated_bodies_raise_only_sse_errors_at_any_split(blob, line, trailer, data):
    check_any_bytes(blob, line, trailer, data)
