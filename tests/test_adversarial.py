"""Adversarial input sizes with a known answer: long lines, many lines, long numbers, huge heads.

Each test feeds a hostile size in realistic reads (1460 bytes: one TCP
segment on Ethernet) and checks the answer, and that the bound is enforced
no later than the read that crosses it. Work is measured by counting, never
by the clock: the bytes a decoder or head reader says it holds (their public
``pending_size``, ``data_size`` and ``buffered``), the calls int() gets, the
peak that tracemalloc sees.
"""

import json
import os
import subprocess
import sys
import tracemalloc
from typing import Callable, Iterable, List, Optional, Tuple

import pytest

import sse_core
from sse_core import _http11, chunked, decoder as decoder_module
from sse_core.errors import LimitExceeded, RemoteProtocolError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024
SEGMENT = 1460


def segments(data: bytes, size: int = SEGMENT) -> List[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def crossing_read(bound: int, size: int = SEGMENT) -> int:
    """Index of the first read of ``size`` bytes after which more than ``bound`` bytes are in."""
    return bound // size


def feed_until_error(
    feed: Callable[[bytes], object], reads: Iterable[bytes], after_each: Callable[[], None]
) -> Tuple[int, Exception]:
    """Feed ``reads`` in turn; return the index of the read that raised, and the error."""
    for index, read in enumerate(reads):
        try:
            feed(read)
        except sse_core.SSEError as exc:
            return index, exc
        after_each()
    raise AssertionError("no read raised")


@pytest.fixture
def int_calls(monkeypatch) -> Callable[[object], List[tuple]]:
    """Spy on int() in a module's namespace: a module global shadows the builtin."""
    calls: List[tuple] = []

    def spy(*args):
        calls.append(args)
        return int(*args)

    def install(module) -> List[tuple]:
        monkeypatch.setattr(module, "int", spy, raising=False)
        return calls

    return install


@pytest.fixture
def int_max_str_digits():
    """Pin CPython's int/str conversion limit (3.11+, and 3.8-3.10 security releases) at its default."""
    if not hasattr(sys, "set_int_max_str_digits"):
        yield
        return
    saved = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(4300)
    yield
    sys.set_int_max_str_digits(saved)


# --- one 8 MiB data line ---------------------------------------------------

LINE_SIZE = 8 * MIB  # the line "data: xxx...", without its line end
LONG_LINE = b"data: " + b"x" * (LINE_SIZE - 6)


def test_8_mib_line_in_1460_byte_reads_is_decoded_and_held_until_its_end():
    decoder = sse_core.SSEDecoder()  # default max_line_size: 16 MiB
    reads = segments(LONG_LINE + b"\n\n")
    assert b"\n" not in b"".join(reads[:-1])  # the line end comes in the last read
    for count, read in enumerate(reads[:-1], start=1):
        assert decoder.feed(read) == []
        assert decoder.pending_size == count * SEGMENT
    events = decoder.feed(reads[-1])
    assert events == [sse_core.Event("x" * (LINE_SIZE - 6), "message", "", None)]
    assert decoder.pending_size == 0


def test_8_mib_line_at_exactly_max_line_size_is_accepted():
    decoder = sse_core.SSEDecoder(max_line_size=LINE_SIZE)
    events = []
    for read in segments(LONG_LINE + b"\r\n\r\n"):
        events += decoder.feed(read)
    assert [len(event.data) for event in events] == [LINE_SIZE - 6]


@pytest.mark.parametrize("bound", [MIB, LINE_SIZE - 1])
def test_8_mib_line_over_max_line_size_fails_at_the_read_that_crosses_it(bound):
    decoder = sse_core.SSEDecoder(max_line_size=bound)

    def within_bound() -> None:
        assert decoder.pending_size <= bound

    index, error = feed_until_error(decoder.feed, segments(LONG_LINE + b"\n\n"), within_bound)
    assert index == crossing_read(bound)
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.maximum) == ("max_line_size", bound) and error.size > bound
    assert decoder.pending_size == 0  # the oversized line is dropped, not kept
    with pytest.raises(LimitExceeded):
        decoder.feed(b"\n\n")
    with pytest.raises(LimitExceeded):
        decoder.close()


# --- 100,000 empty data lines ------------------------------------------------

EMPTY_DATA_LINES = [b"data:\n", b"data\n", b"data: \r\n", b"data:\r"]


def blank_line(line: bytes) -> bytes:
    """A blank line ended as ``line`` is (after a CR, an LF would only complete a CRLF)."""
    return b"\r\n" if line.endswith(b"\r\n") else line[-1:]


@pytest.mark.parametrize("line", EMPTY_DATA_LINES)
def test_100000_empty_data_lines_count_against_max_event_size(line):
    # Each empty data line adds a line feed to the event's data: 100,000 of
    # them make 100,000 bytes of data buffer, whatever their values' size.
    bound = 50_000
    decoder = sse_core.SSEDecoder(max_event_size=bound)

    def within_bound() -> None:
        assert decoder.data_size <= bound

    stream = line * 100_000 + blank_line(line)
    index, error = feed_until_error(decoder.feed, segments(stream), within_bound)
    # The data line that makes bound + 1 bytes ends in this read (a CR-only
    # line end counts once the next byte shows it is not a CRLF).
    crossing_end = (bound + 1) * len(line) + (1 if line.endswith(b"\r") else 0)
    assert index == (crossing_end - 1) // SEGMENT
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.maximum, error.size) == ("max_event_size", bound, bound + 1)


@pytest.mark.parametrize("line", EMPTY_DATA_LINES)
def test_100000_empty_data_lines_within_max_event_size_make_one_event(line):
    decoder = sse_core.SSEDecoder(max_event_size=100_000)
    events = []
    for read in segments(line * 100_000 + blank_line(line)):
        events += decoder.feed(read)
    assert events == [sse_core.Event("\n" * 99_999, "message", "", None)]


def test_100000_empty_data_lines_fed_whole_are_rejected():
    decoder = sse_core.SSEDecoder(max_event_size=99_999)
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"data:\n" * 100_000 + b"\n")
    assert info.value.limit == "max_event_size"


# --- what a decoder holds, per-object overhead included ----------------------


def peak_memory_until_error(feed: Callable[[bytes], object], reads: Iterable[bytes]) -> Tuple[int, Exception]:
    """The peak of memory allocated while ``reads`` are fed until one raises, and the error."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        _, error = feed_until_error(feed, reads, lambda: None)
        return tracemalloc.get_traced_memory()[1] - start, error
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("line", [b"data:xy\n", b"data:\n"])
def test_short_data_lines_up_to_max_event_size_hold_under_twice_the_limit(line):
    # Each value was a bytes object in a list: 14x (b"xy") and 8x (b"") the
    # limit once their objects counted, before the limit fired.
    bound = MIB // 4
    stream = line * (bound // (len(line) - 5) + 1)
    decoder = sse_core.SSEDecoder(max_event_size=bound)
    peak, error = peak_memory_until_error(decoder.feed, segments(stream))
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.size) == ("max_event_size", bound + 1 + (len(line) > 6))
    assert peak < 2 * bound


@pytest.mark.parametrize("read_size", [1, 2, 16])
def test_line_in_tiny_reads_up_to_max_line_size_holds_under_twice_the_limit(read_size):
    # Each read was held as an object in a list: 3.6x (16 bytes) to 21x
    # (2 bytes) the limit.
    bound = MIB // 4
    reads = (bytes(read_size) for _ in range(bound // read_size + 1))  # made while fed, as a socket's are
    decoder = sse_core.SSEDecoder(max_line_size=bound)
    peak, error = peak_memory_until_error(decoder.feed, reads)
    assert (error.limit, error.size) == ("max_line_size", bound + read_size)
    assert peak < 2 * bound


def test_long_data_line_in_1460_byte_reads_peaks_at_twice_its_size():
    # Its pieces and the joined line, then the line and its text: never all three.
    line = b"data: " + b"x" * (MIB - 6) + b"\n\n"
    reads = (line[i : i + SEGMENT] for i in range(0, len(line), SEGMENT))  # made while fed
    decoder = sse_core.SSEDecoder()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        events = [event for read in reads for event in decoder.feed(read)]
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert len(events) == 1 and len(events[0].data) == MIB - 6
    assert peak < 2.5 * MIB


def test_max_event_size_fires_at_the_data_line_that_passes_it_however_its_values_are_held():
    # 91 values of 10 bytes plus a line feed pass 1,000 bytes; their overhead
    # passes it far sooner and has them joined on the way, which changes nothing.
    decoder = sse_core.SSEDecoder(max_event_size=1000)
    assert decoder.feed(b"data: 0123456789\n" * 90 + b"\n") == [sse_core.Event("\n".join(["0123456789"] * 90))]
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"data: 0123456789\n" * 91)
    assert (info.value.maximum, info.value.size) == (1000, 1001)


# --- a chunk size of a thousand hex digits -----------------------------------


def test_thousand_hex_digit_chunk_size_is_rejected_at_its_line_end_without_int(int_calls):
    calls = int_calls(chunked)
    assert sse_core.ChunkedDecoder().feed(b"5\r\nhello") == b"hello"
    assert calls  # the spy works
    calls.clear()
    line = b"f" * 1000 + b"\r\n"
    for reads in ([line], segments(line, 1), segments(line, 7)):
        dechunker = sse_core.ChunkedDecoder()
        index, error = feed_until_error(dechunker.feed, reads, lambda: None)
        assert index == len(reads) - 1  # the read holding the LF
        assert type(error) is RemoteProtocolError  # a bad size, not a bound
    assert calls == []


def test_thousand_leading_zeros_in_a_chunk_size_are_not_digits(int_calls):
    calls = int_calls(chunked)
    dechunker = sse_core.ChunkedDecoder()
    body = b"".join(dechunker.feed(read) for read in segments(b"0" * 1000 + b"5\r\nhello\r\n0\r\n\r\n", 7))
    assert body == b"hello" and dechunker.done
    assert calls == [(b"5", 16)]


def test_chunk_size_line_past_max_line_size_fails_at_the_read_that_crosses_it(int_calls):
    calls = int_calls(chunked)
    dechunker = sse_core.ChunkedDecoder()  # max_line_size: 4096, the CRLF included
    index, error = feed_until_error(dechunker.feed, segments(b"f" * 10_000 + b"\r\n"), lambda: None)
    assert index == crossing_read(chunked.DEFAULT_MAX_LINE_SIZE)
    assert isinstance(error, LimitExceeded) and error.limit == "max_line_size"
    assert calls == []


# --- a retry of ten thousand digits ------------------------------------------


def test_ten_thousand_digit_retry_is_ignored_without_int(int_calls, int_max_str_digits):
    calls = int_calls(decoder_module)
    decoder = sse_core.SSEDecoder()
    assert decoder.feed(b"retry: 7\n\n") == [] and calls  # the spy works
    calls.clear()
    events = []
    for read in segments(b"retry: " + b"9" * 10_000 + b"\ndata: x\n\n"):
        events += decoder.feed(read)
    assert events == [sse_core.Event("x", "message", "", None)]
    assert decoder.retry == 7
    assert calls == []


def test_retry_with_ten_thousand_leading_zeros_is_read_without_converting_them(int_calls, int_max_str_digits):
    # Regression: the length check strips the zeros but int() got them all:
    # past 4300 digits CPython raises ValueError out of feed(), and the rest
    # of the read's lines were lost.
    calls = int_calls(decoder_module)
    decoder = sse_core.SSEDecoder()
    events = decoder.feed(b"retry: " + b"0" * 10_000 + b"5\ndata: x\n\n")
    assert events == [sse_core.Event("x", "message", "", 5)]
    assert decoder.retry == 5
    assert all(len(args[0]) <= decoder_module.MAX_RETRY_DIGITS for args in calls)


# --- a 1 MiB head ------------------------------------------------------------

HUGE_HEADS = {
    "one long line": b"X: " + b"a" * MIB + b"\r\n\r\n",
    "many short lines": b"X-A: b\r\n" * (MIB // 8) + b"\r\n",
}
READERS = {
    "request": (_http11.RequestHeadReader, b"GET / HTTP/1.1\r\nHost: x\r\n"),
    "response": (_http11.ResponseHeadReader, b"HTTP/1.1 200 OK\r\n"),
}


@pytest.mark.parametrize("fields", list(HUGE_HEADS.values()), ids=list(HUGE_HEADS))
@pytest.mark.parametrize("reader_class, start", list(READERS.values()), ids=list(READERS))
def test_1_mib_head_fails_at_the_read_that_crosses_max_head_size(reader_class, start, fields):
    bound = _http11.DEFAULT_MAX_HEAD_SIZE
    reader = reader_class()

    def within_bound() -> None:
        assert reader.buffered <= bound

    index, error = feed_until_error(reader.feed, segments(start + fields), within_bound)
    assert index == crossing_read(bound)
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.maximum) == ("max_head_size", bound) and error.size > bound
    assert reader.buffered == 0
    with pytest.raises(LimitExceeded):
        reader.feed(b"\r\n\r\n")


@pytest.mark.parametrize("reader_class, start", list(READERS.values()), ids=list(READERS))
def test_1_mib_head_fed_whole_is_rejected(reader_class, start):
    with pytest.raises(LimitExceeded) as info:
        reader_class().feed(start + HUGE_HEADS["one long line"])
    assert info.value.limit == "max_head_size"


def test_head_just_within_max_head_size_then_1_mib_of_body_is_accepted():
    head = b"HTTP/1.1 200 OK\r\nX: "
    head += b"a" * (_http11.DEFAULT_MAX_HEAD_SIZE - len(head) - 4) + b"\r\n\r\n"
    reader = _http11.ResponseHeadReader()
    results = [reader.feed(read) for read in segments(head + b"b" * MIB)]
    assert results[-1] is not None and results[-1].status == 200
    assert reader.unused == b"b" * MIB


# --- Content-Length of many digits -------------------------------------------


def content_length_heads(value: bytes) -> List[Tuple[str, Callable[[], Optional[int]]]]:
    request = _http11.RequestHeadReader().feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + b"\r\n\r\n")
    response = _http11.ResponseHeadReader().feed(b"HTTP/1.1 200 OK\r\nContent-Length: " + value + b"\r\n\r\n")
    assert request is not None and response is not None
    return [
        ("request", lambda: _http11.content_length(request.headers)),
        ("response", lambda: _http11.content_length(response.headers)),
    ]


def test_ten_thousand_digit_content_length_is_rejected_without_int(int_calls, int_max_str_digits):
    heads = content_length_heads(b"9" * 10_000)
    calls = int_calls(_http11)  # after parsing the heads, which convert the status code
    for _, framing in heads:
        with pytest.raises(RemoteProtocolError):
            framing()
    assert calls == []


def test_content_length_with_ten_thousand_leading_zeros_is_read_without_converting_them(int_calls, int_max_str_digits):
    # Regression: as for retry, the length check strips the zeros but int()
    # got them all, and past 4300 digits ValueError escaped the framing.
    heads = content_length_heads(b"0" * 10_000 + b"5")
    calls = int_calls(_http11)
    for _, framing in heads:
        assert framing() == 5
    assert all(len(args[0]) <= _http11._MAX_LENGTH_DIGITS for args in calls)


def test_parse_command_reads_a_retry_with_ten_thousand_leading_zeros():
    # The same regression end to end: `python -m sse_core parse` printed a
    # ValueError traceback instead of the event.
    stream = b"retry: " + b"0" * 10_000 + b"5\ndata: x\n\n"
    proc = subprocess.run(
        [sys.executable, "-m", "sse_core", "parse"], input=stream, capture_output=True, timeout=60, cwd=ROOT
    )
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert json.loads(proc.stdout) == {"event": "message", "data": "x", "id": "", "retry": 5}
