"""The base images the templates build on keep the properties the Dockerfiles rely on.

These run against whatever the engine holds under each reference: the forge's stand-ins here, the
official images where a registry is in reach. A stand-in that drifts from the official image fails
here before it can let a wrong Dockerfile pass.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from functools import cache

import pytest

from tests.forge.standins import DISTROLESS_CC, NODEJS, image
from dft import docker as d
from dft.languages import common, profile, resolve

pytestmark = pytest.mark.build

# The images under test, named as the profiles name them.
CODENAME, VERSION = common()["debian"]["codename"], common()["debian"]["version"]
DEBIAN_SLIM = f"debian:{CODENAME}-slim"
GO, PYTHON = profile("go"), profile("python")
DISTROLESS_STATIC = resolve(image(GO, "gcr.io/distroless/static-"))
SHELLS = ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/dash", "/bin/busybox")


def golang(minor: str) -> str:
    return resolve(image(GO, "golang:"), GO_VERSION=minor)


# Each version with the image it inspects, so that scripts/test forges only what the selected tests use.
GO_MINORS = [pytest.param(minor, marks=pytest.mark.images(golang(minor))) for minor in sorted(GO.versions["go"])]


def run(image: str, *command: str) -> str:
    return d.docker("run", "--rm", "--network=none", "--entrypoint", command[0], image, *command[1:]).stdout


def env(image: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in d.inspect(image)["Config"]["Env"] or [])


@pytest.fixture(scope="module")
def distroless_files():
    return d.image_files(DISTROLESS_STATIC)


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


DISTROLESS_PYTHON = resolve(image(PYTHON, "gcr.io/distroless/python3-"))
UV_VERSION = PYTHON.versions["uv"]
UV = resolve(PYTHON.tool_images["uv"], UV_VERSION=UV_VERSION)
# The standard-library modules that need a native library from the image: each one missing is a
# runtime package the image lacks.
NATIVE_MODULES = "ssl, sqlite3, ctypes, zlib, lzma, bz2, uuid, readline, decimal, json, hashlib, curses, dbm"


def python_slim(minor: str) -> str:
    return resolve(image(PYTHON, "python:"), PYTHON_VERSION=minor)


PYTHON_MINORS = [pytest.param(minor, marks=pytest.mark.images(python_slim(minor)))
                 for minor in sorted(PYTHON.versions["python"])]


@pytest.mark.parametrize("minor", PYTHON_MINORS)
def test_python_slim_carries_its_minor_version(minor):
    image = python_slim(minor)
    version = run(image, "python3", "--version").strip()
    assert version.startswith(f"Python {minor}."), f"{image} runs {version!r}"
    assert version == f"Python {env(image)['PYTHON_VERSION']}", f"{image}: PYTHON_VERSION disagrees with {version!r}"


@pytest.mark.parametrize("minor", PYTHON_MINORS)
def test_python_slim_interpreter_lives_in_usr_local_only(minor):
    # A venv made here points at /usr/local/bin/python3: the fact the distroless test below relies on.
    image = python_slim(minor)
    found = run(image, "sh", "-c", "for c in python3 python pip pip3; do command -v $c; done").split()
    assert found == ["/usr/local/bin/python3", "/usr/local/bin/python", "/usr/local/bin/pip", "/usr/local/bin/pip3"]
    assert run(image, "sh", "-c", "test -e /usr/bin/python3 || echo absent").strip() == "absent", (
        f"{image} must have no Debian python at /usr/bin/python3"
    )
    assert run(image, "sh", "-c", f"ls /usr/local/lib/libpython{minor}.so.1.0").strip(), f"{image}: no shared libpython"


@pytest.mark.parametrize("minor", PYTHON_MINORS)
def test_python_slim_environment_matches_the_official_image(minor):
    config = d.inspect(python_slim(minor))["Config"]
    assert env(python_slim(minor))["PATH"].startswith("/usr/local/bin:")
    assert config["Cmd"] == ["python3"]
    assert not config["Entrypoint"]
    assert config["User"] in ("", "0", "root")


@pytest.mark.parametrize("minor", PYTHON_MINORS)
def test_python_slim_has_pip_and_makes_venvs(minor):
    image = python_slim(minor)
    assert f"(python {minor})" in run(image, "pip", "--version")
    script = "python3 -m venv /tmp/v && /tmp/v/bin/python -c 'import sys; print(sys.prefix)' && /tmp/v/bin/pip --version"
    out = run(image, "sh", "-c", script).splitlines()
    assert out[0] == "/tmp/v", f"{image}: the venv's python reports prefix {out[0]!r}"
    assert out[1].startswith("pip "), f"{image}: ensurepip put no pip in the venv: {out[1]!r}"


@pytest.mark.parametrize("minor", PYTHON_MINORS)
def test_python_slim_has_the_runtime_libraries_of_the_stdlib(minor):
    assert run(python_slim(minor), "python3", "-c", f"import {NATIVE_MODULES}; print('ok')").strip() == "ok"


@pytest.mark.parametrize("minor", PYTHON_MINORS)
def test_python_slim_is_the_release(minor):
    assert f"VERSION_CODENAME={CODENAME}" in run(python_slim(minor), "cat", "/etc/os-release")


@pytest.fixture(scope="module")
def distroless_python_files():
    return d.image_files(DISTROLESS_PYTHON)


@pytest.mark.images(DISTROLESS_PYTHON)
def test_distroless_python_has_no_shell(distroless_python_files):
    present = [p for p in SHELLS if p in distroless_python_files]
    assert not present, f"distroless python must have no shell: {present}"


@pytest.mark.images(DISTROLESS_PYTHON)
def test_distroless_python_runs_the_stdlib_with_its_native_libraries():
    assert run(DISTROLESS_PYTHON, "/usr/bin/python3.13", "-c", f"import {NATIVE_MODULES}; print('ok')").strip() == "ok"


@pytest.mark.images(DISTROLESS_PYTHON)
def test_distroless_python_imports_every_stdlib_module():
    # distroless's own python3/testdata/debian13.yaml check, trimmed: every module the image ships imports.
    script = """
import pkgutil
skip = {"asyncio.windows_events", "asyncio.windows_utils", "ctypes.wintypes", "encodings.cp65001", "encodings.mbcs",
        "encodings.oem", "multiprocessing.popen_spawn_win32", "_pyrepl.windows_console", "winreg", "test",
        "_ios_support", "_pyrepl._minimal_curses", "_distutils_system_mod", "unittest.__main__", "venv.__main__",
        "dbm.gnu", "turtle", "this", "antigravity"}
def fail(name):
    raise SystemExit(f"failed to import {name}")
for module in pkgutil.walk_packages(onerror=fail):
    if module.name not in skip and not module.name.startswith("test."):
        __import__(module.name)
print("imported everything")
"""
    assert run(DISTROLESS_PYTHON, "/usr/bin/python3", "-c", script).strip().endswith("imported everything")


@pytest.mark.images(DISTROLESS_PYTHON)
def test_distroless_python_runs_python_as_nonroot():
    config = d.inspect(DISTROLESS_PYTHON)["Config"]
    assert config["Entrypoint"] == ["/usr/bin/python3.13"]
    assert config["User"].split(":")[0] in {"65532", "nonroot"}
    assert config["WorkingDir"] == "/home/nonroot"
    assert run(DISTROLESS_PYTHON, "/usr/bin/python3", "-c", "import os; print(os.getuid())").strip() == "65532"


@pytest.mark.images(DISTROLESS_PYTHON)
def test_distroless_python_is_debian_13_with_python_3_13(distroless_python_files):
    assert f'VERSION_ID="{VERSION}"' in d.read_file(DISTROLESS_PYTHON, "/etc/os-release")
    assert run(DISTROLESS_PYTHON, "/usr/bin/python3", "--version").startswith("Python 3.13.")
    assert distroless_python_files["/usr/bin/python3"].linkname == "python3.13"
    assert "/usr/local/bin/python3" not in distroless_python_files


def build_venv_on_distroless(tmp_path, tag: str, builder: str) -> subprocess.CompletedProcess:
    """Builds a venv with `builder` (Dockerfile lines), copies it into distroless python, runs its python."""
    (tmp_path / "Dockerfile").write_text(
        f"{builder}\n"
        f"FROM {DISTROLESS_PYTHON}\n"
        "COPY --from=venv /venv /venv\n"
        'ENTRYPOINT ["/venv/bin/python", "-c", "import sys; print(sys.prefix)"]\n'
    )
    d.build(tmp_path, tag)
    try:
        return d.docker("run", "--rm", "--network=none", tag, check=False)
    finally:
        d.docker("rmi", tag, check=False)


@pytest.mark.images(DISTROLESS_PYTHON)
@pytest.mark.parametrize("minor", PYTHON_MINORS)
def test_a_venv_from_python_slim_does_not_run_on_distroless(tmp_path, minor):
    # Its bin/python links to /usr/local/bin/python3, which distroless lacks: as it breaks for real.
    builder = f"FROM {python_slim(minor)} AS venv\nRUN python3 -m venv /venv"
    result = build_venv_on_distroless(tmp_path, f"dft-test/forge-venv-slim-{minor}:1", builder)
    assert result.returncode != 0, (
        f"a venv made by {python_slim(minor)} ran on {DISTROLESS_PYTHON} ({result.stdout!r}); "
        "with the official images it cannot, so a stand-in has drifted"
    )
    assert "no such file or directory" in result.stderr, result.stderr


@pytest.mark.images(DEBIAN_SLIM, DISTROLESS_PYTHON)
def test_a_venv_from_debian_python_runs_on_distroless(tmp_path):
    builder = (
        f"FROM {DEBIAN_SLIM} AS venv\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends python3.13-venv "
        "&& python3.13 -m venv /venv"
    )
    result = build_venv_on_distroless(tmp_path, "dft-test/forge-venv-debian:1", builder)
    assert result.returncode == 0 and result.stdout.strip() == "/venv", (
        f"a venv made by Debian 13's /usr/bin/python3.13 must run on {DISTROLESS_PYTHON}: "
        f"{result.returncode}\n{result.stdout}{result.stderr}"
    )


@pytest.fixture(scope="module")
def uv_files():
    return d.image_files(UV)


@pytest.mark.images(UV)
def test_uv_image_is_uv_and_uvx_on_scratch(uv_files):
    for path in ("/uv", "/uvx"):
        assert path in uv_files and uv_files[path].mode & 0o111, f"{UV} lacks an executable {path}"
    present = [p for p in SHELLS if p in uv_files]
    assert not present, f"{UV} must have no shell: {present}"
    assert not [p for p in uv_files if p.endswith("/libc.so.6")], f"{UV} must have no libc"
    assert d.inspect(UV)["Config"]["Entrypoint"] == ["/uv"]


@pytest.mark.images(UV)
@pytest.mark.parametrize("binary", ["/uv", "/uvx"])
def test_uv_binaries_are_the_pinned_release_and_static(binary):
    # The image has no libc: that they run at all shows they are static, as the template's COPY needs.
    assert run(UV, binary, "--version").startswith(f"{binary.lstrip('/')} {UV_VERSION}")


NODE = profile("node")
# Upstream's node images stopped shipping yarn 1 with Node 26; Node itself stopped bundling corepack with 25.
NODE_WITHOUT_YARN, NODE_WITHOUT_COREPACK = 26, 25


def node_slim(major: str) -> str:
    return resolve(image(NODE, "node:"), NODE_VERSION=major)


def distroless_nodejs(major: str) -> str:
    return resolve(image(NODE, "gcr.io/distroless/nodejs"), NODE_VERSION=major)


NODE_SLIM_MAJORS = [pytest.param(major, marks=pytest.mark.images(node_slim(major))) for major in NODE.versions["node"]]
DISTROLESS_NODEJS_MAJORS = [pytest.param(major, marks=pytest.mark.images(distroless_nodejs(major)))
                            for major in NODE.versions["node"]]


def pins(release: str):
    """The forge's pins for an image's release, or None for another release (an official image of a newer
    patch release, where a registry is in reach)."""
    return NODEJS.get(release) if release == NODE.versions["node"].get(release.split(".")[0]) else None


@cache
def files(image: str) -> dict:
    return d.image_files(image)


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_carries_its_release(major):
    image = node_slim(major)
    version = run(image, "node", "--version").strip()
    assert version.startswith(f"v{major}."), f"{image} runs node {version}"
    assert version == f"v{env(image)['NODE_VERSION']}", f"{image}: NODE_VERSION disagrees with {version}"
    assert f"VERSION_CODENAME={CODENAME}" in run(image, "cat", "/etc/os-release")


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_has_node_npm_and_npx_in_usr_local_bin(major):
    image = node_slim(major)
    found = run(image, "sh", "-c", "for c in node npm npx nodejs; do command -v $c; done").split()
    assert found == ["/usr/local/bin/node", "/usr/local/bin/npm", "/usr/local/bin/npx", "/usr/local/bin/nodejs"]
    links = run(image, "readlink", "/usr/local/bin/npm", "/usr/local/bin/npx", "/usr/local/bin/nodejs").split()
    assert links == ["../lib/node_modules/npm/bin/npm-cli.js", "../lib/node_modules/npm/bin/npx-cli.js",
                     "/usr/local/bin/node"]
    npm, npx = run(image, "npm", "--version").strip(), run(image, "npx", "--version").strip()
    assert npx == npm
    pinned = pins(env(image)["NODE_VERSION"])
    if pinned:
        assert npm == pinned.npm.version, f"{image} has npm {npm}, not the {pinned.npm.version} its release bundles"


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_has_the_user_node_1000(major):
    image = node_slim(major)
    assert run(image, "getent", "passwd", "node").strip() == "node:x:1000:1000::/home/node:/bin/bash"
    assert run(image, "getent", "group", "node").strip().startswith("node:x:1000:")
    assert run(image, "stat", "-c", "%u:%g", "/home/node").strip() == "1000:1000"


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_runs_node_through_upstreams_entrypoint(major):
    image = node_slim(major)
    config = d.inspect(image)["Config"]
    assert config["Entrypoint"] == ["docker-entrypoint.sh"] and config["Cmd"] == ["node"]
    assert config["User"] in ("", "0", "root")
    assert env(image)["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    # The entrypoint puts node before a first argument that is an option, no command, or a file that is not
    # executable (`docker run node:<major> -p ...`, or `app.js`: the TLS checks below run a script so);
    # a command runs as given.
    started = d.docker("run", "--rm", "--network=none", image, "-p", "process.argv0 + ' ' + process.getuid()")
    assert started.stdout.strip() == "node 0"
    assert d.docker("run", "--rm", "--network=none", image, "id", "-un").stdout.strip() == "root"


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_has_the_package_managers_upstream_ships(major):
    # corepack where Node bundles it, yarn 1 in /opt where the image adds it: a Dockerfile that relies on
    # either fails on node:26 as it does for real.
    image = node_slim(major)
    corepack, yarn = int(major) < NODE_WITHOUT_COREPACK, int(major) < NODE_WITHOUT_YARN
    found = run(image, "sh", "-c", "for c in corepack yarn yarnpkg; do command -v $c || true; done").split()
    assert found == ["/usr/local/bin/corepack"] * corepack + ["/usr/local/bin/yarn", "/usr/local/bin/yarnpkg"] * yarn
    pinned = pins(env(image)["NODE_VERSION"])
    if corepack and pinned:
        assert run(image, "corepack", "--version").strip() == pinned.corepack.version
    if not yarn:
        assert "YARN_VERSION" not in env(image)
        return
    version = env(image)["YARN_VERSION"]
    assert run(image, "readlink", "/usr/local/bin/yarn").strip() == f"/opt/yarn-v{version}/bin/yarn"
    assert run(image, "yarn", "--version").strip() == version
    if pinned:
        assert version == pinned.yarn.version


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_keeps_only_the_debian_packages_node_links(major):
    # Upstream purges what it installed but what /usr/local links: no ca-certificates (node has its own
    # roots), libatomic1 exactly where node links it (Node 25 and later).
    image = node_slim(major)
    script = ("ldd /usr/local/bin/node | grep -c libatomic || true; "
              "for p in libatomic1 ca-certificates curl; do dpkg-query -W -f '${db:Status-Abbrev}' $p 2>/dev/null "
              "| grep -q '^ii' && echo $p; done; true")
    linked, *installed = run(image, "sh", "-c", script).split()
    assert installed == (["libatomic1"] if linked == "1" else []), f"{image}: {installed} installed"


@pytest.mark.parametrize("major", DISTROLESS_NODEJS_MAJORS)
def test_distroless_nodejs_runs_node_as_nonroot(major):
    image = distroless_nodejs(major)
    config = d.inspect(image)["Config"]
    assert config["Entrypoint"] == ["/nodejs/bin/node"]
    assert config["User"].split(":")[0] in {"65532", "nonroot"}
    assert config["WorkingDir"] == "/home/nonroot"
    ran = d.docker("run", "--rm", "--network=none", image, "-p", "process.version + ' ' + process.getuid()")
    version, uid = ran.stdout.split()
    assert version.startswith(f"v{major}.") and uid == "65532"


@pytest.mark.parametrize("major", DISTROLESS_NODEJS_MAJORS)
def test_distroless_nodejs_has_node_alone(major):
    # distroless's own checks (nodejs/testdata check_npm, check_headers), and no shell.
    image = distroless_nodejs(major)
    present = files(image)
    assert present["/nodejs/bin/node"].mode & 0o111 and "/nodejs/LICENSE" in present
    tools = [path for path in present if re.search(r"/(npm|npx|corepack|yarn|yarnpkg|pnpm|node_modules)(/|$)", path)]
    assert not tools, f"{image} must have no package manager: {tools[:5]}"
    assert not [path for path in present if path.startswith("/nodejs/include")]
    assert not [path for path in SHELLS if path in present], f"{image} must have no shell"
    assert f'VERSION_ID="{VERSION}"' in d.read_file(image, "/etc/os-release")


# Where each runtime image has node (the profile's interpreter), and each image by runtime.
NODE_BINARY = {"slim": "/usr/local/bin/node", "distroless": "/nodejs/bin/node"}
NODE_IMAGE = {"slim": node_slim, "distroless": distroless_nodejs}
NODE_IMAGES = [pytest.param(runtime, major, marks=pytest.mark.images(NODE_IMAGE[runtime](major)), id=f"{runtime}-{major}")
               for runtime in NODE_IMAGE for major in NODE.versions["node"]]


@pytest.mark.parametrize(("runtime", "major"), NODE_IMAGES)
def test_node_has_fetch_and_full_icu(runtime, major):
    assert NODE.data["interpreter"][runtime] == NODE_BINARY[runtime]
    script = "typeof fetch + ' ' + new Intl.DateTimeFormat('de', {month: 'long'}).format(new Date(0))"
    assert run(NODE_IMAGE[runtime](major), NODE_BINARY[runtime], "-p", script).strip() == "function Januar"


# Serves HTTPS on 127.0.0.1 with tls/cert.pem, self-signed, and fetches from itself: what node trusts
# decides whether the fetch succeeds.
TLS_CHECK = """
const fs = require("node:fs");
const https = require("node:https");
const options = {key: fs.readFileSync("/tls/key.pem"), cert: fs.readFileSync("/tls/cert.pem")};
const server = https.createServer(options, (request, response) => response.end("trusted"));
server.listen(0, "127.0.0.1", () => {
  fetch(`https://127.0.0.1:${server.address().port}/`)
    .then((response) => response.text(), (error) => `refused: ${error.cause?.code ?? error}`)
    .then((text) => { console.log(text); server.close(); });
});
"""


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    """A build context whose tls/ holds a self-signed certificate for 127.0.0.1, its key and TLS_CHECK."""
    if shutil.which("openssl") is None:
        pytest.fail("the TLS checks make their certificate with the host's openssl, which is missing")
    context = tmp_path_factory.mktemp("tls-context")
    tls = context / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem")], check=True, capture_output=True)
    (tls / "check.js").write_text(TLS_CHECK)
    for path in tls.iterdir():
        path.chmod(0o644)  # the nonroot user reads them
    return context


def tls_check(context, base: str, tag: str, *node_options: str, environment: tuple[str, ...] = (),
              system_store: bool = False) -> str:
    """Runs TLS_CHECK with node in `base` (its own entrypoint), tls/ copied in; with `system_store`,
    the certificate replaces the image's CA bundle."""
    lines = [f"FROM {base}", "COPY tls/ /tls/"]
    if system_store:
        lines.append("COPY tls/cert.pem /etc/ssl/certs/ca-certificates.crt")
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    d.build(context, tag)
    try:
        options = [f"--env={item}" for item in environment]
        return d.docker("run", "--rm", "--network=none", *options, tag, *node_options, "/tls/check.js").stdout.strip()
    finally:
        d.docker("rmi", tag, check=False)


@pytest.mark.parametrize(("runtime", "major"), NODE_IMAGES)
def test_node_trusts_a_ca_given_by_node_extra_ca_certs(tls_context, runtime, major):
    # How npm, and node, take a corporate CA (the ca_bundle secret): refused without it, trusted with it.
    base, tag = NODE_IMAGE[runtime](major), f"dft-test/forge-tls-{runtime}-{major}:1"
    assert tls_check(tls_context, base, tag).startswith("refused: ")
    assert tls_check(tls_context, base, tag, environment=("NODE_EXTRA_CA_CERTS=/tls/cert.pem",)) == "trusted"


@pytest.mark.parametrize("major", DISTROLESS_NODEJS_MAJORS)
def test_distroless_nodejs_reads_the_system_ca_store_with_use_openssl_ca(tls_context, major):
    # distroless's CA bundle, which SSL_CERT_FILE names, is what node's OpenSSL store reads: node trusts
    # it with --use-openssl-ca (by default node trusts its own bundled roots alone).
    base, tag = distroless_nodejs(major), f"dft-test/forge-tls-system-{major}:1"
    assert env(base)["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
    assert tls_check(tls_context, base, tag, system_store=True).startswith("refused: ")
    assert tls_check(tls_context, base, tag, "--use-openssl-ca", system_store=True) == "trusted"


RUST = profile("rust")
RUST_TOOLS = ("cargo", "rustc", "rustdoc")


def rust_slim(minor: str) -> str:
    return resolve(image(RUST, "rust:"), RUST_VERSION=minor)


RUST_MINORS = [pytest.param(minor, marks=pytest.mark.images(rust_slim(minor))) for minor in RUST.versions["rust"]]


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_environment_matches_the_official_image(minor):
    environment = env(rust_slim(minor))
    assert environment["CARGO_HOME"] == "/usr/local/cargo"
    assert environment["RUSTUP_HOME"] == "/usr/local/rustup"
    assert environment["PATH"] == "/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    # The full release of the tag's minor: rust:1.97-slim-trixie says RUST_VERSION=1.97.<patch>.
    assert environment["RUST_VERSION"].startswith(f"{minor}.")


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_runs_cargo_rustc_and_rustdoc_from_cargo_home_at_its_release(minor):
    image = rust_slim(minor)
    release = env(image)["RUST_VERSION"]
    found = run(image, "sh", "-c", "for tool in " + " ".join(RUST_TOOLS) + "; do command -v $tool; done").split()
    assert found == [f"/usr/local/cargo/bin/{tool}" for tool in RUST_TOOLS]
    for tool in RUST_TOOLS:
        assert run(image, tool, "--version").startswith(f"{tool} {release} "), tool


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_cargo_home_is_writable_by_any_user(minor):
    # Upstream makes CARGO_HOME and RUSTUP_HOME world-writable (chmod -R a+w): a build stage running as
    # a non-root user still fills cargo's registry cache and `cargo install`s into /usr/local/cargo/bin.
    made = d.docker("run", "--rm", "--network=none", "--user=10001", rust_slim(minor), "sh", "-c",
                    "id -u; for dir in /usr/local/cargo /usr/local/cargo/bin /usr/local/rustup; "
                    'do touch "$dir/probe" && echo "$dir"; done').stdout
    assert made.split() == ["10001", "/usr/local/cargo", "/usr/local/cargo/bin", "/usr/local/rustup"]


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_is_debian_13_with_the_c_toolchain_and_trixie_sources_alone(minor):
    # gcc and libc6-dev (the linker rustc calls, glibc's static and shared libraries), ca-certificates;
    # apt sees the official image's trixie sources, whatever suite the forge took the toolchain from.
    image = rust_slim(minor)
    assert f"VERSION_CODENAME={CODENAME}" in run(image, "cat", "/etc/os-release")
    installed = run(image, "dpkg-query", "--showformat=${Package} ${db:Status-Status}\n", "--show",
                    "gcc", "libc6-dev", "ca-certificates").splitlines()
    assert sorted(installed) == ["ca-certificates installed", "gcc installed", "libc6-dev installed"]
    assert run(image, "ls", "/etc/apt/sources.list.d").split() == ["debian.sources"]
    assert run(image, "sh", "-c", "test -e /etc/apt/sources.list || echo absent").strip() == "absent"


HELLO_RS = 'fn main() {\n    println!("hello from {}", env!("CARGO_PKG_NAME"));\n}\n'
# A crate with one crates.io dependency, no lockfile: cargo resolves it from the sparse index
# (index.crates.io) and downloads it (static.crates.io).
ITOA_RS = 'fn main() {\n    println!("itoa says {}", itoa::Buffer::new().format(1234567));\n}\n'


def crate(directory, name: str, main: str, dependencies: str = "") -> None:
    (directory / "src").mkdir(parents=True)
    (directory / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2024"\n\n'
                                          f"[dependencies]\n{dependencies}")
    (directory / "src/main.rs").write_text(main)


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_builds_a_crate_with_a_crates_io_dependency(tmp_path, minor):
    # As a Dockerfile behind a TLS-intercepting proxy does: the ca_bundle secret (this machine's trust
    # store, which d.build hands to every build) is what cargo trusts, through CARGO_HTTP_CAINFO.
    crate(tmp_path, "itoa-probe", ITOA_RS, 'itoa = "1"\n')
    (tmp_path / "Dockerfile").write_text(
        f"FROM {rust_slim(minor)}\n"
        "WORKDIR /src\n"
        "COPY Cargo.toml ./\n"
        "COPY src/ src/\n"
        "RUN --mount=type=secret,id=ca_bundle \\\n"
        "    if [ -s /run/secrets/ca_bundle ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca_bundle; fi; \\\n"
        "    cargo build --release && cp target/release/itoa-probe /usr/local/bin/\n"
    )
    tag = f"dft-test/forge-rust-crate-{minor}:1"
    d.build(tmp_path, tag)
    try:
        assert run(tag, "itoa-probe").strip() == "itoa says 1234567"
    finally:
        d.docker("rmi", tag, check=False)


@pytest.fixture(scope="module")
def rust_hello(tmp_path_factory):
    """Per minor, an image of the builder holding a hello world built both ways: /hello-static with
    +crt-static for the host's gnu target (what a scratch runtime needs: Debian has no musl std), and
    /hello-dynamic the default way. Removed at the end of the module."""
    built = {}

    def make(minor: str) -> str:
        if minor not in built:
            context = tmp_path_factory.mktemp(f"rust-hello-{minor}")
            crate(context, "hello", HELLO_RS)
            (context / "Dockerfile").write_text(
                f"FROM {rust_slim(minor)}\n"
                "WORKDIR /src\n"
                "COPY . .\n"
                'RUN target="$(uname -m)-unknown-linux-gnu"; \\\n'
                '    RUSTFLAGS="-C target-feature=+crt-static" cargo build --offline --release --target "$target" \\\n'
                '    && cp "target/$target/release/hello" /hello-static \\\n'
                "    && cargo build --offline --release && cp target/release/hello /hello-dynamic\n"
            )
            tag = f"dft-test/forge-rust-hello-{minor}:1"
            d.build(context, tag, "--network=none")
            built[minor] = tag
        return built[minor]

    yield make
    for tag in built.values():
        d.docker("rmi", tag, check=False)


def on_scratch(tmp_path, builder: str, binary: str, tag: str) -> subprocess.CompletedProcess:
    """Runs `binary` of the builder image alone on scratch."""
    (tmp_path / "Dockerfile").write_text(f'FROM scratch\nCOPY --from={builder} {binary} /hello\nENTRYPOINT ["/hello"]\n')
    d.build(tmp_path, tag)
    try:
        return d.docker("run", "--rm", "--network=none", tag, check=False)
    finally:
        d.docker("rmi", tag, check=False)


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_links_a_crt_static_binary_that_runs_on_scratch(tmp_path, rust_hello, minor):
    # The gnu target's +crt-static links glibc's libc.a (libc6-dev): no interpreter, no shared library.
    result = on_scratch(tmp_path, rust_hello(minor), "/hello-static", f"dft-test/forge-rust-static-{minor}:1")
    assert (result.returncode, result.stdout.strip()) == (0, "hello from hello"), result.stderr


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_links_glibc_dynamically_by_default(tmp_path, rust_hello, minor):
    # As rustup's toolchain does: a default build copied into scratch finds no dynamic loader, so a
    # Dockerfile that forgets +crt-static for scratch fails here as it does for real.
    result = on_scratch(tmp_path, rust_hello(minor), "/hello-dynamic", f"dft-test/forge-rust-dynamic-{minor}:1")
    assert result.returncode != 0 and "no such file or directory" in result.stderr, (result.stdout, result.stderr)



JAVA = profile("java")
# Debian's name for the machine's architecture, which Adoptium's JRE path carries.
DEBIAN_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]


def distroless_java(major: str) -> str:
    return resolve(image(JAVA, "gcr.io/distroless/java"), JAVA_VERSION=major)


JAVA_MAJORS = [pytest.param(major, marks=pytest.mark.images(distroless_java(major))) for major in JAVA.versions["java"]]


def temurin_jre(major: str) -> str:
    """Where distroless's java<major> image has its JRE: Adoptium's temurin-<major>-jre package's path."""
    return f"/usr/lib/jvm/temurin-{major}-jre-{DEBIAN_ARCH}"


@pytest.mark.parametrize("major", JAVA_MAJORS)
def test_distroless_java_runs_java_jar_as_nonroot_with_its_release_in_java_version(major):
    # Upstream: ENTRYPOINT ["/usr/bin/java", "-jar"], ENV JAVA_VERSION the JRE's release, LANG C.UTF-8.
    image = distroless_java(major)
    config = d.inspect(image)["Config"]
    assert config["Entrypoint"] == ["/usr/bin/java", "-jar"]
    assert config["User"].split(":")[0] in {"65532", "nonroot"}
    environment = env(image)
    assert environment["JAVA_VERSION"] == JAVA.versions["java"][major]
    assert environment["LANG"] == "C.UTF-8"
    version = d.docker("run", "--rm", "--network=none", "--entrypoint", "/usr/bin/java", image, "-version").stderr
    assert f'openjdk version "{environment["JAVA_VERSION"]}"' in version


@pytest.mark.parametrize("major", JAVA_MAJORS)
def test_distroless_java_has_the_jre_at_temurins_path_and_no_shell_or_compiler(major):
    files = d.image_files(distroless_java(major))
    jre = temurin_jre(major)
    for path in (f"{jre}/bin/java", f"{jre}/lib/modules", f"{jre}/lib/jspawnhelper"):
        assert path in files, f"java{major}: no {path}"
    assert files["/usr/bin/java"].linkname == f"{jre}/bin/java"
    assert not [p for p in SHELLS if p in files], f"java{major}: a shell"
    assert f"{jre}/bin/javac" not in files and f"{jre}/bin/jlink" not in files, f"java{major}: a JDK tool"


@pytest.mark.parametrize("major", JAVA_MAJORS)
def test_distroless_java_trusts_the_ca_bundle_through_its_java_keystore(major):
    # The JRE's lib/security/cacerts and Adoptium's path both link to /etc/ssl/certs/java/cacerts, a
    # keystore of the image's CA bundle: java trusts what the system trusts.
    image = distroless_java(major)
    jre = temurin_jre(major)
    files = d.image_files(image)
    for link in (f"{jre}/lib/security/cacerts", "/etc/ssl/certs/adoptium/cacerts"):
        assert files[link].linkname == "/etc/ssl/certs/java/cacerts", link
    listed = run(image, f"{jre}/bin/keytool", "-list", "-cacerts", "-storepass", "changeit")
    assert listed.count("trustedCertEntry") >= 100, listed[-500:]


@pytest.mark.parametrize("major", JAVA_MAJORS)
def test_distroless_java_carries_the_jre_modules_and_their_class_data_sharing_archives(major):
    # Temurin's JRE, as OpenJDK's build makes it: every Java SE module, the JDK's runtime modules (the
    # HTTP server, JFR, the debugger agent), none of its tools (the compiler, jshell, javadoc, jlink);
    # the default CDS archives, which the runtime maps at start-up (-Xshare:on fails without them).
    image = distroless_java(major)
    modules = {line.split("@")[0] for line in run(image, "/usr/bin/java", "--list-modules").split()}
    assert {"java.se", "java.sql", "java.net.http", "jdk.httpserver", "jdk.jfr", "jdk.jdwp.agent"} <= modules, modules
    tools = {"jdk.compiler", "jdk.jshell", "jdk.javadoc", "jdk.jlink", "jdk.jdeps", "jdk.hotspot.agent"} & modules
    assert not tools, f"java{major}: the JDK's tool modules {sorted(tools)}"
    version = d.docker("run", "--rm", "--network=none", "--entrypoint", "/usr/bin/java", image, "-Xshare:on", "-version")
    assert "sharing" in version.stderr, version.stderr
