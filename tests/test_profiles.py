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
from dft.matrix import ROOT, combinations
from dft.languages import (COMMON, PROFILE_FIELDS, TEMPLATES, TEST_FIELDS, ProfileError, check, common,
                                    languages, profile, render_file)
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
                    found.setdefault(name, []).extend(m.groupdict() for m in re.finditer(python_regex, path.read_text()))
    return found


def test_renovate_reaches_every_annotated_version():
    # Each `# renovate:` comment announces a version Renovate must be able to bump in that one place.
    matches = renovate_matches()
    for path in [COMMON, *sorted(TEMPLATES.glob("*/*.yml"))]:
        name = str(path.relative_to(ROOT))
        annotated = len(re.findall(r"(?m)^\s*# renovate: ", path.read_text()))
        reached = [m for m in matches.get(name, []) if "datasource" in m]
        assert len(reached) == annotated, f"{name}: {annotated} annotated versions, renovate.json reaches {len(reached)}"


def test_renovate_reaches_every_action_pin():
    pins = set(common()["ci"]["actions"].values())
    reached = {f"{m['depName']}@{m['currentDigest']}  # {m['currentValue']}"
               for m in renovate_matches().get(str(COMMON.relative_to(ROOT)), []) if "currentDigest" in m}
    assert pins == reached, f"action pins Renovate cannot bump: {sorted(pins - reached)}"


def test_actions_are_pinned_by_full_commit_sha():
    for name, pin in common()["ci"]["actions"].items():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d[\w.]*", pin), f"{name}: {pin}"


def test_the_suite_runs_the_hadolint_the_generated_ci_runs():
    hadolint = Path(sys.executable).parent / "hadolint"
    version = subprocess.run([hadolint, "--version"], capture_output=True, text=True, check=True).stdout
    assert common()["ci"]["hadolint"].lstrip("v") in version, f"CI runs {common()['ci']['hadolint']}, the suite {version}"
