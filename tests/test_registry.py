"""Build tier, with a registry: what the project's docker-bake.hcl promises a release. On a FreshBuilder (a
buildkitd of its own, started empty, with a local cache that outlives the run) `release` pushes a
linux/amd64 + linux/arm64 image with SBOM and provenance attestations to a LocalRegistry on loopback
(dft/registry.py); the arm64 image runs under emulation; a second, empty builder rebuilds a one-line change
from the registry cache; cosign signs the pushed digest with a local key and verifies it.

No container registry answers here, so the builders pull every base image through the LocalRegistry as their
mirror, which holds the forge's stand-ins, the other platform's built from the same recipes
(tests/forge/platforms.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from dft import DFT_HOME
from dft import docker as d
from dft.dockerfile import Dockerfile
from dft.matrix import questions
from dft.registry import Bake, FreshBuilder, LocalRegistry, split_ref
from dft.render import render
from dft.targets import Target, as_params, distinct_dockerfiles, first_of_each
from tests.forge.forge import registries_reachable
from tests.forge.platforms import Mirror
from tests.forge.sbom import SCANNER
from tests.forge.standins import stand_ins
from tests.test_build import one_line_change

pytestmark = [pytest.mark.build, pytest.mark.images(SCANNER), pytest.mark.host("registry", "buildkit", "emulation")]

PLATFORMS = ["linux/amd64", "linux/arm64"]
# The platforms other than the engine's (and the builders'), which come from emulation and the platforms'
# own stand-ins.
OTHER_PLATFORMS = ["linux/arm64"]
HEALTH_PATH = questions()["health_path"]["default"]
VERSION = "1.0.0"
# The release bakes' own cache, by target: see released().
RELEASE_CACHE = DFT_HOME / "release-cache"
# Where the release's bake writes its metadata (the pushed digest among it), as the GitLab build job has it.
METADATA = "bake.json"

TARGETS = distinct_dockerfiles()
# A release of each language's default (its first target), for the promises of the push, the cache, the
# signature; one per language and runtime for the arm64 image's run (each runtime's base, probe and user).
FIRST_OF_EACH_LANGUAGE = first_of_each(TARGETS, lambda t: t["language"])


def multi_platform(target: Target) -> bool:
    """Whether the forge makes the other platforms' stand-ins for the target's runtime (tests.yml's
    release_platforms): its release is baked for every platform; the others' for the engine's alone, which
    the cache and the signature promise just the same."""
    return set(OTHER_PLATFORMS) <= set(target.profile.release_platforms.get(target["runtime"], []))


def platforms(target: Target) -> list[str]:
    return PLATFORMS if multi_platform(target) else [p for p in PLATFORMS if p not in OTHER_PLATFORMS]


MULTI_PLATFORM = [t for t in FIRST_OF_EACH_LANGUAGE if multi_platform(t)]
FIRST_OF_EACH_RUNTIME = first_of_each([t for t in TARGETS if multi_platform(t)],
                                      lambda t: (t["language"], t["runtime"]))


@pytest.fixture(scope="session", params=as_params(FIRST_OF_EACH_LANGUAGE))
def target(request) -> Target:
    return request.param


@dataclass
class Session:
    """This worker's registry, its mirror of the base images, and builder A, which bakes every release."""

    registry: LocalRegistry
    mirror: Mirror
    builder: FreshBuilder
    hosts: list[str]
    releases: dict[str, Release]


def mirrored_hosts() -> list[str]:
    """Every registry host a stand-in is named for (docker.io, gcr.io, ghcr.io ...): the builders pull them all
    through the mirror. None where the official registries answer: then the builders pull the real images."""
    if os.environ.get("DFT_FORGE", "auto") != "always" and registries_reachable():
        return []
    return sorted({split_ref(tag)[0] for stand_in in stand_ins() for tag in stand_in.tags})


@pytest.fixture(scope="session")
def session() -> Iterator[Session]:
    with ExitStack() as stack:
        registry = stack.enter_context(LocalRegistry())
        hosts = mirrored_hosts()
        mirror = Mirror(registry, hosts, OTHER_PLATFORMS)
        stack.callback(mirror.close)
        builder = stack.enter_context(FreshBuilder(registry, hosts))
        missing = sorted(set(PLATFORMS) - set(builder.platforms()))
        assert not missing, f"buildkitd cannot run {missing}: scripts/lib/setup.sh registers qemu (ensure_emulation)"
        yield Session(registry, mirror, builder, hosts, {})


@dataclass
class Release:
    target: Target
    project: Path  # a copy: the cache test edits it
    env: dict[str, str]
    bake: Bake
    digest: str

    @property
    def ref(self) -> str:
        return f"{self.env['IMAGE']}:{self.env['VERSION']}"

    @property
    def pinned(self) -> str:
        return f"{self.env['IMAGE']}@{self.digest}"


def released(target: Target, session: Session, tmp_path_factory) -> Release:
    """The target's `release`, baked once per worker on builder A with the registry cache set, and pushed."""
    if target.id not in session.releases:
        project = shutil.copytree(target.project, tmp_path_factory.mktemp(f"release-{target.id}") / "project")
        assert (project / "docker-bake.hcl").exists(), f"{target.id}: the project has no docker-bake.hcl"
        if session.hosts:
            dockerfile = Dockerfile.of(project)
            session.mirror.publish([*target.images, SCANNER],
                                   dockerfile.target_platform_bases if multi_platform(target) else [])
        image = session.registry.ref(f"dft-test/{target.id}")
        env = {"IMAGE": image, "VERSION": VERSION, "REVISION": "0" * 40, "CREATED": "2026-01-01T00:00:00Z",
               "SOURCE": "https://example.invalid/dft-test", "CACHE": f"{image}:buildcache",
               "CA_BUNDLE": str(d.CA_BUNDLE) if d.CA_BUNDLE.exists() else ""}
        # Beside the registry cache the bake file sets, a local one that outlives the run: the arm64 steps
        # run under emulation (minutes) once, not in every run. (The registry-cache test's builder gets
        # none of it.)
        cache, exported = RELEASE_CACHE / target.id, RELEASE_CACHE / f"{target.id}.new"
        shutil.rmtree(exported, ignore_errors=True)
        RELEASE_CACHE.mkdir(parents=True, exist_ok=True)
        bake = session.builder.bake(project, "release", env=env,
                                    options=("--push", f"--metadata-file={project / METADATA}",
                                             f"--set=release.platform={','.join(platforms(target))}",
                                             f"--set=release.cache-from+=type=local,src={cache}",
                                             f"--set=release.cache-to+=type=local,dest={exported},mode=max"))
        shutil.rmtree(cache, ignore_errors=True)  # the new export holds what this bake used, and no more
        exported.rename(cache)
        digest = session.registry.manifest(f"{image}:{VERSION}")[1]
        session.releases[target.id] = Release(target, project, env, bake, digest)
    return session.releases[target.id]


@pytest.fixture
def release(target, session, tmp_path_factory) -> Release:
    return released(target, session, tmp_path_factory)


def platform_manifests(session: Session, release: Release) -> dict[str, dict]:
    """The index's entries by platform: linux/amd64, linux/arm64, and unknown/unknown for attestations."""
    index = session.registry.manifest(release.pinned)[0]
    return {f"{m['platform']['os']}/{m['platform']['architecture']}": m for m in index.get("manifests", [])
            if m['platform']['os'] != "unknown"}


@pytest.mark.parametrize("target", as_params(MULTI_PLATFORM), indirect=True)
def test_release_pushes_amd64_and_arm64(release, target, session, record_property):
    record_property("release bake, both platforms, empty builder + local cache (s)", round(release.bake.seconds, 1))
    platforms = sorted(platform_manifests(session, release))
    assert platforms == PLATFORMS, f"{target.id}: {release.ref} holds {platforms or 'no index'}, not {PLATFORMS}"


def attestations(session: Session, release: Release) -> dict[str, dict[str, dict]]:
    """Per platform, its attestation manifest's statements by predicate type."""
    repository = release.env["IMAGE"].split("/", 1)[1]
    index = session.registry.manifest(release.pinned)[0]
    found: dict[str, dict[str, dict]] = {}
    images = {m["digest"]: f"{m['platform']['os']}/{m['platform']['architecture']}" for m in index["manifests"]}
    for entry in index["manifests"]:
        annotations = entry.get("annotations", {})
        if annotations.get("vnd.docker.reference.type") != "attestation-manifest":
            continue
        manifest = session.registry.manifest(f"{release.env['IMAGE']}@{entry['digest']}")[0]
        statements = {layer["annotations"]["in-toto.io/predicate-type"]:
                      json.loads(session.registry.blob(repository, layer["digest"]))
                      for layer in manifest["layers"]}
        found[images[annotations["vnd.docker.reference.digest"]]] = statements
    return found


SPDX = "https://spdx.dev/Document"
PROVENANCE = ("https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1")


def test_release_attests_sbom_and_provenance(release, target, session, record_property):
    attested = attestations(session, release)
    assert sorted(attested) == platforms(target), \
        f"{target.id}: attestations for {sorted(attested)}, not {platforms(target)}"
    for platform, statements in attested.items():
        assert SPDX in statements, f"{target.id} {platform}: no SBOM, only {sorted(statements)}"
        assert any(p in statements for p in PROVENANCE), f"{target.id} {platform}: no provenance: {sorted(statements)}"
        provenance = next(statements[p] for p in PROVENANCE if p in statements)["predicate"]
        # mode=max: the build's steps (its LLB) are recorded, not only its materials.
        assert "buildConfig" in provenance or "buildDefinition" in provenance, f"{target.id} {platform}: {provenance}"


def os_packages(sbom: dict) -> list[str]:
    """The Debian packages an SPDX document lists (purl pkg:deb/...), as name=version."""
    found = []
    for package in sbom["predicate"].get("packages", []):
        purls = [ref["referenceLocator"] for ref in package.get("externalRefs", [])
                 if ref.get("referenceType") == "purl"]
        if any(purl.startswith("pkg:deb/") for purl in purls):
            found.append(f"{package['name']}={package.get('versionInfo')}")
    return sorted(found)


def test_release_sbom_lists_the_os_packages(release, target, session, record_property):
    """The runtime's Debian packages, as its dpkg status records them (distroless: status.d); scratch has none."""
    has_os = bool(Dockerfile.of(release.project).target_platform_bases)
    for platform, statements in attestations(session, release).items():
        sbom = statements[SPDX]
        packages = os_packages(sbom)
        names = sorted(package["name"] for package in sbom["predicate"].get("packages", []))
        record_property(f"SBOM {platform}", f"{len(names)} packages, {len(packages)} deb: {', '.join(packages[:8])}")
        assert names, f"{target.id} {platform}: the SBOM lists nothing"
        if has_os:
            assert packages, f"{target.id} {platform}: the SBOM lists no Debian package, only {names[:20]}"


@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_RUNTIME), indirect=True)
def test_arm64_image_runs_healthy_under_emulation(release, target, record_property):
    emulated = [(name, cached) for name, cached in release.bake.steps()
                if name.startswith("[linux/arm64 ") and "] RUN " in name]
    record_property("arm64 build", f"emulated: {len(emulated)} RUN steps under qemu, {sum(not c for _, c in emulated)} "
                    "of them run here, the rest from the local cache" if emulated else "cross-compiled")
    record_property("arm64 steps of the release bake (s)", round(release.bake.seconds_for("arm64"), 1))
    local = f"{release.ref}-arm64"  # the engine's own tag: the classic store holds one platform under a name
    d.docker("pull", "--quiet", "--platform=linux/arm64", release.ref)
    d.docker("tag", release.ref, local)
    d.docker("rmi", release.ref)
    try:
        architecture = d.inspect(local)["Architecture"]
        assert architecture == "arm64", f"{target.id}: pulled {architecture} for linux/arm64"
        record_property("arm64 image (MB)", round(d.image_size(local) / 1e6, 1))
        # The image's HEALTHCHECK, with the time qemu needs: an interpreter starts ten times slower than
        # natively, and its probe would overrun the image's 3 s timeout.
        qemu_paced = ("--health-timeout=60s", "--health-interval=5s", "--health-start-period=300s")
        with d.Container(local, target.port, *qemu_paced) as container:
            seconds = container.wait_healthy(timeout=300)
            record_property("arm64 healthy under qemu after (s)", round(seconds, 1))
            status, body = container.get(HEALTH_PATH)
            assert status == 200, f"{target.id}: arm64 {HEALTH_PATH} answered {status}: {body}"
            assert container.process_uid() == target.profile.uid(target["runtime"]), target.id
    finally:
        d.docker("rmi", local, check=False)


def test_registry_cache_rebuilds_only_the_source_steps(release, target, session, record_property):
    """A CI runner with an empty builder and the registry cache: after a one-line change, only the steps that
    read the source run; the dependency download comes from the cache. Timed against builder A's warm rebuild
    of the same change (its own local cache)."""
    one_line_change(target, release.project)
    warm = session.builder.bake(release.project, "image", env={**release.env, "VERSION": "edited-warm"})
    with FreshBuilder(session.registry, session.hosts) as fresh:
        cold = fresh.bake(release.project, "image", env={**release.env, "VERSION": "edited-cache"})
    d.docker("rmi", f"{release.env['IMAGE']}:edited-warm", f"{release.env['IMAGE']}:edited-cache", check=False)
    record_property("one-line change: empty builder + registry cache vs warm builder (s)",
                    f"{cold.seconds:.1f} vs {warm.seconds:.1f} = {cold.seconds / warm.seconds:.1f}x")
    record_property("one-line change: steps run on the empty builder", "; ".join(sorted(cold.ran())))
    step = target.dependency_step
    assert any(step in name and cached for name, cached in cold.steps()), \
        f"{target.id}: the dependency step ({step}) ran on the empty builder:\n{cold.ran()}"
    extra = sorted(set(cold.ran()) - set(warm.ran()) - {name for name in cold.ran() if "] FROM " in name})
    assert not extra, f"{target.id}: from the registry cache, steps ran that the warm rebuild took from cache: {extra}"


@pytest.mark.host("cosign")
def test_cosign_signs_and_verifies_the_pushed_digest(release, target, tmp_path):
    """Offline, with a local key pair: a signing config with no transparency log (cosign 3's way to sign
    without one; its look-up of Sigstore's TUF root fails here and only warns), a plain-HTTP registry."""
    cosign = shutil.which("cosign")
    assert cosign, "cosign is missing: scripts/lib/setup.sh builds it into $DFT_HOME/bin (ensure_cosign)"
    env = {**os.environ, "COSIGN_PASSWORD": "", "COSIGN_YES": "true", "TUF_ROOT": str(tmp_path / "tuf")}
    registry_flags = ["--allow-http-registry", "--allow-insecure-registry"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([cosign, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    for setup in (("generate-key-pair",), ("signing-config", "create", "--out=offline.json")):
        done = run(*setup)
        assert done.returncode == 0, f"cosign {' '.join(setup)}: {done.stderr}"
    signed = run("sign", "--key=cosign.key", "--signing-config=offline.json", *registry_flags, release.pinned)
    assert signed.returncode == 0, f"{target.id}: cosign sign {release.pinned} failed:\n{signed.stderr}"
    verified = run("verify", "--key=cosign.pub", "--insecure-ignore-tlog=true", *registry_flags, release.pinned)
    assert verified.returncode == 0, f"{target.id}: cosign verify {release.pinned} failed:\n{verified.stderr}"
    other = run("generate-key-pair", "--output-key-prefix=other")
    assert other.returncode == 0, other.stderr
    refused = run("verify", "--key=other.pub", "--insecure-ignore-tlog=true", *registry_flags, release.pinned)
    assert refused.returncode != 0, f"{target.id}: a signature verified against a key that never signed"


def test_the_gitlab_build_job_hands_on_the_pushed_digest(release, target, tmp_path):
    """The generated GitLab build job's step that gives the later jobs (smoke, scan, sign, publish) the digest,
    run as its shell runs it on this release's own metadata file: it must name the index the registry holds."""
    project = render(tmp_path / "gitlab", {**target.combination.data, "ci": "gitlab"})
    script = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["build"]["script"]
    [step] = [line for line in script if "containerimage.digest" in line]
    shutil.copy(release.project / METADATA, tmp_path / METADATA)
    subprocess.run(["sh", "-eu", "-c", step], cwd=tmp_path, check=True, capture_output=True, text=True)
    handed = (tmp_path / "build.env").read_text().strip()
    assert handed == f"DIGEST={release.digest}", \
        f"{target.id}: the build job hands on {handed!r}, the registry holds {release.digest}"


# The user scripts/lib/setup.sh makes for rootless BuildKit (ensure_rootless).
ROOTLESS_USER = "dft-rootless"


@pytest.mark.host("rootless")
@pytest.mark.parametrize("target", as_params(FIRST_OF_EACH_LANGUAGE[:1]), indirect=True)
def test_rootless_buildkit_runs_the_test_target(target, session, project_copy, record_property):
    """The generated GitLab CI builds on rootless BuildKit, driven through buildx's remote driver. Here:
    buildkitd under rootlesskit as an unprivileged user, with no process sandbox (as that job's service runs
    it), empty, pulling through the mirror; `docker buildx bake test` of the project passes on it. (One
    language proves the builder; the Dockerfile's steps are every language's own business.)"""
    if session.hosts:
        session.mirror.publish(target.images, [])
    project = project_copy(target.project)
    with FreshBuilder(session.registry, session.hosts, rootless_user=ROOTLESS_USER) as rootless:
        bake = rootless.bake(project, "test", env={"CA_BUNDLE": str(d.CA_BUNDLE) if d.CA_BUNDLE.exists() else ""})
    record_property("bake test on rootless BuildKit, empty (s)", round(bake.seconds, 1))
    # A failing test fails the bake; the test stage's steps ran there, on an empty builder.
    ran = [name for name in bake.ran() if name.startswith("[test ")]
    assert ran, f"{target.id}: no step of the test stage ran on rootless BuildKit: {bake.ran()}"
