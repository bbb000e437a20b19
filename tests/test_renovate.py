"""Render tier: the renovate.json every project gets is one Renovate takes, and Renovate finds in a project
what that config speaks of: the template (copier), the base images, the CI's actions or images, the
language's manifest and lockfile, and a Maven Wrapper where the project has one. Renovate itself comes
pinned, installed on first use (dft/renovate.py); no registry is asked about a dependency."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
import yaml

from dft import renovate
from dft.dockerfile import Dockerfile
from dft.languages import languages, profile
from dft.matrix import Combination, combinations, layouts
from dft.render import rendered

pytestmark = pytest.mark.render

# A project as a user has it who copied the template from GitHub at a release: Renovate's copier manager
# looks a template up only by an https:// (or git@) source, and compares PEP 440 tags.
SRC_PATH = "https://github.com/org/dockerfile-templates"
TAG = "v0.1.0"
# Renovate's runs side by side: each is mostly one busy Node.js process.
EXTRACTIONS_AT_ONCE = max(2, min(4, os.cpu_count() or 1))
WRAPPER = Path(".mvn/wrapper/maven-wrapper.properties")
# Projects whose extraction is checked: each language's defaults on GitHub, and one on GitLab.
PROJECTS = [(language, "github") for language in languages()] + [(languages()[0], "gitlab")]


def project_id(language: str, ci: str) -> str:
    return f"{language}-{ci}-defaults"


# Every test that runs Renovate on one worker: its projects are extracted side by side, once.
ONE_WORKER = pytest.mark.xdist_group("renovate")
EACH_PROJECT = pytest.mark.parametrize(("language", "ci"), [pytest.param(*p, id=project_id(*p)) for p in PROJECTS])


@pytest.fixture(scope="module")
def installed() -> Path:
    try:
        return renovate.install()
    except renovate.RenovateUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@cache
def distinct_configs() -> dict[str, list[str]]:
    """Each distinct renovate.json the matrix and the layouts render -> the combinations that render it."""
    found = defaultdict(list)
    for combination in combinations() + layouts():
        found[(rendered(combination) / "renovate.json").read_text()].append(combination.id)
    return dict(found)


def named(ids: list[str]) -> str:
    return ", ".join(ids[:4]) + (f" (and {len(ids) - 4} more)" if len(ids) > 4 else "")


@ONE_WORKER
def test_every_generated_renovate_json_passes_the_strict_validator(installed, tmp_path):
    configs = distinct_configs()
    paths = []
    for i, text in enumerate(configs):
        paths.append(tmp_path / str(i) / "renovate.json")
        paths[-1].parent.mkdir()
        paths[-1].write_text(text)
    if renovate.validate(*paths).returncode == 0:  # all at once: one start of Renovate
        return
    failed = [(ids, result) for ids, path in zip(configs.values(), paths, strict=True)
              for result in [renovate.validate(path)] if result.returncode]
    assert not failed, "\n\n".join(
        f"renovate.json of {named(ids)}: renovate-config-validator --strict exited {result.returncode}:\n"
        f"{result.stdout}{result.stderr}" for ids, result in failed)


@ONE_WORKER
def test_the_validator_fails_a_rule_with_an_unknown_option(installed, tmp_path):
    """So that the test above can fail: a generated config, one rule given a misspelt option."""
    config = json.loads(next(iter(distinct_configs())))
    config["packageRules"][0]["matchManager"] = ["copier"]
    (tmp_path / "renovate.json").write_text(json.dumps(config, indent=2))
    result = renovate.validate(tmp_path / "renovate.json")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "matchManager" in output, \
        f"renovate-config-validator --strict took an unknown option (exit {result.returncode}):\n{output}"



@ONE_WORKER
def test_the_collections_own_renovate_json_passes_the_strict_validator(installed):
    """The config that keeps this repository's pins current (renovate.json at its root) is one Renovate takes."""
    result = renovate.validate(Path(__file__).parents[1] / "renovate.json")
    assert result.returncode == 0, f"renovate.json:\n{result.stdout}{result.stderr}"

def released_copy(language: str, ci: str, dest: Path) -> Path:
    """The project of the language's defaults, copied from the template's GitHub release and committed."""
    project = shutil.copytree(rendered(Combination((("language", language), ("ci", ci)), project_id(language, ci))),
                              dest)
    answers_file = project / ".copier-answers.yml"
    header = [line for line in answers_file.read_text().splitlines(keepends=True) if line.startswith("#")]
    answers = {**yaml.safe_load(answers_file.read_text()), "_src_path": SRC_PATH, "_commit": TAG}
    answers_file.write_text("".join(header) + yaml.safe_dump(dict(sorted(answers.items())), sort_keys=False))
    for command in (["init", "--quiet", "--initial-branch=main"], ["add", "-A"],
                    ["-c", "user.name=dft", "-c", "user.email=dft@example.invalid", "-c", "commit.gpgsign=false",
                     "commit", "--quiet", "-m", "copied from the template"]):
        subprocess.run(["git", *command], cwd=project, check=True, capture_output=True)
    return project


@pytest.fixture(scope="module")
def extraction(installed, request, tmp_path_factory):
    """(language, ci) -> (the committed project, Renovate's package files in it). The projects this run
    selected are extracted side by side on first use: each run of Renovate takes seconds."""
    selected = set()
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if getattr(item, "module", None) is request.module and "ci" in params:
            selected.add((params["language"], params["ci"]))
    # Rendered and committed one after the other (copier in threads is not a promise copier makes).
    projects = {project: released_copy(*project, tmp_path_factory.mktemp("renovate") / project_id(*project))
                for project in sorted(selected)}
    with ThreadPoolExecutor(max_workers=EXTRACTIONS_AT_ONCE) as pool:
        futures = {project: pool.submit(renovate.package_files, path) for project, path in projects.items()}
        yield lambda language, ci: (projects[language, ci], futures[language, ci].result())
        for future in futures.values():
            future.cancel()


def deps(files: dict[str, list[dict]], manager: str) -> list[dict]:
    return [dep for file in files.get(manager, []) for dep in file.get("deps", [])]


@ONE_WORKER
@EACH_PROJECT
def test_copier_manager_finds_the_template_release(extraction, language, ci):
    _, files = extraction(language, ci)
    found = [(d.get("depName"), d.get("currentValue"), d.get("skipReason")) for d in deps(files, "copier")]
    assert any(name and SRC_PATH in name and value == TAG and not skip for name, value, skip in found), \
        f"{project_id(language, ci)}: the copier manager found {found}, not the template {SRC_PATH} at {TAG}"


def reference(dep: dict) -> str:
    return f"{dep.get('depName')}:{dep.get('currentValue')}"


@ONE_WORKER
@EACH_PROJECT
def test_dockerfile_manager_finds_every_image_the_build_needs(extraction, language, ci):
    """The syntax frontend, the builder images and the runtime base, ARGs resolved as the build resolves them."""
    project, files = extraction(language, ci)
    found = {reference(d) for d in deps(files, "dockerfile")}
    images = [image.split("@")[0] for image in Dockerfile.of(project).images]
    missing = [image for image in images if image not in found]
    assert not missing, \
        f"{project_id(language, ci)}: the dockerfile manager did not find {missing}; it found {sorted(found)}"
    runtime = Dockerfile.of(project).external_bases[-1].split("@")[0]
    skipped = [d["skipReason"] for d in deps(files, "dockerfile") if reference(d) == runtime and d.get("skipReason")]
    assert not skipped, f"{project_id(language, ci)}: the runtime base {runtime} is skipped: {skipped}"


@ONE_WORKER
@EACH_PROJECT
def test_dockerfile_manager_can_pin_every_image(extraction, language, ci):
    """docker:pinDigests writes each digest over the text Renovate found the image in (its replaceString):
    that text must be in the Dockerfile as written. An image whose tag a FROM line builds from a version
    ARG (golang:${GO_VERSION}-trixie) is found, but under a text no file holds, so it is never pinned."""
    project, files = extraction(language, ci)
    for file in files.get("dockerfile", []):
        text = (project / file["packageFile"]).read_text()
        unpinnable = [f"{reference(d)} ({d.get('skipReason') or 'found as ' + repr(d.get('replaceString'))})"
                      for d in file.get("deps", []) if d.get("datasource") == "docker"
                      if d.get("skipReason") or not d.get("replaceString") or d["replaceString"] not in text]
        assert not unpinnable, f"{project_id(language, ci)}: {file['packageFile']}: cannot pin {unpinnable}"


def ci_images(node) -> list[str]:
    """The images and services of a .gitlab-ci.yml (as strings or `name:`), those named by a variable left out."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            entries = [value] if key == "image" else value if key == "services" and isinstance(value, list) else []
            for entry in entries:
                ref = entry.get("name") if isinstance(entry, dict) else entry
                if isinstance(ref, str) and "$" not in ref:
                    found.append(ref)
            found += ci_images(value)
    elif isinstance(node, list):
        for item in node:
            found += ci_images(item)
    return found


def actions(project: Path) -> list[str]:
    """owner/repo of every `uses:` in the project's workflows (an action's subfolder left out)."""
    found = []
    for workflow in sorted((project / ".github" / "workflows").glob("*.y*ml")):
        for job in (yaml.safe_load(workflow.read_text()).get("jobs") or {}).values():
            found += ["/".join(step["uses"].split("@")[0].split("/")[:2])
                      for step in job.get("steps", []) if "uses" in step]
    return found


@ONE_WORKER
@EACH_PROJECT
def test_ci_manager_finds_the_ci_actions_or_images(extraction, language, ci):
    project, files = extraction(language, ci)
    if (project / ".gitlab-ci.yml").exists():
        manager, expected = "gitlabci", ci_images(yaml.safe_load((project / ".gitlab-ci.yml").read_text()))
        found = {reference(d) for d in deps(files, manager)}
        expected = [ref.split("@")[0] for ref in expected]
    else:
        manager, expected = "github-actions", actions(project)
        found = {d.get("depName") for d in deps(files, manager)}
    assert expected, f"{project_id(language, ci)}: no action or CI image in the project's CI"
    missing = sorted(set(expected) - found)
    assert not missing, \
        f"{project_id(language, ci)}: the {manager} manager did not find {missing}; it found {sorted(found)}"


@ONE_WORKER
@EACH_PROJECT
def test_a_manager_finds_the_language_manifest_and_its_lockfile(extraction, language, ci):
    """The manifest (the first file of the package manager's `manifests` in the profile) holds dependencies,
    and a lockfile beside it (a file of that list named *lock*) is the one Renovate's lockfile maintenance
    rewrites."""
    project, files = extraction(language, ci)
    manifests = profile(language).manifests
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    package_manager = answers.get("package_manager") or next(iter(manifests))
    manifest, *others = manifests[package_manager]
    lockfiles = [name for name in others if "lock" in Path(name).name.lower() and (project / name).exists()]
    matched = [(manager, file) for manager, entries in files.items() for file in entries
               if file.get("packageFile") == manifest]
    where = f"{project_id(language, ci)} ({package_manager})"
    read = sorted(file["packageFile"] for entries in files.values() for file in entries)
    assert matched, f"{where}: no manager read {manifest}; they read {read}"
    assert any(file.get("deps") for _, file in matched), f"{where}: {manifest} holds no dependency for {matched}"
    for lockfile in lockfiles:
        assert any(lockfile in (file.get("lockFiles") or []) for _, file in matched), \
            f"{where}: {[m for m, _ in matched]} read {manifest} without its lockfile {lockfile}: " \
            f"{[file.get('lockFiles') for _, file in matched]}"


@ONE_WORKER
@EACH_PROJECT
def test_maven_wrapper_manager_finds_the_wrapper_where_the_project_has_one(extraction, language, ci):
    project, files = extraction(language, ci)
    names = sorted({d.get("depName") for d in deps(files, "maven-wrapper")})
    if (project / WRAPPER).exists():
        assert {"maven", "maven-wrapper"} <= set(names), \
            f"{project_id(language, ci)}: in {WRAPPER} the maven-wrapper manager found {names}, not maven and wrapper"
    else:
        assert not names, f"{project_id(language, ci)}: no {WRAPPER}, yet the maven-wrapper manager found {names}"
