"""Every stand-in the forge builds: the recipes each language's profile names (`forge`), with the tags
and versions the profile gives them."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from tests.forge.forge import RootfsStandIn, StandIn
from tests.forge.frontend import FRONTEND_VERSION, build_frontend
from tests.harness.profiles import Profile, common, languages, profile, resolve


@dataclass(frozen=True)
class Debian:
    """The .orig tarball of `suite`'s python3.x source package: python.org's Python-<release>.tar.xz byte
    for byte, which the recipe checks against python.org's `sha256` of it."""

    suite: str
    sha256: str


@dataclass(frozen=True)
class GoProxy:
    """A tag of CPython's git tree as the Go module proxy serves it (`version` of `module`): the host's
    `go mod download` checks the module zip against the Go checksum database (sum.golang.org), and the
    forge checks the zip's hash against `h1`, the one that database holds, so a changed zip fails."""

    module: str
    version: str
    h1: str


# Each CPython release a profile may name (versions.python) and where the forge takes its source from;
# the stand-in itself is built on the profiles' Debian release (trixie) whatever the source. A pin here
# is in the stand-in's fingerprint: changing it rebuilds the stand-in.
CPYTHON = {
    # Neither python.org nor github.com is in reach here, and the Debian mirror that is answers 404 for
    # forky's python3.14 source files: CPython's git tag v3.14.7, the newest 3.14 tag the Go module proxy
    # serves. python.org's Python-3.14.7.tar.xz is cut from that tag; it adds the generated Misc/NEWS,
    # which the build does not read (cpython_tree says what else the zip leaves out).
    "3.14.7": GoProxy("github.com/python/cpython", "v3.14.7+incompatible",
                      "h1:VAY+1Ox2/E68BOZZvT06dMumxgyvcJLzKZgCkEEZamY="),
    # Debian 13 (trixie)'s python3.13 3.13.5-2+deb13u5.
    "3.13.5": Debian("trixie", "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"),
}

# The wheel platform of this machine's uv binaries: PyPI's musllinux wheels carry the static musl build
# that upstream's image holds, for x86_64 and aarch64 alike.
UV_WHEEL_PLATFORM = {"x86_64": "musllinux_1_1_x86_64", "aarch64": "musllinux_1_1_aarch64",
                     "arm64": "musllinux_1_1_aarch64"}


def go_toolchain(version: str, context: Path) -> None:
    """Puts the Go toolchain at context/go, as the go command fetches it from the module proxy."""
    goroot = subprocess.run(
        ["go", "env", "GOROOT"], check=True, capture_output=True, text=True,
        env={**os.environ, "GOTOOLCHAIN": f"go{version}"},
    ).stdout.strip()
    shutil.copytree(goroot, context / "go", symlinks=True)


def uv_binaries(version: str, context: Path) -> None:
    """Puts `uv` and `uvx` at the context's root, from PyPI's musllinux wheel for this machine."""
    machine = platform.machine()
    if machine not in UV_WHEEL_PLATFORM:
        raise RuntimeError(f"forge: no uv wheel for a {machine} machine; the forge knows {sorted(UV_WHEEL_PLATFORM)}")
    with tempfile.TemporaryDirectory(prefix="forge-uv-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             f"--platform={UV_WHEEL_PLATFORM[machine]}", f"--dest={tmp}", f"uv=={version}"],
            check=True,
        )
        (wheel,) = Path(tmp).glob("uv-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            for name in ("uv", "uvx"):
                target = context / name
                target.write_bytes(archive.read(f"uv-{version}.data/scripts/{name}"))
                target.chmod(0o755)


def cpython_tree(source: GoProxy, release: str, context: Path) -> None:
    """Puts CPython's source tree at context/cpython: the module zip `go mod download` fetches and checks
    against the Go checksum database, refused unless its hash is the pinned h1.

    A module zip keeps no file modes and no symlinks. CPython's symlinks (Misc/mypy's links to typed
    stdlib modules, for mypy) are left out, as python.org's tarballs leave them out; the build reads
    nothing else the zip lacks. The files come back writable, and executable where they start with
    `#!`: that gives configure, config.guess, Modules/makesetup and every Lib/ script the mode git
    gives them (`make install` installs the executable ones as such). Every file gets the tag's commit
    time: all equal, no generated file is older than its sources, so make regenerates nothing."""
    with tempfile.TemporaryDirectory(prefix="forge-cpython-") as tmp:
        # A private module cache, writable (-modcacherw) so that it can be removed. On a failure the
        # JSON's Error says why, hence check=False.
        download = json.loads(subprocess.run(
            ["go", "mod", "download", "-json", f"{source.module}@{source.version}"],
            check=False, capture_output=True, text=True, cwd=tmp,
            env={**os.environ, "GOMODCACHE": f"{tmp}/mod", "GOFLAGS": "-modcacherw", "GO111MODULE": "on"},
        ).stdout or "{}")
        if download.get("Error") or "Dir" not in download:
            raise RuntimeError(f"forge: go mod download {source.module}@{source.version} failed: "
                               f"{download.get('Error', 'no answer')} (is the Go module proxy in reach?)")
        if download["Sum"] != source.h1:
            raise RuntimeError(f"forge: {source.module}@{source.version} hashes to {download['Sum']}, "
                               f"not the pinned {source.h1}")
        tree = context / "cpython"
        shutil.copytree(download["Dir"], tree)
        commit_time = datetime.fromisoformat(json.loads(Path(download["Info"]).read_text())["Time"]).timestamp()
    patchlevel = (tree / "Include/patchlevel.h").read_text()
    if not re.search(rf'^#define\s+PY_VERSION\s+"{re.escape(release)}"$', patchlevel, re.MULTILINE):
        raise RuntimeError(f"forge: {source.module}@{source.version} is not CPython {release}")
    for path in tree.rglob("*"):
        if path.is_file():
            with path.open("rb") as file:
                path.chmod(0o755 if file.read(2) == b"#!" else 0o644)
    for path in [*tree.rglob("*"), tree]:
        os.utime(path, (commit_time, commit_time))


def image(profile: Profile, repository: str) -> str:
    """The one image reference of a profile that starts with `repository`."""
    refs = {ref for images in profile.images.values() for ref in images.values()} | set(profile.tool_images.values())
    found = sorted(ref for ref in refs if ref.startswith(repository))
    if len(found) != 1:
        raise SystemExit(f"forge: profiles/{profile.language}.yml should name one {repository} image, not {found}")
    return found[0]


# Each recipe a profile may name (its `forge` field), with the stand-ins it makes for that profile.
def golang(profile: Profile) -> list[StandIn]:
    ref = image(profile, "golang:")
    return [StandIn(tags=(resolve(ref, GO_VERSION=minor), resolve(ref, GO_VERSION=patch)), recipe="golang",
                    build_args={"GO_VERSION": patch}, inputs=partial(go_toolchain, patch))
            for minor, patch in profile.versions["go"].items()]


def python_slim(profile: Profile) -> list[StandIn]:
    ref = image(profile, "python:")
    unknown = sorted(set(profile.versions["python"].values()) - set(CPYTHON))
    if unknown:
        raise SystemExit(f"forge: CPython {unknown} unknown: add where its source comes from to CPYTHON")
    made = []
    for minor, release in profile.versions["python"].items():
        source = CPYTHON[release]
        tags = (resolve(ref, PYTHON_VERSION=minor), resolve(ref, PYTHON_VERSION=release))
        if isinstance(source, Debian):
            made.append(StandIn(tags=tags, recipe="python-slim", build_args={
                "PYTHON_VERSION": release, "SOURCE_SUITE": source.suite, "PYTHON_SHA256": source.sha256}))
        else:
            made.append(StandIn(tags=tags, recipe="python-slim", build_args={
                "PYTHON_VERSION": release, "SOURCE_TREE": "cpython"}, inputs=partial(cpython_tree, source, release)))
    return made


def uv(profile: Profile) -> list[StandIn]:
    version = profile.versions["uv"]
    ref = profile.tool_images["uv"]
    return [StandIn(tags=(resolve(ref, UV_VERSION=version), resolve(ref, UV_VERSION=version.rsplit(".", 1)[0])),
                    recipe="uv", inputs=partial(uv_binaries, version))]


RECIPES = {
    "golang": golang,
    "python-slim": python_slim,
    "uv": uv,
    "distroless-static": lambda profile: [
        StandIn(tags=(resolve(image(profile, "gcr.io/distroless/static-")),), recipe="distroless-static")],
    "distroless-python": lambda profile: [
        StandIn(tags=(resolve(image(profile, "gcr.io/distroless/python3-")),), recipe="distroless-python")],
}


def stand_ins() -> list[StandIn]:
    """Debian and the Dockerfile frontend, which every language builds on, then what each profile names."""
    release = common()["debian"]["codename"]
    made = [
        RootfsStandIn(tags=(f"debian:{release}-slim", f"debian:{release}"), recipe="debootstrap", suite=release),
        StandIn(tags=(common()["frontend"], f"docker/dockerfile:{FRONTEND_VERSION}"), recipe="dockerfile-frontend",
                inputs=build_frontend),
    ]
    for language in languages():
        for recipe in profile(language).forge:
            if recipe not in RECIPES:
                raise SystemExit(f"forge: profiles/{language}.yml names the recipe {recipe!r}; "
                                 f"tests/forge/standins.py has {sorted(RECIPES)}")
            # Two languages may need one image (distroless static for Go and Rust): it is made once.
            made += [new for new in RECIPES[recipe](profile(language)) if new.tags not in {m.tags for m in made}]
    return made


STAND_INS = stand_ins()
