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
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

ROOT = Path(__file__).resolve().parents[2]
COPIER_YML = ROOT / "copier.yml"


@cache
def questions() -> dict[str, dict]:
    data = yaml.safe_load(COPIER_YML.read_text())
    return {name: spec for name, spec in data.items() if not name.startswith("_")}


@cache
def _jinja() -> SandboxedEnvironment:
    # As copier renders: includes from the template's root, every name defined.
    return SandboxedEnvironment(loader=FileSystemLoader(ROOT), undefined=StrictUndefined,
                                extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])


def _render(value, context: dict):
    return _jinja().from_string(value).render(context) if isinstance(value, str) else value


def _answer(spec: dict, context: dict):
    """A question's default for these answers, cast as copier casts it."""
    value = _render(spec["default"], context)
    return yaml.safe_load(value) if spec.get("type") == "yaml" else value


def _choices(spec: dict, context: dict | None = None) -> list[tuple[object, str | None]]:
    """(value, validator) for each choice, whatever form copier.yml writes it in (a template that
    renders a YAML list is rendered with the answers so far)."""
    choices = spec["choices"]
    if isinstance(choices, str):
        choices = yaml.safe_load(_render(choices, context or {}))
    items = choices.items() if isinstance(choices, dict) else ((c, c) for c in choices)
    out = []
    for _, choice in items:
        if isinstance(choice, dict):
            out.append((choice["value"], choice.get("validator")))
        else:
            out.append((choice, None))
    return out


def _asked(spec: dict, context: dict) -> bool:
    when = spec.get("when", True)
    rendered = _render(when, context)
    return rendered if isinstance(rendered, bool) else str(rendered).strip().lower() not in {"false", "0", "", "no"}


def _defaults(answers: dict) -> dict:
    """The answers so far, completed with each remaining question's default, in questionnaire order."""
    context = dict(answers)
    for name, spec in questions().items():
        if name not in context and "default" in spec:
            context[name] = _answer(spec, context)
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
        return self.data[name] if name in self.data else _defaults(self.data)[name]


@cache
def combinations() -> tuple[Combination, ...]:
    partial: list[dict] = [{}]
    for name, spec in questions().items():
        if "choices" not in spec:
            continue
        grown = []
        for answers in partial:
            context = _defaults(answers)
            if not _asked(spec, context):
                grown.append(answers)
                continue
            for value, validator in _choices(spec, context):
                if not (validator and _render(validator, {**context, name: value}).strip()):
                    grown.append({**answers, name: value})
        partial = grown
    return tuple(Combination(tuple(answers.items())) for answers in partial)


# Answers the matrix cannot enumerate (free text, yes or no) that shape a project's layout: each set
# renders and lints like a combination. tests/test_services.py builds real services in such layouts,
# tests/test_build.py an installed project per package manager.
LAYOUT_ANSWERS = {
    "go-cmd-layout-embed-management-port": {"language": "go", "go_main_package": "./cmd/api",
                                            "extra_files": "static/ openapi.yaml", "health_port": "9090"},
    "python-installed-uv": {"language": "python", "install_project": True, "package_manager": "uv"},
    "python-installed-pip": {"language": "python", "install_project": True, "package_manager": "pip"},
    "python-installed-poetry-slim": {"language": "python", "install_project": True, "package_manager": "poetry",
                                     "runtime": "slim"},
    "python-flat-uvicorn-extra-files": {"language": "python", "package_name": "api",
                                        "entry_point": "uvicorn api.app:app --host=0.0.0.0 --port=8080",
                                        "extra_files": "templates/ migrations/"},
    "rust-workspace-binary-scratch-management-port": {"language": "rust", "runtime": "scratch",
                                                      "rust_binary": "ledger-api", "extra_files": "postings.csv",
                                                      "health_port": "9090"},
}


@cache
def layouts() -> tuple[Combination, ...]:
    return tuple(Combination(tuple(answers.items()), name) for name, answers in LAYOUT_ANSWERS.items())
