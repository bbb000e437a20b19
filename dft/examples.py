"""examples/: the files the template owns (Dockerfile, .dockerignore, CI, compose, README), rendered for every
distinct Dockerfile and committed, so that users browse what they would get and every template change
shows as a diff of real files. The samples and their lockfiles are the language folders' own, and are
not repeated here. `scripts/examples` rewrites them; a render-tier test fails when they drift from the
templates. .gitattributes marks them as generated.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dft.matrix import ROOT
from dft.targets import Target, distinct_dockerfiles

EXAMPLES = ROOT / "examples"
# What an example holds of a project: the files the template owns and re-renders on every update.
OWNED = ("Dockerfile", ".dockerignore", "compose.yaml", "README.md", ".github/workflows/ci.yml", ".gitlab-ci.yml")


def files(project: Path) -> dict[str, bytes]:
    """The files of a project that an example holds, by relative path."""
    return {name: (project / name).read_bytes() for name in OWNED if (project / name).is_file()}


def drift(target: Target) -> list[str]:
    """What differs between the target's render and its example, one line per file."""
    want, have = files(target.project), files(EXAMPLES / target.id)
    return ([f"missing {name}" for name in sorted(set(want) - set(have))]
            + [f"not rendered any more: {name}" for name in sorted(set(have) - set(want))]
            + [f"differs: {name}" for name in sorted(set(want) & set(have)) if want[name] != have[name]])


def stale() -> list[str]:
    """Example folders that no target renders any more."""
    names = {target.id for target in distinct_dockerfiles()}
    return sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir() and path.name not in names) \
        if EXAMPLES.exists() else []


def write() -> None:
    shutil.rmtree(EXAMPLES, ignore_errors=True)
    for target in distinct_dockerfiles():
        for name, data in files(target.project).items():
            dest = EXAMPLES / target.id / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            shutil.copymode(target.project / name, dest)
        print(f"examples/{target.id}", file=sys.stderr)


if __name__ == "__main__":
    write()
