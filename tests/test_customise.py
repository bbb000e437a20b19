"""The answers that customise a Dockerfile without an edit: build_packages, build_args and labels.

Each language's `customised` layout (dft/matrix.py's CUSTOMISED) renders and lints like any combination
(test_render, test_code_style). Here: each answer lands in the stage it is for, and the packages install
for real in the stage every build stage starts from.
"""

from __future__ import annotations

import pytest

from dft import docker as d
from dft.dockerfile import Dockerfile
from dft.matrix import CUSTOMISED, layouts
from dft.targets import Target, as_params

CUSTOMISED_LAYOUTS = [c for c in layouts() if all(c.data.get(k) == v for k, v in CUSTOMISED.items())]
PACKAGES_COMMENT = "# The Debian packages the build needs besides the toolchain"


def stages(project) -> dict[str, str]:
    """Each stage's name (the runtime stage's: "") and its text, in order."""
    found, name = {}, None
    for line in (project / "Dockerfile").read_text().splitlines(keepends=True):
        if line.startswith("FROM "):
            name = line.split(" AS ", 1)[1].strip() if " AS " in line else ""
            found[name] = ""
        if name is not None:
            found[name] += line
    return found


def stage_of(project, text: str) -> str:
    return next(name for name, body in stages(project).items() if text in body)


@pytest.mark.render
@pytest.mark.parametrize("combination", CUSTOMISED_LAYOUTS)
def test_build_args_are_declared_in_the_build_stage(combination):
    project = Target(combination, combination.id).project
    build = stages(project)["build"]
    for pair in CUSTOMISED["build_args"].split():
        name, default = pair.split("=", 1)
        declared = f'ARG {name}="{default}"' if default else f"ARG {name}="
        assert declared in build, f"{combination.id}: the build stage does not declare {declared}"


@pytest.mark.render
@pytest.mark.parametrize("combination", CUSTOMISED_LAYOUTS)
def test_labels_are_on_the_runtime_image(combination):
    project = Target(combination, combination.id).project
    labels = Dockerfile.of(project).parser.labels
    for pair in CUSTOMISED["labels"].split():
        key, value = pair.split("=", 1)
        assert labels.get(key) == value, f"{combination.id}: the image's labels lack {key}={value}: {labels}"


def ancestors(project, stage: str) -> list[str]:
    """The stage and those it starts from, through `FROM <stage> AS ...`."""
    bodies = stages(project)
    chain = [stage]
    while (parent := bodies[chain[-1]].split()[1]) in bodies:
        chain.append(parent)
    return chain


@pytest.mark.render
@pytest.mark.parametrize("combination", CUSTOMISED_LAYOUTS)
def test_build_packages_reach_the_test_and_build_stages(combination):
    project = Target(combination, combination.id).project
    stage = stage_of(project, PACKAGES_COMMENT)
    for child in ("test", "build"):
        assert stage in ancestors(project, child), \
            f"{combination.id}: the packages are installed in {stage}, which the {child} stage does not start from"


@pytest.mark.build
@pytest.mark.parametrize("target", as_params([Target(c, c.id) for c in CUSTOMISED_LAYOUTS]))
def test_build_packages_install_in_the_stage_the_build_starts_from(target):
    name, version = CUSTOMISED["build_packages"].split("=", 1)
    stage = stage_of(target.project, PACKAGES_COMMENT)
    tag = f"dft-test/{target.id}:packages"
    d.build(target.project, tag, target=stage)
    try:
        installed = d.docker("run", "--rm", "--entrypoint", "dpkg-query", tag, "--show", name).stdout.split()
    finally:
        d.docker("rmi", tag, check=False)
    assert installed[:1] == [name] and installed[1].startswith(version.rstrip("*")), \
        f"{target.id}: stage {stage} has {installed}, not {name}={version}"
