"""Build tier: every distinct Dockerfile builds, passes its tests, runs, and keeps the image contract."""

from __future__ import annotations

import fnmatch
import http.server
import re
import shutil
import socket
import ssl
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import certifi
import pytest
import yaml

from dft import docker as d
from dft.dockerfile import Dockerfile
from dft.languages import common
from dft.matrix import questions
from dft.render import render
from dft.targets import Target, as_params, distinct_dockerfiles, first_of_each

pytestmark = pytest.mark.build

# The path the HEALTHCHECK asks, unless the answers say otherwise.
HEALTH_PATH = questions()["health_path"]["default"]
# The machine's trust store; on a TLS-intercepting network it holds the corporate CA.
CORPORATE_CA = d.CA_BUNDLE
DEBIAN_SLIM = f"debian:{common()['debian']['codename']}-slim"


# The greeting every sample answers on `/`, as its main source file spells it ("hello", or \"hello\" inside
# a string): what a one-line change edits.
GREETING = re.compile(r'\bhello(?=\\?")')


def one_line_change(target: Target, project: Path) -> None:
    """Edits one line of the sample's main source file, as a developer's commit would: the greeting gets
    a word never written before, so that the build's output is new too. (A comment would not do: the
    classes or binary it compiles to are the same in every run, and BuildKit then reuses a whole
    earlier image's layers, the runtime's and the dependencies' included.)"""
    source = target.profile.source(project)
    text, count = GREETING.subn(f"hello {uuid.uuid4().hex[:12]}", source.read_text(), count=1)
    assert count, f"{source}: no greeting ({GREETING.pattern}) for a one-line change to edit"
    source.write_text(text)


def comment_change(target: Target, project: Path) -> None:
    """Adds a comment never written before to the sample's main source file: the test stage runs again
    and its tests, which assert the greeting, still pass."""
    source = target.profile.source(project)
    source.write_text(f"{target.profile.line_comment} a comment ({uuid.uuid4().hex})\n" + source.read_text())


def add_dependency(target: Target, project: Path) -> None:
    """Makes the dependency step download a package it has not yet got, as the profile says how."""
    for name, text in target.profile.add_dependency.items():
        with (project / name).open("a") as file:
            file.write(text)


TARGETS = distinct_dockerfiles()
# One target per language, for promises that hold whatever the other answers are.
FIRST_OF_EACH_LANGUAGE = first_of_each(TARGETS, lambda t: t["language"])
# One target per language and runtime, for promises of the runtime stage (the probe, the base image).
FIRST_OF_EACH_RUNTIME = first_of_each(TARGETS, lambda t: (t["language"], t["runtime"]))
# One target per set of base images (versions aside): a mirror rewrites the FROMs, whatever else differs.
FIRST_OF_EACH_BASE_SET = first_of_each(TARGETS, lambda t: (t["language"], t.bases))
# One target per language and dependency step (on distroless), for what the dependency step downloads
# and what the runtime ends up holding: the runtime only changes the base the build's output is copied
# onto, and pip and poetry both install through `pip install --require-hashes`.
FIRST_OF_EACH_DEPENDENCY_STEP = first_of_each([t for t in TARGETS if t["runtime"] == "distroless"],
                                              lambda t: (t["language"], t.dependency_step))
# One target per language, package manager and builder image, for the promises of the build's own steps
# (a first build runs every one, a one-line change rebuilds from cache, the CA secret reaches no layer):
# targets that differ in a version, or in the runtime alone (Node.js's and Go's), build the same way.
FIRST_OF_EACH_BUILD = first_of_each(TARGETS, lambda t: t.builds_with)
# Targets whose test stages run every package manager and builder image, and every version's toolchain,
# each at least once (the test stage is the same whatever runtime the image ships on).
FIRST_OF_EACH_VERSION = first_of_each(TARGETS, lambda t: (t["language"], t.version))
FIRST_OF_EACH_TEST_STAGE = [t for t in TARGETS if t in FIRST_OF_EACH_BUILD or t in FIRST_OF_EACH_VERSION]
# The stage every template installs its dependencies in: the CA tests build it alone.
DEPENDENCY_STAGE = "deps"


@pytest.fixture(scope="session", params=as_params(TARGETS))
def target(request) -> Target:
    return request.param


class Built:
    """What a worker built or started, by kind and target: kept for the whole run, removed at its end.
    (A session fixture parametrized by target is torn down whenever pytest's order moves to another
    target, and built again if the order comes back to it; this builds once per worker whatever the order.)"""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str], object] = {}
        self.removals: list[Callable[[], None]] = []

    def once(self, key: tuple[str, str], make: Callable[[], object], remove: Callable[[object], None]):
        if key not in self.made:
            self.made[key] = made = make()
            self.removals.append(lambda: remove(made))
        return self.made[key]


@pytest.fixture(scope="session")
def built() -> Iterator[Built]:
    # Removed while the session finishes, before the worker reports back: pytest-xdist terminates a
    # worker 10 s after it reports, which would leave containers running and images behind.
    registry = Built()
    yield registry
    for remove in reversed(registry.removals):
        remove()


@pytest.fixture
def image(target: Target, built: Built) -> str:
    return built.once(("image", target.id), lambda: d.build(target.project, target.tag).tag,
                      lambda tag: d.docker("rmi", tag, check=False))


@dataclass
class FirstBuild:
    """A user's first build (no layer cache, empty cache mounts, a marker CA in the bundle), then the
    build of a developer's one-line commit on its cache."""

    project: Path
    build: d.Build
    rebuild: d.Build
    ca_marker: bytes
    cache_mounts: str

    def remove(self) -> None:
        d.docker("rmi", self.build.tag, self.rebuild.tag, check=False)
        d.prune_cache_mounts(self.cache_mounts)


@pytest.fixture
def first_build(target: Target, built: Built, tmp_path_factory) -> FirstBuild:
    def make() -> FirstBuild:
        workdir = tmp_path_factory.mktemp(f"first-{target.id}")
        project = shutil.copytree(target.project, workdir / "project")
        bundle, marker = ca_bundle_with_marker(workdir)
        mounts = d.isolate_cache_mounts(project)
        # Both builds under one hold, as one user's two builds: a first build of another target in
        # between would add records for the layers the two share (tini, the probe, identical
        # dependencies), and the rebuild could take those, shipping layers its image never changed.
        with d.cache_exclusive():
            build = d.build(project, f"{target.tag}-first", "--no-cache", ca_bundle=bundle)
            one_line_change(target, project)
            rebuild = d.build(project, f"{target.tag}-edited")
        return FirstBuild(project, build, rebuild, marker, mounts)

    return built.once(("first build", target.id), make, FirstBuild.remove)


def ca_bundle_with_marker(workdir: Path) -> tuple[Path, bytes]:
    """The machine's CA bundle plus a throwaway CA; returns the bundle and a line only that CA has."""
    key, cert = workdir / "marker.key", workdir / "marker.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=dft-marker-ca",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    bundle = workdir / "bundle.pem"
    bundle.write_text((CORPORATE_CA.read_text() if CORPORATE_CA.exists() else "") + cert.read_text())
    return bundle, cert.read_text().splitlines()[5].encode()


@dataclass
class Running:
    """A target's container, started once and healthy, for the promises that only look at it."""

    container: d.Container
    seconds_to_healthy: float


@pytest.fixture
def running(image: str, target: Target, built: Built) -> Running:
    def start() -> Running:
        container = d.Container(image, target.port)
        try:
            return Running(container, container.wait_healthy(timeout=30))
        except d.DockerError:
            container.__exit__()
            raise

    return built.once(("running", target.id), start, lambda made: made.container.__exit__())


@pytest.fixture
def container(image: str, target: Target):
    """A container of the target's own, for a promise that changes it (a stop)."""
    with d.Container(image, target.port) as fresh:
        yield fresh


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_TEST_STAGE), indirect=True)
def test_test_stage_runs_the_unit_tests(target, image, project_copy):
    # A failing test fails the build; the runner's summary proves the tests ran rather than none.
    # A new comment runs the test stage again, as a commit does, on the image's cached dependencies.
    # (--no-cache-filter=test would too, but BuildKit then starts the stage's cache mounts empty and
    # they replace the shared ones: every build after it would compile from nothing.)
    project = project_copy(target.project)
    comment_change(target, project)
    build = d.build(project, f"{target.tag}-test", target="test")
    d.docker("rmi", f"{target.tag}-test", check=False)
    assert re.search(target.profile.test_summary, build.log, re.MULTILINE), \
        f"{target.id}: no test summary in the test stage:\n{build.log[-3000:]}"


def test_turns_healthy_within_30s(running, target, record_property):
    record_property("healthy after (s)", round(running.seconds_to_healthy, 1))


def test_health_path_answers_200(running, target):
    status, body = running.container.get(HEALTH_PATH)
    assert status == 200, f"{target.id}: {HEALTH_PATH} answered {status}: {body}"


def test_runs_as_the_promised_uid(running, target):
    uid = running.container.process_uid()
    assert uid == target.profile.uid(target["runtime"]), f"{target.id}: runs as uid {uid}"


def test_stops_on_sigterm_within_2s(container, target, record_property):
    container.wait_healthy()
    seconds = container.stop(grace=10)
    record_property("stop on SIGTERM (s)", round(seconds, 2))
    exit_code = container.state["ExitCode"]
    assert exit_code == 0, f"{target.id}: exited {exit_code} on SIGTERM (137 means it had to be killed)"
    assert seconds < 2, f"{target.id}: took {seconds:.1f} s to stop"


def test_runs_read_only_with_tmpfs(image, target):
    with d.Container(image, target.port, "--read-only", "--tmpfs=/tmp") as container:
        container.wait_healthy()
        assert container.get("/healthz")[0] == 200, target.id


def test_runs_as_an_arbitrary_uid(image, target):
    with d.Container(image, target.port, "--user=4242:0") as container:
        container.wait_healthy()
        assert container.process_uid() == 4242
        assert container.get("/healthz")[0] == 200, target.id


# What a service finds in its runtime, whichever runtime (scratch keeps only the CA bundle): HTTPS
# clients need the CA bundle, and time zones need tzdata.
RUNTIME_FILES = {
    "distroless": ["/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo/UTC", "/etc/passwd"],
    "slim": ["/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo/UTC", "/etc/passwd"],
    "scratch": ["/etc/ssl/certs/ca-certificates.crt", "/etc/passwd", "/tmp"],
}


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_RUNTIME), indirect=True)
def test_runtime_has_ca_certificates_and_tzdata(image, target):
    present = d.image_files(image)
    missing = [path for path in RUNTIME_FILES[target["runtime"]] if path not in present]
    assert not missing, f"{target.id}: the runtime lacks {missing}"


def test_image_size_within_budget(image, target, record_property):
    size_mb = d.image_size(image) / 1e6
    budget = target.profile.size_budget(target["runtime"], target.version)
    record_property("image size (MB)", f"{size_mb:.1f} of {budget}")
    assert size_mb <= budget, f"{target.id}: {size_mb:.1f} MB is over the {budget} MB budget"


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_DEPENDENCY_STEP), indirect=True)
def test_runtime_adds_only_the_service_to_its_base(image, target, record_property):
    """What the image adds to its runtime base, listed: the service, its production dependencies, tini;
    never a build or test tool, a package manager, a cache or a source the build compiled."""
    base = Dockerfile.of(target.project).parser.baseimage
    in_base = d.image_files(base)
    added = sorted(path for path, info in d.image_files(image).items() if not info.isdir() and path not in in_base)
    record_property("adds to its base", summary(added))
    shipped = [path for path in added if any(fnmatch.fnmatch(path, p) for p in target.profile.never_shipped)]
    assert not shipped, f"{target.id}: the runtime holds {len(shipped)} build-only path(s): {shipped[:20]}"


def summary(paths: list[str], depth: int = 2) -> str:
    """Paths grouped by their first two folders, with how many files each holds: /app/node_modules (2133),
    /usr/bin/tini."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault("/" + "/".join(path.strip("/").split("/")[:depth]), []).append(path)
    return ", ".join(f"{key} ({len(members)})" if len(members) > 1 else members[0] for key, members in groups.items())


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_BUILD), indirect=True)
def test_first_build_runs_every_step(first_build, target, record_property):
    # What the cold figure measures must be a real first build: no step that does work may come from
    # the cache (FROM a local base image and WORKDIR always show as CACHED).
    record_property("first build, nothing cached (s)", round(first_build.build.seconds, 1))
    cached = [step for step in first_build.build.cached_steps() if re.search(r"\] (RUN|COPY|ADD) ", step)]
    assert not cached, f"{target.id}: a first build took steps from the cache: {cached}"


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_BUILD), indirect=True)
def test_source_change_rebuilds_from_cache(first_build, target, record_property):
    warm = first_build.rebuild
    record_property("rebuild after a one-line change (s)", round(warm.seconds, 1))
    assert warm.cached(target.dependency_step), f"{target.id}: the dependency layer was rebuilt:\n{warm.log[-3000:]}"


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_BUILD), indirect=True)
def test_source_change_ships_a_small_layer(first_build, target, record_property, tmp_path):
    """A deploy of a one-line change pulls only the layers it rebuilt: the code, never the dependencies
    or the runtime (COPY --link keeps every other layer's digest)."""
    rebuilt = first_build.rebuild
    before = set(d.inspect(first_build.build.tag)["RootFS"]["Layers"])
    changed = {layer: size for layer, size in d.layer_sizes(rebuilt.tag, tmp_path).items() if layer not in before}
    mb = sum(changed.values()) / 1e6
    record_property("one-line change ships (layers, MB)", f"{len(changed)}, {mb:.3f}")
    budget = target.profile.source_layer_mb
    assert changed, f"{target.id}: the one-line change left every layer as it was"
    assert mb <= budget, \
        f"{target.id}: a one-line change ships {len(changed)} layer(s), {mb:.1f} MB (budget {budget} MB)"


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_BUILD), indirect=True)
def test_corporate_ca_never_lands_in_the_image(first_build, target, tmp_path):
    """The CA bundle goes in as a BuildKit secret: no line of it may reach a layer, the config or the history."""
    found = d.find_in_image(first_build.build.tag, first_build.ca_marker, tmp_path)
    assert not found, f"{target.id}: the CA secret is in {found}"


@pytest.mark.images(DEBIAN_SLIM, "docker/dockerfile:1")
def test_the_ca_check_finds_a_secret_copied_into_a_layer(tmp_path):
    # The check above must be able to fail: here a Dockerfile leaks the secret on purpose.
    (tmp_path / "Dockerfile").write_text(
        f"# syntax=docker/dockerfile:1\nFROM {DEBIAN_SLIM}\n"
        "RUN --mount=type=secret,id=ca_bundle cp /run/secrets/ca_bundle /usr/local/share/leaked.pem\n"
    )
    bundle, marker = ca_bundle_with_marker(tmp_path)
    # The secret is no part of the layer cache's key: a cached layer would hold an earlier run's marker.
    with d.cache_exclusive():
        build = d.build(tmp_path, "dft-test/leaky-ca:1", "--no-cache", ca_bundle=bundle)
    try:
        found = d.find_in_image(build.tag, marker, tmp_path)
    finally:
        d.docker("rmi", build.tag, check=False)
    assert any(place.endswith("/usr/local/share/leaked.pem") for place in found), found


@cache
def resigns_tls(host: str) -> bool:
    """Whether this network re-signs TLS to the host, as a corporate proxy does: the host's certificate
    chain fails against the public roots alone (Mozilla's, as certifi ships them)."""
    context = ssl.create_default_context(cafile=certifi.where())
    try:
        with socket.create_connection((host, 443), timeout=10) as sock, context.wrap_socket(sock, server_hostname=host):
            return False
    except ssl.SSLCertVerificationError:
        return True


# Not through the `target` fixture: a second parametrization of it would tear down and rebuild the
# session fixtures (the image, the first build) of the targets it shares.
@pytest.mark.parametrize("downloading", as_params(FIRST_OF_EACH_DEPENDENCY_STEP))
def test_downloads_trust_the_corporate_ca_secret(downloading, project_copy):
    """On a network that re-signs every registry's TLS, the dependency step downloads only if its tools
    trust the ca_bundle secret. (Without it, npm fails with SELF_SIGNED_CERT_IN_CHAIN, pip and go with
    `certificate verify failed`; a build without the secret is not run here, because the package
    managers' retries take it a minute or more to fail.)"""
    target = downloading
    public = [host for host in target.profile.registries if not resigns_tls(host)]
    if public:
        pytest.skip(f"this network does not re-sign TLS to {public}: downloads from there need no CA")
    project = project_copy(target.project)
    add_dependency(target, project)
    # A package in the layer cache or a cache mount would hide the download: the dependency stage alone
    # runs again, with cache mounts of its own (a mount's id is no part of the layer cache's key).
    mounts = d.isolate_cache_mounts(project)
    tag = f"{target.tag}-dependency"
    try:
        with d.cache_exclusive():
            build = d.build(project, tag, f"--target={DEPENDENCY_STAGE}", f"--no-cache-filter={DEPENDENCY_STAGE}",
                            ca_bundle=CORPORATE_CA)
    finally:
        d.docker("rmi", tag, check=False)
        d.prune_cache_mounts(mounts)
    assert not build.cached(target.dependency_step), f"{target.id}: the dependency step came from the cache"


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_BASE_SET), indirect=True)
def test_builds_through_a_base_image_mirror(target, tmp_path):
    """Every image, the syntax frontend included, comes through the mirror when one is set."""
    mirror = f"mirror.invalid/{target.id}"  # its own aliases: the other worker removes its own
    project = render(tmp_path / "mirrored", {**target.combination.data, "base_image_mirror": mirror})
    plain = Dockerfile.of(target.project)
    mirrored = Dockerfile.of(project)
    # The engine's images, under the mirror's names: a reference the mirror cannot serve fails to pull.
    pairs = list(zip([plain.syntax, *plain.external_bases], [mirrored.syntax, *mirrored.external_bases], strict=False))
    for source, alias in pairs:
        if source != alias:
            d.docker("tag", source, alias)
    try:
        d.build(project, f"{target.tag}-mirrored")
    finally:
        d.docker("rmi", f"{target.tag}-mirrored", *[alias for source, alias in pairs if source != alias], check=False)


# Every character a shell or a Dockerfile would take as syntax.
AWKWARD_NAME = 'Billing "API" $HOME \\ x'


@pytest.mark.parametrize("first", as_params(FIRST_OF_EACH_LANGUAGE))
def test_description_label_keeps_every_character(first, tmp_path):
    # The slug stays the sample's: a new one would rename Rust's binary, which cargo-chef's recipe names,
    # and so rebuild every dependency, where the promise is about the label alone.
    slug = yaml.safe_load((first.project / ".copier-answers.yml").read_text())["project_slug"]
    answers = {**first.combination.data, "project_name": AWKWARD_NAME, "project_slug": slug}
    project = render(tmp_path / "awkward", answers)
    tag = f"{first.tag}-awkward"
    try:
        d.build(project, tag)
        labels = d.inspect(tag)["Config"]["Labels"]
    finally:
        d.docker("rmi", tag, check=False)
    description = labels["org.opencontainers.image.description"]
    assert description.startswith(AWKWARD_NAME + ","), f"{first.id}: the label reads {description!r}"


class HealthServer(http.server.BaseHTTPRequestHandler):
    """Answers each path with the status it names (/204 -> 204), as a service on the host's loopback."""

    def do_GET(self) -> None:
        self.send_response(int(self.path.strip("/")))
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@contextmanager
def health_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HealthServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


# The probe and the runtime it runs in are the same for every target of a language and runtime.
@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_RUNTIME), indirect=True)
def test_healthcheck_takes_any_2xx_and_nothing_else(image, target):
    """The image's own HEALTHCHECK command, run in the image on the host's network against a server that
    answers what it is asked: 200 and 204 are healthy; 404, 500 and a closed port are not."""
    command = d.inspect(image)["Config"]["Healthcheck"]["Test"]
    assert command[0] == "CMD", f"{target.id}: HEALTHCHECK {command} is not exec form"
    probe, path = command[1:-1], command[-1]
    assert path == HEALTH_PATH, f"{target.id}: the HEALTHCHECK asks {path}"
    outcomes = {}
    with health_server() as port:
        for status in ("200", "204", "404", "500"):
            outcomes[status] = run_probe(image, probe, f"/{status}", port)
        outcomes["closed port"] = run_probe(image, probe, "/200", free_port())
    healthy = {case for case, code in outcomes.items() if code == 0}
    assert healthy == {"200", "204"}, f"{target.id}: exit codes {outcomes}"


def run_probe(image: str, probe: list[str], path: str, port: int) -> int:
    return d.docker("run", "--rm", "--network=host", f"--env=PORT={port}", f"--entrypoint={probe[0]}", image,
                    *probe[1:], path, check=False).returncode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("first", as_params(FIRST_OF_EACH_LANGUAGE))
def test_health_path_is_an_answer(first, tmp_path):
    """Another health path, or none, is an answer: the image probes /ready, or has no HEALTHCHECK."""
    ready = render(tmp_path / "ready", {**first.combination.data, "health_path": "/ready"})
    none = render(tmp_path / "none", {**first.combination.data, "health_path": ""})
    try:
        with d.Container(d.build(ready, f"{first.tag}-ready").tag, first.port) as container:
            container.wait_healthy()
            assert container.get("/ready")[0] == 200, first.id
        d.build(none, f"{first.tag}-none")
        assert not d.inspect(f"{first.tag}-none")["Config"].get("Healthcheck"), f"{first.id}: a HEALTHCHECK is left"
    finally:
        d.docker("rmi", f"{first.tag}-ready", f"{first.tag}-none", check=False)
