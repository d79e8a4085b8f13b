"""Invariants of SSEDecoder, checked by hypothesis.

- Any split of the same bytes gives the same events, state and error.
- The decoder agrees with reference.py, a literal transcription of the spec.
- On arbitrary bytes only SSEError escapes, and buffers stay within limits.
- These strategies find a planted CR-at-read-end bug on their own.
"""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sse_core import SSEDecoder, SSEError

from .reference import reference_decode

# "data" repeated: most lines of a real stream are data lines.
FIELDS = [b"data"] * 4 + [b"event", b"id", b"retry", b"", b"Data", b"foo", b"data "]
VALUE_TOKENS = [
    b"a", b" ", b":", b"0", b"7", b"+", b"\x00", b"\xef\xbb\xbf", "\u00e9".encode(),
    "\u20ac".encode(), "\u2028".encode(), "\x85".encode(), b"\xe2\x82", b"\xff", b"\x0b",
]
# CRLF as two tokens, so that reads are often cut between its CR and LF.
LINE_ENDS = [[b"\n"], [b"\r"], [b"\r", b"\n"]]
SOUP = [b"\r", b"\n", b"\r\n", b"data", b":", b" ", b"id", b"retry", b"5", b"\xef", b"\xbb\xbf", b"\x00"]


def lines():
    """One line of a stream, as tokens, its end a separate token."""
    value = st.lists(st.sampled_from(VALUE_TOKENS), max_size=4)
    field_line = st.builds(
        lambda field, colon, value: [field] + ([b":"] if colon else []) + value,
        st.sampled_from(FIELDS),
        st.booleans(),
        value,
    )
    content = st.one_of(field_line, st.just([]), st.lists(st.sampled_from(SOUP), max_size=3))
    return st.builds(lambda tokens, end: tokens + end, content, st.sampled_from(LINE_ENDS))


@st.composite
def split_streams(draw):
    """A stream and the reads it arrives in.

    Reads are cut at about half the token boundaries (so a CR and the LF
    after it often land in different reads) and at a few arbitrary bytes.
    """
    tokens = [token for line in draw(st.lists(lines(), max_size=12)) for token in line]
    if draw(st.booleans()):
        tokens.insert(0, b"\xef\xbb\xbf")
    if draw(st.booleans()) and tokens:
        tokens.pop()  # leave the last line unterminated
    stream = b"".join(tokens)
    boundaries, offset = [], 0
    for token in tokens:
        offset += len(token)
        boundaries.append(offset)
    at_boundary = draw(st.lists(st.booleans(), min_size=len(boundaries), max_size=len(boundaries)))
    cuts = [offset for offset, cut in zip(boundaries, at_boundary) if cut]
    cuts += draw(st.lists(st.integers(0, len(stream)), max_size=4))
    edges = [0] + sorted(set(cuts)) + [len(stream)]
    return stream, [stream[a:b] for a, b in zip(edges, edges[1:])]


def outcome(reads, decoder_class=SSEDecoder, **options):
    """Everything observable from feeding ``reads`` and closing."""
    decoder = decoder_class(**options)
    events, error = [], None
    try:
        for data in reads:
            events += decoder.feed(data)
        events += decoder.close()
    except SSEError as exc:
        error = type(exc), getattr(exc, "limit", None)
    return events, decoder.last_event_id, decoder.retry, error


OPTIONS = st.fixed_dictionaries(
    {
        "comments": st.booleans(),
        "dispatch_unterminated": st.booleans(),
        "max_line_size": st.sampled_from([None, 4, 16, 64]),
        "max_event_size": st.sampled_from([None, 4, 16, 64]),
    }
)


@given(split_streams(), OPTIONS)
@example((b"data: a\r\n\n", [b"data: a\r", b"\n\n"]), {})
@example((b"\xef\xbb\xbfdata: a\n\n", [b"\xef", b"\xbb", b"\xbfdata: a\n\n"]), {})
def test_any_split_gives_the_same_events_state_and_error(stream_and_reads, options):
    stream, reads = stream_and_reads
    assert outcome(reads, **options) == outcome([stream], **options)


@given(split_streams(), st.booleans())
@example((b"data: a\r\r\n\xef\xbb\xbf\n", [b"data: a\r\r\n\xef\xbb\xbf\n"]), False)
def test_decoder_matches_the_spec_transcription(stream_and_reads, dispatch_unterminated):
    stream, reads = stream_and_reads
    events, last_event_id, retry, error = outcome(reads, dispatch_unterminated=dispatch_unterminated)
    assert error is None
    assert (events, last_event_id, retry) == reference_decode(stream, dispatch_unterminated=dispatch_unterminated)


@given(st.lists(st.binary(max_size=40), max_size=8), OPTIONS)
def test_arbitrary_bytes_raise_only_sse_errors_and_stay_within_limits(reads, options):
    decoder = SSEDecoder(**options)
    try:
        for data in reads:
            decoder.feed(data)
            if options["max_line_size"] is not None:
                assert decoder.pending_size <= options["max_line_size"]
            if options["max_event_size"] is not None:
                assert decoder.data_size <= options["max_event_size"]
        decoder.close()
    except SSEError:
        pass


@given(st.lists(st.binary(max_size=40), max_size=8))
def test_arbitrary_bytes_whole_and_one_byte_at_a_time_agree(reads):
    stream = b"".join(reads)
    one_byte = [stream[i : i + 1] for i in range(len(stream))]
    assert outcome(reads, max_line_size=32) == outcome(one_byte, max_line_size=32) == outcome([stream], max_line_size=32)


class ForgetsCRAtReadEnd(SSEDecoder):
    """A planted bug: a CR ending a read is taken as a complete line end, so
    an LF starting the next read ends a second, empty line."""

    def feed(self, data):
        if data.endswith(b"\r"):
            data = data[:-1] + b"\n"
        return super().feed(data)


def test_the_split_property_finds_a_planted_cr_bug_on_its_own():
    # The same property, same strategy and same example budget, run against
    # the mutant: hypothesis must report a failure and shrink it to a read
    # that ends in the CR of a CRLF.
    @settings(database=None, derandomize=True)
    @given(split_streams())
    def split_invariance_of_the_mutant(stream_and_reads):
        stream, reads = stream_and_reads
        assert outcome(reads, ForgetsCRAtReadEnd) == outcome([stream], ForgetsCRAtReadEnd)

    with pytest.raises(AssertionError):
        split_invariance_of_the_mutant()
