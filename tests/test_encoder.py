"""encode(): one rule per test, then decode(encode(x)) == x with hypothesis.

The decoder is the judge: whatever encode() writes must come back from
SSEDecoder as the event that was asked for, whole or split at any byte.
"""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sse_core import Comment, Event, LocalProtocolError, SSEDecoder, encode


def decode(stream, reads=None, **options):
    """Feed ``stream`` (whole, or cut at ``reads`` offsets), close, return all output."""
    decoder = SSEDecoder(**options)
    edges = [0] + sorted(reads or []) + [len(stream)]
    output = []
    for start, stop in zip(edges, edges[1:]):
        output += decoder.feed(stream[start:stop])
    output += decoder.close()
    return output


# Line breaks and the characters str.splitlines() would wrongly take for one.
LINE_BREAKS = {"crlf": "\r\n", "cr": "\r", "lf": "\n"}
NOT_LINE_BREAKS = {
    "u2028": "\u2028",
    "u2029": "\u2029",
    "nel": "\x85",
    "vt": "\x0b",
    "ff": "\x0c",
    "fs": "\x1c",
}


# data


@pytest.mark.parametrize("brk", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_each_line_break_in_data_starts_a_new_data_line(brk):
    assert encode("a" + brk + "b" + brk + "c") == b"data: a\ndata: b\ndata: c\n\n"


@pytest.mark.parametrize("char", NOT_LINE_BREAKS.values(), ids=NOT_LINE_BREAKS.keys())
def test_unicode_line_separators_in_data_are_not_split(char):
    # str.splitlines() splits on all of these; the wire knows only CR and LF.
    out = encode("a" + char + "b")
    assert out == b"data: a" + char.encode("utf-8") + b"b\n\n"
    assert decode(out) == [Event("a" + char + "b")]


def test_empty_data_gives_one_empty_data_line():
    out = encode("")
    assert out == b"data: \n\n"
    assert decode(out) == [Event("")]


@pytest.mark.parametrize("data", [" x", "  x", " ", " a\n  b"])
def test_leading_space_in_data_survives_a_decode(data):
    # encode() writes "data: " and the decoder strips exactly that one space.
    out = encode(data)
    assert out.startswith(b"data:  ")
    assert decode(out) == [Event(data)]


def test_trailing_newline_in_data_gives_a_trailing_empty_data_line():
    out = encode("a\n")
    assert out == b"data: a\ndata: \n\n"
    assert decode(out) == [Event("a\n")]


def test_data_is_sent_as_utf8():
    assert encode("h\u00e9 \u20ac \U0001f600") == "data: h\u00e9 \u20ac \U0001f600\n\n".encode("utf-8")


def test_line_breaks_in_data_decode_as_lf():
    # The wire cannot tell CRLF, CR and LF apart, so all come back as LF.
    assert decode(encode("a\r\nb\rc\nd\n\re")) == [Event("a\nb\nc\nd\n\ne")]


@pytest.mark.parametrize("data", [b"x", 1, ["x"], 1.5], ids=["bytes", "int", "list", "float"])
def test_non_str_data_is_refused(data):
    with pytest.raises(LocalProtocolError):
        encode(data)


# event and id


@pytest.mark.parametrize("brk", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_event_with_newline_is_refused_not_stripped(brk):
    with pytest.raises(LocalProtocolError):
        encode("x", event="a" + brk + "b")
    with pytest.raises(LocalProtocolError):
        encode("x", event=brk)


@pytest.mark.parametrize("brk", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_id_with_newline_is_refused_not_stripped(brk):
    # sse-starlette strips it and sends "ab", an id nobody asked for.
    with pytest.raises(LocalProtocolError):
        encode("x", id="a" + brk + "b")
    with pytest.raises(LocalProtocolError):
        encode("x", id=brk)


def test_local_protocol_error_is_a_value_error():
    with pytest.raises(ValueError):
        encode("x", id="1\n2")
    with pytest.raises(ValueError):
        encode("x", event="a\rb")


def test_id_with_nul_is_refused():
    # A client ignores an id field holding NUL, so it would silently not apply.
    with pytest.raises(LocalProtocolError):
        encode("x", id="a\0b")


def test_event_and_id_may_hold_unicode_separators():
    out = encode("x", event="a\u2028b", id="1\x852")
    assert decode(out) == [Event("x", "a\u2028b", "1\x852")]


@pytest.mark.parametrize("field", ["event", "id"])
def test_non_str_event_or_id_is_refused(field):
    with pytest.raises(LocalProtocolError):
        encode("x", **{field: 1})
    with pytest.raises(LocalProtocolError):
        encode("x", **{field: b"a"})


@pytest.mark.parametrize("data", [b"a", 1, ["a"]])
def test_non_str_data_is_refused_alone_and_with_other_fields(data):
    with pytest.raises(LocalProtocolError):
        encode(data)
    with pytest.raises(LocalProtocolError):
        encode(data, event="e")


def test_str_subclass_data_is_encoded_as_its_text():
    class Text(str):
        pass

    assert encode(Text("a")) == b"data: a\n\n"
    assert encode(Text("a\nb")) == b"data: a\ndata: b\n\n"
    assert encode(Text("a\r\nb"), id="1") == b"id: 1\ndata: a\ndata: b\n\n"


def test_empty_id_is_written_and_resets_last_event_id():
    assert encode("b", id="") == b"id: \ndata: b\n\n"
    stream = encode("a", id="1") + encode("b", id="") + encode("c")
    assert [e.id for e in decode(stream)] == ["1", "", ""]


def test_id_without_data_applies_to_later_events():
    stream = encode(id="7") + encode("a")
    assert decode(stream) == [Event("a", id="7")]


def test_message_without_data_dispatches_no_event():
    decoder = SSEDecoder()
    assert decoder.feed(encode(event="x", id="3", retry=10)) == []
    assert decoder.last_event_id == "3"
    assert decoder.retry == 10


# retry


@pytest.mark.parametrize("retry", [-1, True, False, 1.0, 1.5, "5", b"5"])
def test_retry_that_is_not_a_non_negative_int_is_refused(retry):
    with pytest.raises(LocalProtocolError):
        encode("x", retry=retry)


def test_retry_zero_is_written():
    out = encode("x", retry=0)
    assert out == b"retry: 0\ndata: x\n\n"
    assert decode(out) == [Event("x", retry=0)]


def test_retry_the_decoder_accepts_round_trips():
    # The decoder keeps retry values of up to 18 significant digits.
    assert decode(encode("x", retry=10**18 - 1)) == [Event("x", retry=10**18 - 1)]


@pytest.mark.parametrize("retry", [10**18, 2**64, 10**100])
def test_retry_the_decoder_would_ignore_is_refused(retry):
    # SSEDecoder ignores a retry of more than 18 significant digits, so
    # writing one means the client silently never sees it.
    with pytest.raises(LocalProtocolError):
        encode("x", retry=retry)


@pytest.mark.parametrize("retry", [10**5000, -(10**5000)], ids=["huge", "huge-negative"])
def test_retry_too_long_for_str_raises_local_protocol_error(retry):
    # Since CPython 3.11 (and 3.8.14+ security releases), str() of an int of
    # more than 4300 digits raises a plain ValueError; the caller must still
    # get an SSEError, which also means the message must not repr() it.
    with pytest.raises(LocalProtocolError):
        encode("x", retry=retry)


# surrogates


@pytest.mark.parametrize("field", ["data", "event", "id", "comment"])
@pytest.mark.parametrize("surrogate", ["\ud800", "\udfff", "a\udc80b"])
def test_lone_surrogate_is_refused(field, surrogate):
    with pytest.raises(LocalProtocolError):
        encode(**{field: surrogate})


# comments


@pytest.mark.parametrize("brk", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_comment_with_line_breaks_becomes_several_comment_lines(brk):
    out = encode(comment="one" + brk + " two" + brk)
    assert out == b": one\n:  two\n: \n\n"
    assert decode(out, comments=True) == [Comment("one"), Comment(" two"), Comment("")]


def test_comment_alone_dispatches_no_event():
    assert decode(encode(comment="ping")) == []
    assert decode(encode(comment="ping"), comments=True) == [Comment("ping")]


@pytest.mark.parametrize("comment", [b"x", 0])
def test_non_str_comment_is_refused(comment):
    with pytest.raises(LocalProtocolError):
        encode(comment=comment)


# the message as a whole


def test_encode_with_nothing_raises():
    with pytest.raises(LocalProtocolError):
        encode()
    with pytest.raises(LocalProtocolError):
        encode(None, event=None, id=None, retry=None, comment=None)


def test_full_message_exact_bytes():
    # Field order: comment, event, id, retry, data.
    out = encode("a\nb", event="update", id="42", retry=3000, comment="hi")
    assert out == b": hi\nevent: update\nid: 42\nretry: 3000\ndata: a\ndata: b\n\n"
    assert decode(out, comments=True) == [Comment("hi"), Event("a\nb", "update", "42", 3000)]


# Strategies. Text is any non-surrogate character, biased toward the
# characters that matter to the wire format, with CRLF as one unit.
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
SPECIAL = ["\r", "\n", "\r\n", " ", ":", "\u2028", "\x85", "\x0b", "\x0c", "\ufeff", "\0"]
TEXT = st.lists(st.one_of(st.sampled_from(SPECIAL), ANY_CHAR), max_size=12).map("".join)
LINE_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")
LINE_SPECIAL = [" ", ":", "\u2028", "\x85", "\x0b", "\ufeff"]
EVENT_TYPE = st.lists(st.one_of(st.sampled_from(LINE_SPECIAL + ["\0"]), LINE_CHAR), min_size=1, max_size=8).map(
    "".join
)
ID_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0")
EVENT_ID = st.lists(st.one_of(st.sampled_from(LINE_SPECIAL), ID_CHAR), max_size=8).map("".join)
# The decoder's bound: retry values of more than 18 digits are ignored
# (test_retry_the_decoder_would_ignore_is_refused).
RETRY = st.integers(min_value=0, max_value=10**18 - 1)


@st.composite
def messages(draw):
    """Keyword arguments for one valid encode() call."""
    kwargs = {
        "data": draw(st.one_of(TEXT, st.none())),
        "event": draw(st.none() | EVENT_TYPE),
        "id": draw(st.none() | EVENT_ID),
        "retry": draw(st.none() | RETRY),
        "comment": draw(st.none() | TEXT),
    }
    if all(value is None for value in kwargs.values()):
        kwargs["data"] = ""
    return kwargs


def expected_output(message_list):
    """What SSEDecoder(comments=True) must return for these messages."""
    output, last_id = [], ""
    for kwargs in message_list:
        if kwargs["comment"] is not None:
            text = kwargs["comment"].replace("\r\n", "\n").replace("\r", "\n")
            output += [Comment(part) for part in text.split("\n")]
        if kwargs["id"] is not None:
            last_id = kwargs["id"]
        if kwargs["data"] is not None:
            data = kwargs["data"].replace("\r\n", "\n").replace("\r", "\n")
            output.append(Event(data, kwargs["event"] or "message", last_id, kwargs["retry"]))
    return output


def plain(**kwargs):
    return dict({"data": None, "event": None, "id": None, "retry": None, "comment": None}, **kwargs)


PINNED = [
    [plain(data="a\r\nb\rc\n")],
    [plain(data=" lead", id="1"), plain(data="", id=""), plain(data="x")],
    [plain(data="\u2028\x85\x0b\x0c", event=" e:")],
    [plain(comment="\ufeff c\r"), plain(data="\ufeff")],
    [plain(id="5", retry=0), plain(data="\r", retry=10**18 - 1)],
]


@given(st.lists(messages(), max_size=6))
@example(PINNED[0])
@example(PINNED[1])
@example(PINNED[2])
@example(PINNED[3])
@example(PINNED[4])
def test_decode_of_encode_gives_the_messages_back(message_list):
    stream = b"".join(encode(**kwargs) for kwargs in message_list)
    assert decode(stream, comments=True) == expected_output(message_list)


@st.composite
def split_streams(draw):
    message_list = draw(st.lists(messages(), min_size=1, max_size=6))
    stream = b"".join(encode(**kwargs) for kwargs in message_list)
    reads = draw(st.lists(st.integers(0, len(stream)), max_size=8))
    return message_list, stream, reads


@given(split_streams())
def test_decode_of_encode_at_any_split_gives_the_messages_back(case):
    message_list, stream, reads = case
    assert decode(stream, reads, comments=True) == expected_output(message_list)


@given(messages())
def test_output_always_ends_with_a_blank_line(kwargs):
    out = encode(**kwargs)
    lines = out.split(b"\n")
    assert out.endswith(b"\n\n")
    # The closing blank line is the only one, and no raw CR ever goes out.
    assert lines[-2:] == [b"", b""] and all(lines[:-2])
    assert b"\r" not in out
