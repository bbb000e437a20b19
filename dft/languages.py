"""Each language's folder, templates/<language>/, as the tests and the forge read it: `profile.yml`, what the
templates know (copier.yml hands the very same file to them as `profile`), and `tests.yml`, what the
tests know; includes/common.yml (`common`) is what every language shares.

`python -m dft.languages` prints the languages side by side.
"""

from __future__ import annotations

import glob
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from dft.matrix import ROOT, choices, defaults, jinja, questions

TEMPLATES = ROOT / "templates"
COMMON = ROOT / "includes" / "common.yml"
RUNTIMES = ("distroless", "scratch", "slim")

# Every field of a language's profile.yml, what the templates read: the message when one is missing.
PROFILE_FIELDS = {
    "name": "the language's name as people write it, e.g. Go",
    "versions": "the version choices (a list per version question, the newest first) and the tools' versions",
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
    "manifests": "per package manager: the files its dependency step reads: the manifest, the lockfile, any other",
    "owned_files": "files of the project the template owns beyond those every language has ([] when none)",
    "gitignore": "what the language's local installs, builds and test runs write into the project, for its "
                 ".gitignore (includes/gitignore.jinja): a comment (why) -> its patterns; never a lockfile",
}
# Fields a profile.yml may have: the entry_point question's, where the language asks it.
OPTIONAL_PROFILE_FIELDS = {
    "entry_point": "the entry_point question's `help`, and `program_dir`, where the image finds the command's "
                   "program (empty when the command is the interpreter's arguments)",
}

# Every field of a language's tests.yml, what the tests read.
TEST_FIELDS = {
    "size_budget_mb": "per runtime: the sample app's image budget in MB, or one per version choice where the "
                      "runtime's base image grows with the version",
    "test_summary": "a regex on the build log that matches when the test runner ran and passed",
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
    "layouts": "name -> answers beyond the matrix's choices that shape a project's layout ({} when none)",
    "answers": "`bad`: [question, answer, message] its validators refuse, `good`: [question, answer] they take",
    "formatters": "the language's standard formatter and linter: name, argv, bad_file, and env, prepare, download, "
                  "toolchain, output_is_finding where needed",
    "release_platforms": "per runtime, the platforms besides the engine's that its release is baked for, run on "
                         "and signed in tests/test_registry.py: the forge makes their stand-ins ([] until it can)",
    "code_answers": "answers that say where the user's code is, each with another value: an update given one moves "
                    "no file of the user's (tests/test_update.py)",
    "local_outputs": "a local command of the language (install, build, test, lint) -> files it writes into the "
                     "project, each a Jinja template of the answers: the project's .gitignore must hide them all "
                     "(tests/test_gitignore.py)",
}
FIELDS = PROFILE_FIELDS | TEST_FIELDS


class ProfileError(Exception):
    pass


@cache
def common() -> dict:
    return yaml.safe_load(COMMON.read_text())


def render_file(path: Path) -> str:
    """A language's file rendered as copier includes it: a Jinja template that may read `common`."""
    return jinja().get_template(str(path.relative_to(ROOT))).render(common=common())


def resolve(ref: str, **args: str) -> str:
    """An image reference with the given version ARGs (${NAME}) filled in, by the templates' own macro."""
    macro = "{% from 'includes/macros.jinja' import shown %}{{ shown(ref, args) }}"
    return jinja().from_string(macro).render(ref=ref, args=args)


@dataclass(frozen=True)
class Profile:
    """A language as its folder describes it: profile.yml's fields, then tests.yml's."""

    language: str
    data: dict
    tests: dict

    def __getattr__(self, field: str):
        if field in PROFILE_FIELDS or field in OPTIONAL_PROFILE_FIELDS:
            return self.data.get(field)
        if field in TEST_FIELDS:
            return self.tests[field]
        raise AttributeError(field)

    @property
    def folder(self) -> Path:
        return TEMPLATES / self.language

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


def check_fields(where: str, data: object, fields: dict[str, str], optional: dict[str, str]) -> dict:
    """The file's fields, or ProfileError naming the one that is missing or unknown."""
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: not a mapping of fields")
    for field, meaning in fields.items():
        if field not in data:
            raise ProfileError(f"{where}: no `{field}` field ({meaning})")
    unknown = sorted(set(data) - set(fields) - set(optional))
    if unknown:
        raise ProfileError(f"{where}: unknown field(s) {unknown}; the fields are {list(fields) + list(optional)}")
    return data


def check(language: str, data: object, tests: object) -> Profile:
    """The language, or ProfileError naming the field that is missing or malformed."""
    where = f"templates/{language}/profile.yml"
    data = check_fields(where, data, PROFILE_FIELDS, OPTIONAL_PROFILE_FIELDS)
    tests = check_fields(f"templates/{language}/tests.yml", tests, TEST_FIELDS, {})
    for runtime, images in data["images"].items():
        if runtime not in RUNTIMES:
            raise ProfileError(f"{where}: images.{runtime}: the runtimes are {list(RUNTIMES)}")
        for role in ("builder", "runtime"):
            if not isinstance(images, dict) or role not in images:
                raise ProfileError(f"{where}: images.{runtime} has no `{role}` image")
    if set(tests["size_budget_mb"]) != set(data["images"]):
        raise ProfileError(f"templates/{language}/tests.yml: size_budget_mb names {sorted(tests['size_budget_mb'])}, "
                           f"profile.yml's images name {sorted(data['images'])}: one budget per runtime")
    try:
        re.compile(tests["test_summary"])
    except re.error as error:
        raise ProfileError(f"templates/{language}/tests.yml: test_summary is not a regex: {error}") from error
    return Profile(language, data, tests)


@cache
def languages() -> list[str]:
    """copier.yml's `language` choices (its `languages`): each one a folder of templates/."""
    return [value for value, _ in choices(questions()["language"], defaults({}))]


@cache
def profile(language: str) -> Profile:
    folder = TEMPLATES / language
    for name in ("profile.yml", "tests.yml"):
        if not (folder / name).exists():
            raise ProfileError(f"templates/{language}/{name} is missing: every language of copier.yml needs one")
    return check(language, yaml.safe_load(render_file(folder / "profile.yml")),
                 yaml.safe_load((folder / "tests.yml").read_text()))


CELL = 48  # the widest a cell of the table gets


def table() -> str:
    """The profiles side by side: a row per field (nested fields joined with dots), what every language
    shares (uid, Debian release) included."""
    def flat(value, prefix):
        if isinstance(value, dict) and value:
            for key, item in value.items():
                yield from flat(item, f"{prefix}.{key}")
        elif isinstance(value, list) and all(isinstance(item, dict) and "name" in item for item in value):
            for item in value:  # formatters, by name
                yield from flat({k: v for k, v in item.items() if k != "name"}, f"{prefix}.{item['name']}")
        elif isinstance(value, list):
            yield prefix, ", ".join(map(str, value))
        else:
            lines = str(value).strip().splitlines() or ["{}"]
            cell = lines[0] + (f" (+{len(lines) - 1} lines)" if len(lines) > 1 else "")
            yield prefix, cell if len(cell) <= CELL else cell[:CELL - 1] + "…"

    release = common()["debian"]
    columns = {}
    for language in languages():
        chosen = profile(language)
        cells = {"debian": f"{release['codename']} ({release['version']})"}
        cells |= {f"uid.{runtime}": str(chosen.uid(runtime)) for runtime in chosen.runtimes}
        for field in FIELDS:
            cells |= dict(flat(getattr(chosen, field), field))
        columns[chosen.name] = cells
    order = ["debian", *(f"uid.{r}" for r in RUNTIMES)]
    rows = [row for row in order if any(row in c for c in columns.values())]
    rows += [row for row in dict.fromkeys(k for c in columns.values() for k in c) if row not in rows]
    rows.sort(key=lambda row: (list(FIELDS).index(row.split(".")[0]) + 1) if row.split(".")[0] in FIELDS else 0)
    widths = [max(map(len, rows))]
    widths += [max(len(name), *(len(c.get(r, "-")) for r in rows)) for name, c in columns.items()]
    lines = [["", *columns]] + [[row, *(c.get(row, "-") for c in columns.values())] for row in rows]
    out = ["  ".join(f"{cell:{width}}" for cell, width in zip(line, widths, strict=False)).rstrip() for line in lines]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


if __name__ == "__main__":
    try:
        print(table())
    except ProfileError as error:
        sys.exit(f"error: {error}")


# What the template owns in every generated project (the generated README's "Keeping up with the
# standard" lists the same); a language's profile names what it owns besides (owned_files). Everything
# else is the user's from the first copy on: the sample, which a service replaces and no update touches,
# and the files an update writes only where there are none (copier.yml's `_skip_if_exists`).
EVERY_LANGUAGE_OWNS = {"Dockerfile", "docker-bake.hcl", ".dockerignore", ".pre-commit-config.yaml", ".healthprobe",
                       "README.md", "compose.yaml", ".github", ".gitlab-ci.yml", ".copier-answers.yml", ".yamllint",
                       "renovate.json"}
WRITTEN_WHERE_NONE = (".gitignore", ".trivyignore.yaml")


def template_owned(language: str) -> set[str]:
    """The top-level names of what the template owns in a project of that language."""
    return EVERY_LANGUAGE_OWNS | {path.split("/")[0] for path in profile(language).owned_files}
