"""The decoder's first layer alone: LineSplitter turns bytes into lines for any consumer."""

from typing import List, Optional

import pytest

from sse_core._lines import LineSplitter
from sse_core.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError, SSEError


class Recorder:
    """A consumer that returns the lines it is given, and fails at ``fail_at`` if set."""

    def __init__(self, fail_at: Optional[bytes] = None) -> None:
        self.calls: List[List[bytes]] = []
        self.ended_with: Optional[bytes] = None
        self.error: Optional[SSEError] = None
        self._fail_at = fail_at

    def feed_lines(self, lines: List[bytes]) -> List[bytes]:
        self.calls.append(lines)
        if self._fail_at in lines:
            self.error = RemoteProtocolError("bad line")
            return lines[: lines.index(self._fail_at)]
        return lines

    def end(self, line: bytes) -> List[bytes]:
        self.ended_with = line
        return [line] if line else []


def test_each_read_hands_its_complete_lines_to_the_consumer_in_one_call():
    consumer = Recorder()
    splitter = LineSplitter(consumer)
    assert splitter.feed(b"a\r\nb\nc") == [b"a", b"b"]
    assert splitter.feed(b"d") == []  # no line end: the consumer is not called
    assert splitter.feed(b"\re\n") == [b"cd", b"e"]
    assert consumer.calls == [[b"a", b"b"], [b"cd", b"e"]]


def test_a_bom_split_across_reads_is_stripped_once():
    splitter = LineSplitter(Recorder())
    assert splitter.feed(b"\xef") == [] and splitter.feed(b"\xbb") == []
    assert splitter.pending_size == 2  # held while it may still be a BOM
    assert splitter.feed(b"\xbf\xef\xbb\xbfa\n") == [b"\xef\xbb\xbfa"]
    assert splitter.bom


def test_a_cr_ending_a_read_and_an_lf_starting_the_next_are_one_line_end():
    splitter = LineSplitter(Recorder())
    assert splitter.feed(b"a\r") == [b"a"]
    assert splitter.feed(b"\nb\n") == [b"b"]


def test_a_consumer_fault_returns_the_lines_before_it_then_raises():
    consumer = Recorder(fail_at=b"bad")
    splitter = LineSplitter(consumer)
    assert splitter.feed(b"ok\nbad\nlater\n") == [b"ok"]
    assert splitter.error is consumer.error
    for call in (lambda: splitter.feed(b"more"), splitter.close):
        with pytest.raises(RemoteProtocolError):
            call()


def test_close_hands_the_incomplete_line_to_the_consumer_once():
    consumer = Recorder()
    splitter = LineSplitter(consumer)
    splitter.feed(b"a\npart")
    assert splitter.close() == [b"part"]
    assert consumer.ended_with == b"part" and splitter.pending_size == 0
    assert splitter.close() == []
    with pytest.raises(LocalProtocolError):
        splitter.feed(b"x")


def test_a_line_past_max_line_size_fails_and_is_dropped():
    splitter = LineSplitter(Recorder(), max_line_size=3)
    assert splitter.feed(b"abc\nab") == [b"abc"]
    with pytest.raises(LimitExceeded) as info:
        splitter.feed(b"cd")
    assert (info.value.maximum, info.value.size) == (3, 4)
    assert splitter.pending_size == 0 and splitter.error is info.value
