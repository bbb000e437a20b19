"""Go's base images keep the properties its Dockerfiles rely on: golang:<minor>-trixie and distroless
static, whether the forge's stand-ins (templates/go/forge.py) or the official images."""

from __future__ import annotations

import pytest

from dft import docker as d
from dft.languages import profile, resolve
from tests.forge.fidelity import CODENAME, VERSION, env, run
from tests.forge.forge import image

pytestmark = pytest.mark.build

GO = profile("go")
DISTROLESS_STATIC = resolve(image(GO, "gcr.io/distroless/static-"))


def golang(minor: str) -> str:
    return resolve(image(GO, "golang:"), GO_VERSION=minor)


# Each version with the image it inspects, so that scripts/test forges only what the selected tests use.
GO_MINORS = [pytest.param(minor, marks=pytest.mark.images(golang(minor))) for minor in sorted(GO.versions["go"])]


@pytest.fixture(scope="module")
def distroless_files():
    return d.image_files(DISTROLESS_STATIC)


@pytest.mark.parametrize("minor", GO_MINORS)
def test_golang_has_the_go_toolchain_where_the_official_image_does(minor):
    image = golang(minor)
    assert run(image, "go", "version").startswith(f"go version go{minor}.")
    assert run(image, "sh", "-c", "command -v go").strip() == "/usr/local/go/bin/go"
    assert f"VERSION_CODENAME={CODENAME}" in run(image, "cat", "/etc/os-release")


@pytest.mark.parametrize("minor", GO_MINORS)
def test_golang_environment_matches_the_official_image(minor):
    image = golang(minor)
    environment = env(image)
    assert environment["GOPATH"] == "/go"
    assert environment["GOTOOLCHAIN"] == "local"
    assert environment["PATH"].startswith("/go/bin:/usr/local/go/bin:")
    assert d.inspect(image)["Config"]["WorkingDir"] == "/go"


@pytest.mark.parametrize("minor", GO_MINORS)
def test_golang_can_build_with_cgo_like_the_official_image(minor):
    # The official image carries gcc and libc6-dev: a Dockerfile that forgets CGO_ENABLED=0 links glibc.
    assert "gcc" in run(golang(minor), "gcc", "--version")


@pytest.mark.images(DISTROLESS_STATIC)
def test_distroless_static_runs_as_nonroot():
    config = d.inspect(DISTROLESS_STATIC)["Config"]
    assert config["User"].split(":")[0] in {"65532", "nonroot"}
    assert config["WorkingDir"] == "/home/nonroot"


@pytest.mark.images(DISTROLESS_STATIC)
def test_distroless_static_has_no_shell_and_no_libc(distroless_files):
    present = [p for p in ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/bin/busybox") if p in distroless_files]
    assert not present, f"distroless static must have no shell: {present}"
    assert not [p for p in distroless_files if p.endswith("/libc.so.6")], "distroless static must have no libc"


@pytest.mark.images(DISTROLESS_STATIC)
def test_distroless_static_has_the_files_distroless_promises(distroless_files):
    for path in ("/etc/passwd", "/etc/group", "/etc/os-release", "/etc/ssl/certs/ca-certificates.crt",
                 "/etc/services", "/usr/share/zoneinfo/UTC"):
        assert path in distroless_files, f"distroless static lacks {path}"
    assert distroless_files["/tmp"].mode & 0o7777 == 0o1777


@pytest.mark.images(DISTROLESS_STATIC)
def test_distroless_static_is_debian_13_with_nonroot_65532():
    assert "nonroot:x:65532:65532:" in d.read_file(DISTROLESS_STATIC, "/etc/passwd")
    assert f'VERSION_ID="{VERSION}"' in d.read_file(DISTROLESS_STATIC, "/etc/os-release")
