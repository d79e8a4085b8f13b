"""RFC 9110 grammar shared by the chunked decoder and the HTTP/1.1 head parsers."""

import re

from .errors import LocalProtocolError

__all__ = ["TCHAR", "QUOTED_STRING", "TOKEN", "FIELD_LINE", "encode_field_line"]

# RFC 9110 section 5.6: tchar, quoted-string (qdtext / quoted-pair), and the
# field-value bytes (any but the controls, HTAB excepted).
TCHAR = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
QUOTED_STRING = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_VALUE_CHARS = rb"[\t \x21-\x7e\x80-\xff]*"

TOKEN = re.compile(TCHAR + b"+")
# The value's OWS is matched with it and stripped afterwards: a lazy pattern
# leaving it out would backtrack quadratically over long runs of blanks.
FIELD_LINE = re.compile(b"(" + TCHAR + b"+):(" + _VALUE_CHARS + b")")
_FIELD_VALUE = re.compile(_VALUE_CHARS)


def encode_field_line(name: bytes, value: bytes) -> bytes:
    """Return ``name: value`` and its CRLF, refusing what a peer would misread.

    Raise LocalProtocolError for a name that is not a token, or a value with
    CR, LF, NUL or another control character, or blanks at either end (the
    peer would strip them).
    """
    if TOKEN.fullmatch(name) is None:
        raise LocalProtocolError(f"invalid field name {name!r}")
    if _FIELD_VALUE.fullmatch(value) is None or value != value.strip(b" \t"):
        raise LocalProtocolError(f"invalid field value {value!r} for {name!r}")
    return b"%s: %s\r\n" % (name, value)
