"""SSEDecoder, one WHATWG rule per test.

Each stream is fed whole and again one byte at a time; both must agree, so
every rule here is also checked across read boundaries.
"""

import pickle

import pytest

from sse_core import Comment, Event, LimitExceeded, LocalProtocolError, SSEDecoder


def run(stream, **options):
    """Feed whole and byte by byte; return the events and the final decoder."""
    results = []
    for pieces in ([stream], [stream[i : i + 1] for i in range(len(stream))]):
        decoder = SSEDecoder(**options)
        events = []
        for piece in pieces:
            events += decoder.feed(piece)
        events += decoder.close()
        results.append((events, decoder.last_event_id, decoder.retry))
    assert results[0] == results[1]
    return results[0][0], decoder


def events(stream, **options):
    return run(stream, **options)[0]


def datas(stream, **options):
    return [event.data for event in events(stream, **options)]


# Line ends and the BOM (9.2.5 Parsing an event stream)


def test_lf_ends_lines():
    assert datas(b"data: a\n\n") == ["a"]


def test_crlf_ends_lines():
    assert datas(b"data: a\r\n\r\n") == ["a"]


def test_cr_only_ends_lines():
    assert datas(b"data: a\r\rdata: b\r\r") == ["a", "b"]


def test_crlf_split_across_two_reads_is_one_line_end():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [Event("a\nb")]


def test_mixed_lf_cr_lf_is_two_line_ends():
    assert datas(b"data: a\n\r\ndata: b\n\n") == ["a", "b"]


def test_lf_crlf_and_lone_cr_in_one_read_all_end_lines():
    assert datas(b"data: a\ndata: b\r\ndata: c\rdata: d\n\n") == ["a\nb\nc\nd"]


def test_cr_at_read_end_then_cr_is_two_line_ends():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\rdata: b\n\n") == [Event("a"), Event("b")]


@pytest.mark.parametrize("line_end", [b"\n", b"\r", b"\r\n"])
def test_read_with_a_cr_keeps_its_incomplete_last_line(line_end):
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\rdata: b\ndata: c\r\ndata: de") == []
    assert decoder.feed(b"f" + line_end * 2) == [Event("a\nb\nc\ndef")]


@pytest.mark.parametrize("line_end", [b"\n", b"\r", b"\r\n"])
def test_other_breaks_are_not_line_ends_in_a_read_with_a_cr(line_end):
    # A read holding a CR is split by bytes.splitlines(), which must not
    # know the breaks str.splitlines() does (VT, FF, FS, GS, RS, NEL).
    text = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h"
    assert datas(b"data: x\r" + b"data: " + text.encode() + line_end * 2) == ["x\n" + text]


def test_unicode_line_separators_are_data_not_line_ends():
    for char in ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"]:
        assert datas(f"data: a{char}b\n\n".encode()) == [f"a{char}b"]


def test_leading_bom_is_stripped():
    assert events(b"\xef\xbb\xbfdata: a\n\n") == [Event("a")]


def test_bom_split_across_reads_is_stripped():
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: a\n\n") == [Event("a")]


def test_only_one_bom_is_stripped():
    # The second BOM becomes part of the first field name: "\ufeffdata" is unknown.
    assert events(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n") == []


def test_bom_later_in_the_stream_is_data():
    assert datas(b"data: a\n\n\xef\xbb\xbfdata: b\n\ndata: \xef\xbb\xbf\n\n") == ["a", "\ufeff"]


def test_partial_bom_prefix_is_ordinary_bytes():
    assert datas(b"\xef\xbbdata: a\n\ndata: b\n\n") == ["b"]


# Lines (9.2.6 Interpreting an event stream)


def test_comment_line_is_ignored():
    assert events(b": hello\ndata: a\n\n") == [Event("a")]


def test_comments_are_surfaced_in_order_when_asked():
    got = events(b": ping\ndata: a\n:\n\n:  two\n", comments=True)
    assert got == [Comment("ping"), Comment(""), Event("a"), Comment(" two")]


def test_surfacing_comments_does_not_change_events():
    stream = b": x\ndata: a\n: y\n\n: z\n\n"
    assert [e for e in events(stream, comments=True) if isinstance(e, Event)] == events(stream)


def test_field_and_value_split_at_first_colon():
    assert datas(b"data: a: b:c\n\n") == ["a: b:c"]


def test_one_leading_space_removed_from_value():
    assert datas(b"data:  two spaces\n\n") == [" two spaces"]


def test_value_without_space_after_colon():
    assert datas(b"data:x\n\n") == ["x"]


def test_tab_after_colon_is_kept():
    assert datas(b"data:\tx\n\n") == ["\tx"]


def test_line_without_colon_is_field_with_empty_value():
    assert datas(b"data\n\n") == [""]


def test_field_names_are_case_sensitive():
    assert events(b"Data: a\nDATA: b\n\n") == []


def test_unknown_field_is_ignored():
    assert events(b"foo: bar\ndata: a\n\n") == [Event("a")]


def test_field_name_with_trailing_space_is_unknown():
    assert events(b"data : a\n\n") == []


# data and dispatch


def test_data_lines_join_with_lf():
    assert datas(b"data: a\ndata: b\ndata\n\n") == ["a\nb\n"]


def test_one_trailing_lf_removed_at_dispatch():
    assert datas(b"data:\ndata:\n\n") == ["\n"]


def test_empty_data_field_dispatches_empty_string():
    assert datas(b"data:\n\n") == [""]


def test_block_without_data_dispatches_nothing():
    assert events(b"event: x\nid: 1\nretry: 5\n\n") == []


def test_ping_comment_after_id_dispatches_no_empty_event():
    # Peers turn this into an event with data "" and LLM code then fails on json.loads("").
    assert events(b"id: 7\n: ping\n\n") == []


def test_blank_lines_alone_dispatch_nothing():
    assert events(b"\n\n\r\n\r\r") == []


def test_event_type_defaults_to_message():
    assert events(b"data: a\n\n")[0].event == "message"


def test_event_type_is_set_by_event_field():
    assert events(b"event: delta\ndata: a\n\n")[0].event == "delta"


def test_empty_event_type_means_message():
    assert events(b"event:\ndata: a\n\n")[0].event == "message"


def test_event_type_resets_after_dispatch():
    got = events(b"event: x\ndata: a\n\ndata: b\n\n")
    assert [e.event for e in got] == ["x", "message"]


def test_event_type_resets_after_block_without_data():
    assert events(b"event: x\n\ndata: b\n\n")[0].event == "message"


def test_last_event_field_wins():
    assert events(b"event: a\nevent: b\ndata: x\n\n")[0].event == "b"


# id


def test_id_is_attached_and_persists_across_events():
    got = events(b"id: 1\ndata: a\n\ndata: b\n\n")
    assert [e.id for e in got] == ["1", "1"]


def test_id_is_empty_string_when_never_set():
    assert events(b"data: a\n\n")[0].id == ""


def test_empty_id_resets_last_event_id():
    got, decoder = run(b"id: 1\ndata: a\n\nid\ndata: b\n\n")
    assert [e.id for e in got] == ["1", ""]
    assert decoder.last_event_id == ""


def test_id_with_nul_is_ignored():
    got, decoder = run(b"id: 1\n\nid: 2\x003\ndata: a\n\n")
    assert got[0].id == "1"
    assert decoder.last_event_id == "1"


def test_id_without_data_updates_last_event_id_at_blank_line():
    decoder = SSEDecoder()
    decoder.feed(b"id: 5\n")
    assert decoder.last_event_id == ""
    decoder.feed(b"\n")
    assert decoder.last_event_id == "5"


def test_id_before_end_of_stream_without_blank_line_is_dropped():
    _, decoder = run(b"id: 1\n\nid: 2\n")
    assert decoder.last_event_id == "1"


def test_id_set_after_data_in_same_block_applies_to_that_event():
    assert events(b"data: a\nid: 9\n\n")[0].id == "9"


# retry


def test_retry_sets_reconnection_time():
    got, decoder = run(b"retry: 1500\ndata: a\n\n")
    assert decoder.retry == 1500
    assert got[0].retry == 1500


def test_retry_is_none_until_set():
    got, decoder = run(b"data: a\n\n")
    assert decoder.retry is None and got[0].retry is None


def test_retry_on_event_is_from_its_own_block_only():
    got, decoder = run(b"retry: 10\ndata: a\n\ndata: b\n\nretry: 20\n\ndata: c\n\n")
    assert [e.retry for e in got] == [10, None, None]
    assert decoder.retry == 20


@pytest.mark.parametrize(
    "value",
    [b"+5", b" 5", b"-5", b"5_0", b"1_000", b"1.5", b"5 ", b"0x10", b"", b"1e3",
     "\u0665".encode(), "\uff15".encode(), "\u00b2".encode()],
    ids=["plus", "leading-space", "minus", "underscore", "thousands", "decimal", "trailing-space",
         "hex", "empty", "exponent", "arabic-indic-digit", "fullwidth-digit", "superscript-two"],
)
def test_retry_ignored_unless_all_ascii_digits(value):
    # "retry:  5" has the value " 5" once the one space is removed.
    _, decoder = run(b"retry: 7\n\nretry: " + value + b"\n\n")
    assert decoder.retry == 7


def test_retry_with_leading_zeros_is_read_base_ten():
    assert run(b"retry: 0010\n\n")[1].retry == 10


def test_retry_zero_is_valid():
    assert run(b"retry: 0\n\n")[1].retry == 0


def test_retry_of_ten_thousand_digits_is_ignored():
    _, decoder = run(b"retry: 5\n\nretry: " + b"9" * 10_000 + b"\n\n")
    assert decoder.retry == 5


def test_retry_of_eighteen_significant_digits_is_kept():
    assert run(b"retry: 000" + b"9" * 18 + b"\n\n")[1].retry == int("9" * 18)


def test_retry_without_blank_line_still_applies():
    # Unlike the id, the spec sets the reconnection time as soon as the field is read.
    decoder = SSEDecoder()
    decoder.feed(b"retry: 30\n")
    assert decoder.retry == 30


# UTF-8


def test_invalid_utf8_becomes_replacement_character():
    assert datas(b"data: a\xffb\n\n") == ["a\ufffdb"]


def test_truncated_multibyte_before_line_end_is_one_replacement():
    assert datas(b"data: \xe2\x82\ndata: x\n\n") == ["\ufffd\nx"]


def test_multibyte_character_split_across_reads():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: \xe2") == []
    assert decoder.feed(b"\x82") == []
    assert decoder.feed(b"\xac\n\n") == [Event("\u20ac")]


def test_invalid_utf8_in_event_and_id_is_replaced():
    got = events(b"event: \xff\nid: \xfe\ndata: a\n\n")
    assert (got[0].event, got[0].id) == ("\ufffd", "\ufffd")


# End of stream


def test_unterminated_event_is_discarded_at_close():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: half") == [Event("a")]
    assert decoder.close() == []


def test_event_missing_only_its_blank_line_is_discarded_at_close():
    assert events(b"data: a\n") == []


def test_dispatch_unterminated_dispatches_at_close():
    assert events(b"data: a\ndata: b", dispatch_unterminated=True) == [Event("a\nb")]
    assert events(b"id: 3\ndata: a\n", dispatch_unterminated=True) == [Event("a", id="3")]


def test_dispatch_unterminated_with_nothing_pending_gives_nothing():
    assert events(b"data: a\n\n", dispatch_unterminated=True) == [Event("a")]
    assert events(b"", dispatch_unterminated=True) == []


def test_close_twice_returns_nothing():
    decoder = SSEDecoder(dispatch_unterminated=True)
    decoder.feed(b"data: a")
    assert decoder.close() == [Event("a")]
    assert decoder.close() == []


def test_feed_after_close_is_a_local_error():
    decoder = SSEDecoder()
    decoder.close()
    with pytest.raises(LocalProtocolError):
        decoder.feed(b"data: a\n\n")


def test_empty_feed_needs_more():
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: a\n\n") == [Event("a")]


# Limits


def test_line_over_max_line_size_raises():
    decoder = SSEDecoder(max_line_size=10)
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"data: 0123456789\n\n")
    assert (info.value.limit, info.value.maximum) == ("max_line_size", 10)


def test_line_over_max_line_size_raises_as_it_grows():
    decoder = SSEDecoder(max_line_size=10)
    decoder.feed(b"data: 0123")
    with pytest.raises(LimitExceeded):
        decoder.feed(b"4")


def test_data_over_max_event_size_raises():
    decoder = SSEDecoder(max_event_size=8)
    decoder.feed(b"data: abc\ndata: def\n")  # 8 bytes: "abc\ndef\n"
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"data:\n")
    assert info.value.limit == "max_event_size"


def test_many_empty_data_lines_count_toward_max_event_size():
    decoder = SSEDecoder(max_event_size=1000)
    with pytest.raises(LimitExceeded):
        decoder.feed(b"data\n" * 1001)


def test_max_event_size_is_per_event():
    got = events(b"data: abcd\n\n" * 10, max_event_size=5)
    assert len(got) == 10


def test_limits_can_be_disabled():
    big = b"x" * (100_000)
    assert datas(b"data: " + big + b"\n\n", max_line_size=None, max_event_size=None) == [big.decode()]


def test_events_before_a_limit_fault_are_returned_then_the_fault_raised():
    decoder = SSEDecoder(max_line_size=10)
    assert decoder.feed(b"data: a\n\ndata: 0123456789\n\n") == [Event("a")]
    with pytest.raises(LimitExceeded):
        decoder.feed(b"")


@pytest.mark.parametrize(
    "stream, limits",
    [
        (b"data: a\n\ndata: 0123456789\n\n", {"max_line_size": 10}),
        (b"data: a\n\ndata: 01234\n", {"max_event_size": 4}),
        (b"data: a\n\ndata: 0123456789", {"max_line_size": 10}),
    ],
)
def test_error_shows_a_fault_found_after_the_returned_events(stream, limits):
    decoder = SSEDecoder(**limits)
    assert decoder.error is None
    assert decoder.feed(stream) == [Event("a")]
    assert isinstance(decoder.error, LimitExceeded)
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"")
    assert info.value is decoder.error


def test_error_stays_none_through_close():
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\ndata: b")
    decoder.close()
    assert decoder.error is None


def test_decoder_stays_failed_after_a_fault():
    decoder = SSEDecoder(max_line_size=4)
    for _ in range(2):
        with pytest.raises(LimitExceeded):
            decoder.feed(b"data: x\n\n")
    with pytest.raises(LimitExceeded):
        decoder.close()


def test_limit_error_is_picklable_and_readable():
    error = LimitExceeded("max_line_size", 10, 11)
    assert "max_line_size=10" in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.limit, copy.maximum, copy.size) == ("max_line_size", 10, 11)


# Reads that end no line: feed() only buffers them


def test_read_without_line_end_after_a_read_ending_in_cr():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"data: b") == []  # the CR ended the line: no LF to skip
    assert decoder.feed(b"\n\n") == [Event("a\nb")]


def test_cr_then_empty_read_then_lf_is_one_line_end():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"data: b\n\n") == [Event("a\nb")]


def test_pending_line_built_of_reads_without_line_end():
    decoder = SSEDecoder()
    for piece in [b"id: 7\n", b"da", b"ta", b": ", b"x"]:
        assert decoder.feed(piece) == []
    assert decoder.unterminated
    assert decoder.feed(b"\n\n") == [Event("x", id="7")]
    assert not decoder.unterminated


def test_pending_line_may_reach_max_line_size_in_reads_without_line_end():
    decoder = SSEDecoder(max_line_size=10)
    for piece in [b"\n", b"data: ", b"0123"]:
        assert decoder.feed(piece) == []
    assert decoder.feed(b"\n\n") == [Event("0123")]


def test_read_without_line_end_passing_max_line_size_raises_and_keeps_raising():
    decoder = SSEDecoder(max_line_size=10)
    for piece in [b"\n", b"data: ", b"0123"]:
        decoder.feed(piece)
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"4")
    assert (info.value.maximum, info.value.size) == (10, 11)
    assert not decoder.unterminated  # the over-long line is dropped
    for piece in [b"5", b"\n\n"]:
        with pytest.raises(LimitExceeded):
            decoder.feed(piece)


def test_long_line_in_one_byte_reads_is_held_whole_until_its_line_end():
    decoder = SSEDecoder()
    for count, byte in enumerate(b"data: " + b"x" * 1000, start=1):
        assert decoder.feed(bytes([byte])) == []
        assert decoder.pending_size == count
    assert decoder.feed(b"\n\n") == [Event("x" * 1000)]
    assert decoder.pending_size == 0


def test_line_in_reads_whose_overhead_passes_max_line_size_is_joined_not_refused():
    # 300 one-byte reads hold 300 bytes, but as 300 objects: over the bound
    # of 400 once their overhead counts, so they are joined into one.
    decoder = SSEDecoder(max_line_size=400)
    for byte in b"data: " + b"x" * 294:
        assert decoder.feed(bytes([byte])) == []
    assert decoder.pending_size == 300
    assert decoder.feed(b"y\n\n") == [Event("x" * 294 + "y")]


def test_event_of_many_lines_whose_overhead_passes_max_event_size_is_joined_not_refused():
    decoder = SSEDecoder(max_event_size=1000)
    lines = [b"data:%03d\n" % n for n in range(250)]  # 4 bytes of data each
    assert decoder.feed(b"".join(lines)) == []
    assert decoder.data_size == 1000
    assert decoder.feed(b"\n") == [Event("\n".join("%03d" % n for n in range(250)))]
    assert decoder.data_size == 0


def test_line_joined_from_pieces_counts_its_earlier_pieces_against_the_limit():
    decoder = SSEDecoder(max_line_size=10)
    assert decoder.feed(b"data: ") == []
    assert decoder.feed(b"0123\n\n") == [Event("0123")]
    assert decoder.feed(b"data: 01") == []
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"234\n")
    assert (info.value.maximum, info.value.size) == (10, 11)


@pytest.mark.parametrize("line_end", [b"\n", b"\r", b"\r\n"])
def test_line_end_bytes_do_not_count_toward_max_line_size(line_end):
    stream = b"data: 0123" + line_end + b"data: x" + line_end * 2
    assert datas(stream, max_line_size=10) == ["0123\nx"]


def test_read_without_line_end_after_a_deferred_fault_raises():
    decoder = SSEDecoder(max_event_size=4)
    assert decoder.feed(b"data: a\n\ndata: 12345\n") == [Event("a")]
    with pytest.raises(LimitExceeded):
        decoder.feed(b"data")


def test_read_without_line_end_after_close_is_a_local_error():
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    decoder.close()
    with pytest.raises(LocalProtocolError):
        decoder.feed(b"data")


# Long data lines: their value is a view of the line, not a copy


@pytest.mark.parametrize("size", [(1 << 16) - 7, (1 << 16) - 6, 1 << 16])
def test_data_lines_around_the_view_size(size):
    # "data: " plus the value: lines of 2**16 - 1 bytes and longer are viewed.
    value = (b"\xc3\xa9" * size)[:size - 1] + b"\xff"
    text = value.decode("utf-8", "replace")
    stream = b"data: " + value + b"\n\ndata: a\ndata: " + value + b"\ndata:" + value + b"\n\n"
    assert datas(stream) == [text, "a\n" + text + "\n" + text]


def test_long_data_line_at_max_event_size_passes_and_one_byte_more_raises():
    value = b"x" * 100_000
    assert datas(b"data: " + value + b"\n\n", max_event_size=100_001) == [value.decode()]
    with pytest.raises(LimitExceeded):
        datas(b"data: " + value + b"\n\n", max_event_size=100_000)


# unterminated: is the stream inside an unfinished event?


@pytest.mark.parametrize(
    "stream",
    [b"data: a\n", b"data: a", b"da", b"event: x\n", b"id: 1\n", b"retry: 5\n", b"data: a\r", b"\xef\xbb"],
)
def test_unterminated_while_an_event_is_unfinished(stream):
    decoder = SSEDecoder()
    decoder.feed(stream)
    assert decoder.unterminated


@pytest.mark.parametrize("stream", [b"", b"data: a\n\n", b": ping\n", b"id: 1\n\n: ping\n\n", b"\r\n", b"\xef\xbb\xbf"])
def test_not_unterminated_at_an_event_boundary(stream):
    decoder = SSEDecoder()
    decoder.feed(stream)
    assert not decoder.unterminated


def test_last_event_id_option_resumes_a_stream():
    decoder = SSEDecoder(last_event_id="41")
    assert decoder.last_event_id == "41"
    assert not decoder.unterminated
    assert decoder.feed(b"data: a\n\nid: 42\ndata: b\n\nid\ndata: c\n\n") == [
        Event("a", id="41"),
        Event("b", id="42"),
        Event("c", id=""),
    ]

