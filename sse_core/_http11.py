"""HTTP/1.x message heads (RFC 9112), sans-IO: parse and encode.

The readers take bytes from a socket in slices of any size and return the
parsed head once its closing empty line is in; what follows it (the start of
the body) is left in ``unused``. Parsing is strict where looseness enables
request smuggling or header injection, with two robustness allowances that
RFC 9112 section 2.2 permits and h11 also makes: a bare LF ends a line (a
bare CR never does), and a request reader skips empty lines before the
request line.
"""

import re
from typing import Callable, Generic, List, NamedTuple, Optional, Tuple, TypeVar

from ._abnf import FIELD_LINE, TCHAR, TOKEN, encode_field_line
from .errors import LimitExceeded, LocalProtocolError, RemoteProtocolError

__all__ = [
    "DEFAULT_MAX_HEAD_SIZE",
    "RequestHead",
    "ResponseHead",
    "RequestHeadReader",
    "ResponseHeadReader",
    "header_value",
    "transfer_codings",
    "content_length",
    "encode_request_head",
    "encode_response_head",
]

# Servers cap a head well below this: nginx at 4 x 8 KiB buffers, Apache and
# Tomcat at 8 KiB per line, node and IIS at 16 KiB in all. 64 KiB passes any
# head those would, and still bounds what a peer can make us buffer.
DEFAULT_MAX_HEAD_SIZE = 64 * 1024

# A Content-Length of 18 digits always fits a signed 64-bit integer; longer
# values are refused before int() sees them.
_MAX_LENGTH_DIGITS = 18

_VERSION = rb"HTTP/([0-9]\.[0-9])"
# The target takes obs-text as h11 does (some clients send raw UTF-8 paths),
# never a blank or another control byte.
_REQUEST_LINE = re.compile(b"(" + TCHAR + rb"+) ([\x21-\x7e\x80-\xff]+) " + _VERSION)
# "HTTP/1.1 200" without the SP before an empty reason is common enough to accept.
_STATUS_LINE = re.compile(_VERSION + rb" ([0-9]{3})(?: ([\t \x21-\x7e\x80-\xff]*))?")
_SUPPORTED_VERSIONS = ("1.0", "1.1")
_TARGET = re.compile(r"[\x21-\x7e]+")
_REASON = re.compile(r"[\t \x21-\x7e\x80-\xff]*")
_CODING = re.compile(r"(" + TCHAR.decode("ascii") + r"+)[ \t]*(?:;.*)?", re.DOTALL)


class RequestHead(NamedTuple):
    """A parsed request line and header section.

    ``version`` is ``"1.0"`` or ``"1.1"``; ``headers`` are ``(name, value)``
    pairs in order, names lowercased, both decoded as latin-1, values
    without surrounding blanks.
    """

    method: str
    target: str
    version: str
    headers: List[Tuple[str, str]]


class ResponseHead(NamedTuple):
    """A parsed status line and header section; ``headers`` as in :class:`RequestHead`."""

    version: str
    status: int
    reason: str
    headers: List[Tuple[str, str]]


_Head = TypeVar("_Head", RequestHead, ResponseHead)


class _HeadReader(Generic[_Head]):
    # Each subclass names its message and builds its head from the start line
    # and the parsed fields.
    _what = ""  # "request" or "response", for messages
    _skip_leading_empty_lines = False
    _make_head: Callable[[bytes, List[Tuple[str, str]]], _Head]

    def __init__(self, *, max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE) -> None:
        self.max_head_size = max_head_size
        self._buf = bytearray()
        self._scan = 0  # everything before this has been searched for LF
        self._line_start = 0  # where the line being received begins
        self._start = 0  # where the start line begins, past skipped empty lines
        self._head: Optional[_Head] = None
        self._unused = bytearray()
        self._error: Optional[RemoteProtocolError] = None
        self._closed = False

    @property
    def unused(self) -> bytes:
        """The bytes received after the head's final line end: the start of the body."""
        return bytes(self._unused)

    @property
    def buffered(self) -> int:
        """Bytes of the incomplete head held: at most ``max_head_size``, 0 once it is complete."""
        return len(self._buf)

    def feed(self, data: bytes) -> Optional[_Head]:
        """Add ``data``; return the head once complete, ``None`` while more is needed.

        Once the head is complete, every later call returns it again and
        adds ``data`` to ``unused``. Malformed input raises
        RemoteProtocolError (LimitExceeded past ``max_head_size``, with
        ``error_status_hint`` 431), and so does every later call.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            raise LocalProtocolError("feed() called after close()")
        if self._head is not None:
            self._unused += data
            return self._head
        self._buf += data
        try:
            end = self._find_end()
            if end is not None:
                self._head = self._parse(bytes(self._buf[self._start : end]))
        except RemoteProtocolError as exc:
            self._error = exc
            self._buf = bytearray()
            raise
        if end is not None:
            self._unused = self._buf[end:]
            self._buf = bytearray()
        return self._head

    def close(self) -> None:
        """Mark the end of input.

        Raises RemoteProtocolError when part of a head was received. With
        nothing received it returns quietly: whether a silent peer is an
        error is for the caller to say.
        """
        if self._error is not None:
            raise self._error
        self._closed = True
        if self._head is None and self._buf:
            self._buf = bytearray()
            self._error = RemoteProtocolError(f"connection closed before the {self._what} head")
            raise self._error

    def _find_end(self) -> Optional[int]:
        """Return the offset just past the head's empty line, or None."""
        buf = self._buf
        limit = self.max_head_size
        # An LF past the limit could only end an oversized head: never search
        # there, so one huge read costs no more than max_head_size bytes of work.
        stop = len(buf) if limit is None else min(len(buf), limit)
        while True:
            newline = buf.find(b"\n", self._scan, stop)
            if newline < 0:
                self._scan = max(self._scan, stop)
                if limit is not None and len(buf) > limit:
                    raise LimitExceeded("max_head_size", limit, len(buf), error_status_hint=431)
                return None
            line_start = self._line_start
            self._scan = self._line_start = newline + 1
            if newline - line_start > 1 or buf[line_start:newline] not in (b"", b"\r"):
                continue
            if line_start == self._start and self._skip_leading_empty_lines:
                self._start = newline + 1
                continue
            return newline + 1

    def _parse(self, head: bytes) -> _Head:
        lines = head.split(b"\n")[:-2]  # drop the empty line and what follows its LF
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
        if not lines:
            raise RemoteProtocolError(f"empty {self._what} head")
        return self._make_head(lines[0], _parse_fields(lines[1:]))


class RequestHeadReader(_HeadReader[RequestHead]):
    """Incremental parser of a request head; ``feed`` returns a :class:`RequestHead`.

    ``max_head_size`` bounds the whole head, empty lines skipped before the
    request line included; ``None`` disables it.
    """

    _what = "request"
    _skip_leading_empty_lines = True

    @staticmethod
    def _make_head(start_line: bytes, headers: List[Tuple[str, str]]) -> RequestHead:
        match = _REQUEST_LINE.fullmatch(start_line)
        if match is None:
            raise RemoteProtocolError(f"malformed request line {start_line[:100]!r}")
        method, target, version = (part.decode("latin-1") for part in match.groups())
        _check_version(version)
        hosts = [value for name, value in headers if name == "host"]
        # RFC 9112 section 3.2: a server MUST answer 400 to these.
        if len(hosts) > 1:
            raise RemoteProtocolError("more than one Host header field")
        if version == "1.1" and not hosts:
            raise RemoteProtocolError("HTTP/1.1 request without a Host header field")
        return RequestHead(method, target, version, headers)


class ResponseHeadReader(_HeadReader[ResponseHead]):
    """Incremental parser of a response head; ``feed`` returns a :class:`ResponseHead`.

    ``max_head_size`` bounds the whole head; ``None`` disables it.
    """

    _what = "response"

    @staticmethod
    def _make_head(start_line: bytes, headers: List[Tuple[str, str]]) -> ResponseHead:
        match = _STATUS_LINE.fullmatch(start_line)
        if match is None:
            raise RemoteProtocolError(f"malformed status line {start_line[:100]!r}")
        version, status, reason = match.groups()
        _check_version(version.decode("ascii"))
        return ResponseHead(version.decode("ascii"), int(status), (reason or b"").decode("latin-1"), headers)


def _check_version(version: str) -> None:
    if version not in _SUPPORTED_VERSIONS:
        raise RemoteProtocolError(f"unsupported HTTP version HTTP/{version}", error_status_hint=505)


def _parse_fields(lines: List[bytes]) -> List[Tuple[str, str]]:
    headers = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            raise RemoteProtocolError("obsolete line folding in header section")
        match = FIELD_LINE.fullmatch(line)
        if match is None:
            raise RemoteProtocolError(f"malformed header field line {line[:100]!r}")
        name, value = match.groups()
        headers.append((name.decode("ascii").lower(), value.strip(b" \t").decode("latin-1")))
    return headers


def header_value(headers: List[Tuple[str, str]], name: str) -> Optional[str]:
    """Return the value of field ``name`` (any case), repeated fields joined by ", "; None if absent."""
    name = name.lower()
    values = [value for field, value in headers if field == name]
    return ", ".join(values) if values else None


def transfer_codings(headers: List[Tuple[str, str]]) -> Optional[List[str]]:
    """Return the transfer codings named by Transfer-Encoding, lowercased, without parameters; None without the field.

    Raises RemoteProtocolError for a malformed value or for
    Transfer-Encoding alongside Content-Length.
    """
    value = header_value(headers, "transfer-encoding")
    if value is None:
        return None
    # Both framings at once is the classic smuggling vector (section 6.1).
    if header_value(headers, "content-length") is not None:
        raise RemoteProtocolError("both Transfer-Encoding and Content-Length")
    codings = []
    for item in value.split(","):
        item = item.strip(" \t")
        if not item:
            continue  # empty list elements are allowed (RFC 9110 section 5.6.1)
        match = _CODING.fullmatch(item)
        if match is None:
            raise RemoteProtocolError(f"malformed Transfer-Encoding {value[:100]!r}")
        codings.append(match.group(1).lower())
    if not codings:
        raise RemoteProtocolError(f"malformed Transfer-Encoding {value[:100]!r}")
    return codings


def content_length(headers: List[Tuple[str, str]]) -> Optional[int]:
    """Return the Content-Length, or None without the field.

    Raises RemoteProtocolError for a value that is not digits, differing
    repeated values, or more than 18 significant digits (so the length
    always fits a signed 64-bit integer, whatever slices it reaches).
    """
    value = header_value(headers, "content-length")
    if value is None:
        return None
    # Repeated fields or a list of identical values are allowed (section 6.3);
    # anything else is a framing conflict.
    values = {item.strip(" \t") for item in value.split(",")}
    if len(values) != 1:
        raise RemoteProtocolError(f"conflicting Content-Length values {value[:100]!r}")
    digits = values.pop()
    if not (digits.isascii() and digits.isdigit()):
        raise RemoteProtocolError(f"invalid Content-Length {value[:100]!r}")
    significant = digits.lstrip("0")
    if len(significant) > _MAX_LENGTH_DIGITS:
        raise RemoteProtocolError("Content-Length too large")
    return int(significant or "0")  # not int(digits): zeros count toward CPython's digit limit


def encode_request_head(method: str, target: str, headers: List[Tuple[str, str]]) -> bytes:
    """Return ``METHOD target HTTP/1.1``, the header fields and the empty line, as bytes.

    Raises LocalProtocolError for a method that is not a token, a target
    that is empty or holds anything but visible ASCII, or a bad header field
    (see :func:`encode_response_head`).
    """
    if not isinstance(method, str) or TOKEN.fullmatch(method.encode("latin-1", "replace")) is None:
        raise LocalProtocolError(f"invalid method {method!r}")
    if not isinstance(target, str) or _TARGET.fullmatch(target) is None:
        raise LocalProtocolError(f"invalid request target {target!r} (percent-encode it)")
    return _encode_head(f"{method} {target} HTTP/1.1", headers)


def encode_response_head(
    status: int, reason: str, headers: List[Tuple[str, str]], version: str = "1.1"
) -> bytes:
    """Return the status line, the header fields and the empty line, as bytes.

    Raises LocalProtocolError for a status outside 100-999, a reason with a
    control byte, a version other than "1.0"/"1.1", a field name that is
    not a token, or a field value that holds a control byte (CR, LF, NUL),
    a character outside latin-1, or blanks at either end (which the peer
    would strip).
    """
    if type(status) is not int or not 100 <= status <= 999:
        raise LocalProtocolError(f"invalid status code {status!r}")
    if not isinstance(reason, str) or _REASON.fullmatch(reason) is None:
        raise LocalProtocolError(f"invalid reason phrase {reason!r}")
    if version not in _SUPPORTED_VERSIONS:
        raise LocalProtocolError(f"unsupported HTTP version {version!r}")
    return _encode_head(f"HTTP/{version} {status} {reason}", headers)


def _encode_head(start_line: str, headers: List[Tuple[str, str]]) -> bytes:
    parts = [_latin1(start_line, "start line"), b"\r\n"]
    for name, value in headers:
        parts.append(encode_field_line(_latin1(name, "field name"), _latin1(value, "field value")))
    parts.append(b"\r\n")
    return b"".join(parts)


def _latin1(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise LocalProtocolError(f"{what} must be str, not {type(text).__name__}")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise LocalProtocolError(f"{what} {text!r} is not latin-1") from None
