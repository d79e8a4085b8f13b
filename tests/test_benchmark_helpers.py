"""The benchmarks' own helpers that decide what counts as right: the lazy
stream behind the memory table and the end-to-end percentile and checker.
(No timing here: benchmarks are not tests.)"""

import pytest

from benchmarks.end_to_end import PADDING, check_events, percentile
from benchmarks.memory import READ_SIZE, Checker, CyclicStream, Mismatch


def test_cyclic_stream_is_the_block_repeated_in_fixed_reads():
    block = b"data: caf\xc3\xa9\n\n" * 700  # 10500 bytes: reads wrap around the block
    events = [("message", "café", "")] * 700
    stream = CyclicStream("s", block, events, 5 * len(block) - 1)
    reads = list(stream.reads())
    assert b"".join(reads) == block * 5
    assert stream.size == 5 * len(block) and stream.count == 5 * 700
    assert all(len(read) == READ_SIZE for read in reads[:-1])
    assert 0 < len(reads[-1]) <= READ_SIZE
    assert stream.largest == len("café".encode("utf-8"))


def test_checker_counts_right_events_and_refuses_a_wrong_one():
    stream = CyclicStream("s", b"data: a\n\ndata: b\n\n", [("message", "a", ""), ("message", "b", "")], 36)
    checker = Checker(stream)
    for event in [("message", "a", ""), ("message", "b", "")] * 2:
        checker(event)
    assert checker.seen == 4 == stream.count
    with pytest.raises(Mismatch):
        checker(("message", "b", ""))


def test_percentile_is_nearest_rank():
    values = list(range(100, 0, -1))  # 1..100, unsorted
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7], 0.99) == 7
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1], 0)


def test_check_events_wants_every_event_in_order_stamped_before_receipt():
    good = [(1000 + seq, f"{seq} {seq} {PADDING}") for seq in range(3)]
    assert check_events(good, 3) is None
    assert "expected 4 events" in check_events(good, 4)
    assert check_events([good[1], good[0], good[2]], 3).startswith("event 0")
    assert "before it was stamped" in check_events([(0, f"0 5 {PADDING}")], 1)
