"""Real services drop in: services written for these tests (templates/<language>/services/<name>/), each in a layout
other than the sample's, replace the sample of a project rendered with their answers (answers.yml) and
keep every file the template owns as rendered. Each builds, passes its own tests in the `test` stage,
turns healthy, answers its health path, serves what proves its own files arrived (expect.yml) and stops
on SIGTERM within 2 s, one with no handler of its own."""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from dft import docker as d
from dft.dockerfile import Dockerfile
from dft.languages import TEMPLATES, languages, profile, template_owned
from dft.matrix import Combination
from dft.render import rendered


@dataclass(frozen=True)
class Service:
    language: str
    name: str

    @property
    def source(self) -> Path:
        return TEMPLATES / self.language / "services" / self.name

    @property
    def answers(self) -> dict:
        return yaml.safe_load((self.source / "answers.yml").read_text())

    @property
    def rendered(self) -> Path:
        """The project its answers render, before the service replaces the sample (shared, read-only)."""
        return rendered(Combination(tuple(self.answers.items()), f"service-{self.name}"))

    @property
    def expected(self) -> dict:
        """A path the running service answers, and text the answer holds: proof its own files arrived."""
        return yaml.safe_load((self.source / "expect.yml").read_text())

    @property
    def code(self) -> str:
        """How its language's source files end (.go, .py, .ts): the suffix of its profile's source_file."""
        return Path(profile(self.answers["language"]).source_file).suffix

    @property
    def files(self) -> list[Path]:
        return [p for p in self.source.iterdir() if p.name not in {"answers.yml", "expect.yml"}]

    @property
    def tag(self) -> str:
        return f"dft-test/service-{self.name}:build"

    def drop_in(self, dest: Path) -> Path:
        """The rendered project with its sample replaced by the service's files."""
        def sample(folder: str, names: list[str]) -> list[str]:  # at the top: all but what the template owns
            return [n for n in names if n not in template_owned(self.language)] if folder == str(self.rendered) else []

        project = shutil.copytree(self.rendered, dest, ignore=sample)
        for path in self.files:
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, project / path.name)
        return project


SERVICE_LIST = [Service(language, path.parent.name) for language in languages()
                for path in sorted((TEMPLATES / language).glob("services/*/answers.yml"))]


@pytest.fixture(scope="module", params=[
    pytest.param(s, id=s.name, marks=[pytest.mark.xdist_group(f"service-{s.name}"),
                                      pytest.mark.images(*Dockerfile.of(s.rendered).images)])
    for s in SERVICE_LIST])
def service(request) -> Service:
    return request.param


@pytest.fixture(scope="module")
def project(service, tmp_path_factory) -> Path:
    return service.drop_in(tmp_path_factory.mktemp(service.name) / "project")


@pytest.fixture(scope="module")
def image(service, project):
    yield d.build(project, service.tag).tag
    d.docker("rmi", service.tag, check=False)


@pytest.fixture
def container(service, image):
    answers = service.answers
    with d.Container(image, int(answers["port"]), management_port=int(answers.get("health_port") or 0)) as running:
        yield running


@pytest.mark.render
def test_service_brings_no_file_the_template_owns(service):
    owned = sorted(p.name for p in service.files if p.name in template_owned(service.language))
    assert not owned, f"{service.name}: replaces {owned}, which the template owns: answers should do"


@pytest.mark.render
def test_service_is_in_a_layout_other_than_the_default_sample(service):
    default = rendered(Combination((("language", service.language),), f"default-{service.language}"))
    theirs = {p.relative_to(default) for p in default.rglob("*")
              if p.suffix == service.code and ".healthprobe" not in p.parts}
    ours = {p.relative_to(service.source) for p in service.source.rglob("*") if p.suffix == service.code}
    assert not theirs & ours, f"{service.name}: {sorted(theirs & ours)} are where the default sample's are"


@pytest.mark.build
def test_service_passes_its_own_tests_in_the_test_stage(service, project):
    # A line never written before in one of its test files, so that the stage runs rather than comes
    # from an earlier run's layer cache.
    language = profile(service.answers["language"])
    test_file = min(p for p in project.rglob(f"*{service.code}")
                    if "test" in str(p.relative_to(project)).lower() and ".healthprobe" not in p.parts)
    test_file.write_text(test_file.read_text() + f"{language.line_comment} run {uuid.uuid4().hex}\n")
    build = d.build(project, f"{service.tag}-test", target="test")
    d.docker("rmi", f"{service.tag}-test", check=False)
    assert re.search(language.test_summary, build.log, re.MULTILINE), \
        f"{service.name}: no test summary:\n{build.log[-3000:]}"


@pytest.mark.build
def test_service_turns_healthy(service, container, record_property):
    record_property("healthy after (s)", round(container.wait_healthy(timeout=30), 1))


@pytest.mark.build
def test_service_answers_its_health_path(service, container):
    container.wait_healthy()
    answers = service.answers
    status, body = container.get(answers["health_path"], int(answers.get("health_port") or answers["port"]))
    assert 200 <= status < 300, f"{service.name}: {answers['health_path']} answered {status}: {body}"


@pytest.mark.build
def test_service_serves_the_files_it_brought(service, container):
    container.wait_healthy()
    status, body = container.get(service.expected["path"])
    assert status == 200 and service.expected["contains"] in body, \
        f"{service.name}: {service.expected['path']} answered {status}: {body[:500]}"


@pytest.mark.build
def test_service_stops_on_sigterm_within_2s(service, container, record_property):
    container.wait_healthy()
    seconds = container.stop(grace=10)
    record_property("stop on SIGTERM (s)", round(seconds, 2))
    # 137 would mean it had to be killed.
    assert container.state["ExitCode"] == 0, f"{service.name}: exited {container.state['ExitCode']}"
    assert seconds < 2, f"{service.name}: took {seconds:.1f} s to stop"
