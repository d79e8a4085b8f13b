"""Chat completions: validate a request, plan the reply, and send it as chunks or as one object.

The shapes are those of the OpenAI API. Streaming: a first chunk with
``delta.role``, one chunk per content token, a chunk with an empty delta
and ``finish_reason`` (``"stop"``, or ``"length"`` when ``max_tokens`` /
``max_completion_tokens`` cut the reply), a usage chunk with empty
``choices`` when ``stream_options.include_usage`` is true, then
``[DONE]``. Not streaming: one ``chat.completion`` object with the message
and usage.
"""

import json
import secrets
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional

from ..adapters.httpserver import Item
from .errors import RequestError, error_body
from .model import MODEL_ID, count_tokens, prompt_text, reply_text, tokenize
from .options import OVERRIDES, Fault, MockOptions

__all__ = [
    "ChatRequest",
    "Completion",
    "AbruptClose",
    "parse_chat_request",
    "chat_request_from_query",
    "complete",
    "completion_object",
    "chunk_source",
    "ROLES",
]

ROLES = ("system", "developer", "user", "assistant", "tool", "function")

# Waits returns True when the stream should stop (the client left, or the server is stopping).
Wait = Callable[[float], bool]


class AbruptClose(Exception):
    """Raised by a chunk source to cut the connection mid-stream (the ``close`` fault)."""


class ChatRequest(NamedTuple):
    """The parts of a chat completion request the mock server uses."""

    model: str
    messages: List[Dict[str, Any]]
    stream: bool
    include_usage: bool
    max_tokens: Optional[int]
    overrides: Dict[str, Any]  # the request's "mock" object


class Completion(NamedTuple):
    """One planned reply: its tokens (already cut to ``max_tokens``) and how it finishes."""

    id: str
    created: int
    model: str
    tokens: List[str]
    finish_reason: str
    usage: Dict[str, int]


def parse_chat_request(body: bytes) -> ChatRequest:
    """A POST body as a :class:`ChatRequest`; RequestError (400) names what is wrong."""
    try:
        obj = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON; JSON nested too deep
        raise RequestError(f"We could not parse the JSON body of your request: {exc}.", code="invalid_json") from None
    if not isinstance(obj, dict):
        raise RequestError(f"The request body must be a JSON object, not {_kind(obj)}.", code="invalid_type")
    model = _required(obj, "model")
    if not isinstance(model, str) or not model:
        raise _invalid_type("model", "a non-empty string", model)
    messages = _messages(_required(obj, "messages"))
    stream = obj.get("stream")
    if stream is None:
        stream = False
    elif not isinstance(stream, bool):
        raise _invalid_type("stream", "a boolean", stream)
    include_usage = _include_usage(obj.get("stream_options"), stream)
    max_tokens = None
    for name in ("max_tokens", "max_completion_tokens"):
        value = obj.get(name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _invalid_type(name, "an integer", value)
            if value < 1:
                raise RequestError(
                    f"Invalid '{name}': {value} is less than the minimum of 1.", param=name, code="invalid_value"
                )
            max_tokens = value if max_tokens is None else min(max_tokens, value)
    overrides = obj.get("mock") or {}
    if not isinstance(overrides, dict):
        raise _invalid_type("mock", f"an object with {', '.join(OVERRIDES)}", overrides)
    return ChatRequest(model, messages, stream, include_usage, max_tokens, overrides)


def chat_request_from_query(query: Mapping[str, str]) -> ChatRequest:
    """The streaming request ``GET /v1/chat/completions/stream`` stands for.

    ``prompt`` is the user message; ``model``, ``max_tokens`` and
    ``include_usage`` (``true``/``false``) are as in the JSON body;
    ``latency_ms``, ``tokens_per_second`` and ``fault`` override the
    server's pacing and faults.
    """
    known = ("prompt", "model", "max_tokens", "include_usage") + OVERRIDES
    unknown = sorted(set(query) - set(known))
    if unknown:
        raise RequestError(
            f"Unknown query parameter {unknown[0]!r} (expected {', '.join(known)}).",
            param=unknown[0],
            code="unknown_parameter",
        )
    max_tokens = _query_number(query, "max_tokens", int)
    if max_tokens is not None and max_tokens < 1:
        raise RequestError(
            "Invalid 'max_tokens': less than the minimum of 1.", param="max_tokens", code="invalid_value"
        )
    include_usage = query.get("include_usage", "false")
    if include_usage not in ("true", "false"):
        raise _invalid_type("include_usage", "true or false", include_usage)
    overrides: Dict[str, Any] = {}
    for name in ("latency_ms", "tokens_per_second"):
        value = _query_number(query, name, float)
        if value is not None:
            overrides[name] = value
    if "fault" in query:
        overrides["fault"] = query["fault"]
    messages = [{"role": "user", "content": query.get("prompt", "")}]
    return ChatRequest(query.get("model", MODEL_ID), messages, True, include_usage == "true", max_tokens, overrides)


def complete(request: ChatRequest) -> Completion:
    """Plan the reply to ``request``: the model's tokens, cut to ``max_tokens``."""
    prompt = ""
    for message in request.messages:
        if message["role"] == "user":
            prompt = prompt_text(message.get("content"))
    tokens = tokenize(reply_text(prompt))
    finish_reason = "stop"
    if request.max_tokens is not None and len(tokens) > request.max_tokens:
        tokens, finish_reason = tokens[: request.max_tokens], "length"
    prompt_tokens = sum(count_tokens(prompt_text(message.get("content"))) for message in request.messages)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(tokens),
        "total_tokens": prompt_tokens + len(tokens),
    }
    return Completion(
        "chatcmpl-" + secrets.token_hex(12), int(time.time()), request.model, tokens, finish_reason, usage
    )


def completion_object(completion: Completion) -> Dict[str, Any]:
    """The non-streaming answer: one ``chat.completion`` object."""
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(completion.tokens)},
                "finish_reason": completion.finish_reason,
            }
        ],
        "usage": completion.usage,
    }


def chunk_source(completion: Completion, include_usage: bool, options: MockOptions, wait: Wait) -> Iterator[Item]:
    """Yield the streaming answer's events, paced by ``options``, with its fault if any.

    ``wait(seconds)`` sleeps and returns True when the stream should stop.
    The ``close`` fault raises :class:`AbruptClose`.
    """

    head = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
    }

    def chunk(delta: Dict[str, Any], finish_reason: Optional[str] = None) -> Item:
        obj: Dict[str, Any] = {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
        if include_usage:
            obj["usage"] = None  # as the API does: only the last chunk carries usage
        return _dumps(obj)

    if options.latency_ms and wait(options.latency_ms / 1000):
        return
    yield chunk({"role": "assistant", "content": ""})
    interval = 1 / options.tokens_per_second if options.tokens_per_second else 0.0
    # Token N is due N intervals after the first, so time spent sending does not slow the pace.
    first_sent = time.monotonic()
    for index, token in enumerate(completion.tokens):
        if options.fault is not None and index == options.fault.after:
            yield from _fault(options.fault)
            return
        delay = first_sent + index * interval - time.monotonic()
        if delay > 0 and wait(delay):
            return
        yield chunk({"content": token})
    if options.fault is not None:
        yield from _fault(options.fault)
        return
    yield chunk({}, completion.finish_reason)
    if include_usage:
        yield _dumps({**head, "choices": [], "usage": completion.usage})
    yield "[DONE]"


def _fault(fault: Fault) -> Iterator[Item]:
    if fault.kind == "close":
        raise AbruptClose(f"fault close:{fault.after}")
    message = f"The mock server injected this error (fault error:{fault.after})."
    yield {"event": "error", "data": _dumps(error_body(message, type="server_error", code="mock_fault"))}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _messages(value: Any) -> List[Dict[str, Any]]:
    if not isinstance(value, list):
        raise _invalid_type("messages", "an array of message objects", value)
    if not value:
        raise RequestError(
            "Invalid 'messages': empty array. Expected at least one message.", param="messages", code="empty_array"
        )
    for index, message in enumerate(value):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise _invalid_type(where, "an object", message)
        role = _required(message, "role", where)
        if role not in ROLES:
            supported = ", ".join(f"'{name}'" for name in ROLES)
            raise RequestError(
                f"Invalid value for '{where}.role': {role!r}. Supported values are: {supported}.",
                param=f"{where}.role",
                code="invalid_value",
            )
        content = message.get("content")
        if content is None and role != "assistant":
            raise RequestError(
                f"Missing required parameter: '{where}.content'.",
                param=f"{where}.content",
                code="missing_required_parameter",
            )
        if content is not None and not isinstance(content, (str, list)):
            raise _invalid_type(f"{where}.content", "a string or an array of content parts", content)
    return value


def _include_usage(stream_options: Any, stream: bool) -> bool:
    if stream_options is None:
        return False
    if not stream:
        raise RequestError(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    if not isinstance(stream_options, dict):
        raise _invalid_type("stream_options", "an object", stream_options)
    include_usage = stream_options.get("include_usage", False)
    if not isinstance(include_usage, bool):
        raise _invalid_type("stream_options.include_usage", "a boolean", include_usage)
    return include_usage


def _required(obj: Dict[str, Any], name: str, where: str = "") -> Any:
    param = f"{where}.{name}" if where else name
    if obj.get(name) is None:
        raise RequestError(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")
    return obj[name]


def _query_number(query: Mapping[str, str], name: str, kind: Callable[[str], Any]) -> Any:
    if name not in query:
        return None
    try:
        return kind(query[name])
    except ValueError:
        raise _invalid_type(name, "a number", query[name]) from None


def _invalid_type(param: str, expected: str, value: Any) -> RequestError:
    return RequestError(
        f"Invalid type for '{param}': expected {expected}, but got {_kind(value)} instead.",
        param=param,
        code="invalid_type",
    )


def _kind(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)
