"""The test matrix, derived from copier.yml: every combination of the answers that have choices.

A question is an axis when it has choices; it is asked only where its `when:` holds, and a choice
is offered only where its own `validator` is silent. A new choice enters the matrix by itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from copier._template import load_template_config
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

ROOT = Path(__file__).resolve().parents[1]
COPIER_YML = ROOT / "copier.yml"


@cache
def config() -> dict:
    """copier.yml as copier reads it, each language's questions.yml included: by copier's own loader (its
    `!include` and multi-document merge; internal, but the version is pinned)."""
    return load_template_config(COPIER_YML)


@cache
def questions() -> dict[str, dict]:
    """copier.yml's questions, in the order copier asks them."""
    return {name: spec for name, spec in config().items() if not name.startswith("_")}


@cache
def jinja() -> SandboxedEnvironment:
    # As copier renders: includes from the template's root, every name defined.
    return SandboxedEnvironment(loader=FileSystemLoader(ROOT), undefined=StrictUndefined,
                                extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])


def render_value(value, context: dict):
    return jinja().from_string(value).render(context) if isinstance(value, str) else value


def default_of(spec: dict, context: dict):
    """A question's default for these answers, cast as copier casts it."""
    value = render_value(spec["default"], context)
    return yaml.safe_load(value) if spec.get("type") == "yaml" and isinstance(value, str) else value


def choices(spec: dict, context: dict | None = None) -> list[tuple[object, str | None]]:
    """(value, validator) for each choice, whatever form copier.yml writes it in (a template that
    renders a YAML list is rendered with the answers so far)."""
    choices = spec["choices"]
    if isinstance(choices, str):
        choices = yaml.safe_load(render_value(choices, context or {}))
    items = choices.items() if isinstance(choices, dict) else ((c, c) for c in choices)
    out = []
    for _, choice in items:
        if isinstance(choice, dict):
            out.append((choice["value"], choice.get("validator")))
        else:
            out.append((choice, None))
    return out


def asked(spec: dict, context: dict) -> bool:
    when = spec.get("when", True)
    rendered = render_value(when, context)
    return rendered if isinstance(rendered, bool) else str(rendered).strip().lower() not in {"false", "0", "", "no"}


def defaults(answers: dict) -> dict:
    """The answers so far, completed with each remaining question's default, in questionnaire order."""
    context = dict(answers)
    for name, spec in questions().items():
        if name not in context and "default" in spec:
            context[name] = default_of(spec, context)
    return context


@dataclass(frozen=True)
class Combination:
    answers: tuple[tuple[str, object], ...]
    # Answer sets beyond the choices carry a name: their free-text answers would make poor ids and paths.
    name: str | None = None

    @property
    def data(self) -> dict:
        return dict(self.answers)

    @property
    def id(self) -> str:
        if self.name:  # with a digest of the answers: renders are cached by id
            return f"{self.name}-{hashlib.sha256(repr(self.answers).encode()).hexdigest()[:8]}"
        return "-".join(str(value) for _, value in self.answers)

    def __getitem__(self, name: str):
        """The answer given, or else the question's default for these answers."""
        return self.data[name] if name in self.data else defaults(self.data)[name]


@cache
def combinations() -> tuple[Combination, ...]:
    partial: list[dict] = [{}]
    for name, spec in questions().items():
        if "choices" not in spec:
            continue
        grown = []
        for answers in partial:
            context = defaults(answers)
            if not asked(spec, context):
                grown.append(answers)
                continue
            for value, validator in choices(spec, context):
                if not (validator and render_value(validator, {**context, name: value}).strip()):
                    grown.append({**answers, name: value})
        partial = grown
    return tuple(Combination(tuple(answers.items())) for answers in partial)


# The answers that customise a Dockerfile without an edit (copier.yml's build_packages, build_args and
# labels), which every language takes alike: one more layout of each language, `<language>-customised`.
CUSTOMISED = {"build_packages": "jq=1.7.1*", "build_args": "APP_ENV=production GIT_SHA=",
              "labels": "com.example.team=payments"}


# Answers the matrix cannot enumerate (free text, yes or no) that shape a project's layout, named in each
# language's tests.yml (`layouts`), and CUSTOMISED: each set renders and lints like a combination. The
# services build real services in such layouts; a language's own tests may build its sets.
@cache
def layouts() -> tuple[Combination, ...]:
    from dft.languages import languages, profile

    return tuple(Combination(tuple({"language": language, **answers}.items()), f"{language}-{name}")
                 for language in languages()
                 for name, answers in {**profile(language).layouts, "customised": CUSTOMISED}.items())
