"""Each language's examples (templates/<language>/examples/<target>/): the files the template owns (Dockerfile,
docker-bake.hcl, .dockerignore, CI, compose, README, renovate.json), rendered for each of its distinct
Dockerfiles and committed, so that users browse what they would get and every template change shows as a
diff of real files. The samples and their lockfiles are in the language's project/ already, and are not
repeated. `scripts/examples` rewrites them; a render-tier test fails when they drift from the templates.
.gitattributes marks them as generated.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dft.languages import TEMPLATES
from dft.matrix import ROOT
from dft.targets import Target, distinct_dockerfiles

# What an example holds of a project: the files the template owns and re-renders on every update.
OWNED = ("Dockerfile", "docker-bake.hcl", ".dockerignore", "compose.yaml", "README.md", ".github/workflows/ci.yml",
         ".gitlab-ci.yml", "renovate.json")


def files(project: Path) -> dict[str, bytes]:
    """The files of a project that an example holds, by relative path."""
    return {name: (project / name).read_bytes() for name in OWNED if (project / name).is_file()}


def folder(target: Target) -> Path:
    """Where the target's example lives: in its language's folder, named by its other answers."""
    language = target["language"]
    return TEMPLATES / language / "examples" / target.id.removeprefix(f"{language}-")


def drift(target: Target) -> list[str]:
    """What differs between the target's render and its example, one line per file."""
    want, have = files(target.project), files(folder(target))
    return ([f"missing {name}" for name in sorted(set(want) - set(have))]
            + [f"not rendered any more: {name}" for name in sorted(set(have) - set(want))]
            + [f"differs: {name}" for name in sorted(set(want) & set(have)) if want[name] != have[name]])


def stale() -> list[str]:
    """Example folders that no target renders any more."""
    wanted = {folder(target) for target in distinct_dockerfiles()}
    return sorted(str(path.relative_to(ROOT)) for path in TEMPLATES.glob("*/examples/*")
                  if path.is_dir() and path not in wanted)


def write() -> None:
    for examples in TEMPLATES.glob("*/examples"):
        shutil.rmtree(examples)
    for target in distinct_dockerfiles():
        for name, data in files(target.project).items():
            dest = folder(target) / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            shutil.copymode(target.project / name, dest)
        print(folder(target).relative_to(ROOT), file=sys.stderr)


if __name__ == "__main__":
    write()
