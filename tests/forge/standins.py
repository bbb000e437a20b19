"""Every stand-in the forge builds: the recipes each language's profile names (`forge`), with the tags
and versions the profile gives them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from tests.forge.forge import RootfsStandIn, StandIn
from tests.forge.frontend import FRONTEND_VERSION, build_frontend
from dft.languages import Profile, common, languages, profile, resolve


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


@dataclass(frozen=True)
class NpmPackage:
    """A package of the npm registry, pinned by the `dist.integrity` the registry gives for its tarball
    (sha512): the forge refuses a tarball that hashes otherwise."""

    name: str
    version: str
    integrity: str


@dataclass(frozen=True)
class NodeRelease:
    """A Node.js release as the npm registry holds it. `build` is the official build's sha512 by npm cpu:
    the node-linux-<cpu> packages carry the release tarball's bin/node, include/node, share/, LICENSE and
    changelog, and leave out lib/node_modules (npm, corepack) and their bin/ links. Those are packages of
    their own on the registry: `npm` is the one the release bundles, `corepack` too up to Node 24 (Node 25
    stopped bundling it). `yarn` is what docker-library's node image adds to the release (yarn 1, up to
    Node 24; its node 26 images have none)."""

    build: dict[str, str]
    npm: NpmPackage
    corepack: NpmPackage | None = None
    yarn: NpmPackage | None = None


# The npm cpu of this machine's Node.js builds (node-linux-<cpu>).
NODE_CPU = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}

COREPACK = NpmPackage("corepack", "0.36.0",
                      "sha512-SiiJsBhZqdBiPHTEl6OT3sASrRrKIcYTQMsVGXx6EE/gM8WFMwYjeIX8Tt8RiU4Iv2J6LbT8KpGfCOsBpRWB/w==")
# docker-library's node images take yarn-v1.22.22.tar.gz from yarnpkg.com, which is not in reach here:
# the registry's yarn@1.22.22 is the same dist folder (its package.json says installationMethod "tar").
YARN_CLASSIC = NpmPackage("yarn", "1.22.22",
                          "sha512-prL3kGtyG7o9Z9Sv8IPfBNrWTDmXB4Qbes8A9rEzt6wkJV8mUvoirjU0Mp3GGAU06Y0XQyA3/2/RQFVuK7MTfg==")

# Each Node.js release a profile may name (versions.node), with its pins. The bundled npm and corepack
# are what the release's own changelog (the CHANGELOG.md inside the node-linux package) last upgraded
# them to at or before that release; node_dist checks that on every forge. A pin here is in the
# stand-ins' fingerprint: changing it rebuilds them.
NODEJS = {
    "26.12.1": NodeRelease(
        build={"x64": "sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==",
               "arm64": "sha512-8Oxs6Y7rDcKufVIM/zYRSwytj46WOrZk7yFCLTKDcs17bBjAeD9HMAqo97hMfMyxozIud0S4vZCs5WB/3iavNQ=="},
        npm=NpmPackage("npm", "11.20.0",
                       "sha512-dF3EDFwbYN+N5RUip+ZYDe0NeURK5BgqKOcvT1iNtUYhTMTl0FwWhBuXrS7KtXyduqyTMS5aaQaregnHDAxNgw==")),
    "24.21.0": NodeRelease(
        build={"x64": "sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==",
               "arm64": "sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g=="},
        npm=NpmPackage("npm", "11.19.0",
                       "sha512-SDd/hHg3KqHE5Ht2NHWxNYNtqCQ2pXAPLl6OtQhPyED5PHsRfrOtO199MZTIG2cQoQ1ZRI9t28shrD+2cr3AAw=="),
        corepack=COREPACK, yarn=YARN_CLASSIC),
    "22.23.3": NodeRelease(
        build={"x64": "sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==",
               "arm64": "sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA=="},
        npm=NpmPackage("npm", "10.9.9",
                       "sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg=="),
        corepack=COREPACK, yarn=YARN_CLASSIC),
}


@dataclass(frozen=True)
class DebianRust:
    """A Rust release as Debian builds it: `packages` (rustc, rustdoc, cargo, the host's std and the
    libraries they link) at `version`, from `suite`'s main archive."""

    suite: str
    version: str
    packages: tuple[str, ...]


# Each Rust release a profile may name (versions.rust) and the Debian packages the forge's stand-in of
# rust:<release>-slim-trixie installs: rustup's toolchains come from static.rust-lang.org, which is not in
# reach here. Whatever the suite, the packages are installed against trixie alone (recipes/rust-slim),
# so a release is here only if it runs there: each package's Depends, and the newest GLIBC_ symbol
# version its binaries ask for, fit trixie (glibc 2.41, libllvm22 22.1.8). A pin here is in the
# stand-in's fingerprint: changing it rebuilds the stand-in.
RUST = {
    # Debian 14 (forky)'s rustc 1.97.1: rustc asks GLIBC_2.34, cargo and librustc_driver GLIBC_2.39;
    # libstd-rust-1.97 depends on libllvm22 (>= 1:22.1.0), which trixie has for rustc-web 1.96. The pin
    # lasts as long as forky's archive serves that version: a newer upload there fails the forge's
    # `apt-get download` until the pin follows it. 1.97 turned rustc's linker_messages lint on: a
    # +crt-static build warns that glibc's getaddrinfo and getpwuid_r want its shared NSS libraries at
    # run time, as it does with rustup's 1.97.
    "1.97.1": DebianRust("forky", "1.97.1+dfsg1-1", ("rustc", "cargo", "libstd-rust-dev", "libstd-rust-1.97")),
    # Debian 13 (trixie)'s rustc-web and cargo-web, the release Debian keeps current for Firefox and
    # Chromium: /usr/bin/rustc, /usr/bin/rustdoc, /usr/bin/cargo (trixie's own rustc is 1.85).
    "1.96.0": DebianRust("trixie", "1.96.0+dfsg1-1~deb13u1+b1",
                         ("rustc-web", "cargo-web", "libstd-rust-web-dev", "libstd-rust-web-1.96")),
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


def npm_tarballs(packages: dict[str, NpmPackage], context: Path) -> None:
    """Puts each package's tarball at context/<key>.tgz, as the host's `npm pack` fetches it from the npm
    registry (with the host's npm settings: registry, cache, CA), refused unless its sha512 is the pin."""
    if shutil.which("npm") is None:
        raise RuntimeError("forge: Node.js comes from the npm registry through the host's npm, which is missing "
                           "(Debian: apt-get install npm)")
    with tempfile.TemporaryDirectory(prefix="forge-npm-") as tmp:
        for key, package in packages.items():
            spec = f"{package.name}@{package.version}"
            packed = subprocess.run(["npm", "pack", "--json", f"--pack-destination={tmp}", spec],
                                    check=False, capture_output=True, text=True, cwd=tmp)
            if packed.returncode != 0:
                raise RuntimeError(f"forge: npm pack {spec} failed (is the npm registry in reach?):\n"
                                   + "\n".join(packed.stderr.splitlines()[-10:]))
            tarball = Path(tmp) / json.loads(packed.stdout)[0]["filename"]
            digest = hashlib.sha512()
            with tarball.open("rb") as file:
                for chunk in iter(lambda: file.read(1 << 20), b""):
                    digest.update(chunk)
            integrity = "sha512-" + base64.b64encode(digest.digest()).decode()
            if integrity != package.integrity:
                raise RuntimeError(f"forge: {spec} hashes to {integrity}, not the pinned {package.integrity}")
            shutil.move(tarball, context / f"{key}.tgz")


def bundled(changelog: str, release: str, package: str) -> str | None:
    """The version of `package` (npm, corepack) a Node.js release bundles, by its changelog: the newest
    "deps: upgrade|update <package> to X" entry in that release's section or an older one."""
    start = changelog.find(f'<a id="{release}"></a>')
    if start < 0:
        raise RuntimeError(f"forge: the changelog of Node.js {release} has no section for it")
    found = re.search(rf"\*\*deps\*\*: (?:upgrade|update) {package} to v?(\d[\w.-]*)", changelog[start:])
    return found.group(1) if found else None


def node_dist(release: str, pins: NodeRelease, tools: bool, context: Path) -> None:
    """Puts the official Node.js build of this machine's cpu at context/node.tgz and, with `tools`, the
    npm it bundles at npm.tgz, and corepack and yarn where the release has them: each from the npm
    registry, checked against its pin. The bundled npm and corepack pins are checked against the
    release's changelog, so a release bumped without its npm fails here rather than in a test."""
    machine = platform.machine()
    if machine not in NODE_CPU:
        raise RuntimeError(f"forge: no Node.js build for a {machine} machine; the forge knows {sorted(NODE_CPU)}")
    cpu = NODE_CPU[machine]
    packages = {"node": NpmPackage(f"node-linux-{cpu}", release, pins.build[cpu])}
    if tools:
        packages |= {key: package for key, package in
                     (("npm", pins.npm), ("corepack", pins.corepack), ("yarn", pins.yarn)) if package}
    npm_tarballs(packages, context)
    if tools:
        with tarfile.open(context / "node.tgz") as archive:
            changelog = archive.extractfile("package/CHANGELOG.md").read().decode()
        for package in (pins.npm, pins.corepack):
            if package and bundled(changelog, release, package.name) != package.version:
                raise RuntimeError(f"forge: Node.js {release} bundles {package.name} "
                                   f"{bundled(changelog, release, package.name)} by its changelog, "
                                   f"not the pinned {package.version}: fix NODEJS in tests/forge/standins.py")


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


def node_releases(profile: Profile) -> list[tuple[str, str, NodeRelease]]:
    """Each version of the profile (major, release) with the release's pins."""
    unknown = sorted(set(profile.versions["node"].values()) - set(NODEJS))
    if unknown:
        raise SystemExit(f"forge: Node.js {unknown} unknown: add its pins to NODEJS in tests/forge/standins.py")
    return [(major, release, NODEJS[release]) for major, release in profile.versions["node"].items()]


def node_slim(profile: Profile) -> list[StandIn]:
    ref = image(profile, "node:")
    return [StandIn(tags=(resolve(ref, NODE_VERSION=major), resolve(ref, NODE_VERSION=release)), recipe="node-slim",
                    build_args={"NODE_VERSION": release, **({"YARN_VERSION": pins.yarn.version} if pins.yarn else {})},
                    inputs=partial(node_dist, release, pins, True))
            for major, release, pins in node_releases(profile)]


def rust_slim(profile: Profile) -> list[StandIn]:
    ref = image(profile, "rust:")
    unknown = sorted(set(profile.versions["rust"].values()) - set(RUST))
    if unknown:
        raise SystemExit(f"forge: Rust {unknown} unknown: add its Debian packages to RUST in tests/forge/standins.py")
    return [StandIn(tags=(resolve(ref, RUST_VERSION=minor), resolve(ref, RUST_VERSION=release)), recipe="rust-slim",
                    build_args={"RUST_VERSION": release, "RUST_SUITE": RUST[release].suite,
                                "RUST_DEBIAN_VERSION": RUST[release].version,
                                "RUST_PACKAGES": " ".join(RUST[release].packages)})
            for minor, release in profile.versions["rust"].items()]


# The image distroless layers its python3 and nodejs images on (static, then base, then cc): glibc, libgcc,
# libstdc++, on the static image. Its reference is made here, on common.yml's Debian release: the python3
# and nodejs recipes are built FROM it, and Rust runs on it (profiles/rust.yml names the same reference).
DISTROLESS_CC = f"gcr.io/distroless/cc-debian{common()['debian']['version']}:nonroot"


def distroless_cc() -> StandIn:
    return StandIn(tags=(DISTROLESS_CC,), recipe="distroless-cc")


def distroless_nodejs(profile: Profile) -> list[StandIn]:
    ref = image(profile, "gcr.io/distroless/nodejs")
    # Node links libatomic since 25: distroless adds libatomic1 to its nodejs26 images (and no others).
    return [distroless_cc()] + [
        StandIn(tags=(resolve(ref, NODE_VERSION=major),), recipe="distroless-nodejs",
                build_args={"NODEJS_PACKAGES": "libatomic1"} if int(major) >= 26 else {},
                inputs=partial(node_dist, release, pins, False))
        for major, release, pins in node_releases(profile)]


# Each Java release a profile may name (versions.java) and the Debian 13 package of OpenJDK the
# distroless java stand-in carries for it: Adoptium's Temurin packages, which distroless ships, are out
# of reach here. trixie-security's builds, the newest of each major; a pin here is in the stand-in's
# fingerprint.
OPENJDK = {
    "25.0.5.1": "25.0.5.1+2-1~deb13u1",
    "21.0.13.1": "21.0.13.1+2-1~deb13u1",
}


def distroless_java(profile: Profile) -> list[StandIn]:
    ref = image(profile, "gcr.io/distroless/java")
    unknown = sorted(set(profile.versions["java"].values()) - set(OPENJDK))
    if unknown:
        raise SystemExit(f"forge: Java {unknown} unknown: add its Debian package to OPENJDK in tests/forge/standins.py")
    return [distroless_cc()] + [
        StandIn(tags=(resolve(ref, JAVA_VERSION=major),), recipe="distroless-java",
                build_args={"JAVA_MAJOR": major, "JAVA_RELEASE": release, "OPENJDK_VERSION": OPENJDK[release]})
        for major, release in profile.versions["java"].items()]


RECIPES = {
    "golang": golang,
    "python-slim": python_slim,
    "uv": uv,
    "distroless-static": lambda profile: [
        StandIn(tags=(image(profile, "gcr.io/distroless/static-"),), recipe="distroless-static")],
    "distroless-cc": lambda profile: [distroless_cc()],
    "distroless-python": lambda profile: [
        distroless_cc(),
        StandIn(tags=(image(profile, "gcr.io/distroless/python3-"),), recipe="distroless-python")],
    "node-slim": node_slim,
    "distroless-nodejs": distroless_nodejs,
    "rust-slim": rust_slim,
    "distroless-java": distroless_java,
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
