"""The questionnaire: sane defaults, and bad answers rejected with a message that says what to type."""

from __future__ import annotations

import pytest

from tests.harness.matrix import ROOT, _choices, _render, questions
from tests.harness.render import render

pytestmark = pytest.mark.render

BAD_ANSWERS = [
    ("project_slug", "My Service", "e.g. my-service"),
    ("project_slug", "9lives", "starting with a letter"),
    ("project_slug", "double--dash", "single dashes"),
    ("project_slug", "x" * 64, "at most 63 characters"),
    ("project_name", "   ", "Type a name"),
    ("port", 80, "from 1024 to 65535, e.g. 8080"),
    ("port", 70000, "from 1024 to 65535, e.g. 8080"),
    ("image_repository", "ghcr.io/acme/api:1.0", "without tag or scheme"),
    ("image_repository", "https://ghcr.io/acme/api", "without tag or scheme"),
    ("image_repository", "ghcr.io/Acme/api", "in lowercase"),
    ("base_image_mirror", "https://mirror.example.com", "without https://"),
    ("base_image_mirror", "mirror.example.com/hub/", "without a trailing slash"),
    ("runtime", "alpine", "not in"),
]
GOOD_ANSWERS = [
    ("image_repository", "registry.example.com:5000/team/api"),
    ("image_repository", "acme/api"),
    ("base_image_mirror", "mirror.example.com"),
    ("base_image_mirror", "artifactory.example.com:8443/docker-remote"),
    ("port", 1024),
    ("port", 65535),
]


@pytest.mark.parametrize(("question", "answer", "hint"), BAD_ANSWERS, ids=lambda v: str(v)[:24])
def test_bad_answer_is_rejected_with_a_hint(question, answer, hint, tmp_path):
    with pytest.raises(ValueError) as rejected:
        render(tmp_path / "project", {question: answer})
    assert question in str(rejected.value) and hint in str(rejected.value), str(rejected.value)


@pytest.mark.parametrize(("question", "answer"), GOOD_ANSWERS, ids=lambda v: str(v)[:24])
def test_good_answer_is_accepted(question, answer, tmp_path):
    render(tmp_path / "project", {question: answer})


def test_slug_defaults_to_the_name_in_kebab_case(tmp_path):
    project = render(tmp_path / "project", {"project_name": "  Billing API (v2) "})
    assert "project_slug: billing-api-v2" in (project / ".copier-answers.yml").read_text()


def test_languages_offered_are_the_template_folders():
    offered = {value for value, _ in _choices(questions()["language"])}
    folders = {path.name for path in (ROOT / "templates").iterdir() if path.is_dir()}
    assert offered == folders


@pytest.mark.parametrize("language", ["python", "node", "java"])
def test_scratch_is_refused_for_interpreted_languages(language):
    validator = dict(_choices(questions()["runtime"]))["scratch"]
    reason = _render(validator, {"language": language}).strip()
    assert "pick distroless or slim" in reason


@pytest.mark.parametrize("language", ["go", "rust"])
def test_scratch_is_offered_for_static_binaries(language):
    validator = dict(_choices(questions()["runtime"]))["scratch"]
    assert not _render(validator, {"language": language}).strip()


def test_every_question_has_help_and_a_default():
    missing = [name for name, spec in questions().items() if not spec.get("help") or "default" not in spec]
    assert not missing
