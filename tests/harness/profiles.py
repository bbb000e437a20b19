"""The language profiles (profiles/<language>.yml) and what every language shares (profiles/common.yml),
as the tests and the forge read them. copier.yml hands the very same files to the templates as
`profile` and `common`, so a language is a template folder plus one profile.

`python -m tests.harness.profiles` prints the profiles side by side.
"""

from __future__ import annotations

import glob
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from tests.harness.matrix import ROOT, _choices, questions

PROFILES = ROOT / "profiles"
RUNTIMES = ("distroless", "scratch", "slim")

# Every field a language's profile must name, and what it holds: the message when one is missing.
FIELDS = {
    "name": "the language's name as people write it, e.g. Go",
    "versions": "the version choices and pins: each answer's versions, and the tools' versions",
    "images": "per runtime (distroless, scratch, slim): the `builder` and `runtime` image",
    "tool_images": "per package manager: the images its tools are copied from ({} when none)",
    "interpreter": "per runtime: the program that runs the service's code and the probe, where the language "
                   "has one ({} for a compiled language)",
    "health_probe": "the HEALTHCHECK command in exec form, `{path}` standing for the health path and "
                    "`{interpreter}` for the runtime's interpreter; it asks $PORT, or the port given after the path",
    "runtime_versions": "per runtime that ships an interpreter of its own: the only versions it offers ({} "
                        "when every runtime offers every version)",
    "init": "true when the service runs under tini as PID 1, because the language's processes ignore SIGTERM "
            "there unless the app handles it",
    "size_budget_mb": "per runtime: the sample app's image budget in MB, or one per version choice where the "
                      "runtime's base image grows with the version",
    "test_summary": "a regex on the build log that matches when the test runner ran and passed",
    "manifests": "per package manager: the files its dependency step reads (manifests, lockfiles)",
    "dependency_step": "per package manager: text of the RUN step that installs the dependencies",
    "source_file": "the sample's main source file (a glob): a one-line change edits the greeting its `/` "
                   "answers with, the first \"hello\" in it",
    "source_layer_mb": "the most, in MB (uncompressed), that the layers a one-line source change rebuilds may "
                       "hold: what a deploy of that change pulls",
    "line_comment": "how a line comment starts in that file, for a change that leaves the tests passing",
    "never_shipped": "fnmatch patterns of paths the runtime image must not add to its base: toolchains, package "
                     "managers and their caches, test tools, sources the build compiles",
    "registries": "the hosts the dependency step downloads from over HTTPS",
    "add_dependency": "file -> text to append so that the dependency step downloads a new package ({} when "
                      "the sample already downloads one)",
    "forge": "the recipes of tests/forge/standins.py that make this language's images",
}


class ProfileError(Exception):
    pass


@cache
def common() -> dict:
    return yaml.safe_load((PROFILES / "common.yml").read_text())


def debian(ref: str) -> str:
    """A profile's image reference with the Debian release filled in, as includes/macros.jinja does."""
    release = common()["debian"]
    return ref.replace("{debian}", release["codename"]).replace("{debian_version}", str(release["version"]))


def resolve(ref: str, **args: str) -> str:
    """An image reference with the Debian release and the given ARGs (${NAME}) filled in."""
    ref = debian(ref)
    for name, value in args.items():
        ref = ref.replace(f"${{{name}}}", value)
    return ref


@dataclass(frozen=True)
class Profile:
    language: str
    data: dict

    def __getattr__(self, field: str):
        if field in FIELDS:
            return self.data[field]
        raise AttributeError(field)

    @property
    def runtimes(self) -> list[str]:
        return list(self.images)

    def uid(self, runtime: str) -> int:
        return common()["uid"][runtime]

    def dependency_step_for(self, package_manager: str | None) -> str:
        steps = self.dependency_step
        return steps[package_manager] if package_manager else next(iter(steps.values()))

    def size_budget(self, runtime: str, version: str) -> int:
        budget = self.size_budget_mb[runtime]
        return budget[version] if isinstance(budget, dict) else budget

    def source(self, project: Path) -> Path:
        matches = sorted(glob.glob(self.source_file, root_dir=project, recursive=True))
        if len(matches) != 1:
            raise ProfileError(f"{self.language}: source_file {self.source_file!r} matches {matches} in {project}")
        return project / matches[0]


def check(language: str, data: object) -> Profile:
    """The profile, or ProfileError naming the field that is missing or malformed."""
    where = f"profiles/{language}.yml"
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: not a mapping of fields")
    for field, meaning in FIELDS.items():
        if field not in data:
            raise ProfileError(f"{where}: no `{field}` field ({meaning})")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ProfileError(f"{where}: unknown field(s) {unknown}; the fields are {list(FIELDS)}")
    for runtime, images in data["images"].items():
        if runtime not in RUNTIMES:
            raise ProfileError(f"{where}: images.{runtime}: the runtimes are {list(RUNTIMES)}")
        for role in ("builder", "runtime"):
            if not isinstance(images, dict) or role not in images:
                raise ProfileError(f"{where}: images.{runtime} has no `{role}` image")
    if set(data["size_budget_mb"]) != set(data["images"]):
        raise ProfileError(f"{where}: size_budget_mb names {sorted(data['size_budget_mb'])}, "
                           f"images names {sorted(data['images'])}: one budget per runtime")
    try:
        re.compile(data["test_summary"])
    except re.error as error:
        raise ProfileError(f"{where}: test_summary is not a regex: {error}") from error
    return Profile(language, data)


def languages() -> list[str]:
    return [value for value, _ in _choices(questions()["language"])]


@cache
def profile(language: str) -> Profile:
    path = PROFILES / f"{language}.yml"
    if not path.exists():
        raise ProfileError(f"{path.relative_to(ROOT)} is missing: every language of copier.yml needs a profile")
    return check(language, yaml.safe_load(path.read_text()))


CELL = 48  # the widest a cell of the table gets


def table() -> str:
    """The profiles side by side: a row per field (nested fields joined with dots), what every language
    shares (uid, Debian release) included."""
    def flat(value, prefix):
        if isinstance(value, dict) and value:
            for key, item in value.items():
                yield from flat(item, f"{prefix}.{key}")
        elif isinstance(value, list):
            yield prefix, ", ".join(value)
        else:
            lines = debian(str(value)).strip().splitlines() or ["{}"]
            cell = lines[0] + (f" (+{len(lines) - 1} lines)" if len(lines) > 1 else "")
            yield prefix, cell if len(cell) <= CELL else cell[:CELL - 1] + "…"

    release = common()["debian"]
    columns = {}
    for language in languages():
        chosen = profile(language)
        cells = {"debian": f"{release['codename']} ({release['version']})"}
        cells |= {f"uid.{runtime}": str(chosen.uid(runtime)) for runtime in chosen.runtimes}
        for field in FIELDS:
            cells |= dict(flat(chosen.data[field], field))
        columns[chosen.name] = cells
    order = ["debian", *(f"uid.{r}" for r in RUNTIMES)]
    rows = [row for row in order if any(row in c for c in columns.values())]
    rows += [row for row in dict.fromkeys(k for c in columns.values() for k in c) if row not in rows]
    rows.sort(key=lambda row: (list(FIELDS).index(row.split(".")[0]) + 1) if row.split(".")[0] in FIELDS else 0)
    widths = [max(map(len, rows))] + [max(len(name), *(len(c.get(r, "-")) for r in rows)) for name, c in columns.items()]
    lines = [["", *columns]] + [[row, *(c.get(row, "-") for c in columns.values())] for row in rows]
    out = ["  ".join(f"{cell:{width}}" for cell, width in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


if __name__ == "__main__":
    try:
        print(table())
    except ProfileError as error:
        sys.exit(f"error: {error}")
