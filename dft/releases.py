"""The collection's releases, and template repositories to update projects between them.

A release is a `## [X.Y.Z]` heading of CHANGELOG.md and the tag `vX.Y.Z` on the commit that added that
heading (the README's "Releasing"). A clone without tags still finds the commit: it is the one that added
the heading. `template_repo` lays the latest release and the working tree, uncommitted edits included, as
two tagged commits of a scratch repository, as copier sees a template's history.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from dft.matrix import ROOT

HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+)\]", re.MULTILINE)


def git(*args: str | Path, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *map(str, args)], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def latest() -> str:
    """The newest release CHANGELOG.md records."""
    versions = HEADING.findall((ROOT / "CHANGELOG.md").read_text())
    if not versions:
        raise LookupError("CHANGELOG.md records no release (## [X.Y.Z] - date)")
    return versions[0]


def commit(version: str) -> str:
    """The commit of a release: its tag's, or the one that added its CHANGELOG heading."""
    tagged = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"v{version}^{{commit}}"],
                            cwd=ROOT, capture_output=True, text=True)
    if tagged.returncode == 0:
        return tagged.stdout.strip()
    added = git("log", "--format=%H", "--reverse", "-S", f"## [{version}]", "--", "CHANGELOG.md").splitlines()
    if not added:
        raise LookupError(f"no commit added '## [{version}]' to CHANGELOG.md, and no tag v{version} exists")
    return added[0]


def next_minor(version: str) -> str:
    major, minor, _ = version.split(".")
    return f"{major}.{int(minor) + 1}.0"


def working_tree_files() -> list[str]:
    """The repository's files as they are: tracked and new ones, less what .gitignore keeps out."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    return [path for path in listed if path and (ROOT / path).is_file()]


def commit_all(repo: Path, message: str, tag: str) -> None:
    git("add", "-A", cwd=repo)
    git("-c", "user.name=dft", "-c", "user.email=dft@localhost", "commit", "-q", "--no-verify", "-m", message,
        cwd=repo)
    git("tag", tag, cwd=repo)


def template_repo(dest: Path) -> tuple[Path, str, str]:
    """A scratch template repository: the latest release, then the working tree as the next release.

    Returns the repository and the two versions.
    """
    old, new = latest(), next_minor(latest())
    git("init", "-q", dest)
    archive = subprocess.run(["git", "archive", commit(old)], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    commit_all(dest, f"release {old}", f"v{old}")
    for path in dest.iterdir():
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in working_tree_files():
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, dest / path)
    commit_all(dest, "the working tree", f"v{new}")
    return dest, old, new


def release(repo: Path, version: str, change: dict[str, tuple[str, str]]) -> None:
    """Commits a change to a scratch template repository as release `version`: each path's old text
    replaced by the new (the text must be there)."""
    for path, (old, new) in change.items():
        text = (repo / path).read_text()
        if old not in text:
            raise ValueError(f"{path} has no {old!r} to change")
        (repo / path).write_text(text.replace(old, new, 1))
    commit_all(repo, f"release {version}", f"v{version}")
