"""Rules for OpenAI-style streams: JSON payloads, a final [DONE], in-band errors.

An :class:`OpenAIWatch` takes the events as they arrive and keeps counts
and the first few examples of each fault, never the events themselves.
"""

import json
from typing import List, Optional, Sequence

from ..events import Event
from ._capture import COMPLETE, CUT, Capture
from ._findings import INFO, WARNING, Finding, finding

__all__ = ["OpenAIWatch", "openai_findings", "DONE"]

DONE = "[DONE]"
_EXAMPLES = 3


class OpenAIWatch:
    """The payloads of an OpenAI-style stream, judged event by event."""

    def __init__(self) -> None:
        self.before_done = 0  # events before [DONE] (all of them without one)
        self.not_json = 0
        self.not_json_examples: List[str] = []
        self.error_examples: List[str] = []  # the first in-band errors
        self.done = False
        self.after_done = 0
        self.after_done_example: Optional[str] = None

    def feed(self, events: Sequence[Event]) -> None:
        for event in events:
            if self.done:
                self.after_done += 1
                if self.after_done_example is None:
                    self.after_done_example = repr(event.data[:60])
            elif event.data == DONE:
                self.done = True
            else:
                self.before_done += 1
                self._judge(self.before_done, event)

    def _judge(self, number: int, event: Event) -> None:
        try:
            payload = json.loads(event.data)
        except (ValueError, RecursionError) as exc:
            self.not_json += 1
            if len(self.not_json_examples) < _EXAMPLES:
                self.not_json_examples.append(f"event {number}: {event.data[:60]!r} ({exc})")
            payload = None
        if event.event == "error" or (isinstance(payload, dict) and "error" in payload):
            if len(self.error_examples) < _EXAMPLES:
                self.error_examples.append(f"event {number}: {event.data[:200]}")


def openai_findings(capture: Capture, watch: OpenAIWatch) -> List[Finding]:
    """Findings on the events of an OpenAI-style (chat completions) stream."""
    if capture.head is None or capture.head.status != 200:
        return []
    found = []
    if watch.not_json:
        found.append(
            finding(
                "openai.json",
                f"{watch.not_json} of {watch.before_done} data payloads are not JSON, "
                f"e.g. {'; '.join(watch.not_json_examples)}",
            )
        )
    for message in watch.error_examples:
        found.append(finding("openai.error-event", f"the server reported an error in the stream: {message}"))
    ended = capture.end in (COMPLETE, CUT)
    if not watch.done:
        if ended:
            found.append(finding("openai.done", f"the stream ended without data: {DONE}"))
        else:
            found.append(
                finding("openai.done", f"no data: {DONE} in the {capture.elapsed:.1f} s checked: not judged", INFO)
            )
        return found
    if watch.after_done:
        found.append(
            finding(
                "openai.after-done",
                f"{watch.after_done} event(s) followed data: {DONE}, e.g. {watch.after_done_example}",
            )
        )
    elif not ended:
        found.append(
            finding(
                "openai.after-done",
                f"the stream stayed open after data: {DONE} until the check stopped; close it after {DONE}",
                WARNING,
            )
        )
    return found
