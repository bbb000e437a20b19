"""The base-image forge: local stand-ins for the images the templates' Dockerfiles start from.

This machine reaches package registries but no container registry. A locally tagged image is used by
`FROM` without a pull, so the forge builds, for every reference the templates can render, an image
tagged with exactly that reference, from Debian 13 packages and toolchains the package registries
provide. Each stand-in is stamped with a fingerprint of its recipe; one already built from the same
recipe is kept.

This module is the mechanism, and names no language: `standins.py` lists the stand-ins every language
shares (Debian, the Dockerfile frontend, distroless cc) and asks each language's folder for its own
(templates/<language>/forge.py, its recipes in templates/<language>/forge/, its pins in forge.yml).
"""

from __future__ import annotations

import hashlib
import inspect
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from dft.languages import Profile

# The shared recipes; a language's are in templates/<language>/forge/.
RECIPES = Path(__file__).parent / "recipes"
FINGERPRINT_LABEL = "org.dockerfile-templates.forge.fingerprint"
# Bump to rebuild every stand-in when the mechanism itself changes.
FORGE_EPOCH = "1"
# Docker's (and Debian's) name for each machine the forge knows: the engine's platform, linux/<name>.
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def host_architecture() -> str:
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        raise RuntimeError(f"forge: a {machine} machine; the forge knows {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[machine]


def host_only(architecture: str, what: str) -> None:
    """Refuses to make `what` for another architecture: it only ever runs on the build platform."""
    if architecture != host_architecture():
        raise RuntimeError(f"forge: {what} runs on the build platform alone; it is made for "
                           f"{host_architecture()}, not {architecture}")


def docker(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=True, text=True, **kwargs)


def image_fingerprint(tag: str) -> str | None:
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", f'{{{{ index .Config.Labels "{FINGERPRINT_LABEL}" }}}}', tag],
        capture_output=True, text=True,
    )
    return result.stdout.strip() if result.returncode == 0 else None


@dataclass(frozen=True)
class StandIn:
    """An image built from `<root>/<recipe>/Dockerfile` and tagged with every reference in `tags`."""

    tags: tuple[str, ...]
    recipe: str
    build_args: Mapping[str, str] = field(default_factory=dict)
    # Fills the build context with what the host fetched from a package registry, for the architecture
    # given (amd64, arm64): inputs(context, architecture).
    inputs: Callable[[Path, str], None] | None = None
    # The folder that holds the recipe's folder: the fingerprint names its files relative to it, so a
    # recipe moved between roots keeps its fingerprint.
    root: Path = RECIPES

    @property
    def name(self) -> str:
        return self.tags[0]

    def recipe_text(self) -> str:
        """Everything the image is made from, as text: the fingerprint is its hash."""
        parts = [FORGE_EPOCH, repr(self.tags), repr(sorted(self.build_args.items()))]
        for path in sorted((self.root / self.recipe).rglob("*")):
            if path.is_file():
                parts += [str(path.relative_to(self.root)), path.read_text()]
        if self.inputs is not None:
            func = getattr(self.inputs, "func", self.inputs)
            parts += [inspect.getsource(func), repr(getattr(self.inputs, "args", ()))]
        return "\n".join(parts)

    def bases(self) -> list[str]:
        dockerfile = (self.root / self.recipe / "Dockerfile").read_text()
        return re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", dockerfile, re.MULTILINE)

    def build(self, fingerprint: str) -> None:
        with tempfile.TemporaryDirectory(prefix=f"forge-{self.recipe}-") as tmp:
            context = Path(tmp)
            shutil.copytree(self.root / self.recipe, context, dirs_exist_ok=True)
            if self.inputs is not None:
                self.inputs(context, host_architecture())
            args = [f"--build-arg={key}={value}" for key, value in self.build_args.items()]
            tags = [f"--tag={tag}" for tag in self.tags]
            # The whole log, shown only when the build fails: --quiet would keep just the failing
            # step's command, not what the compiler or apt said.
            result = subprocess.run(["docker", "build", "--progress=plain",
                                     f"--label={FINGERPRINT_LABEL}={fingerprint}", *args, *tags, str(context)],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
                raise RuntimeError(f"forge: building {self.name} failed:\n{tail}")


@dataclass(frozen=True)
class RootfsStandIn(StandIn):
    """A Debian root built by debootstrap and imported: the base every other stand-in starts from."""

    suite: str = "trixie"
    mirror: str = "http://deb.debian.org/debian"

    def recipe_text(self) -> str:
        return "\n".join([super().recipe_text(), self.suite, self.mirror, inspect.getsource(RootfsStandIn.build)])

    def bases(self) -> list[str]:
        return []

    def build(self, fingerprint: str) -> None:
        if shutil.which("debootstrap") is None:
            raise RuntimeError("debootstrap is missing: scripts/lib/setup.sh installs it (apt-get install debootstrap)")
        with tempfile.TemporaryDirectory(prefix="forge-rootfs-") as tmp:
            root = Path(tmp) / "root"
            subprocess.run(["debootstrap", "--variant=minbase", self.suite, str(root), self.mirror],
                           check=True, stdout=subprocess.DEVNULL)
            shutil.copytree(RECIPES / self.recipe / "overlay", root, dirs_exist_ok=True)
            slimify(root, (RECIPES / self.recipe / "overlay/etc/dpkg/dpkg.cfg.d/docker").read_text())
            # debootstrap's one-line sources.list gives way to the official image's debian.sources.
            (root / "etc/apt/sources.list").unlink(missing_ok=True)
            tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
            changes = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["bash"]',
                       f"LABEL {FINGERPRINT_LABEL}={fingerprint}"]
            image = docker("import", *[f"--change={c}" for c in changes], "-", self.tags[0],
                           stdin=tar.stdout, capture_output=True).stdout.strip()
            if tar.wait() != 0:
                raise RuntimeError("tar of the debootstrap root failed")
            for tag in self.tags[1:]:
                docker("tag", image, tag)


def slimify(root: Path, dpkg_config: str) -> None:
    """Removes what the slim variant's dpkg path-excludes keep out (matched as dpkg does, with fnmatch
    on the whole path), and apt's caches and lists."""
    excluded = re.findall(r"^path-exclude\s+(\S+)", dpkg_config, re.MULTILINE)
    excluded += ["/var/cache/apt/*.bin", "/var/cache/apt/archives/*.deb", "/var/lib/apt/lists/*_*"]
    included = re.findall(r"^path-include\s+(\S+)", dpkg_config, re.MULTILINE)

    def dropped(path: str) -> bool:
        return any(fnmatch(path, p) for p in excluded) and not any(fnmatch(path, p) for p in included)

    for directory, subdirs, names in os.walk(root, topdown=False):
        inside = "/" + os.path.relpath(directory, root)
        for name in [*names, *(d for d in subdirs if os.path.islink(os.path.join(directory, d)))]:
            if dropped(f"{inside}/{name}".replace("//", "/")):
                os.unlink(os.path.join(directory, name))
        if dropped(inside) and not os.listdir(directory):
            os.rmdir(directory)


def registries_reachable(timeout: float = 5.0) -> bool:
    """Docker Hub answers 401 to an anonymous /v2/ when it is in reach: any HTTP answer counts."""
    try:
        urllib.request.urlopen("https://registry-1.docker.io/v2/", timeout=timeout)
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


def required(stand_ins: list[StandIn], refs: list[str]) -> list[StandIn]:
    """The stand-ins that make `refs`, and the ones they are built on, each after its bases."""
    by_tag = {tag: stand_in for stand_in in stand_ins for tag in stand_in.tags}
    unknown = sorted(ref for ref in refs if ref != "scratch" and ref not in by_tag)
    if unknown:
        raise SystemExit(f"forge: no stand-in makes {', '.join(unknown)}: add one to the forge of the language "
                         "that names it (templates/<language>/forge.py), or to tests/forge/standins.py")
    ordered: list[StandIn] = []

    def add(stand_in: StandIn) -> None:  # its bases first
        if stand_in not in ordered:
            for base in stand_in.bases():
                if base in by_tag:
                    add(by_tag[base])
            ordered.append(stand_in)

    for ref in refs:
        if ref in by_tag:
            add(by_tag[ref])
    return ordered


def fingerprints(stand_ins: list[StandIn]) -> dict[str, str]:
    """Each tag's fingerprint: its recipe's, and its bases' (stand_ins in order, bases first)."""
    found: dict[str, str] = {}
    for stand_in in stand_ins:
        upstream = "".join(found.get(base, "") for base in stand_in.bases())
        fingerprint = hashlib.sha256((stand_in.recipe_text() + upstream).encode()).hexdigest()[:16]
        for tag in stand_in.tags:
            found[tag] = fingerprint
    return found


def forge(stand_ins: list[StandIn], log=print) -> None:
    """Builds every stand-in whose fingerprint changed, in order (bases first)."""
    made = fingerprints(stand_ins)
    for stand_in in stand_ins:
        fingerprint = made[stand_in.name]
        if all(image_fingerprint(tag) == fingerprint for tag in stand_in.tags):
            log(f"forge: {stand_in.name:48} up to date ({fingerprint})")
            continue
        started = time.monotonic()
        log(f"forge: {stand_in.name:48} building ...")
        stand_in.build(fingerprint)
        log(f"forge: {stand_in.name:48} built in {time.monotonic() - started:.0f}s ({fingerprint})")


def image(profile: Profile, repository: str) -> str:
    """The one image reference of a profile that starts with `repository`."""
    refs = {ref for images in profile.images.values() for ref in images.values()} | set(profile.tool_images.values())
    found = sorted(ref for ref in refs if ref.startswith(repository))
    if len(found) != 1:
        raise SystemExit(f"forge: templates/{profile.language}/profile.yml should name one {repository} image, "
                         f"not {found}")
    return found[0]


def releases(profile: Profile, pins: Mapping) -> dict[str, object]:
    """forge.yml's `releases`: what the stand-ins carry for each version choice of the profile
    (versions.<language>), in the profile's order; SystemExit unless there is one per choice."""
    choices = [str(choice) for choice in profile.versions[profile.language]]
    given = pins["releases"]
    if sorted(given) != sorted(choices):
        raise SystemExit(f"forge: templates/{profile.language}/forge.yml's releases are for {sorted(given)}, "
                         f"profile.yml's versions.{profile.language} are {choices}: one release per choice")
    return {choice: given[choice] for choice in choices}
