"""The questionnaire: sane defaults, and bad answers rejected with a message that says what to type.

A message is read in an 80-column terminal. Copier's prompt shows it in prompt_toolkit's validation
bar, one line (a Window of height 1) cut at the terminal's width, after copier's own prefix
("Validation error for question 'port': "). So the hint, what to type instead, comes first and fits
in that line, and the whole message stays within 80 columns. The same text reaches `copier copy -d`
and the API (copier raises ValueError with that very line) and the prompt (its questionary `validate`
function returns it): both paths are tested.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import copier
import pytest
import yaml
from questionary import Choice

from dft.dockerfile import Dockerfile
from dft.languages import languages, profile
from dft.matrix import ROOT, asked, combinations, defaults, questions, render_value
from dft.render import render, template_copy

pytestmark = pytest.mark.render

COLUMNS = 80
PORT = "Type a port from 1024 to 65535, e.g. 8080"
NAME = "Type a name with a letter or digit, e.g. Billing API"
SLUG_CHARS = "Type a-z, 0-9 and single dashes, e.g. "
SLUG_LENGTH = "Type at most 63 characters, e.g. "
HEALTH_PATH = "Type a /path: letters, digits, ._~-, e.g. /healthz"
EXTRA_FILES = "Type paths from the project root, e.g. static/ openapi.yaml"
LONG_SLUG = "-".join(["abcdefghij"] * 7)  # 76 characters, words of 10

# (question, answer, the message the user sees): the copier.yml blocks of this issue.
BAD_ANSWERS = [
    ("port", "abc", PORT),
    ("port", 80, PORT),
    ("port", 1023, PORT),
    ("port", 70000, PORT),
    ("port", "08080", PORT),  # would print as 08080: Python reads that as a syntax error
    ("port", "8080.0", PORT),
    ("port", "", PORT),
    ("project_name", "!!!", NAME),
    ("project_name", "   ", NAME),
    ("project_name", "Billing\nAPI", "Type the name on one line, e.g. Billing API"),
    ("project_slug", "", "Type a slug: a-z, 0-9, dashes, e.g. my-service"),
    ("project_slug", "My Service", SLUG_CHARS + "my-service"),
    ("project_slug", "double--dash", SLUG_CHARS + "double-dash"),
    ("project_slug", "trailing-", SLUG_CHARS + "trailing"),
    ("project_slug", "Café", SLUG_CHARS + "my-service"),  # not "caf": no letter dropped
    ("project_slug", "9lives", "Start with a letter, e.g. my-service"),
    ("project_slug", "x" * 70, SLUG_LENGTH + "x" * 47),
    ("project_slug", LONG_SLUG, SLUG_LENGTH + "abcdefghij-abcdefghij-abcdefghij-abcdefghij"),
    ("project_slug", "My " + LONG_SLUG, SLUG_LENGTH + "my-abcdefghij-abcdefghij-abcdefghij-abcdefghij"),
    ("description", "One line\nand another", "Type one line, without line breaks"),
    ("image_repository", "ghcr.io/acme/api:1.0", "Drop the tag, e.g. ghcr.io/acme/api"),
    ("image_repository", "ghcr.io/acme/api@sha256:" + "0" * 64, "Drop the tag, e.g. ghcr.io/acme/api"),
    ("image_repository", "https://ghcr.io/acme/api", "Drop the scheme, e.g. ghcr.io/acme/api"),
    ("image_repository", "ghcr.io/Acme/api", "Type it in lowercase, e.g. ghcr.io/acme/api"),
    ("image_repository", "api", "Type registry/path, e.g. registry.example.com/team/api"),
    ("image_repository", "https://" + "r" * 90 + ".example.com/api", "Drop the scheme, e.g. " + "r" * 50),
    ("base_image_mirror", "https://mirror.example.com/", "Drop the scheme, e.g. mirror.example.com"),
    ("base_image_mirror", "mirror.example.com/hub/", "Drop the trailing /, e.g. mirror.example.com/hub"),
    ("base_image_mirror", "mirror example", "Type host[:port][/path], e.g. mirror.example.com/dockerhub"),
    ("health_path", "healthz", HEALTH_PATH),
    ("health_path", "/health check", HEALTH_PATH),
    ("health_path", '/a"b', HEALTH_PATH),
    ("health_port", "80", "Type a port from 1024 to 65535, e.g. 9090"),
    ("health_port", "8080", "Leave it empty: that is $PORT"),
    ("extra_files", "static/ ../secrets", EXTRA_FILES),
    ("build_packages", "libpq-dev", "Pin each as name=version*, e.g. libpq-dev=17.*"),
    ("build_packages", "gcc=14.* libpq-dev", "Pin each as name=version*, e.g. libpq-dev=17.*"),
    ("build_args", "APP_ENV", "Type NAME=default pairs, e.g. APP_ENV=production"),
    ("build_args", 'TOKEN="$SECRET"', "Type NAME=default pairs, e.g. APP_ENV=production"),
    ("labels", "Team=payments", "Type key=value pairs, e.g. com.example.team=payments"),
    ("labels", "com.example.team=", "Type key=value pairs, e.g. com.example.team=payments"),
    ("extra_files", ".env", EXTRA_FILES),
    ("extra_files", "/etc/ssl", EXTRA_FILES),
]
# Each language's own (its tests.yml's `answers`), asked after the answer that picks the language.
BAD_ANSWERS = [(*case, {}) for case in BAD_ANSWERS] + [
    (*case, {"language": language}) for language in languages() for case in profile(language).answers["bad"]]


# Questions with choices: copier's own message names the choices.
BAD_ANSWERS_ELSEWHERE = [
    ("runtime", "alpine", "not in"),
]
GOOD_ANSWERS = [
    ("image_repository", "registry.example.com:5000/team/api"),
    ("image_repository", "acme/api"),
    ("base_image_mirror", "mirror.example.com"),
    ("base_image_mirror", "artifactory.example.com:8443/docker-remote"),
    ("port", 1024),
    ("port", 65535),
    ("port", "9000"),
    ("health_path", ""),
    ("health_path", "/actuator/health"),
    ("project_slug", "a" * 63),
    ("project_slug", "api2"),
    ("project_name", "東京 API"),
    ("project_name", "42"),
    ("health_port", "9090"),
    ("extra_files", "static/ templates/*.html migrations openapi.yaml"),
    ("build_packages", "libpq-dev=17.* protobuf-compiler=3.21.12*"),
    ("build_args", "APP_ENV=production GOFLAGS=-mod=mod GIT_SHA="),
    ("labels", "com.example.team=payments org.opencontainers.image.vendor=Acme"),
]
GOOD_ANSWERS = [(*case, {}) for case in GOOD_ANSWERS] + [
    (*case, {"language": language}) for language in languages() for case in profile(language).answers["good"]]


def prefix(question: str) -> str:
    """What copier puts before a validator's message, at the prompt and in the ValueError alike."""
    return f"Validation error for question '{question}': "


def is_empty(dest: Path) -> bool:
    return not dest.exists() or not any(dest.iterdir())


class Prompted(Exception):
    """Raised by the stand-in prompt when it reaches the question under test, with its questionary spec."""

    def __init__(self, spec: dict):
        super().__init__(spec["name"])
        self.spec = spec


def prompt_for(question: str, answers: dict, monkeypatch, dest: Path) -> dict:
    """The questionary spec copier builds for `question` in an interactive `copier copy`, the questions
    before it answered by `answers` (as -d) or by taking their default (Enter). Its `validate` is what
    the prompt runs on each Enter; its string result is what the bar shows."""

    def prompt(specs, answers=None, **_):
        spec, answers = specs[0], dict(answers or {})
        if not spec.get("when", lambda _: True)(answers):
            return answers
        if spec["name"] == question:
            raise Prompted(spec)
        default = spec.get("default")
        return {**answers, spec["name"]: spec["filter"](default.value if isinstance(default, Choice) else default)}

    monkeypatch.setattr("copier._main.unsafe_prompt", prompt)
    with pytest.raises(Prompted) as prompted:
        copier.run_copy(str(template_copy()), str(dest), data=answers, quiet=True, unsafe=False)
    assert is_empty(dest)
    return prompted.value.spec


@pytest.mark.parametrize(("question", "answer", "message", "before"), BAD_ANSWERS, ids=lambda v: str(v)[:24])
def test_bad_answer_is_rejected_with_a_hint(question, answer, message, before, tmp_path):
    with pytest.raises(ValueError) as rejected:
        render(tmp_path / "project", {**before, question: answer})
    assert str(rejected.value) == prefix(question) + message
    assert len(message) <= COLUMNS, f"{len(message)} columns: {message}"
    hint = message.split(", e.g.")[0]
    assert len(prefix(question) + hint) <= COLUMNS, f"the prompt's bar cuts the hint: {prefix(question) + hint}"
    assert is_empty(tmp_path / "project")


@pytest.mark.parametrize(("question", "answer", "message", "before"), BAD_ANSWERS, ids=lambda v: str(v)[:24])
def test_the_prompt_shows_the_same_message(question, answer, message, before, tmp_path, monkeypatch):
    spec = prompt_for(question, before, monkeypatch, tmp_path / "project")
    assert spec["validate"](str(answer)) == prefix(question) + message


@pytest.mark.parametrize(("question", "answer", "hint"), BAD_ANSWERS_ELSEWHERE, ids=lambda v: str(v)[:24])
def test_bad_answer_elsewhere_is_rejected_with_a_hint(question, answer, hint, tmp_path):
    with pytest.raises(ValueError) as rejected:
        render(tmp_path / "project", {question: answer})
    assert question in str(rejected.value) and hint in str(rejected.value), str(rejected.value)
    assert is_empty(tmp_path / "project")


@pytest.mark.parametrize(("question", "answer", "before"), GOOD_ANSWERS, ids=lambda v: str(v)[:24])
def test_good_answer_is_accepted(question, answer, before, tmp_path):
    data = {**before, question: answer,
            **({"project_slug": "tokyo-api"} if question == "project_name" else {})}
    render(tmp_path / "project", data)


@pytest.mark.parametrize(("name", "slug"), [
    ("  Billing API (v2) ", "billing-api-v2"),
    ("Café Größe", "cafe-grosse"),
    ("Łódź Ærø Ångström Œuvre Þing", "lodz-aero-angstrom-oeuvre-thing"),
    ("Cafe\u0301 İstanbul", "cafe-istanbul"),  # combining accents (a decomposed é, İ lowercased)
    ("Ōsaka Naïve Crème Brûlée™", "osaka-naive-creme-brulee"),  # a symbol is punctuation, not a letter
    (" ".join(f"word{i}" for i in range(20)), "-".join(f"word{i}" for i in range(10))),  # cut at a dash
    ("x" * 70, "x" * 63),
], ids=lambda v: str(v)[:24])
def test_slug_defaults_to_the_name_in_kebab_case(name, slug, tmp_path):
    project = render(tmp_path / "project", {"project_name": name})
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["project_slug"] == slug


@pytest.mark.parametrize("name", ["東京 API", "Ωmega", "Москва", "3D Printer"])
def test_slug_is_asked_when_the_name_gives_none(name, tmp_path, monkeypatch):
    """Letters no table transliterates, or a digit first: no slug with letters silently dropped. The
    prompt offers no default, so the user types one; with --defaults copier says the slug is needed."""
    with pytest.raises(ValueError) as rejected:
        render(tmp_path / "defaults", {"project_name": name})
    assert str(rejected.value) == 'Question "project_slug" is required'
    assert is_empty(tmp_path / "defaults")

    spec = prompt_for("project_slug", {"project_name": name}, monkeypatch, tmp_path / "prompt")
    assert "default" not in spec
    assert spec["validate"]("") == prefix("project_slug") + "Type a slug: a-z, 0-9, dashes, e.g. my-service"
    assert spec["validate"]("tokyo-api") is True

    project = render(tmp_path / "project", {"project_name": name, "project_slug": "tokyo-api"})
    assert "tokyo-api" in (project / "Dockerfile").read_text()


def test_a_name_without_letters_is_refused_on_the_name(tmp_path, monkeypatch):
    """Not on the slug derived from it, which the user was never asked: copier checks a default
    before it prompts, so an invalid slug default would end the session."""
    spec = prompt_for("project_name", {}, monkeypatch, tmp_path / "prompt")
    assert spec["validate"]("!!!") == prefix("project_name") + NAME


@pytest.mark.parametrize("language", languages())
def test_port_prints_as_the_number(language, tmp_path):
    project = render(tmp_path / "project", {"port": "9000", "language": language})
    dockerfile = (project / "Dockerfile").read_text()
    assert "ENV PORT=9000\n" in dockerfile and "EXPOSE 9000\n" in dockerfile
    assert '"9000:9000"' in (project / "compose.yaml").read_text()


def git(*args: str, cwd: Path) -> None:
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
                    *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **identity})


def test_port_recorded_as_a_number_still_updates(tmp_path):
    """Projects made while `port` was `type: int` hold `port: 9000` in .copier-answers.yml: `copier
    update` to this template keeps that answer, and the files print the same port."""
    template = tmp_path / "template"
    shutil.copytree(template_copy(), template)
    # A last document redefines the question: copier takes the last of its documents' definitions.
    port = {"port": {"type": "int", "help": "Port", "default": 8080, "validator": (
        "{% if port < 1024 or port > 65535 %}Port {{ port }} is out of range{% endif %}")}}
    with (template / "copier.yml").open("a") as copier_yml:
        copier_yml.write("---\n" + yaml.safe_dump(port, sort_keys=False))
    git("init", cwd=template)
    git("add", "-A", cwd=template)
    git("commit", "-m", "port as int", cwd=template)
    git("tag", "v1.0.0", cwd=template)

    project = tmp_path / "project"
    copier.run_copy(str(template), str(project), data={"port": 9000}, defaults=True, quiet=True, unsafe=False)
    assert "port: 9000\n" in (project / ".copier-answers.yml").read_text()
    git("init", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-m", "generated", cwd=project)

    shutil.copy2(template_copy() / "copier.yml", template / "copier.yml")
    git("commit", "-am", "port as str", cwd=template)
    git("tag", "v2.0.0", cwd=template)
    copier.run_update(str(project), defaults=True, overwrite=True, quiet=True, unsafe=False)

    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["port"] == "9000"
    assert "_commit: v2.0.0" in (project / ".copier-answers.yml").read_text()
    dockerfile = (project / "Dockerfile").read_text()
    assert "ENV PORT=9000\n" in dockerfile and "EXPOSE 9000\n" in dockerfile


def test_languages_offered_are_the_template_folders():
    folders = {path.name for path in (ROOT / "templates").iterdir() if path.is_dir()}
    assert set(languages()) == folders


LANGUAGES = languages()


def has_scratch(language: str) -> bool:
    """Whether the language's profile names a scratch image: the one fact the runtime question reads."""
    return "scratch" in profile(language).images


def scratch_choice(language: str, monkeypatch, dest: Path) -> Choice:
    spec = prompt_for("runtime", {"language": language}, monkeypatch, dest)
    return next(choice for choice in spec["choices"] if choice.value == "scratch")


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if not has_scratch(lang)])
def test_scratch_is_refused_where_the_profile_has_no_scratch_image(language, tmp_path, monkeypatch):
    with pytest.raises(ValueError) as rejected:
        render(tmp_path / "project", {"language": language, "runtime": "scratch"})
    message = f"Invalid choice for 'runtime': Pick distroless or slim: scratch can't run {profile(language).name}"
    assert str(rejected.value) == message and len(message) <= COLUMNS, str(rejected.value)
    assert is_empty(tmp_path / "project")
    assert scratch_choice(language, monkeypatch, tmp_path / "prompt").disabled == message.split(": ", 1)[1]
    assert not [c.id for c in combinations() if c["language"] == language and c.data.get("runtime") == "scratch"]


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if has_scratch(lang)])
def test_scratch_is_offered_where_the_profile_has_a_scratch_image(language, tmp_path, monkeypatch):
    project = render(tmp_path / "project", {"language": language, "runtime": "scratch"})
    assert "scratch" in Dockerfile.of(project).external_bases
    assert not scratch_choice(language, monkeypatch, tmp_path / "prompt").disabled
    assert [c.id for c in combinations() if c["language"] == language and c.data.get("runtime") == "scratch"]


def test_every_question_has_help_and_a_default():
    missing = [name for name, spec in questions().items() if not spec.get("help") or "default" not in spec]
    assert not missing


# (language, runtime, version) for each version a runtime does not ship (the profile's runtime_versions).
NOT_SHIPPED = [(language, runtime, version) for language in LANGUAGES
               for runtime, offered in profile(language).runtime_versions.items()
               for version in profile(language).versions[language] if version not in offered]


@pytest.mark.parametrize(("language", "runtime", "version"), NOT_SHIPPED)
def test_a_version_the_runtime_does_not_ship_is_refused(language, runtime, version, tmp_path, monkeypatch):
    question = f"{language}_version"
    offered = profile(language).runtime_versions[runtime]
    with pytest.raises(ValueError) as rejected:
        render(tmp_path / "project", {"language": language, "runtime": runtime, question: version})
    message = (f"Invalid choice for '{question}': Pick {' or '.join(offered)}: "
               f"{runtime} ships {', '.join(offered)} alone")
    assert str(rejected.value) == message and len(message) <= COLUMNS, str(rejected.value)
    spec = prompt_for(question, {"language": language, "runtime": runtime}, monkeypatch, tmp_path / "prompt")
    assert next(c for c in spec["choices"] if c.value == version).disabled == message.split(": ", 1)[1]
    assert spec["default"].value in offered, "the default is a version the runtime ships"


# Copier's prompt prints a question's help after its "🎤 " (three columns), each line as it is: a line
# wider than the terminal is cut. So every line fits 80 columns, the first with that prefix.
@pytest.mark.parametrize("language", languages())
def test_every_help_fits_the_prompt(language):
    context = defaults({"language": language})
    wide = {}
    for name, spec in questions().items():
        if "help" in spec and asked(spec, context):
            lines = render_value(spec["help"], context).splitlines() or [""]
            width = max([len(lines[0]) + 3] + [len(line) for line in lines[1:]])
            if width > COLUMNS:
                wide[name] = width
    assert not wide, f"{language}: these helps are wider than {COLUMNS} columns in the prompt: {wide}"
