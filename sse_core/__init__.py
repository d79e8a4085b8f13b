"""sse_core: Server-Sent Events, exact to the spec, with no dependencies."""

from ._version import __version__
from .chunked import ChunkedDecoder, encode_chunk, encode_last_chunk
from .decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, MAX_RETRY, SSEDecoder
from .encoder import encode
from .errors import LimitExceeded, LocalProtocolError, ProtocolError, RemoteProtocolError, SSEError
from .events import Comment, Event

__all__ = [
    "__version__",
    "SSEDecoder",
    "DEFAULT_MAX_LINE_SIZE",
    "DEFAULT_MAX_EVENT_SIZE",
    "MAX_RETRY",
    "ChunkedDecoder",
    "encode_chunk",
    "encode_last_chunk",
    "encode",
    "Event",
    "Comment",
    "SSEError",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "LimitExceeded",
]
