"""Rules on timing: first byte, first event, gaps, heartbeats and buffering on the way.

How ``timing.buffered`` decides. Each read records when the wait for it
began and when it returned, so a read that waited long proves the kernel
received nothing during that time: a real silence on the wire, not a
reader that was late (a late reader finds bytes already queued and does
not wait). Reads that follow within ``_JOIN`` seconds of waiting belong to
the same arrival: a proxy flushing its buffer may take several writes. An
arrival is a *burst* when it comes after at least ``_BURST_SILENCE``
seconds of silence and completes at least ``_BURST_EVENTS`` events at once.
The stream counts as buffered when bursts bring at least half of its
events (and ``_BURST_EVENTS`` or more): a server that streams writes each
event when it is made, so its events arrive one by one; a buffer on the way
holds them and lets them go together, after a silence, when it fills or
the response ends. A server that makes all its events in one go after a
long pause looks the same, and is reported too: its client does not get a
stream either.

All of it is taken read by read by a :class:`TimingWatch`, which keeps
counters, the open arrival and the gaps between events, these exactly up
to ``_EXACT_GAPS`` of them and then as counts in buckets 1% wide: the
median gap of a long stream is within 1% of the true one, and memory does
not grow with the stream.
"""

import math
from typing import Dict, List, Optional

from ._capture import COMPLETE, CUT, Capture, Read
from ._findings import INFO, WARNING, Finding, finding
from ._observe import StreamObserver

__all__ = ["TimingWatch", "timing_figures", "timing_findings", "DEFAULT_IDLE_LIMIT"]

# Common proxy idle limits: nginx proxy_read_timeout, AWS ALB, Cloudflare's
# 100 s; 60 s is the smallest default among them.
DEFAULT_IDLE_LIMIT = 60.0

_BURST_SILENCE = 1.0  # seconds a read waited with nothing arriving
_BURST_EVENTS = 3  # events completed by one arrival
_JOIN = 0.05  # seconds of waiting that still count as the same arrival

# A heartbeat every quarter of the idle limit survives a late or lost one
# (15 s against the common 60 s).
_HEARTBEATS_PER_LIMIT = 4

_EXACT_GAPS = 4096  # gaps kept as values; beyond, as bucket counts
_BUCKET_RATIO = 1.01  # each bucket spans 1%: a bucket's middle is within 0.5% of its values
_SMALLEST_GAP = 1e-6  # seconds; shorter gaps (events of the same read: 0) share one bucket


class _Quantiles:
    """A multiset of non-negative numbers whose memory stays bounded: exact at first, then bucketed."""

    def __init__(self) -> None:
        self.count = 0
        self.largest: Optional[float] = None
        self._exact: Optional[List[float]] = []
        self._buckets: Dict[int, int] = {}

    def add(self, value: float, times: int = 1) -> None:
        if times <= 0:
            return
        self.count += times
        self.largest = value if self.largest is None else max(self.largest, value)
        if self._exact is not None:
            if len(self._exact) + times <= _EXACT_GAPS:
                self._exact.extend([value] * times)
                return
            for kept in self._exact:
                self._count(kept, 1)
            self._exact = None
        self._count(value, times)

    def median(self) -> Optional[float]:
        """The middle value (the upper one of an even count), within 1% once bucketed."""
        if not self.count:
            return None
        rank = self.count // 2
        if self._exact is not None:
            return sorted(self._exact)[rank]
        value = 0.0
        for key in sorted(self._buckets):
            # A bucket's middle, on the log scale, for every value in it.
            value = 0.0 if key < 0 else _SMALLEST_GAP * _BUCKET_RATIO ** (key + 0.5)
            rank -= self._buckets[key]
            if rank < 0:
                break
        return value

    def _count(self, value: float, times: int) -> None:
        key = -1 if value < _SMALLEST_GAP else int(math.log(value / _SMALLEST_GAP, _BUCKET_RATIO))
        self._buckets[key] = self._buckets.get(key, 0) + times


class TimingWatch:
    """The timing of one stream's body, taken read by read as it arrives."""

    def __init__(self) -> None:
        self.first_event_at: Optional[float] = None
        self.gaps = _Quantiles()  # between consecutive events
        self.first_read_at: Optional[float] = None
        self.last_read_at: Optional[float] = None
        self.longest_between_reads = 0.0
        # Arrivals that were bursts: how many, their events, the shortest
        # silence before one, and the largest one's (events, bytes).
        self.bursts = 0
        self.events_in_bursts = 0
        self.shortest_burst_silence = math.inf
        self.largest_burst = (0, 0)
        self._last_event_at: Optional[float] = None
        self._arrival: Optional[List[float]] = None  # the open arrival: [silence before it, events, bytes]

    def on_read(self, read: Read, events: int) -> None:
        """Take one read of body bytes, which completed ``events`` events."""
        if self.last_read_at is None:
            self.first_read_at = read.at
        else:
            self.longest_between_reads = max(self.longest_between_reads, read.at - self.last_read_at)
        self.last_read_at = read.at
        if events:
            if self._last_event_at is None:
                self.first_event_at = read.at
            else:
                self.gaps.add(read.at - self._last_event_at)
            self.gaps.add(0.0, events - 1)  # the events of one read arrive together
            self._last_event_at = read.at
        waited = read.at - read.waited_from
        if self._arrival is not None and waited < _JOIN:
            self._arrival[1] += events
            self._arrival[2] += len(read.body)
            return
        self._close_arrival()
        self._arrival = [waited, events, len(read.body)]

    def finish(self) -> None:
        """The body is over (or no longer read): close the last arrival."""
        self._close_arrival()

    def _close_arrival(self) -> None:
        arrival, self._arrival = self._arrival, None
        if arrival is None:
            return
        silence, events, size = arrival
        if silence >= _BURST_SILENCE and events >= _BURST_EVENTS:
            self.bursts += 1
            self.events_in_bursts += int(events)
            self.shortest_burst_silence = min(self.shortest_burst_silence, silence)
            if events > self.largest_burst[0]:
                self.largest_burst = (int(events), int(size))


def timing_figures(capture: Capture, seen: StreamObserver, watch: TimingWatch) -> Dict[str, object]:
    """The timing figures of a report: seconds since the request was sent, and counts."""
    return {
        "connect": _round(capture.connect_time),
        "first_byte": _round(capture.first_byte),
        "first_event": _round(watch.first_event_at),
        "events": seen.event_count,
        "comments": seen.comment_count,
        "body_bytes": capture.body_size,
        "reads": capture.read_count,
        "longest_gap": _round(watch.gaps.largest),
        "median_gap": _round(watch.gaps.median()),
        "longest_silence": _round(_longest_silence(capture, watch)),
        "elapsed": _round(capture.elapsed),
        "end": capture.end,
    }


def timing_findings(
    capture: Capture, seen: StreamObserver, watch: TimingWatch, idle_limit: float, analysed: bool = True
) -> List[Finding]:
    """Findings on timing; ``idle_limit`` is the proxy idle limit judged against.

    ``analysed`` is False when the body could not be decoded into events:
    only the findings that need no events are given.
    """
    if capture.head is None or capture.head.status != 200:
        return []
    found = []
    if capture.first_byte is not None:
        found.append(finding("timing.first-byte", f"the response began {_seconds(capture.first_byte)} after the request"))
    if analysed:
        found += _events(capture, seen, watch)
    found += _heartbeat(capture, seen, watch, idle_limit)
    if analysed:
        found += _buffered(seen, watch)
    return found


def _events(capture: Capture, seen: StreamObserver, watch: TimingWatch) -> List[Finding]:
    found = []
    if watch.first_event_at is not None:
        came = _seconds(watch.first_event_at)
        found.append(finding("timing.first-event", f"the first event came {came} after the request"))
    elif capture.end in (COMPLETE, CUT):
        found.append(finding("timing.first-event", "the stream ended without an event", WARNING))
    else:
        found.append(finding("timing.first-event", f"no event in the {_seconds(capture.elapsed)} checked", WARNING))
    median = watch.gaps.median()
    if median is not None and watch.gaps.largest is not None:
        found.append(
            finding(
                "timing.gaps",
                f"{seen.event_count} events; gaps between them: median {_seconds(median)}, "
                f"longest {_seconds(watch.gaps.largest)}",
            )
        )
    return found


def _longest_silence(capture: Capture, watch: TimingWatch) -> float:
    # From the request on: a proxy's idle timer runs while it waits for the head too.
    times = [0.0]
    times += [t for t in (capture.first_byte, capture.head_at, watch.first_read_at) if t is not None]
    longest = max([later - earlier for earlier, later in zip(times, times[1:])] + [watch.longest_between_reads])
    last = watch.last_read_at if watch.last_read_at is not None else times[-1]
    return max(longest, capture.elapsed - last)


def _heartbeat(capture: Capture, seen: StreamObserver, watch: TimingWatch, idle_limit: float) -> List[Finding]:
    silence = _longest_silence(capture, watch)
    comments = f"{seen.comment_count} comment(s) seen"
    if silence >= idle_limit:
        every = idle_limit / _HEARTBEATS_PER_LIMIT
        return [
            finding(
                "timing.heartbeat",
                f"the stream was silent for {_seconds(silence)}, as long as a {_seconds(idle_limit)} proxy idle "
                f"limit: send a comment (': ping') every {_seconds(every)} or so ({comments})",
            )
        ]
    if capture.elapsed >= idle_limit:
        return [
            finding(
                "timing.heartbeat",
                f"longest silence {_seconds(silence)} in {_seconds(capture.elapsed)}, under a "
                f"{_seconds(idle_limit)} proxy idle limit ({comments})",
                INFO,
            )
        ]
    if capture.end in (COMPLETE, CUT):
        return []  # a short stream: nothing to keep alive
    return [
        finding(
            "timing.heartbeat",
            f"the check ran {_seconds(capture.elapsed)}, less than a {_seconds(idle_limit)} proxy idle limit, "
            f"so heartbeats are not judged; longest silence so far {_seconds(silence)} ({comments})",
            INFO,
        )
    ]


def _buffered(seen: StreamObserver, watch: TimingWatch) -> List[Finding]:
    total = seen.event_count
    if total < _BURST_EVENTS or not watch.bursts or watch.events_in_bursts * 2 < total:
        return []
    events, size = watch.largest_burst
    return [
        finding(
            "timing.buffered",
            f"{watch.events_in_bursts} of {total} events arrived in {watch.bursts} burst(s) after silences of "
            f"{_seconds(watch.shortest_burst_silence)} or more (largest: {events} events, "
            f"{size} bytes at once): something on the way held them back (proxy buffering, "
            "compression, an output buffer)",
        )
    ]


def _round(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 3)


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"
