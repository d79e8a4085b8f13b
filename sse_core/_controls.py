"""Control characters made inert before a peer's text reaches a terminal or a log.

One rule for every printer (the command line's output and messages, the
mock server's request log): each C0 control (U+0000 to U+001F), DEL
(U+007F) and C1 control (U+0080 to U+009F) is written as ``\\xNN``. C1
matters as much as C0: U+009B is a one-character CSI on many terminals,
and U+009D starts an OSC. Text meant for people may keep its line feeds and
tabs; everything else is escaped, CR included (it rewrites the line).
Backslashes are left alone: the text is for reading, not for decoding back.

JSON keeps its meaning instead: :func:`escape_controls_in_json` writes DEL
and the C1 controls that ``json.dumps(..., ensure_ascii=False)`` leaves raw
as ``\\u007f`` ... ``\\u009f``, so the value read back is the same.
"""

import re

__all__ = ["escape_controls", "escape_controls_in_json"]

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# json.dumps escapes C0 in strings itself; outside strings JSON text has no
# control character but whitespace, which it never emits raw either.
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")


def escape_controls(text: str, *, keep_line_breaks: bool = False) -> str:
    """``text`` with every C0, DEL and C1 control as ``\\xNN``; LF and TAB kept if ``keep_line_breaks``."""
    pattern = _CONTROLS_BUT_LINE_BREAKS if keep_line_breaks else _CONTROLS
    return pattern.sub(_hex_escape, text)


def escape_controls_in_json(text: str) -> str:
    """``json.dumps(..., ensure_ascii=False)`` output with DEL and C1 escaped too, as ``\\u00NN``."""
    return _RAW_IN_JSON.sub(_json_escape, text)


def _hex_escape(match: "re.Match[str]") -> str:
    return f"\\x{ord(match.group()):02x}"


def _json_escape(match: "re.Match[str]") -> str:
    return f"\\u{ord(match.group()):04x}"
