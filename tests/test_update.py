"""`copier update` from the latest release to the working tree, as a user who replaced the sample lives it.

The scratch template repository (dft/releases.py) holds the latest release (vX.Y.Z) and the working tree
as the next one. Each language's project is copied at the release with one of its drop-in services'
answers, the sample replaced by that service (files of its own, and some with the sample's names), one
line of the Dockerfile edited, and committed; then updated as a user would, to the newest tag.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import copier
import pytest
import yaml

from dft import DFT_HOME
from dft.languages import TEMPLATES, WRITTEN_WHERE_NONE, languages, profile, template_owned
from dft.lockfiles import CA_BUNDLE
from dft.matrix import ROOT
from dft.releases import commit_all, git, release, template_repo

pytestmark = pytest.mark.render

# The user's one-line edit of the Dockerfile: a label in the runtime stage, after its USER. Not beside its
# FROM line: a release that moves a base image rewrites that line (as the one did that put versioned
# images whole in ARGs, for Renovate to pin), and git's merge calls a change beside another a conflict.
EDIT = 'LABEL org.example.team="payments"'
CONFLICT_MARKERS = (b"<<<<<<< ", b">>>>>>> ")


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """The scratch template repository, the latest release and the next one (the working tree)."""
    return template_repo(tmp_path_factory.mktemp("template"))


def service(language: str) -> Path:
    return sorted(p for p in (TEMPLATES / language / "services").iterdir() if p.is_dir())[0]


def service_answers(language: str) -> dict:
    return yaml.safe_load((service(language) / "answers.yml").read_text())


def copy(repo: Path, dest: Path, answers: dict, version: str) -> Path:
    copier.run_copy(str(repo), dest, data=answers, vcs_ref=f"v{version}", defaults=True, quiet=True,
                    unsafe=False)
    return dest


def commit(project: Path, message: str) -> None:
    git("add", "-A", cwd=project)
    git("-c", "user.name=user", "-c", "user.email=user@localhost", "commit", "-q", "--no-verify", "-m", message,
        cwd=project)


def snapshot(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in sorted(project.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(project).parts}


def users_files(project: Path, language: str, before: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The user's files; after an update (given those `before` it), less those it wrote where there were
    none (.gitignore, .trivyignore.yaml)."""
    owned = template_owned(language)
    files = {path: data for path, data in snapshot(project).items() if path.split("/")[0] not in owned}
    for path in WRITTEN_WHERE_NONE if before is not None else ():
        if path not in before:
            files.pop(path, None)
    return files


def edit_dockerfile(project: Path) -> None:
    dockerfile = project / "Dockerfile"
    lines = dockerfile.read_text().splitlines(keepends=True)
    user = max(i for i, line in enumerate(lines) if line.startswith("USER "))
    lines.insert(user + 1, EDIT + "\n")
    dockerfile.write_text("".join(lines))


def users_project(repo: Path, version: str, language: str, dest: Path) -> Path:
    """A project copied at `version` whose sample the user replaced with a service, Dockerfile edited."""
    project = copy(repo, dest, service_answers(language), version)
    git("init", "-q", cwd=project)
    commit(project, "copied")
    owned = template_owned(language)
    sample = users_files(project, language)
    for path in project.iterdir():
        if path.name not in owned and path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(service(language), project, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("answers.yml", "expect.yml"))
    edit_dockerfile(project)
    commit(project, "my service")
    mine = users_files(project, language)
    assert mine.keys() - sample.keys() and mine.keys() & {p for p in sample if sample[p] != mine.get(p)}, \
        f"{language}: the service should bring files of its own, and one with a sample file's name"
    return project


def update(project: Path, **data) -> None:
    copier.run_update(project, data=data, defaults=True, overwrite=True, quiet=True, unsafe=False)


def leftovers(project: Path) -> list[str]:
    """Files with a conflict marker, and .rej files."""
    found = []
    for path, data in snapshot(project).items():
        if path.endswith(".rej") or any(line.startswith(CONFLICT_MARKERS) for line in data.splitlines()):
            found.append(path)
    return found


@pytest.fixture(scope="module", params=languages())
def updated(request, releases, tmp_path_factory):
    """A user's project before and after `copier update` to the newest release."""
    repo, old, _ = releases
    language = request.param
    project = users_project(repo, old, language, tmp_path_factory.mktemp(language) / "project")
    before = snapshot(project)
    update(project)
    return language, project, before


def test_an_update_keeps_the_users_files_byte_for_byte(updated):
    language, project, before = updated
    owned = template_owned(language)
    mine = {path: data for path, data in before.items() if path.split("/")[0] not in owned}
    assert users_files(project, language, mine) == mine, \
        f"{language}: an update changed, added or removed the user's files"


def test_an_update_keeps_the_users_dockerfile_edit(updated):
    language, project, _ = updated
    assert EDIT in (project / "Dockerfile").read_text(), f"{language}: the user's Dockerfile line is gone"


def test_an_update_brings_the_releases_template_files(updated, releases, tmp_path):
    language, project, _ = updated
    repo, _, new = releases
    answers = {k: v for k, v in yaml.safe_load((project / ".copier-answers.yml").read_text()).items()
               if not k.startswith("_")}
    fresh = copy(repo, tmp_path / "fresh", answers, new)
    edit_dockerfile(fresh)
    owned = template_owned(language)
    expected = {p: d for p, d in snapshot(fresh).items() if p.split("/")[0] in owned and p != ".copier-answers.yml"}
    got = {p: d for p, d in snapshot(project).items() if p.split("/")[0] in owned and p != ".copier-answers.yml"}
    assert sorted(got) == sorted(expected), f"{language}: the template's files differ from the release's"
    differ = [p for p in expected if got[p] != expected[p]]
    assert not differ, f"{language}: these template files are not the release's after the update: {differ}"


def test_an_update_leaves_no_conflict(updated):
    language, project, _ = updated
    assert not leftovers(project), f"{language}: conflict markers or .rej files after the update"


def test_an_update_takes_the_newest_release(updated, releases):
    language, project, _ = updated
    _, _, new = releases
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"]
    assert recorded == f"v{new}", f"{language}: updated to {recorded}, not the newest tag v{new}"


@pytest.mark.parametrize("language", languages())
def test_a_recopy_overwrites_none_of_the_users_files(language, releases, tmp_path):
    """`copier recopy` is a fresh copy over the project: it writes the sample's files the user deleted
    (git shows them), and overwrites none that the user has."""
    repo, old, _ = releases
    project = users_project(repo, old, language, tmp_path / "project")
    mine = users_files(project, language)
    copier.run_recopy(project, defaults=True, overwrite=True, quiet=True, unsafe=False)
    after = users_files(project, language)
    changed = sorted(path for path in mine if after.get(path) != mine[path])
    assert not changed, f"{language}: copier recopy overwrote the user's {changed}"


# Answers that change on update: where the code is (the language's code_answers), the runtime, the CI.

@pytest.mark.parametrize(("language", "answer", "value"), [
    *[(language, answer, value) for language in languages()
      for answer, value in profile(language).code_answers.items()],
    *[(language, "runtime", "slim") for language in languages()],
    *[(language, "ci", "gitlab") for language in languages()],
])
def test_a_changed_answer_leaves_the_users_files_in_place(language, answer, value, releases, tmp_path):
    repo, old, new = releases
    project = users_project(repo, old, language, tmp_path / "project")
    mine = users_files(project, language)
    update(project, **{answer: value})
    assert users_files(project, language, mine) == mine, f"{language}: -d {answer}={value} touched the user's files"
    answers = {k: v for k, v in yaml.safe_load((project / ".copier-answers.yml").read_text()).items()
               if not k.startswith("_")}
    fresh = copy(repo, tmp_path / "fresh", answers, new)
    owned = template_owned(language)
    assert sorted(p for p in snapshot(project) if p.split("/")[0] in owned) == \
        sorted(p for p in snapshot(fresh) if p.split("/")[0] in owned), \
        f"{language}: -d {answer}={value} left the template's files of another answer"


@pytest.mark.parametrize("language", languages())
def test_a_language_change_is_refused(language, releases, tmp_path):
    repo, _, new = releases
    other = next(lang for lang in languages() if lang != language)
    project = copy(repo, tmp_path / "project", service_answers(language), new)
    git("init", "-q", cwd=project)
    commit(project, "copied")
    with pytest.raises(ValueError) as refused:
        update(project, language=other)
    assert str(refused.value) == (f"Validation error for question 'language': Keep {language}: for {other}, copy a new "
                                  "project and move your code there")


# The conflict guard: .pre-commit-config.yaml's hooks, as the generated CI runs them.

def guard(project: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(DFT_HOME / "pre-commit")}
    return subprocess.run(["pre-commit", "run", "--all-files"], cwd=project, env=env, capture_output=True,
                          text=True)


def test_a_conflicting_dockerfile_edit_fails_the_guard_naming_the_file(tmp_path):
    repo, _, new = template_repo(tmp_path / "template")
    language = languages()[0]
    project = users_project(repo, new, language, tmp_path / "project")
    assert guard(project).returncode == 0, f"{language}: the guard fails with no conflict: {guard(project).stdout}"
    # The user and the next release change the Dockerfile's first line, each their own way.
    dockerfile = project / "Dockerfile"
    syntax = dockerfile.read_text().splitlines()[0]
    dockerfile.write_text(dockerfile.read_text().replace(syntax, syntax + "  # ours", 1))
    commit(project, "my syntax line")
    release(repo, "9.9.9", {"includes/dockerfile/header.jinja": ("# syntax=", "# the release's\n# syntax=")})
    update(project)
    result = guard(project)
    assert result.returncode != 0, f"{language}: the guard passed a conflicted Dockerfile"
    assert "Dockerfile" in result.stdout, f"{language}: the guard's failure does not name the file:\n{result.stdout}"


# A lockfile is the user's: an update that bumps the sample's dependencies leaves it as npm wrote it.

def test_an_update_keeps_a_lockfile_the_user_changed(tmp_path):
    language = next(lang for lang in languages() if "npm" in profile(lang).manifests)
    repo, _, new = template_repo(tmp_path / "template")
    project = copy(repo, tmp_path / "project", {"language": language, "package_manager": "npm"}, new)
    git("init", "-q", cwd=project)
    commit(project, "copied")
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": os.environ.get("NODE_EXTRA_CA_CERTS", str(CA_BUNDLE))}
    subprocess.run(["npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund",
                    "ms@2.1.3"], cwd=project, env=env, check=True, capture_output=True)
    commit(project, "add ms")
    mine = {name: (project / name).read_bytes() for name in ("package.json", "package-lock.json")}
    # The next release bumps the sample's fastify, in its manifest and its lockfile.
    sample = Path("templates", language, "project")
    manifest = (repo / sample / "package.json.jinja").read_text()
    fastify = manifest.split('"fastify": "^', 1)[1].split('"', 1)[0]
    release(repo, "9.9.9", {str(sample / "package.json.jinja"): (f'"fastify": "^{fastify}"', '"fastify": "^99.0.0"')})
    update(project)
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v9.9.9"
    for name, data in mine.items():
        assert (project / name).read_bytes() == data, f"{language}: the update changed the user's {name}"


# A question renamed between releases: the new one defaults to the old key, which copier keeps reading
# from the answers file as a last answer.

def test_a_renamed_answer_carries_over(tmp_path):
    repo, _, new = template_repo(tmp_path / "template")
    language = languages()[0]
    project = copy(repo, tmp_path / "project", {"language": language, "extra_files": "static/"}, new)
    git("init", "-q", cwd=project)
    commit(project, "copied")
    dockerignore = (project / ".dockerignore").read_bytes()
    for path in (repo / "copier.yml", *(repo / "includes").rglob("*.jinja")):
        path.write_text(path.read_text().replace("extra_files", "build_files"))
    config = repo / "copier.yml"
    config.write_text(config.read_text().replace('build_files:\n  type: str\n', 'build_files:\n  type: str\n'
                                                 '  default: "{{ extra_files | default(\'\') }}"\n', 1))
    config.write_text(config.read_text().replace('  default: ""\n  validator: >-\n    {%- set bad', '  validator: >-\n'
                                                 '    {%- set bad', 1))
    commit_all(repo, "rename extra_files to build_files", "v9.9.9")
    update(project)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["build_files"] == "static/", "the renamed question lost the old answer"
    assert (project / ".dockerignore").read_bytes() == dockerignore, "the renamed answer changed the .dockerignore"


def test_the_suite_runs_the_pre_commit_the_generated_ci_runs():
    requirements = (ROOT / "tests" / "requirements.txt").read_text()
    suite = re.search(r"^pre-commit==(\S+)", requirements, re.MULTILINE)[1]
    ci = re.search(r"^  pre_commit: (\S+)", (ROOT / "includes" / "common.yml").read_text(), re.MULTILINE)[1]
    assert suite == ci, f"tests/requirements.txt pins pre-commit {suite}, includes/common.yml {ci}"


# A version choice that a release drops: the update stops and says which version to give, rather than
# moving the project to another one without a word.

def test_a_dropped_version_stops_the_update_and_says_which_to_give(tmp_path):
    repo, _, new = template_repo(tmp_path / "template")
    language = languages()[0]
    question, versions = f"{language}_version", profile(language).versions[language]
    kept, dropped = versions[:-1], versions[-1]
    project = copy(repo, tmp_path / "project", {"language": language, question: dropped}, new)
    git("init", "-q", cwd=project)
    commit(project, "copied")
    profile_yml = f"templates/{language}/profile.yml"
    def listed(choices):
        return f"{language}: [{', '.join(json.dumps(v) for v in choices)}]"
    release(repo, "9.9.9", {profile_yml: (listed(versions), listed(kept))})
    before = snapshot(project)
    with pytest.raises(ValueError) as stopped:
        update(project)
    assert str(stopped.value) == (f"Invalid choice for '{question}': Pick {' or '.join(kept)}: this release offers no "
                                  f"{profile(language).name} {dropped}")
    assert snapshot(project) == before, f"{language}: the stopped update changed the project"
    update(project, **{question: kept[0]})
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())[question] == kept[0]


# A release that changes the template's files around the user's edit, or moves one of them.

def test_a_dockerfile_edit_survives_a_release_that_changes_other_lines(tmp_path):
    repo, _, new = template_repo(tmp_path / "template")
    language = languages()[0]
    project = users_project(repo, new, language, tmp_path / "project")
    release(repo, "9.9.9", {"includes/dockerfile/header.jinja": ("builds the image,", "builds the image (9.9.9),")})
    update(project)
    dockerfile = (project / "Dockerfile").read_text()
    assert "builds the image (9.9.9)," in dockerfile, f"{language}: the release's change did not arrive"
    assert EDIT in dockerfile, f"{language}: the user's Dockerfile line is gone"
    assert not leftovers(project), f"{language}: conflict markers or .rej files after the update"


def test_a_template_file_moved_by_a_release_moves_in_the_project(tmp_path):
    repo, _, new = template_repo(tmp_path / "template")
    language = languages()[0]
    project = users_project(repo, new, language, tmp_path / "project")
    mine = users_files(project, language)
    old_path = repo / "templates" / language / "project" / "compose.yaml.jinja"
    old_path.rename(old_path.with_name("compose.yml.jinja"))
    commit_all(repo, "compose.yaml is compose.yml", "v9.9.9")
    update(project)
    assert not (project / "compose.yaml").exists(), f"{language}: the moved file stayed at its old path"
    assert (project / "compose.yml").is_file(), f"{language}: the moved file is not at its new path"
    after = {path: data for path, data in users_files(project, language, mine).items() if path != "compose.yml"}
    assert after == mine, f"{language}: the move touched the user's files"
    assert not leftovers(project), f"{language}: conflict markers or .rej files after the update"
