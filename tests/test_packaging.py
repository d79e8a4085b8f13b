"""The package builds, installs and runs as pip gives it to a user.

One wheel is built, by pip from a copy of the checkout (so the build leaves
nothing in the tree), with this environment's setuptools and no build
isolation, so no network. It is installed into a fresh virtual environment
with ``--no-index``, so nothing comes with it, and its ``sse-core`` command
runs the demo from a directory outside the checkout, where only the
installed copy can be imported.

The build backend is in tests/requirements-external.txt: .ci/run installs it
for the newest interpreter, where a missing one fails these tests
(tests/external.py); elsewhere they skip and say what is missing.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict

import pytest

from sse_core._version import __version__

from . import external

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sse_core"
# What a checkout may hold besides its files: none of it goes into the build.
NOT_SOURCE = (".git", "__pycache__", "*.pyc", ".hypothesis", ".pytest_cache", "build", "dist", "*.egg-info", ".venv*")
TIMEOUT = 300


def _environment() -> Dict[str, str]:
    # pip reads no configuration (no extra index, no find-links), and Python
    # sees no path of the checkout's.
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def _run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, cwd=str(cwd), env=_environment(), capture_output=True, text=True, timeout=TIMEOUT
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)}: exit status {result.returncode}\n{result.stdout}{result.stderr}", pytrace=False)
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from the checkout."""
    external.module("setuptools")
    if importlib.util.find_spec("setuptools.command.bdist_wheel") is None:
        external.module("wheel")  # setuptools before 70.1 builds wheels with it
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    shutil.copytree(str(ROOT), str(source), ignore=shutil.ignore_patterns(*NOT_SOURCE))
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation",
        "--wheel-dir", str(work / "dist"), str(source), cwd=work,
    )
    (built,) = (work / "dist").glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed and nothing else."""
    work = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", str(work / "venv"), cwd=work)
    scripts = work / "venv" / ("Scripts" if os.name == "nt" else "bin")
    _run(str(scripts / "python"), "-m", "pip", "install", "--no-index", str(wheel), cwd=work)
    return scripts


def test_wheel_holds_every_file_of_the_package_and_nothing_else(wheel):
    with zipfile.ZipFile(str(wheel)) as archive:
        shipped = {name for name in archive.namelist() if ".dist-info/" not in name}
    in_checkout = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "sse_core/py.typed" in shipped
    assert shipped == in_checkout


def test_wheel_metadata_has_no_dependency_and_the_sse_core_command(wheel):
    with zipfile.ZipFile(str(wheel)) as archive:
        info = f"sse_core-{__version__}.dist-info/"
        metadata = archive.read(info + "METADATA").decode("utf-8")
        entry_points = archive.read(info + "entry_points.txt").decode("utf-8")
    head = metadata.split("\n\n", 1)[0].splitlines()
    assert f"Version: {__version__}" in head
    assert "Requires-Python: >=3.8" in head
    assert not [line for line in head if line.startswith("Requires-Dist:")]
    assert "sse-core = sse_core.__main__:main" in entry_points.splitlines()


def test_installed_package_is_imported_from_the_fresh_environment(venv, tmp_path):
    result = _run(str(venv / "python"), "-c", "import sse_core; print(sse_core.__file__)", cwd=tmp_path)
    assert venv.parent.resolve() in Path(result.stdout.strip()).resolve().parents


def test_sse_core_command_runs_the_demo_outside_the_checkout(venv, tmp_path):
    result = _run(str(venv / "sse-core"), "demo", cwd=tmp_path)
    assert "ended: [DONE]" in result.stdout.splitlines()[-1]
