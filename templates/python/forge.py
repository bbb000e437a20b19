"""Python's stand-ins, where no container registry answers: python:<minor>-slim-trixie with the CPython
release forge.yml pins for each python_version choice, compiled from the source it names; distroless
python3, which Python runs on; and ghcr.io/astral-sh/uv at the uv version the templates pin."""

from __future__ import annotations

import fnmatch
import json
import os
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

from dft.languages import Profile, resolve
from tests.forge.forge import StandIn, image, releases

RECIPES = Path(__file__).parent / "forge"


@dataclass(frozen=True)
class GoProxy:
    """A tag of CPython's git tree as the Go module proxy serves it (`version` of `module`): the host's
    `go mod download` checks the module zip against the Go checksum database (sum.golang.org), so a zip
    that is not the one that database holds fails."""

    module: str
    version: str


# The wheel platform of uv's binaries for each architecture: PyPI's musllinux wheels carry the static
# musl build that upstream's image holds, for x86_64 and aarch64 alike.
UV_WHEEL_PLATFORM = {"amd64": "musllinux_1_1_x86_64", "arm64": "musllinux_1_1_aarch64"}


def uv_binaries(version: str, context: Path, architecture: str) -> None:
    """Puts `uv` and `uvx` at the context's root, from PyPI's musllinux wheel for the architecture."""
    if architecture not in UV_WHEEL_PLATFORM:
        raise RuntimeError(f"forge: no uv wheel for {architecture}; the forge knows {sorted(UV_WHEEL_PLATFORM)}")
    with tempfile.TemporaryDirectory(prefix="forge-uv-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             f"--platform={UV_WHEEL_PLATFORM[architecture]}", f"--dest={tmp}", f"uv=={version}"],
            check=True,
        )
        (wheel,) = Path(tmp).glob("uv-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            for name in ("uv", "uvx"):
                target = context / name
                target.write_bytes(archive.read(f"uv-{version}.data/scripts/{name}"))
                target.chmod(0o755)


def checksum_database(module: str, env: dict[str, str]) -> str | None:
    """The checksum database the go command checks `module` against with `env`, or None where GOSUMDB is
    off or GONOSUMDB or GOPRIVATE exempts the module (comma-separated globs, each matched against as many
    leading elements of the module path as it has, as the go command matches them)."""
    settings = json.loads(subprocess.run(["go", "env", "-json", "GOSUMDB", "GONOSUMDB", "GOPRIVATE"],
                                         check=True, capture_output=True, text=True, env=env).stdout)
    patterns = [p for key in ("GONOSUMDB", "GOPRIVATE") for p in settings.get(key, "").split(",") if p]
    exempt = any(fnmatch.fnmatchcase("/".join(module.split("/")[:p.count("/") + 1]), p) for p in patterns)
    return None if exempt or settings.get("GOSUMDB", "off") == "off" else settings["GOSUMDB"]


def cpython_tree(source: GoProxy, release: str, context: Path, architecture: str) -> None:
    """Puts CPython's source tree at context/cpython, the same for every architecture: the module zip
    `go mod download` fetches and checks against the Go checksum database, refused where that check is
    turned off.

    A module zip keeps no file modes and no symlinks. CPython's symlinks (Misc/mypy's links to typed
    stdlib modules, for mypy) are left out, as python.org's tarballs leave them out; the build reads
    nothing else the zip lacks. The files come back writable, and executable where they start with
    `#!`: that gives configure, config.guess, Modules/makesetup and every Lib/ script the mode git
    gives them (`make install` installs the executable ones as such). Every file gets the tag's commit
    time: all equal, no generated file is older than its sources, so make regenerates nothing."""
    with tempfile.TemporaryDirectory(prefix="forge-cpython-") as tmp:
        # A private module cache, writable (-modcacherw) so that it can be removed.
        env = {**os.environ, "GOMODCACHE": f"{tmp}/mod", "GOFLAGS": "-modcacherw", "GO111MODULE": "on"}
        if checksum_database(source.module, env) is None:
            raise RuntimeError(f"forge: the go command would not check {source.module} against a checksum database "
                               "(GOSUMDB=off, or GONOSUMDB or GOPRIVATE names it): CPython's source would go "
                               "unchecked")
        # On a failure the JSON's Error says why, hence check=False.
        download = json.loads(subprocess.run(
            ["go", "mod", "download", "-json", f"{source.module}@{source.version}"],
            check=False, capture_output=True, text=True, cwd=tmp, env=env,
        ).stdout or "{}")
        if download.get("Error") or "Dir" not in download:
            raise RuntimeError(f"forge: go mod download {source.module}@{source.version} failed: "
                               f"{download.get('Error', 'no answer')} (is the Go module proxy in reach?)")
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


def python_slim(profile: Profile, pins: dict) -> list[StandIn]:
    """python:<minor>-slim-trixie and python:<release>-slim-trixie, from a Debian suite's source package
    (`suite`, with python.org's `sha256` of the release's tarball) or CPython's tag on the Go module proxy
    (`module`)."""
    ref = image(profile, "python:")
    made = []
    for minor, given in releases(profile, pins).items():
        release = str(given["release"])
        if not release.startswith(f"{minor}."):
            raise SystemExit(f"forge: templates/python/forge.yml: {release} is not a release of Python {minor}")
        tags = (resolve(ref, PYTHON_VERSION=minor), resolve(ref, PYTHON_VERSION=release))
        if "suite" in given:
            made.append(StandIn(tags=tags, recipe="python-slim", root=RECIPES, build_args={
                "PYTHON_VERSION": release, "SOURCE_SUITE": given["suite"], "PYTHON_SHA256": given["sha256"]}))
        elif "module" in given:
            source = GoProxy(given["module"], f"v{release}+incompatible")
            made.append(StandIn(tags=tags, recipe="python-slim", root=RECIPES, build_args={
                "PYTHON_VERSION": release, "SOURCE_TREE": "cpython"}, inputs=partial(cpython_tree, source, release)))
        else:
            raise SystemExit(f"forge: templates/python/forge.yml: Python {minor} names no source (suite or module)")
    return made


def stand_ins(profile: Profile, pins: dict) -> list[StandIn]:
    version = profile.versions["uv"]
    ref = profile.tool_images["uv"]
    uv = StandIn(tags=(resolve(ref, UV_VERSION=version), resolve(ref, UV_VERSION=version.rsplit(".", 1)[0])),
                 recipe="uv", inputs=partial(uv_binaries, version), root=RECIPES)
    distroless = StandIn(tags=(image(profile, "gcr.io/distroless/python3-"),), recipe="distroless-python",
                         root=RECIPES)
    return [*python_slim(profile, pins), distroless, uv]
