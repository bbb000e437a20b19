"""Every stand-in the forge builds: the recipes each language's profile names (`forge`), with the tags
and versions the profile gives them."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from functools import partial
from pathlib import Path

from tests.forge.forge import RootfsStandIn, StandIn
from tests.forge.frontend import FRONTEND_VERSION, build_frontend
from tests.harness.profiles import Profile, common, languages, profile, resolve

# python.org's sha256 of each CPython release the profiles name (versions.python): the forge checks
# Debian's .orig tarball against it.
CPYTHON_SHA256 = {"3.13.5": "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"}

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
    unknown = sorted(set(profile.versions["python"].values()) - set(CPYTHON_SHA256))
    if unknown:
        raise SystemExit(f"forge: no sha256 for CPython {unknown}: add python.org's to CPYTHON_SHA256")
    return [StandIn(tags=(resolve(ref, PYTHON_VERSION=minor), resolve(ref, PYTHON_VERSION=release)),
                    recipe="python-slim", build_args={"PYTHON_VERSION": release, "PYTHON_SHA256": CPYTHON_SHA256[release]})
            for minor, release in profile.versions["python"].items()]


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
