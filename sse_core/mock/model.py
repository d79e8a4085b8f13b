"""The mock server's "model": a deterministic reply to the last user message, in tokens.

No weights and no randomness: the reply echoes the prompt and adds a
sentence whose words are picked by hashing the prompt, so the same prompt
always gets the same text, and different prompts different ones. The
vocabulary carries multi-byte UTF-8 (accents, CJK, an emoji outside the
BMP) so that every client on the way has to decode it right. Tokens are
word pieces of up to four characters, a leading space kept with its word,
and join back to the exact text.
"""

import hashlib
import re
from typing import Any, List, Sequence

__all__ = ["MODEL_ID", "reply_text", "tokenize", "count_tokens", "prompt_text"]

MODEL_ID = "sse-core-mock"

# How much of the prompt the reply quotes back.
_ECHO_LIMIT = 80

_TOKEN = re.compile(r"\s*\S{1,4}|\s+")

_OPENERS = ("Here is my answer", "Streaming a reply", "Token by token", "Thinking out loud", "Voilà")
_SUBJECTS = ("each event", "every token", "the decoder", "a naïve client", "this stream", "the server")
_VERBS = ("arrives", "travels", "is flushed", "lands", "flows")
_MANNERS = ("on its own", "in order", "without delay", "as UTF‑8", "one line at a time")
_CODAS = ("✓", "→ next.", "日本語も大丈夫。", "🌊", "café ☕", "— done.")


def reply_text(prompt: str) -> str:
    """The whole reply to ``prompt`` (the last user message's text)."""
    words = " ".join(prompt.split())
    if len(words) > _ECHO_LIMIT:
        words = words[: _ECHO_LIMIT - 1] + "…"
    # A lone surrogate (JSON allows "\ud800") cannot be sent as UTF-8.
    words = words.encode("utf-8", "replace").decode("utf-8")
    seed = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).digest()
    pick = _Picker(seed)
    echo = f"You said: “{words}”." if words else "You said nothing."
    return (
        f"{echo} {pick(_OPENERS)}: {pick(_SUBJECTS)} {pick(_VERBS)} {pick(_MANNERS)}, "
        f"{pick(_SUBJECTS)} {pick(_VERBS)} {pick(_MANNERS)} {pick(_CODAS)}"
    )


def tokenize(text: str) -> List[str]:
    """Split ``text`` into tokens that join back to it exactly."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """How many tokens ``text`` is, for usage counts."""
    return len(tokenize(text))


def prompt_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text of its ``text`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


class _Picker:
    """Picks words by the bytes of a hash, one byte per pick: the same seed, the same words."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._next = 0

    def __call__(self, choices: Sequence[str]) -> str:
        byte = self._seed[self._next % len(self._seed)]
        self._next += 1
        return choices[byte % len(choices)]
