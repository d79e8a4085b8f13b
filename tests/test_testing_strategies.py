"""sse_core.testing's strategies: what they promise holds, and they catch planted bugs.

- streams(): SSEDecoder, whole and at every splits() split, and
  reference.py give exactly the events the strategy built.
- chunked_bodies() decode to their payload at any split; broken ones raise
  RemoteProtocolError; malformed_streams() raise only LimitExceeded.
- Two deliberately wrong parsers (a CR at a read end taken for a line end;
  str.splitlines) are caught within a fixed example budget, and a failure
  shrinks to a few bytes.
"""

import subprocess
import sys
from typing import List

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import sse_core.testing
from sse_core import ChunkedDecoder, Event, LimitExceeded, LocalProtocolError, RemoteProtocolError, SSEDecoder, encode
from sse_core.testing import (
    EventStream,
    broken_chunked_bodies,
    chunked_bodies,
    events,
    line_endings,
    malformed_streams,
    splits,
    streams,
)

from .reference import reference_decode

# What the planted-bug searches may spend: fixed and deterministic, so the
# tests pass or fail the same way on every run.
BUDGET = settings(
    max_examples=500, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


def decode(reads: List[bytes], decoder_class=SSEDecoder, **options):
    decoder = decoder_class(**options)
    events_seen = []
    for data in reads:
        events_seen += decoder.feed(data)
    events_seen += decoder.close()
    return events_seen, decoder.last_event_id, decoder.retry


def expected(stream: EventStream):
    return stream.events, stream.last_event_id, stream.retry


def streams_with_splits():
    return streams().flatmap(lambda stream: st.tuples(st.just(stream), splits(stream.body)))


def test_importing_the_package_does_not_import_hypothesis():
    code = (
        "import sse_core, sse_core.adapters, sse_core.adapters.client, sse_core.testing, sys\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'\n"
        "sse_core.testing.streams\n"
        "assert 'hypothesis' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_package_exports_each_name_from_its_submodule():
    from sse_core.testing import resume, strategies

    for name in strategies.__all__:
        assert getattr(sse_core.testing, name) is getattr(strategies, name)
    for name in resume.__all__:
        assert getattr(sse_core.testing, name) is getattr(resume, name)
    assert set(strategies.__all__) | set(resume.__all__) | {"assert_conforms"} == set(sse_core.testing.__all__)
    with pytest.raises(AttributeError):
        sse_core.testing.no_such_name


# One property for the three checks: building a stream is what takes the time.
@given(streams_with_splits())
def test_the_decoder_and_the_spec_transcription_give_the_built_events(stream_and_reads):
    stream, reads = stream_and_reads
    stream.body.decode("utf-8")  # a valid stream is valid UTF-8
    assert b"".join(reads) == stream.body
    assert decode([stream.body]) == expected(stream)
    assert decode(reads) == expected(stream)
    assert reference_decode(stream.body) == expected(stream)


@given(line_endings())
def test_line_endings_are_the_three_of_the_grammar(ending):
    assert ending in (b"\n", b"\r", b"\r\n")


@given(events(nul_ids=False))
def test_events_survive_encode_and_decode_with_line_breaks_normalised(event):
    body = encode(event.data, event=event.event, id=event.id, retry=event.retry)
    data = event.data.replace("\r\n", "\n").replace("\r", "\n")
    assert decode([body])[0] == [Event(data, event.event, event.id, event.retry)]


@given(events())
def test_events_with_a_nul_in_the_id_are_refused_by_the_encoder(event):
    if "\0" not in event.id:
        encode(event.data, event=event.event, id=event.id, retry=event.retry)
    else:
        with pytest.raises(LocalProtocolError):
            encode(event.data, event=event.event, id=event.id, retry=event.retry)


@given(st.binary(max_size=30).flatmap(lambda data: st.tuples(st.just(data), splits(data))))
def test_splits_join_to_the_data(data_and_reads):
    data, reads = data_and_reads
    assert b"".join(reads) == data


def test_splits_cut_inside_crlf_multibyte_characters_and_the_bom_and_make_empty_reads():
    data = b"\xef\xbb\xbfdata: \xe2\x82\xac\r\n\r\n"
    cuts = set()
    empty_reads = False

    @settings(max_examples=200, derandomize=True, database=None)
    @given(splits(data))
    def collect(reads):
        nonlocal empty_reads
        offset = 0
        for read in reads[:-1]:
            offset += len(read)
            cuts.add(offset)
        empty_reads = empty_reads or b"" in reads

    collect()
    crlf = data.index(b"\r\n") + 1
    assert {1, 2, 10, 11, crlf} <= cuts  # BOM, euro sign, CRLF
    assert empty_reads


@given(malformed_streams().flatmap(lambda data: st.tuples(st.just(data), splits(data))))
def test_malformed_streams_decode_without_error_like_the_spec_transcription(data_and_reads):
    data, reads = data_and_reads
    assert decode(reads) == decode([data]) == reference_decode(data)


@given(
    malformed_streams(max_line=200).flatmap(lambda data: st.tuples(st.just(data), splits(data))),
    st.sampled_from([None, 8, 64]),
    st.sampled_from([None, 8, 64]),
)
def test_malformed_streams_raise_only_limit_exceeded_under_small_limits(data_and_reads, max_line_size, max_event_size):
    _, reads = data_and_reads
    try:
        decode(reads, max_line_size=max_line_size, max_event_size=max_event_size)
    except LimitExceeded as exc:
        assert exc.limit in ("max_line_size", "max_event_size")


@given(chunked_bodies().flatmap(lambda body: st.tuples(st.just(body), splits(body.body))))
def test_chunked_bodies_decode_to_their_payload_at_any_split(body_and_reads):
    body, reads = body_and_reads
    decoder = ChunkedDecoder()
    payload = b"".join(decoder.feed(data) for data in reads)
    decoder.close()
    assert decoder.done
    assert payload == body.payload
    assert decoder.trailers == body.trailers
    assert decoder.unused == b""


@given(broken_chunked_bodies().flatmap(lambda body: st.tuples(st.just(body), splits(body))))
def test_broken_chunked_bodies_are_rejected_at_any_split(body_and_reads):
    _, reads = body_and_reads
    decoder = ChunkedDecoder()
    with pytest.raises(RemoteProtocolError):
        for data in reads:
            decoder.feed(data)
        decoder.close()


# ---------------------------------------------------------------- planted bugs


class ForgetsTheCRBetweenReads(SSEDecoder):
    """Planted bug: a CR ending one read is a line end, and an LF starting
    the next read ends a second, empty line, instead of completing the CRLF."""

    def __init__(self, **options):
        super().__init__(**options)
        self._after_cr = False

    def feed(self, data):
        if self._after_cr and data.startswith(b"\n"):
            data = b"\r" + data  # the decoder's own CR+LF joining, defeated
        if data:
            self._after_cr = data.endswith(b"\r")
        return super().feed(data)


class SplitsLinesAfterDecoding(SSEDecoder):
    """Planted bug: the stream is decoded first and cut with str.splitlines,
    which also breaks lines at U+2028, U+0085, VT, FF and more."""

    def __init__(self, **options):
        super().__init__(**options)
        self._received = b""

    def feed(self, data):
        self._received += data
        return []

    def close(self):
        text = self._received.decode("utf-8", "replace")
        lines = text.splitlines()
        ended = text.endswith(("\r", "\n"))
        events_seen = super().feed(("\n".join(lines) + ("\n" if ended else "")).encode())
        return events_seen + super().close()


def caught(decoder_class):
    """The smallest stream and split on which ``decoder_class`` gets the events wrong."""
    return find(
        streams_with_splits(),
        lambda stream_and_reads: decode(stream_and_reads[1], decoder_class) != expected(stream_and_reads[0]),
        settings=BUDGET,
    )


def test_a_crlf_split_between_reads_taken_for_two_line_ends_is_caught_and_shrinks_small():
    stream, reads = caught(ForgetsTheCRBetweenReads)
    assert any(first.endswith(b"\r") and second.startswith(b"\n") for first, second in zip(reads, reads[1:]))
    assert len(stream.body) < 20


def test_splitting_lines_after_decoding_is_caught_and_shrinks_small():
    stream, _ = caught(SplitsLinesAfterDecoding)
    text = stream.body.decode("utf-8")
    assert any(break_ in text for break_ in "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e")
    assert len(stream.body) < 20
