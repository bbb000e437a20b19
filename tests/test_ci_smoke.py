"""The generated GitHub workflow's smoke run, run here as the runner runs it, on each language's image."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from dft import docker as d
from dft.render import render
from dft.targets import as_params, distinct_dockerfiles, first_of_each

pytestmark = pytest.mark.build

FIRST_OF_EACH_LANGUAGE = first_of_each(distinct_dockerfiles(), lambda t: t["language"])


@pytest.fixture(params=as_params(FIRST_OF_EACH_LANGUAGE))
def target(request):
    return request.param


def smoke_script(project: Path) -> str:
    steps = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]["test"]["steps"]
    [script] = [step["run"] for step in steps if step.get("name") == "Smoke run"]
    return script


def run_smoke(script: str, repository: str) -> subprocess.CompletedProcess:
    """The step's script under the shell GitHub gives `run:` (bash -eo pipefail), on <repository>:ci. The
    step names its container and publishes a fixed port: one smoke run at a time on this machine."""
    with d.cache_exclusive():
        try:
            return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                                  env={**os.environ, "IMAGE": repository}, capture_output=True, text=True,
                                  timeout=120)
        finally:
            d.docker("rm", "--force", "smoke", check=False)


@pytest.fixture
def github_project(target, tmp_path) -> Path:
    return render(tmp_path / "project", {**target.combination.data, "ci": "github"})


def test_the_smoke_run_passes_on_the_image(target, github_project):
    repository = f"dft-smoke/{target.id}"
    d.build(target.project, f"{repository}:ci")
    try:
        result = run_smoke(smoke_script(github_project), repository)
    finally:
        d.docker("rmi", f"{repository}:ci", check=False)
    assert result.returncode == 0, f"{target.id}: the smoke run failed:\n{result.stdout}{result.stderr}"

