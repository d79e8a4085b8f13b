"""The official ``openai`` package against ``python -m sse_core serve``: a client we did not write."""

import pytest

from sse_core.mock import reply_text, tokenize

from . import external
from .serve_process import serve

PROMPT = "Say something in UTF‑8 ✓"


@pytest.fixture(scope="module")
def client():
    openai = external.module("openai")
    with serve("--latency-ms", "0", "--tokens-per-second", "0") as url:
        with openai.OpenAI(base_url=url + "/v1", api_key="test", max_retries=0, timeout=30) as client:
            yield client


def messages(prompt: str = PROMPT):
    return [{"role": "system", "content": "You are a mock."}, {"role": "user", "content": prompt}]


def test_streaming_chat_completion_gives_the_exact_text(client):
    stream = client.chat.completions.create(model="sse-core-mock", messages=messages(), stream=True)
    chunks = list(stream)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices) == reply_text(PROMPT)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.object == "chat.completion.chunk" and chunk.model == "sse-core-mock" for chunk in chunks)


def test_include_usage_gives_usage_in_a_last_chunk_without_choices(client):
    stream = client.chat.completions.create(
        model="sse-core-mock", messages=messages(), stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == len(tokenize(reply_text(PROMPT)))
    assert chunks[-1].usage.total_tokens == chunks[-1].usage.prompt_tokens + chunks[-1].usage.completion_tokens
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_non_streaming_chat_completion(client):
    completion = client.chat.completions.create(model="sse-core-mock", messages=messages(), max_tokens=5)
    assert completion.choices[0].message.content == "".join(tokenize(reply_text(PROMPT))[:5])
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 5


def test_models_list(client):
    assert [model.id for model in client.models.list()] == ["sse-core-mock"]


def test_a_bad_request_is_the_package_s_bad_request_error(client):
    openai = external.module("openai")
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="sse-core-mock", messages=[])
    assert info.value.status_code == 400
    assert info.value.code == "empty_array"
    assert info.value.param == "messages"


def test_an_injected_error_event_is_the_package_s_api_error(client):
    openai = external.module("openai")
    stream = client.chat.completions.create(
        model="sse-core-mock", messages=messages(), stream=True, extra_body={"mock": {"fault": "error:2"}}
    )
    received = []
    with pytest.raises(openai.APIError, match="injected"):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")
    assert "".join(received) == "".join(tokenize(reply_text(PROMPT))[:2])
