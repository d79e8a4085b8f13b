"""What a server says when it refuses: the readable part of an error body or an error event.

OpenAI-style APIs explain a refusal as ``{"error": {"message": ..., "type":
..., "code": ..., "param": ...}}``, in a 4xx/5xx body or in an ``error``
event. :class:`~sse_core.adapters.client.ResponseError`, the ``llm``
module's :class:`~sse_core.adapters.llm.ServerErrorEvent` and ``get`` all
show it the same way, from here.
"""

import json
from typing import Any

__all__ = ["explain_error", "explain_body", "trim_explanation", "MAX_EXPLANATION"]

# A server's explanation is shown whole up to this many characters: an
# OpenAI-style error fits many times over, an HTML error page does not.
MAX_EXPLANATION = 2000


def explain_error(payload: Any) -> str:
    """An error payload as text: ``error.message`` with its type, code and param, else the text or pretty JSON."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        details = [f"{key}: {error[key]}" for key in ("type", "code", "param") if error.get(key) is not None]
        return trim_explanation(error["message"] + (f" ({', '.join(details)})" if details else ""))
    if isinstance(error, str):
        return trim_explanation(error)
    if isinstance(payload, str):
        return trim_explanation(payload)
    return trim_explanation(json.dumps(payload, indent=2, ensure_ascii=False))


def explain_body(body: bytes) -> str:
    """The start of an error response's body as text: its JSON explained, else its text ("" if blank)."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return ""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # not JSON (an HTML page, plain text); JSON nested too deep
        return trim_explanation(text)
    return explain_error(payload)


def trim_explanation(text: str) -> str:
    """``text`` cut to ``MAX_EXPLANATION`` characters, saying how many more there were."""
    if len(text) <= MAX_EXPLANATION:
        return text
    return text[:MAX_EXPLANATION] + f"... ({len(text) - MAX_EXPLANATION} more characters)"
