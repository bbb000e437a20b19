"""Render tier: a project's .gitignore keeps its tree clean through the language's local installs, builds and
test runs (what each writes: the language's `local_outputs`), so that `copier update`, which refuses a dirty
tree, runs; and it hides nothing the template renders, nor the *.rej and *.orig files an update may leave."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dft.languages import languages, profile
from dft.matrix import Combination, combinations, defaults, layouts, render_value
from dft.render import rendered

pytestmark = pytest.mark.render

# What `copier update` leaves beside a file whose change it could not merge (--conflict rej), and patch's
# backups: they must show in `git status` until they are resolved.
UPDATE_LEFTOVERS = ["Dockerfile.rej", "README.md.orig"]
# Git as a fresh clone sees it: no global or system excludes file hides what the project's own does not.
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def cases() -> list[Combination]:
    """Per language, its first combination for each package manager, and its layouts."""
    first: dict[tuple, Combination] = {}
    for combination in combinations():
        first.setdefault((combination["language"], combination.data.get("package_manager")), combination)
    return [c for language in languages() for c in [*first.values(), *layouts()] if c["language"] == language]


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com",
                           "-c", "commit.gpgsign=false", *args], cwd=project, env=GIT_ENV,
                          capture_output=True, text=True, check=True).stdout


def untracked(project: Path) -> list[str]:
    """What `git status` shows, one path a line: every untracked file, or anything changed."""
    return [line[3:] for line in git(project, "status", "--porcelain", "--untracked-files=all").splitlines()]


@pytest.fixture
def project(request, tmp_path) -> Path:
    """The combination's render, committed to a new repository."""
    dest = tmp_path / "project"
    shutil.copytree(rendered(request.param), dest, symlinks=True)
    git(dest, "init", "--quiet")
    return dest


@pytest.mark.parametrize("project", cases(), indirect=True, ids=lambda c: c.id)
def test_local_runs_leave_the_tree_clean(project, request):
    combination = request.node.callspec.params["project"]
    language = combination["language"]
    hidden = git(project, "ls-files", "--others", "--ignored", "--exclude-standard").split()
    assert not hidden, f"{combination.id}: the {language} .gitignore hides files the template renders: {hidden}"
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--no-verify", "-m", "rendered")

    answers = defaults(combination.data)
    written: dict[str, str] = {}
    for command, paths in profile(language).local_outputs.items():
        for path in paths:
            target = project / render_value(path, answers)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"written by {command}\n")
            written[str(target.relative_to(project))] = command
    shown = untracked(project)
    assert not shown, (f"{combination.id}: the {language} .gitignore lets local runs dirty the tree: "
                       + "; ".join(f"{path} (from {written.get(path, '?')})" for path in shown))

    for name in UPDATE_LEFTOVERS:
        (project / name).write_text("a hunk copier update could not apply\n")
    assert sorted(untracked(project)) == sorted(UPDATE_LEFTOVERS), \
        f"{combination.id}: the {language} .gitignore hides what copier update leaves: {UPDATE_LEFTOVERS}"


def test_every_language_is_tried():
    assert sorted({c["language"] for c in cases()}) == sorted(languages())
