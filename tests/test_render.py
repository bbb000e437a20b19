"""Render tier: every combination of copier.yml renders into a project that lints clean. No engine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.dockerfile import Dockerfile
from tests.harness.matrix import ROOT, combinations
from tests.harness.render import render, rendered

pytestmark = pytest.mark.render

ALL = combinations()
GITHUB = [c for c in ALL if c["ci"] == "github"]
GITLAB = [c for c in ALL if c["ci"] == "gitlab"]
YAMLLINT_CONFIG = ROOT / "tests" / "yamllint.yaml"
# Jinja left in a rendered file; GitHub's own ${{ }} expressions are meant to stay.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|\{#")


def run(tool: str, *args: str | Path, cwd: Path | None = None) -> None:
    # The linters come with the venv pytest runs in (tests/requirements.txt), actionlint from DFT_HOME.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    executable = shutil.which(tool, path=path)
    assert executable, f"{tool} is not installed: run the suite through scripts/test"
    result = subprocess.run([executable, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                            env={**os.environ, "PATH": path})
    assert result.returncode == 0, f"{tool} failed:\n{result.stdout}{result.stderr}"


def files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file()]


@pytest.mark.parametrize("combination", ALL)
def test_no_template_syntax_survives(combination):
    project = rendered(combination)
    leftovers = [str(p.relative_to(project)) for p in files(project) if p.suffix == ".jinja"]
    leftovers += [f"{p.relative_to(project)}: {m.group()}" for p in files(project)
                  for m in LEFTOVER_JINJA.finditer(p.read_text())]
    assert not leftovers, f"{combination.id}: unrendered template syntax: {leftovers}"


@pytest.mark.parametrize("combination", ALL)
def test_dockerfile_passes_hadolint(combination):
    # No .hadolint.yaml anywhere: every rule applies, nothing is ignored.
    run("hadolint", "--failure-threshold", "info", "Dockerfile", cwd=rendered(combination))


@pytest.mark.parametrize("combination", ALL)
def test_dockerfile_starts_with_the_syntax_line(combination):
    first = (rendered(combination) / "Dockerfile").read_text().splitlines()[0]
    assert first == "# syntax=docker/dockerfile:1", f"{combination.id}: first line is {first!r}"


@pytest.mark.parametrize("combination", ALL)
def test_dockerfile_has_a_test_stage(combination):
    assert "test" in Dockerfile.of(rendered(combination)).stage_names, combination.id


@pytest.mark.parametrize("combination", ALL)
def test_base_images_are_pinned_through_args(combination):
    dockerfile = Dockerfile.of(rendered(combination))
    for ref in dockerfile.external_bases:
        assert ref == "scratch" or re.search(r":[^:/]+$", ref), f"{combination.id}: {ref} has no tag"
        assert not ref.endswith(":latest"), f"{combination.id}: {ref} uses latest"
    for name, value in dockerfile.global_args.items():
        assert value, f"{combination.id}: ARG {name} has no default"


@pytest.mark.parametrize("combination", ALL)
def test_runtime_runs_as_the_promised_numeric_user(combination):
    expected = "10001:10001" if combination["runtime"] == "slim" else "65532:65532"
    user = Dockerfile.of(rendered(combination)).final_stage_instruction("USER")
    assert user == expected, f"{combination.id}: USER is {user}, want {expected}"


@pytest.mark.parametrize("combination", ALL)
@pytest.mark.parametrize("instruction", ["ENTRYPOINT", "HEALTHCHECK"])
def test_runtime_commands_are_exec_form(combination, instruction):
    value = Dockerfile.of(rendered(combination)).final_stage_instruction(instruction)
    assert value and value.rstrip().endswith("]") and "[" in value, f"{combination.id}: {instruction} {value}"


@pytest.mark.parametrize("combination", ALL)
def test_dockerignore_is_an_allowlist(combination):
    lines = [line for line in (rendered(combination) / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    # Everything out first; then paths back in, and at most caches inside them out again.
    assert lines[0] == "*", f"{combination.id}: {lines}"
    assert all(line.startswith(("!", "**/")) for line in lines[1:]), f"{combination.id}: {lines}"


@pytest.mark.parametrize("combination", ALL)
def test_yaml_files_pass_yamllint(combination):
    project = rendered(combination)
    yamls = [p for p in files(project) if p.suffix in {".yml", ".yaml"}]
    run("yamllint", "--strict", "-c", YAMLLINT_CONFIG, *yamls)


@pytest.mark.parametrize("combination", ALL)
def test_only_the_chosen_ci_is_rendered(combination):
    project = rendered(combination)
    present = {"github": (project / ".github").exists(), "gitlab": (project / ".gitlab-ci.yml").exists()}
    assert present == {ci: ci == combination["ci"] for ci in present}, f"{combination.id}: {present}"


# CI differs by where it pushes: the CI provider's own registry, or one of the user's.
REPOSITORIES = pytest.mark.parametrize("repository", ["", "registry.example.com:5000/team/api", "acme/api"],
                                       ids=["own-registry", "private-registry", "docker-hub"])


def with_repository(combination, repository: str, tmp_path: Path) -> Path:
    if not repository:
        return rendered(combination)
    return render(tmp_path / "project", {**combination.data, "image_repository": repository})


@REPOSITORIES
@pytest.mark.parametrize("combination", GITHUB)
def test_github_workflow_passes_actionlint(combination, repository, tmp_path):
    run("actionlint", "-no-color", ".github/workflows/ci.yml", cwd=with_repository(combination, repository, tmp_path))


@REPOSITORIES
@pytest.mark.parametrize("combination", GITHUB)
def test_github_workflow_passes_zizmor(combination, repository, tmp_path):
    project = with_repository(combination, repository, tmp_path)
    run("zizmor", "--offline", "--no-progress", "--persona=auditor", ".github/workflows/ci.yml", cwd=project)


@REPOSITORIES
@pytest.mark.parametrize("combination", GITLAB)
def test_gitlab_ci_passes_its_schema(combination, repository, tmp_path):
    project = with_repository(combination, repository, tmp_path)
    run("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml", cwd=project)


@REPOSITORIES
@pytest.mark.parametrize("combination", GITHUB + GITLAB)
def test_ci_files_pass_yamllint(combination, repository, tmp_path):
    project = with_repository(combination, repository, tmp_path)
    ci_file = ".github/workflows/ci.yml" if combination["ci"] == "github" else ".gitlab-ci.yml"
    run("yamllint", "--strict", "-c", YAMLLINT_CONFIG, ci_file, cwd=project)


@pytest.mark.parametrize("combination", [c for c in ALL if c["ci"] == "none"])
def test_mirror_prefix_rewrites_every_base_image(combination, tmp_path):
    mirror = "mirror.example.com/hub"
    project = render(tmp_path / "mirrored", {**combination.data, "base_image_mirror": mirror})
    dockerfile = Dockerfile.of(project)
    assert dockerfile.syntax == f"{mirror}/docker/dockerfile:1", combination.id
    for ref in dockerfile.external_bases:
        assert ref == "scratch" or ref.startswith(f"{mirror}/"), f"{combination.id}: {ref} bypasses the mirror"
    run("hadolint", "Dockerfile", cwd=project)


@pytest.mark.parametrize("combination", ALL)
def test_answers_file_records_every_choice(combination):
    answers = (rendered(combination) / ".copier-answers.yml").read_text()
    for name, value in combination.answers:
        assert f"{name}: " in answers and str(value) in answers, f"{combination.id}: {name} not recorded"


def test_forge_has_a_stand_in_for_every_base_image():
    from tests.forge.standins import STAND_INS

    forged = {tag for stand_in in STAND_INS for tag in stand_in.tags} | {"scratch"}
    rendered_refs = {(ref, c.id) for c in ALL for ref in Dockerfile.of(rendered(c)).external_bases}
    missing = sorted(f"{ref} ({combination})" for ref, combination in rendered_refs if ref not in forged)
    assert not missing, f"no stand-in for: {missing}"
