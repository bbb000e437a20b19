"""examples/: a committed render of every distinct Dockerfile, so that users browse what they would get
and every template change shows as a diff of real files. `scripts/examples` rewrites them; a
render-tier test fails when they drift from the templates.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from dft.matrix import ROOT
from dft.targets import Target, distinct_dockerfiles

EXAMPLES = ROOT / "examples"
# A render from the working tree records a temporary copy as its source; an example records the
# collection's published address instead, as a user's project would.
SOURCE = "gh:org/dockerfile-templates"


def files(project: Path) -> dict[str, bytes]:
    """A project's files by relative path, as an example holds them."""
    found = {}
    for path in sorted(project.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.name == ".copier-answers.yml":
                data = re.sub(rb"(?m)^_src_path: .*$", f"_src_path: {SOURCE}".encode(), data)
            found[str(path.relative_to(project))] = data
    return found


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
