"""Timeouts: the three bounds a client sets, and the clock that applies them."""

import time
from typing import Callable, NamedTuple, Optional, Tuple

__all__ = ["Timeouts", "Deadline"]

# A socket timeout of 0 would make the socket non-blocking (BlockingIOError
# instead of a timeout); a spent deadline becomes this instead, so the socket
# itself raises its usual timeout unless bytes are already waiting.
_SPENT = 1e-6


class Timeouts(NamedTuple):
    """Seconds allowed, each ``None`` for no bound.

    ``connect``: to open the connection (TLS handshake included). ``idle``:
    between two reads that bring bytes, so any byte, a heartbeat comment
    included, resets it; minutes by default, as LLM servers may think for a
    while before the first token. ``total``: for the whole exchange, from
    connecting to the end of the body.
    """

    connect: Optional[float] = 10.0
    idle: Optional[float] = 300.0
    total: Optional[float] = None


class Deadline:
    """Turns :class:`Timeouts` into the timeout of each socket operation.

    ``clock`` returns monotonic seconds: ``time.monotonic``, an event loop's
    ``time``, or a test's fake.
    """

    def __init__(self, timeouts: Timeouts, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeouts = timeouts
        self._clock = clock
        total = timeouts.total
        self._end = None if total is None else clock() + total

    def expired(self) -> bool:
        return self._end is not None and self._clock() >= self._end

    def connect_timeout(self) -> Optional[float]:
        return self._bounded(self.timeouts.connect)[0]

    def read_timeout(self) -> Tuple[Optional[float], bool]:
        """Return (seconds for the next read, whether the total bound sets it)."""
        return self._bounded(self.timeouts.idle)

    def _bounded(self, timeout: Optional[float]) -> Tuple[Optional[float], bool]:
        if self._end is None:
            return timeout, False
        remaining = max(self._end - self._clock(), _SPENT)
        if timeout is None or remaining <= timeout:
            return remaining, True
        return timeout, False
