"""Each language is one folder whose profile the templates read and whose tests.yml the tests read; each version
is written once, where Renovate can bump it; the README names the images the Dockerfile builds on."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dft.dockerfile import Dockerfile
from dft.languages import (
    COMMON,
    PROFILE_FIELDS,
    TEMPLATES,
    TEST_FIELDS,
    ProfileError,
    check,
    common,
    languages,
    profile,
    render_file,
)
from dft.matrix import ROOT, combinations, questions
from dft.render import rendered

pytestmark = pytest.mark.render


@pytest.mark.parametrize("language", languages())
def test_every_language_has_a_complete_profile(language):
    profile(language)  # raises ProfileError naming what is missing


@pytest.mark.parametrize("field", [*PROFILE_FIELDS, *TEST_FIELDS])
def test_a_language_without_a_field_is_refused_naming_it(field):
    language = languages()[0]
    data = yaml.safe_load(render_file(TEMPLATES / language / "profile.yml"))
    tests = yaml.safe_load((TEMPLATES / language / "tests.yml").read_text())
    where = "profile" if field in PROFILE_FIELDS else "tests"
    del (data if where == "profile" else tests)[field]
    with pytest.raises(ProfileError, match=rf"templates/{language}/{where}\.yml: no `{re.escape(field)}` field"):
        check(language, data, tests)


def test_the_uids_are_the_contracts():
    # DESIGN.md's contract: distroless's own nonroot user, the same on scratch, a dedicated one on slim.
    assert common()["uid"] == {"distroless": 65532, "scratch": 65532, "slim": 10001}


def test_the_profile_table_prints():
    result = subprocess.run([sys.executable, "-m", "dft.languages"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert all(profile(language).name in result.stdout.splitlines()[0] for language in languages())


# Inline code that names an image with a tag (registry/path:tag), or `scratch`, outside code blocks.
IMAGE_IN_README = re.compile(r"`((?:[a-z0-9.-]+(?::\d+)?/)*[a-z0-9._-]+:[\w.-]+|scratch)`")


@pytest.mark.parametrize("combination", combinations(), ids=lambda c: c.id)
def test_readme_names_the_images_the_dockerfile_builds_on(combination):
    project = rendered(combination)
    readme = re.sub(r"(?ms)^```.*?^```", "", (project / "README.md").read_text())
    named = set(IMAGE_IN_README.findall(readme))
    built_on = set(Dockerfile.of(project).external_bases)
    assert named == built_on, (f"{combination.id}: README.md names {sorted(named - built_on)} that the Dockerfile "
                               f"does not use, and misses {sorted(built_on - named)}")


def renovate_matches() -> dict[str, list[dict]]:
    """What renovate.json's regex managers find, by file: each match's named groups."""
    found: dict[str, list[dict]] = {}
    for manager in json.loads((ROOT / "renovate.json").read_text())["customManagers"]:
        patterns = [re.compile(p.strip("/")) for p in manager["managerFilePatterns"]]
        for path in sorted(ROOT.rglob("*")):
            name = str(path.relative_to(ROOT))
            if path.is_file() and any(p.search(name) for p in patterns):
                for match_string in manager["matchStrings"]:
                    python_regex = match_string.replace("(?<", "(?P<")  # Renovate's regexes are JavaScript's
                    matches = re.finditer(python_regex, path.read_text())
                    found.setdefault(name, []).extend(m.groupdict() | {"text": m.group()} for m in matches)
    return found


def test_renovate_reaches_every_annotated_version():
    # Each `# renovate:` comment announces a version Renovate must be able to bump in that one place.
    matches = renovate_matches()
    for path in [COMMON, *sorted(TEMPLATES.glob("*/*.yml"))]:
        name = str(path.relative_to(ROOT))
        annotated = len(re.findall(r"(?m)^\s*# renovate: ", path.read_text()))
        reached = [m for m in matches.get(name, []) if "datasource" in m]
        assert len(reached) == annotated, \
            f"{name}: {annotated} annotated versions, renovate.json reaches {len(reached)}"


def test_renovate_reaches_every_action_pin():
    pins = set(common()["ci"]["actions"].values())
    reached = {m["text"].strip('"') for m in renovate_matches().get(str(COMMON.relative_to(ROOT)), [])
               if "currentDigest" in m}
    assert pins == reached, f"action pins Renovate cannot bump: {sorted(pins - reached)}"


def test_actions_are_pinned_by_full_commit_sha():
    for name, pin in common()["ci"]["actions"].items():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}  # v\d[\w.]*", pin), f"{name}: {pin}"


def test_the_suite_runs_the_hadolint_the_generated_ci_runs():
    hadolint = Path(sys.executable).parent / "hadolint"
    version = subprocess.run([hadolint, "--version"], capture_output=True, text=True, check=True).stdout
    pinned = common()["ci"]["hadolint"]
    assert pinned.lstrip("v") in version, f"CI runs {pinned}, the suite {version}"


# What the templates and copier.yml read of `profile`: profile.images, profile['init'], profile.versions.uv,
# profile.versions['cargo-chef'], and profile.versions[<answer>], which reads the key of each value the
# answer takes.
FIELD = re.compile(r"""\bprofile(?:\.(\w+)|\[['"]([\w-]+)['"]\])(?:\.(\w+)|\[['"]([\w-]+)['"]\]|\[(\w+)\])?""")


def template_sources() -> str:
    """Every text copier reads as a template: copier.yml, the languages' questions and includes, their
    copier subtrees, the shared includes."""
    paths = [ROOT / "copier.yml", *ROOT.glob("includes/**/*"), *TEMPLATES.glob("*/questions.yml"),
             *TEMPLATES.glob("*/*.jinja"), *TEMPLATES.glob("*/project/**/*")]
    return "\n".join(path.read_text() for path in paths if path.is_file())


def unread_fields(language: str, data: dict, sources: str) -> list[str]:
    """The fields of a profile (and the keys of its mappings the templates index into) that no template
    reads."""
    answers = {name: {c.data.get(name) for c in combinations() if c["language"] == language} for name in questions()}
    read: set[str] = set()
    for match in FIELD.finditer(sources):
        field, key, by_answer = match[1] or match[2], match[3] or match[4], match[5]
        read.add(field)
        if key:
            read.add(f"{field}.{key}")
        elif by_answer in answers:
            read |= {f"{field}.{value}" for value in answers[by_answer]}
        elif by_answer:
            read.add(f"{field}.*")  # indexed by a variable of the template's own: every key
    unread = [field for field in data if field not in read]
    # Under `versions`, each key: a version the templates never name is the forge's, not theirs.
    unread += [f"versions.{key}" for key in data.get("versions", {}) if "versions" in read
               and f"versions.{key}" not in read and "versions.*" not in read]
    return unread


@pytest.mark.parametrize("language", languages())
def test_every_profile_field_is_read_by_a_template(language):
    """profile.yml is what every render gets: a field no template reads belongs to the tests (tests.yml)
    or the forge."""
    unread = unread_fields(language, profile(language).data, template_sources())
    assert not unread, f"templates/{language}/profile.yml: no template or copier.yml reads {unread}"


def test_the_read_check_finds_an_unread_field():
    language = languages()[0]
    data = {**profile(language).data, "spare": 1, "versions": {**profile(language).versions, "spare": "1.0"}}
    assert unread_fields(language, data, template_sources()) == ["spare", "versions.spare"]
