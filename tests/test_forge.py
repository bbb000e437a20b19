"""The base images the templates build on keep the properties the Dockerfiles rely on.

These run against whatever the engine holds under each reference: the forge's stand-ins here, the
official images where a registry is in reach. A stand-in that drifts from the official image fails
here before it can let a wrong Dockerfile pass.
"""

from __future__ import annotations

import pytest

from tests.forge.standins import GO_RELEASES
from tests.harness import docker as d

pytestmark = pytest.mark.build

DISTROLESS_STATIC = "gcr.io/distroless/static-debian13:nonroot"


def run(image: str, *command: str) -> str:
    return d.docker("run", "--rm", "--network=none", "--entrypoint", command[0], image, *command[1:]).stdout


def env(image: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in d.inspect(image)["Config"]["Env"] or [])


@pytest.fixture(scope="module")
def distroless_files():
    return d.image_files(DISTROLESS_STATIC)


def test_debian_slim_is_trixie_with_a_shell():
    os_release = run("debian:trixie-slim", "cat", "/etc/os-release")
    assert "VERSION_CODENAME=trixie" in os_release
    assert d.inspect("debian:trixie-slim")["Config"]["Cmd"] == ["bash"]
    assert run("debian:trixie-slim", "id", "-u").strip() == "0"


@pytest.mark.parametrize("minor", sorted(GO_RELEASES))
def test_golang_has_the_go_toolchain_where_the_official_image_does(minor):
    image = f"golang:{minor}-trixie"
    assert run(image, "go", "version").startswith(f"go version go{minor}.")
    assert run(image, "sh", "-c", "command -v go").strip() == "/usr/local/go/bin/go"
    assert "VERSION_CODENAME=trixie" in run(image, "cat", "/etc/os-release")


@pytest.mark.parametrize("minor", sorted(GO_RELEASES))
def test_golang_environment_matches_the_official_image(minor):
    image = f"golang:{minor}-trixie"
    environment = env(image)
    assert environment["GOPATH"] == "/go"
    assert environment["GOTOOLCHAIN"] == "local"
    assert environment["PATH"].startswith("/go/bin:/usr/local/go/bin:")
    assert d.inspect(image)["Config"]["WorkingDir"] == "/go"


@pytest.mark.parametrize("minor", sorted(GO_RELEASES))
def test_golang_can_build_with_cgo_like_the_official_image(minor):
    # The official image carries gcc and libc6-dev: a Dockerfile that forgets CGO_ENABLED=0 links glibc.
    assert "gcc" in run(f"golang:{minor}-trixie", "gcc", "--version")


def test_distroless_static_runs_as_nonroot():
    config = d.inspect(DISTROLESS_STATIC)["Config"]
    assert config["User"].split(":")[0] in {"65532", "nonroot"}
    assert config["WorkingDir"] == "/home/nonroot"


def test_distroless_static_has_no_shell_and_no_libc(distroless_files):
    present = [p for p in ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/bin/busybox") if p in distroless_files]
    assert not present, f"distroless static must have no shell: {present}"
    assert not [p for p in distroless_files if p.endswith("/libc.so.6")], "distroless static must have no libc"


def test_distroless_static_has_the_files_distroless_promises(distroless_files):
    for path in ("/etc/passwd", "/etc/group", "/etc/os-release", "/etc/ssl/certs/ca-certificates.crt",
                 "/etc/services", "/usr/share/zoneinfo/UTC"):
        assert path in distroless_files, f"distroless static lacks {path}"
    assert distroless_files["/tmp"].mode & 0o7777 == 0o1777


def test_distroless_static_is_debian_13_with_nonroot_65532():
    assert "nonroot:x:65532:65532:" in d.read_file(DISTROLESS_STATIC, "/etc/passwd")
    assert 'VERSION_ID="13"' in d.read_file(DISTROLESS_STATIC, "/etc/os-release")


def test_dockerfile_frontend_answers_the_syntax_line(tmp_path):
    # Heredocs need the external frontend: the engine's built-in one would take them as instructions.
    (tmp_path / "Dockerfile").write_text(
        "# syntax=docker/dockerfile:1\nFROM debian:trixie-slim\nRUN <<EOF\necho heredoc > /out.txt\nEOF\n"
    )
    build = d.build(tmp_path, "dft-test/frontend-check:1")
    assert "docker/dockerfile:1" in build.log
    d.docker("rmi", "dft-test/frontend-check:1")
