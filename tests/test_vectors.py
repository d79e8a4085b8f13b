"""Shared test vectors (tests/vectors/*.json), checked two ways.

Each vector gives an input stream, as a list of reads, and what the spec says
comes out of it: the events, the final last event ID and the final
reconnection time.  ``reference.py`` (a literal transcription of the spec)
must agree with every vector, and so must ``SSEDecoder``, whether it is fed
the vector's reads, the whole stream at once, or one byte at a time.

A chunk is a JSON string (fed as its UTF-8 encoding) or ``{"hex": "..."}`` for
raw bytes, so that vectors can hold invalid UTF-8 and split characters.
"""

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from .reference import reference_decode
from sse_core.events import Event

VECTOR_DIR = Path(__file__).parent / "vectors"

REQUIRED_KEYS = {"id", "spec", "description", "chunks", "events", "last_event_id", "retry"}
OPTIONAL_KEYS = {"options"}
EVENT_KEYS = {"data", "event", "id", "retry"}
OPTION_KEYS = {"dispatch_unterminated"}
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

Vector = Dict[str, Any]
Outcome = Tuple[List[Event], str, Optional[int]]


def _vector_files() -> List[Path]:
    return sorted(VECTOR_DIR.glob("*.json"))


def _load_vectors() -> List[Vector]:
    # Lenient on purpose: a malformed file should fail
    # test_vector_files_are_well_formed with a clear message, not break
    # collection of every other vector.
    vectors = []
    for path in _vector_files():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(loaded, list):
            vectors.extend(v for v in loaded if isinstance(v, dict) and "id" in v)
    return vectors


VECTORS = _load_vectors()


def _chunk_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    return bytes.fromhex(chunk["hex"])


def _chunks(vector: Vector) -> List[bytes]:
    return [_chunk_bytes(chunk) for chunk in vector["chunks"]]


def _options(vector: Vector) -> Dict[str, Any]:
    return dict(vector.get("options", {}))


def _expected(vector: Vector) -> Outcome:
    events = [Event(**event) for event in vector["events"]]
    return events, vector["last_event_id"], vector["retry"]


def _run_decoder(reads: List[bytes], options: Dict[str, Any]) -> Outcome:
    # Imported here so the reference tests run even while the decoder is
    # missing or broken.
    from sse_core import SSEDecoder

    decoder = SSEDecoder(**options)
    events = []  # type: List[Event]
    for read in reads:
        events.extend(decoder.feed(read))
    events.extend(decoder.close())
    return events, decoder.last_event_id, decoder.retry


def _reads(vector: Vector, feeding: str) -> List[bytes]:
    chunks = _chunks(vector)
    if feeding == "chunks":
        return chunks
    whole = b"".join(chunks)
    if feeding == "whole":
        return [whole]
    assert feeding == "bytewise"
    return [whole[i : i + 1] for i in range(len(whole))]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_reference_matches_vector(vector: Vector) -> None:
    stream = b"".join(_chunks(vector))
    assert reference_decode(stream, **_options(vector)) == _expected(vector)


@pytest.mark.parametrize("feeding", ["chunks", "whole", "bytewise"])
@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_decoder_matches_vector(vector: Vector, feeding: str) -> None:
    reads = _reads(vector, feeding)
    assert _run_decoder(reads, _options(vector)) == _expected(vector)


def _check_chunk(where: str, chunk: Any) -> None:
    if isinstance(chunk, str):
        chunk.encode("utf-8")  # a lone surrogate would not encode
        return
    assert isinstance(chunk, dict) and set(chunk) == {"hex"}, where
    assert isinstance(chunk["hex"], str), where
    bytes.fromhex(chunk["hex"])


def _check_vector(where: str, vector: Any) -> None:
    assert isinstance(vector, dict), where
    missing = REQUIRED_KEYS - set(vector)
    assert not missing, "%s: missing %s" % (where, sorted(missing))
    unknown = set(vector) - REQUIRED_KEYS - OPTIONAL_KEYS
    assert not unknown, "%s: unknown keys %s" % (where, sorted(unknown))
    assert isinstance(vector["id"], str) and ID_PATTERN.match(vector["id"]), where
    assert isinstance(vector["spec"], str) and vector["spec"], where
    assert isinstance(vector["description"], str) and vector["description"], where
    assert isinstance(vector["chunks"], list), where
    for chunk in vector["chunks"]:
        _check_chunk(where, chunk)
    assert isinstance(vector["events"], list), where
    for event in vector["events"]:
        assert isinstance(event, dict) and set(event) == EVENT_KEYS, where
        assert all(isinstance(event[k], str) for k in ("data", "event", "id")), where
        assert event["retry"] is None or type(event["retry"]) is int, where
    assert isinstance(vector["last_event_id"], str), where
    assert vector["retry"] is None or type(vector["retry"]) is int, where
    options = vector.get("options", {})
    assert isinstance(options, dict) and set(options) <= OPTION_KEYS, where
    assert all(type(value) is bool for value in options.values()), where


def test_vector_files_are_well_formed() -> None:
    files = _vector_files()
    assert files, "no vector files in %s" % VECTOR_DIR
    seen = {}  # type: Dict[str, str]
    for path in files:
        vectors = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(vectors, list) and vectors, path.name
        for index, vector in enumerate(vectors):
            where = "%s[%d]" % (path.name, index)
            _check_vector(where, vector)
            assert vector["id"] not in seen, "%s: id %r already used in %s" % (
                where,
                vector["id"],
                seen[vector["id"]],
            )
            seen[vector["id"]] = where
    assert len(seen) == len(VECTORS)
