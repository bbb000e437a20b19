"""Build tier, Python's own promise: an installed project (install_project) builds, passes its tests and
runs as its console script, with each package manager's way of installing it."""

from __future__ import annotations

import pytest

from dft import docker as d
from dft.matrix import defaults, questions
from dft.render import render
from dft.targets import as_params, distinct_dockerfiles

pytestmark = pytest.mark.build

HEALTH_PATH = questions()["health_path"]["default"]
# One target per package manager (on distroless), each installing the project its own way (uv sync; pip,
# through the hatchling or poetry-core backend).
INSTALLABLE = [t for t in distinct_dockerfiles() if t["language"] == "python" and t["runtime"] == "distroless"]


@pytest.mark.parametrize("first", as_params(INSTALLABLE))
def test_an_installed_project_runs_its_console_script(first, tmp_path):
    """The sample in the src/ layout, built and installed into the venv, passes its tests there and runs as
    its console script, with no source of its own in /app."""
    answers = {**first.combination.data, "install_project": True}
    script = defaults(answers)["entry_point"]  # the project's console script, by default
    project = render(tmp_path / "installed", answers)
    tag = f"{first.tag}-installed"
    try:
        d.build(project, f"{tag}-test", target="test")
        with d.Container(d.build(project, tag).tag, first.port) as container:
            container.wait_healthy()
            assert container.get(HEALTH_PATH)[0] == 200, first.id
            processes = d.docker("top", container.id, "-o", "pid,args").stdout.splitlines()[1:]
        assert any(line.endswith(f"/venv/bin/{script}") for line in processes), f"{first.id}: runs {processes}"
        assert not [path for path in d.image_files(tag) if path.startswith("/app/")], f"{first.id}: /app holds files"
    finally:
        d.docker("rmi", tag, f"{tag}-test", check=False)
