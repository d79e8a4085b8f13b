"""The benchmarks' own helpers that decide what counts as right: a workload
generator, the lazy stream behind the memory table, the end-to-end percentile
and checker, and the judging of the targets. (No timing here: benchmarks are
not tests.)"""

from types import SimpleNamespace

import pytest

from benchmarks.end_to_end import PADDING, check_events, percentile
from benchmarks.memory import READ_SIZE, Checker, CyclicStream, MemoryResult, Mismatch
from benchmarks.targets import memory_rows, speed_rows
from benchmarks.workloads import multiline_stream
from sse_core import SSEDecoder


def test_multiline_events_are_what_their_stream_says():
    stream, expected = multiline_stream(15, 200_000, 64 << 10)
    decoder = SSEDecoder()
    assert [(event.event, event.data, event.id) for event in decoder.feed(stream)] == expected
    assert len(expected) == 3
    for _, data, _ in expected:
        lines = data.split("\n")
        assert len(data.encode("utf-8")) + 1 >= 64 << 10 and len(lines) > 400
        assert len(data.encode("utf-8")) > len(data)  # some multi-byte UTF-8
        assert "" in lines and any(line.startswith(" ") for line in lines)


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


def _speed(times):
    """Workloads and results as run.py makes them, from {(workload, name): seconds or a status}."""
    kinds = {"tokens": "sse", "line": "sse", "chunked": "chunked", "encode": "encode"}
    workloads = []
    results = {}
    for (workload, name), value in times.items():
        if all(w.name != workload for w in workloads):
            size = int(workload.split("/")[1].rstrip("MiB")) << 20 if workload.startswith("line/") else 1
            workloads.append(SimpleNamespace(name=workload, kind=kinds[workload.split("/")[0]], size=size))
        ok = isinstance(value, float)
        results[(workload, name)] = SimpleNamespace(status="ok" if ok else value, seconds=value if ok else None)
    names = list(dict.fromkeys(name for _, name in times))
    return workloads, names, results


def _verdicts(rows, target):
    return [(row[1], row[2], row[3]) for row in rows if row[0] == target]


def test_targets_take_the_fastest_correct_peer_and_never_the_floor():
    rows = speed_rows(*_speed({
        ("tokens/4K", "sse_core"): 1.0,
        ("tokens/4K", "floor"): 0.5,
        ("tokens/4K", "slow"): 3.0,
        ("tokens/4K", "fast"): 1.9,
        ("tokens/4K", "wrong"): "WRONG",
        ("tokens/1-64B", "sse_core"): 1.0,
        ("tokens/1-64B", "floor"): 0.4,
        ("tokens/1-64B", "slow"): 2.0,
    }))
    assert _verdicts(rows, "2x the fastest correct peer") == [
        ("tokens/4K", "fast 1.90x", "NO"),
        ("tokens/1-64B", "slow 2.00x", "yes"),
    ]
    assert _verdicts(rows, "within 2x of the floor") == [
        ("tokens/4K", "floor 0.50x", "yes"),
        ("tokens/1-64B", "floor 0.40x", "NO"),
    ]


def test_time_per_mib_must_stay_within_a_fifth():
    flat = {(f"line/{m}MiB", "sse_core"): m * 1e-3 for m in (1, 2, 4, 8)}
    assert _verdicts(speed_rows(*_speed(flat)), "time per MiB flat within 20%") == [
        ("line/*", "1000, 1000, 1000, 1000 us/MiB: 1.00x", "yes")
    ]
    flat[("line/8MiB", "sse_core")] = 8 * 1.25e-3
    assert _verdicts(speed_rows(*_speed(flat)), "time per MiB flat within 20%")[0][2] == "NO"


def test_chunked_and_encoding_targets_and_what_was_not_measured():
    rows = speed_rows(*_speed({
        ("chunked/16K", "sse_core"): 1.0,
        ("chunked/16K", "stdlib read1"): 1.0,
        ("chunked/16K", "stdlib read"): 0.99,
        ("chunked/16K", "h11"): 5.0,
        ("chunked/1-10B", "sse_core"): 1.0,
        ("chunked/1-10B", "stdlib read1"): 1.5,
        ("chunked/1-10B", "h11"): 4.9,
        ("encode/tokens", "sse_core"): 1.0,
        ("encode/tokens", "sse-starlette"): 2.0,
    }))
    assert _verdicts(rows, "1x http.client") == [
        ("chunked/16K", "stdlib read1 1.00x", "yes"),
        ("chunked/16K", "stdlib read 0.99x", "NO"),
    ]
    assert _verdicts(rows, "1.5x http.client") == [
        ("chunked/1-10B", "stdlib read1 1.50x", "yes"),
        ("chunked/1-10B", "stdlib read not measured", "not judged"),
    ]
    assert [row[3] for row in rows if row[0] == "5x h11"] == ["yes", "NO"]
    assert _verdicts(rows, "2x sse-starlette") == [("encode/tokens", "sse-starlette 2.00x", "yes")]


def test_memory_targets_compare_stream_lengths_and_the_largest_event():
    streams = [SimpleNamespace(name=name, largest=1 << 20) for name in ("short", "long", "big")]

    def rows(short, long, big, status="ok"):
        peaks = {"short": short, "long": long, "big": big}
        results = [MemoryResult("sse_core", name, status, peak, 0.0) for name, peak in peaks.items()]
        results.append(MemoryResult("peer", "long", "ok", 10 * short, 0.0))  # never judged
        return [(row[2], row[3]) for row in memory_rows(streams, results)]

    assert rows(25_000, 25_000, 25_000 + (2 << 20)) == [("1.00x", "yes"), ("2.00 x event", "yes")]
    assert rows(25_000, 30_000, 25_000 + (3 << 20)) == [("1.20x", "NO"), ("3.00 x event", "NO")]
    assert rows(25_000, 25_000, 25_000, status="WRONG") == [("not measured", "not judged")] * 2
