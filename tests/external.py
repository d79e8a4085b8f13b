"""Software some tests need beyond tests/requirements.txt.

`.ci/run` installs it (Debian packages, and tests/requirements-external.txt
in one interpreter's environment) and sets SSE_CORE_REQUIRE_EXTERNAL=1 for
that run: there a missing piece fails the test that needs it. Anywhere else
the test is skipped and says what is missing.
"""

import importlib
import os
import shutil
from types import ModuleType

import pytest

REQUIRED = os.environ.get("SSE_CORE_REQUIRE_EXTERNAL") == "1"


def program(name: str) -> str:
    """The path of the program `name`, found on PATH or in /usr/sbin."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        _missing(f"the program {name!r}")
    return path


def module(name: str) -> ModuleType:
    """The Python module `name`, imported."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"the Python package {name!r}")


def _missing(what: str) -> None:
    if REQUIRED:
        pytest.fail(f"{what} is missing; .ci/run should have installed it", pytrace=False)
    pytest.skip(f"{what} is not installed")
