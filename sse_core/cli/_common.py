"""What the ``python -m sse_core`` commands share: argument types, headers, request bodies, JSON lines."""

import argparse
import json
import math
from typing import Any, BinaryIO, Optional, Tuple

from .._abnf import encode_field_line
from .._controls import escape_controls_in_json
from ..errors import LocalProtocolError

__all__ = [
    "UsageError",
    "count_or_none",
    "seconds",
    "seconds_or_none",
    "non_negative",
    "header",
    "read_json_body",
    "json_line",
]


class UsageError(Exception):
    """Input or arguments a command cannot use; printed as one line."""


def count_or_none(text: str) -> Optional[int]:
    """A whole number >= 0, or 'none' for no bound."""
    if text.lower() == "none":
        return None
    if not text.isdigit() or not text.isascii():
        raise argparse.ArgumentTypeError(f"expected a number or 'none', not {text!r}")
    return int(text)


def seconds(text: str) -> float:
    """A positive, finite number of seconds."""
    value = _float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")
    return value


def seconds_or_none(text: str) -> Optional[float]:
    """A timeout: seconds >= 0, where 0 or 'none' means no bound."""
    if text.lower() == "none":
        return None
    value = _float(text)
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"expected seconds or 'none', not {text!r}")
    return value or None


def non_negative(text: str) -> float:
    """A finite number >= 0."""
    value = _float(text)
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, not {text!r}")
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan  # refused by every range check above


def header(text: str) -> Tuple[str, str]:
    """``'Name: value'`` as a (name, value) pair the request head can carry."""
    name, colon, value = text.partition(":")
    value = value.strip(" \t")
    if not colon:
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    # Sent as UTF-8 bytes, as curl does; the head encoder takes latin-1 str.
    wire_value = value.encode("utf-8", "surrogateescape").decode("latin-1")
    try:
        encode_field_line(name.encode("latin-1"), wire_value.encode("latin-1"))
    except (LocalProtocolError, UnicodeEncodeError):
        raise argparse.ArgumentTypeError(f"not a valid header: {text!r}") from None
    return name, wire_value


def read_json_body(spec: str, stdin: BinaryIO) -> Tuple[bytes, Any]:
    """The bytes of ``-d`` (inline JSON, ``@file`` or ``@-`` for stdin) and their JSON value."""
    if spec.startswith("@"):
        where = "stdin" if spec == "@-" else spec[1:]
        try:
            if spec == "@-":
                raw = stdin.read()
            else:
                with open(spec[1:], "rb") as file:
                    raw = file.read()
        except OSError as exc:
            raise UsageError(f"-d: cannot read {where}: {exc.strerror or exc}") from None
    else:
        where = "the body"
        raw = spec.encode("utf-8", "surrogateescape")
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"-d: {where} is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:  # bad JSON; JSON nested too deep
        raise UsageError(f"-d: {where} is not valid JSON ({exc})") from None
    return raw, value


def json_line(obj: Any) -> bytes:
    """``obj`` as one line of JSON in UTF-8, every control character escaped (C0, DEL and C1)."""
    # ensure_ascii=False keeps non-ASCII text readable; it leaves DEL and C1
    # raw, which escape_controls_in_json escapes.
    return escape_controls_in_json(json.dumps(obj, ensure_ascii=False)).encode("utf-8") + b"\n"
