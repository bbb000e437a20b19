"""The base images every language builds on keep the properties the Dockerfiles rely on: Debian slim, the
Dockerfile frontend and distroless cc. Each language's own images are asserted beside its forge
(templates/<language>/test_standins.py).

These run against whatever the engine holds under each reference: the forge's stand-ins here, the
official images where a registry is in reach. A stand-in that drifts from the official image fails
here before it can let a wrong Dockerfile pass.
"""

from __future__ import annotations

import pytest

from dft import docker as d
from tests.forge.fidelity import CODENAME, DEBIAN_SLIM, SHELLS, VERSION, env, run
from tests.forge.standins import DISTROLESS_CC

pytestmark = pytest.mark.build


@pytest.mark.images(DEBIAN_SLIM)
def test_debian_slim_is_the_release_with_a_shell():
    os_release = run(DEBIAN_SLIM, "cat", "/etc/os-release")
    assert f"VERSION_CODENAME={CODENAME}" in os_release
    assert d.inspect(DEBIAN_SLIM)["Config"]["Cmd"] == ["bash"]
    assert run(DEBIAN_SLIM, "id", "-u").strip() == "0"


@pytest.mark.images(DEBIAN_SLIM)
def test_debian_slim_has_the_official_path_and_sources():
    assert env(DEBIAN_SLIM)["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    sources = run(DEBIAN_SLIM, "cat", "/etc/apt/sources.list.d/debian.sources")
    assert f"Suites: {CODENAME} {CODENAME}-updates" in sources and f"Suites: {CODENAME}-security" in sources
    assert run(DEBIAN_SLIM, "sh", "-c", "test -e /etc/apt/sources.list || echo absent").strip() == "absent"


@pytest.fixture(scope="module")
def distroless_cc_files():
    return d.image_files(DISTROLESS_CC)


@pytest.mark.images(DISTROLESS_CC)
def test_distroless_cc_runs_as_nonroot():
    config = d.inspect(DISTROLESS_CC)["Config"]
    assert config["User"].split(":")[0] in {"65532", "nonroot"}
    assert config["WorkingDir"] == "/home/nonroot"


@pytest.mark.images(DISTROLESS_CC)
def test_distroless_cc_has_no_shell(distroless_cc_files):
    present = [p for p in SHELLS if p in distroless_cc_files]
    assert not present, f"distroless cc must have no shell: {present}"


@pytest.mark.images(DISTROLESS_CC)
def test_distroless_cc_has_glibc_the_gcc_runtime_and_the_ca_bundle(distroless_cc_files):
    # What a dynamically linked C, C++ or Rust binary needs: glibc, libgcc_s (unwinding), libstdc++.
    for library in ("libc.so.6", "libstdc++.so.6", "libgcc_s.so.1"):
        assert [p for p in distroless_cc_files if p.endswith(f"/{library}")], f"distroless cc lacks {library}"
    assert "/etc/ssl/certs/ca-certificates.crt" in distroless_cc_files
    assert env(DISTROLESS_CC)["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"


@pytest.mark.images(DISTROLESS_CC)
def test_distroless_cc_is_debian_13_with_nonroot_65532():
    assert "nonroot:x:65532:65532:" in d.read_file(DISTROLESS_CC, "/etc/passwd")
    assert f'VERSION_ID="{VERSION}"' in d.read_file(DISTROLESS_CC, "/etc/os-release")


@pytest.mark.images("docker/dockerfile:1", DEBIAN_SLIM)
def test_dockerfile_frontend_answers_the_syntax_line(tmp_path):
    # Heredocs need the external frontend: the engine's built-in one would take them as instructions.
    (tmp_path / "Dockerfile").write_text(
        f"# syntax=docker/dockerfile:1\nFROM {DEBIAN_SLIM}\nRUN <<EOF\necho heredoc > /out.txt\nEOF\n"
    )
    build = d.build(tmp_path, "dft-test/frontend-check:1")
    assert "docker/dockerfile:1" in build.log
    d.docker("rmi", "dft-test/frontend-check:1")
