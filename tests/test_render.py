"""Render tier: every combination of copier.yml renders into a project that lints clean. No engine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dft.dockerfile import Dockerfile
from dft.languages import common, languages
from dft.matrix import asked, combinations, defaults, layouts, questions
from dft.render import render, rendered

pytestmark = pytest.mark.render

# Every combination of the choices, and the layout answers beyond them.
ALL = combinations() + layouts()
GITHUB = [c for c in combinations() if c["ci"] == "github"]
GITLAB = [c for c in combinations() if c["ci"] == "gitlab"]
# As strict as the CI the projects ship (hadolint's lowest level): every finding fails.
HADOLINT_THRESHOLD = "style"

# Text that copier's Jinja would still take for template syntax, in a rendered file. Block tags and
# comments ({% %}, {# #}) are Jinja's alone (shell's ${#var} aside). {{ }} is shared: GitHub's ${{ }}
# and Go or Helm template actions ({{ .Values.x }}, {{- range . }}: a `.` or `$` argument, or a Go
# keyword first) belong in a sample. Any other {{ }} that names a question of copier.yml (or a
# _copier_ variable) or pipes through a filter is this template's own, left unrendered.
JINJA_TAG = re.compile(r"(?<!\$)\{[%#]|(?<!\$\{)[%#]\}")
EXPRESSION = re.compile(r"(?<!\$)\{\{-?(.*?)-?\}\}", re.DOTALL)
GO_ACTION = re.compile(r"(?:^|[\s(])[.$]|^/\*|^(?:range|if|else|end|with|define|template|block|break|continue)\b")
FILTER = re.compile(r"(?<!\|)\|(?!\|)")


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


def template_syntax(text: str) -> list[str]:
    """The Jinja in text that copier left unrendered (see JINJA_TAG)."""
    names = "|".join(map(re.escape, questions()))
    ours = re.compile(rf"\b(?:{names}|_copier_\w+)\b")
    found = [m.group() for m in JINJA_TAG.finditer(text)]
    for m in EXPRESSION.finditer(text):
        action = m.group(1).strip()
        if not GO_ACTION.search(action) and (FILTER.search(action) or ours.search(action)):
            found.append(m.group())
    return found


@pytest.mark.parametrize(("text", "leftover"), [
    ("{{ project_slug }}", True), ("{{ x | upper }}", True), ("{{- _copier_conf.answers_file }}", True),
    ("{% if ci %}", True), ("{# note #}", True), ("endif %}", True),
    ("${{ github.sha }}", False), ("${{ a || b }}", False), ("{{ .Values.port }}", False),
    ("{{- range . }}", False), ("{{ end }}", False), ('{{ include "x.labels" . | nindent 4 }}', False),
    ("{{/* project_slug */}}", False), ("echo ${#args[@]} ${#}", False),
])
def test_template_syntax_rule_tells_jinja_from_other_templates(text, leftover):
    assert bool(template_syntax(text)) == leftover, f"{text!r}: {template_syntax(text)}"


@pytest.mark.parametrize("combination", ALL)
def test_no_template_syntax_survives(combination):
    project = rendered(combination)
    leftovers = [str(p.relative_to(project)) for p in files(project) if p.suffix == ".jinja"]
    leftovers += [f"{p.relative_to(project)}: {found}" for p in files(project)
                  for found in template_syntax(p.read_text())]
    assert not leftovers, f"{combination.id}: unrendered template syntax: {leftovers}"


@pytest.mark.parametrize("combination", ALL)
def test_dockerfile_passes_hadolint(combination):
    # No .hadolint.yaml anywhere: every rule applies, nothing is ignored.
    run("hadolint", "--failure-threshold", HADOLINT_THRESHOLD, "Dockerfile", cwd=rendered(combination))


@pytest.mark.parametrize("combination", ALL)
def test_dockerfile_starts_with_the_syntax_line(combination):
    first = (rendered(combination) / "Dockerfile").read_text().splitlines()[0]
    assert first == "# syntax=docker/dockerfile:1", f"{combination.id}: first line is {first!r}"


@pytest.mark.parametrize("combination", ALL)
def test_dockerfile_has_a_test_stage(combination):
    assert "test" in Dockerfile.of(rendered(combination)).stage_names, combination.id


VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def raw_bases(structure: list[dict]) -> tuple[dict[str, str], list[str]]:
    """From the Dockerfile's raw text: the ARGs declared before the first FROM (name -> default,
    unquoted), and the image of every FROM that is not an earlier stage or scratch, ARGs unresolved."""
    args, images, stages, first_from = {}, [], {"scratch"}, True
    for instruction in structure:
        if instruction["instruction"] == "ARG" and first_from:
            for declaration in instruction["value"].split():
                name, _, default = declaration.partition("=")
                args[name] = default.strip("\"'")
        elif instruction["instruction"] == "FROM":
            first_from = False
            words = [w for w in instruction["value"].split() if not w.startswith("--")]
            if words[0] not in stages:
                images.append(words[0])
            if len(words) == 3 and words[1].upper() == "AS":
                stages.add(words[2])
    return args, images


@pytest.mark.parametrize("combination", ALL)
def test_base_images_are_pinned_through_args(combination):
    """A version in a FROM comes from an ARG with a default, declared before the first FROM: one line
    to bump, and --build-arg to try another. Tags without a version (digits), such as trixie-slim or
    nonroot, name a release or a flavour and stay written out."""
    dockerfile = Dockerfile.of(rendered(combination))
    for ref in dockerfile.external_bases:
        assert ref == "scratch" or re.search(r":[^:/]+$", ref), f"{combination.id}: {ref} has no tag"
        assert not ref.endswith(":latest"), f"{combination.id}: {ref} uses latest"
    for name, value in dockerfile.global_args.items():
        assert value, f"{combination.id}: ARG {name} has no default"
    args, images = raw_bases(dockerfile.parser.structure)
    for image in images:
        _, colon, tag = image.split("@")[0].rpartition(":")
        tag = tag if colon and "/" not in tag else ""
        assert not re.search(r"\d", VARIABLE.sub("", tag)), \
            f"{combination.id}: FROM {image} writes its version out, instead of taking it from an ARG"
        for m in VARIABLE.finditer(tag):
            assert args.get(m[1] or m[2]), \
                f"{combination.id}: FROM {image}: {m[0]} is not an ARG with a default declared before the first FROM"


@pytest.mark.parametrize("combination", ALL)
def test_runtime_runs_as_the_promised_numeric_user(combination):
    uid = common()["uid"][combination["runtime"]]
    expected = f"{uid}:{uid}"
    user = Dockerfile.of(rendered(combination)).final_stage_instruction("USER")
    assert user == expected, f"{combination.id}: USER is {user}, want {expected}"


@pytest.mark.parametrize("combination", ALL)
@pytest.mark.parametrize("instruction", ["ENTRYPOINT", "HEALTHCHECK"])
def test_runtime_commands_are_exec_form(combination, instruction):
    value = Dockerfile.of(rendered(combination)).final_stage_instruction(instruction)
    assert value and value.rstrip().endswith("]") and "[" in value, f"{combination.id}: {instruction} {value}"


@pytest.mark.parametrize("language", languages())
def test_an_empty_health_path_drops_the_healthcheck(language, tmp_path):
    project = render(tmp_path / "project", {"language": language, "health_path": ""})
    assert Dockerfile.of(project).final_stage_instruction("HEALTHCHECK") is None, language
    run("hadolint", "--failure-threshold", HADOLINT_THRESHOLD, "Dockerfile", cwd=project)


@pytest.mark.parametrize("combination", ALL)
def test_dockerignore_is_an_allowlist(combination):
    lines = [line for line in (rendered(combination) / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    # Everything out first; then paths back in, and at most caches inside them out again.
    assert lines[0] == "*", f"{combination.id}: {lines}"
    assert all(line.startswith(("!", "**/")) for line in lines[1:]), f"{combination.id}: {lines}"


@pytest.mark.parametrize("combination", combinations())
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
    run("yamllint", "--strict", ci_file, cwd=project)  # with the project's own .yamllint


@pytest.mark.parametrize("combination", [c for c in ALL if c["ci"] == "none"])
def test_mirror_prefix_rewrites_every_base_image(combination, tmp_path):
    mirror = "mirror.example.com/hub"
    project = render(tmp_path / "mirrored", {**combination.data, "base_image_mirror": mirror})
    dockerfile = Dockerfile.of(project)
    assert dockerfile.syntax == f"{mirror}/docker/dockerfile:1", combination.id
    for ref in dockerfile.external_bases:
        assert ref == "scratch" or ref.startswith(f"{mirror}/"), f"{combination.id}: {ref} bypasses the mirror"
    run("hadolint", "--failure-threshold", HADOLINT_THRESHOLD, "Dockerfile", cwd=project)


@pytest.mark.parametrize("combination", ALL)
def test_answers_file_records_every_choice(combination):
    """`copier update` renders again from .copier-answers.yml: it holds every question asked, with the
    combination's choice or the default, as the same type (a version "1.26" read back as the number
    1.26, or a port as text, is another answer). It also records the language of the first copy, which
    the language question holds to on update."""
    recorded = yaml.safe_load((rendered(combination) / ".copier-answers.yml").read_text())
    context = defaults(combination.data)
    expected = {name: context[name] for name, spec in questions().items() if name in context and asked(spec, context)}
    expected["copied_language"] = combination["language"]
    recorded = {name: value for name, value in recorded.items() if not name.startswith("_")}
    wrong = {name: f"recorded {shown(recorded, name)}, want {shown(expected, name)}"
             for name in sorted(recorded.keys() | expected.keys()) if shown(recorded, name) != shown(expected, name)}
    assert not wrong, f"{combination.id}: .copier-answers.yml: {wrong}"


def shown(answers: dict, name: str) -> str:
    """An answer with its type, which == alone would not tell apart (1 == 1.0 == True)."""
    return f"{type(answers[name]).__name__} {answers[name]!r}" if name in answers else "nothing"


def test_forge_has_a_stand_in_for_every_base_image():
    from tests.forge.standins import stand_ins

    forged = {tag for stand_in in stand_ins() for tag in stand_in.tags} | {"scratch"}
    rendered_refs = {(ref, c.id) for c in ALL for ref in Dockerfile.of(rendered(c)).external_bases}
    missing = sorted(f"{ref} ({combination})" for ref, combination in rendered_refs if ref not in forged)
    assert not missing, f"no stand-in for: {missing}"
