"""A mock OpenAI-compatible server, for the demo and for testing clients.

``MockServer(options=MockOptions(...))`` serves chat completions (streamed
or not) from a deterministic model with no weights, ``/v1/models``, a
numbered ``/events`` stream, and a page that shows both live. Pacing and
injected faults are set server-wide in :class:`MockOptions` or per
request. ``python -m sse_core serve`` runs it from the command line.
Standard library only; ``import sse_core`` does not import it.
"""

from .model import MODEL_ID, reply_text, tokenize
from .options import Fault, MockOptions, parse_fault
from .server import MockServer, RecordedRequest

__all__ = ["MockServer", "MockOptions", "Fault", "parse_fault", "RecordedRequest", "MODEL_ID", "reply_text", "tokenize"]
