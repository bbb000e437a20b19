"""docker-bake.hcl, the one build definition CI and a developer run: what each target resolves to, and the
developer's commands for real. (Its push, cache and signature against a real registry: test_registry.py.)"""

from __future__ import annotations

import re
import uuid

import pytest

from dft import docker as d
from dft.targets import as_params, distinct_dockerfiles, first_of_each

pytestmark = pytest.mark.build

# The bake file is the same for every target of a language (it names the project, not the runtime).
FIRST_OF_EACH_LANGUAGE = first_of_each(distinct_dockerfiles(), lambda t: t["language"])
RELEASE_PLATFORMS = ["linux/amd64", "linux/arm64"]
LABELS = {"VERSION": ("version", "1.2.3"), "REVISION": ("revision", "0123456789abcdef0123456789abcdef01234567"),
          "CREATED": ("created", "2026-12-01T10:00:00Z"), "SOURCE": ("source", "https://git.example.com/team/api")}


@pytest.fixture(params=as_params(FIRST_OF_EACH_LANGUAGE))
def target(request):
    return request.param


def test_release_builds_both_platforms_with_sbom_and_provenance(target):
    release = d.bake_plan(target.project, "release")["target"]["release"]
    assert release["platforms"] == RELEASE_PLATFORMS, f"{target.id}: release is for {release['platforms']}"
    attestations = {a["type"]: a for a in release.get("attest", [])}
    assert attestations.keys() == {"sbom", "provenance"}, f"{target.id}: release attests {list(attestations)}"
    assert attestations["provenance"].get("mode") == "max", f"{target.id}: provenance is not mode=max"


def test_release_tags_the_version_and_the_commit(target):
    env = {"IMAGE": "registry.example.com/team/api", "VERSION": "1.2.3", "REVISION": LABELS["REVISION"][1]}
    release = d.bake_plan(target.project, "release", env=env)["target"]["release"]
    assert release["tags"] == ["registry.example.com/team/api:1.2.3", "registry.example.com/team/api:sha-0123456"], \
        f"{target.id}: release tags {release['tags']}"


def test_every_target_reads_the_cache_and_only_release_writes_it(target):
    cache = "registry.example.com/team/api:buildcache"
    plan = d.bake_plan(target.project, "test", "image", "release", env={"CACHE": cache})["target"]
    for name, resolved in plan.items():
        assert resolved.get("cache-from") == [{"type": "registry", "ref": cache}], \
            f"{target.id}: {name} reads the cache from {resolved.get('cache-from')}"
        written = [{"type": "registry", "ref": cache, "mode": "max"}] if name == "release" else None
        assert resolved.get("cache-to") == written, \
            f"{target.id}: {name} writes the cache to {resolved.get('cache-to')}"


def test_without_a_cache_nothing_is_read_or_written(target):
    for name, resolved in d.bake_plan(target.project, "test", "image", "release")["target"].items():
        assert not resolved.get("cache-from") and not resolved.get("cache-to"), f"{target.id}: {name} has a cache"


def test_the_ca_bundle_is_a_secret_and_never_an_argument(target, tmp_path):
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text(d.CA_BUNDLE.read_text())
    for name, resolved in d.bake_plan(target.project, "test", "image", "release",
                                      env={"CA_BUNDLE": str(bundle)})["target"].items():
        assert resolved.get("secret") == [{"id": "ca_bundle", "src": str(bundle)}], \
            f"{target.id}: {name} passes the CA as {resolved.get('secret')}"
        assert str(bundle) not in repr(resolved.get("args", {})), f"{target.id}: {name} passes the CA in an argument"


def test_bake_test_runs_the_unit_tests(target, project_copy):
    # A new comment runs the test stage again, as a commit does (test_build.py's comment_change).
    project = project_copy(target.project)
    source = target.profile.source(project)
    source.write_text(f"{target.profile.line_comment} a comment ({uuid.uuid4().hex})\n" + source.read_text())
    build = d.bake(project, "test")
    assert re.search(target.profile.test_summary, build.log, re.MULTILINE), \
        f"{target.id}: no test summary from `docker buildx bake test`:\n{build.log[-3000:]}"


def test_bake_loads_the_image_labelled_from_its_variables(target):
    repository = f"dft-bake/{target.id}"
    env = {"IMAGE": repository} | {name: value for name, (_, value) in LABELS.items()}
    d.bake(target.project, env=env)  # the default group: the image, loaded
    try:
        labels = d.inspect(f"{repository}:{LABELS['VERSION'][1]}")["Config"]["Labels"]
    finally:
        d.docker("rmi", f"{repository}:{LABELS['VERSION'][1]}", check=False)
    for label, value in LABELS.values():
        assert labels.get(f"org.opencontainers.image.{label}") == value, \
            f"{target.id}: org.opencontainers.image.{label} is {labels.get(f'org.opencontainers.image.{label}')!r}"
