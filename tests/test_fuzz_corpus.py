"""The fuzz targets pass on their seed corpus, so a change that breaks a target or a seed shows here."""

import os
import sys

import pytest

FUZZ = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz")
sys.path.insert(0, FUZZ)
from targets import TARGETS  # noqa: E402  (fuzz/ is not a package)

SEEDS = [
    (name, os.path.join(FUZZ, "corpus", name, file))
    for name in TARGETS
    for file in sorted(os.listdir(os.path.join(FUZZ, "corpus", name)))
]


def test_every_target_has_seeds():
    assert {name for name, _ in SEEDS} == set(TARGETS)


@pytest.mark.parametrize("name, path", SEEDS, ids=[f"{name}/{os.path.basename(path)}" for name, path in SEEDS])
def test_seed_passes_its_target(name, path):
    with open(path, "rb") as file:
        TARGETS[name](file.read())
