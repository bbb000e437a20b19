"""Python's base images keep the properties its Dockerfiles rely on: python:<minor>-slim-trixie, distroless
python3 and ghcr.io/astral-sh/uv, whether the forge's stand-ins (templates/python/forge.py) or the official
images. A venv made on one and copied into another breaks here as it does for real."""

from __future__ import annotations

import subprocess

import pytest

from dft import docker as d
from dft.languages import profile, resolve
from tests.forge.fidelity import CODENAME, DEBIAN_SLIM, SHELLS, VERSION, env, run
from tests.forge.forge import image

pytestmark = pytest.mark.build

PYTHON = profile("python")
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
    script = ("python3 -m venv /tmp/v && /tmp/v/bin/python -c 'import sys; print(sys.prefix)' "
              "&& /tmp/v/bin/pip --version")
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
