"""Stand-ins for platforms other than the engine's, and a LocalRegistry that holds them as a mirror would.

A release is built for linux/amd64 and linux/arm64: its target stages (those not on $BUILDPLATFORM) start
from base images of both platforms. The engine's classic image store cannot hold two platforms under one
tag, so the other platform's stand-ins are built on a FreshBuilder (dft/registry.py) from the very recipes
of the engine's, kept as OCI archives in $DFT_HOME/forge/platforms/ by fingerprint (a cold debootstrap under
qemu takes minutes), and published into the LocalRegistry beside the engine's stand-in as one
multi-platform index.
"""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from dft.registry import FreshBuilder, LocalRegistry, publish, split_ref
from tests.forge.forge import FINGERPRINT_LABEL, RECIPES, RootfsStandIn, StandIn, fingerprints, required, slimify
from tests.forge.standins import stand_ins

DFT_HOME = Path(os.environ.get("DFT_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "dockerfile-templates")
CACHE = DFT_HOME / "forge" / "platforms"


def rootfs_archive(stand_in: RootfsStandIn, architecture: str, dest: Path) -> None:
    """The Debian root of RootfsStandIn.build, for another architecture: debootstrap runs the foreign
    packages' scripts through qemu-user-static's binfmt_misc entry. (RootfsStandIn.build keeps its own
    copy of these steps: its source is part of every amd64 stand-in's fingerprint.)"""
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is missing: scripts/lib/setup.sh installs it (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix=f"forge-rootfs-{architecture}-") as tmp:
        root = Path(tmp) / "root"
        result = subprocess.run(["debootstrap", "--variant=minbase", f"--arch={architecture}", stand_in.suite,
                                 str(root), stand_in.mirror], capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
            raise RuntimeError(f"forge: debootstrap --arch={architecture} {stand_in.suite} failed (is qemu-"
                               f"{architecture} registered in binfmt_misc? scripts/lib/setup.sh does it):\n{tail}")
        shutil.copytree(RECIPES / stand_in.recipe / "overlay", root, dirs_exist_ok=True)
        slimify(root, (RECIPES / stand_in.recipe / "overlay/etc/dpkg/dpkg.cfg.d/docker").read_text())
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(dest), "."], check=True)


def build_for(stand_in: StandIn, platform: str, fingerprint: str, builder: FreshBuilder, dest: Path) -> None:
    """Builds the stand-in for `platform` on the builder into an OCI archive at dest. Its bases come through
    the builder's mirror, so they must be published for the platform first."""
    with tempfile.TemporaryDirectory(prefix=f"forge-{stand_in.recipe}-") as tmp:
        context = Path(tmp)
        args: list[str] = []
        if isinstance(stand_in, RootfsStandIn):
            # The root as one layer, with the config RootfsStandIn.build gives `docker import`.
            rootfs_archive(stand_in, platform.split("/")[1], context / "rootfs.tar")
            (context / "Dockerfile").write_text(
                "FROM scratch\nADD rootfs.tar /\n"
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD [\"bash\"]\n")
        else:
            shutil.copytree(stand_in.root / stand_in.recipe, context, dirs_exist_ok=True)
            if stand_in.inputs is not None:
                stand_in.inputs(context, platform.split("/")[1])
            args = [f"--build-arg={key}={value}" for key, value in stand_in.build_args.items()]
        builder.build(context, f"--platform={platform}", "--provenance=false", "--sbom=false",
                      f"--label={FINGERPRINT_LABEL}={fingerprint}", *args, f"--output=type=oci,dest={dest}")


def platform_fingerprint(fingerprint: str, platform: str) -> str:
    """The engine stand-in's fingerprint, the platform, and how this module builds for it."""
    how = inspect.getsource(build_for) + inspect.getsource(rootfs_archive)
    return hashlib.sha256(f"{fingerprint}\n{platform}\n{how}".encode()).hexdigest()[:16]


class Mirror:
    """A LocalRegistry holding base images as their registries' mirror would: each reference the engine's
    stand-in, and, for the images a target stage starts from, an index of it and its stand-ins for the other
    platforms. Publishes each reference once; builds another platform's stand-in only when its archive is
    not cached (on a FreshBuilder of its own, so that the builders under test start empty)."""

    def __init__(self, registry: LocalRegistry, mirrored_hosts: list[str], platforms: list[str], log=print) -> None:
        self.registry = registry
        self.mirrored_hosts = mirrored_hosts
        self.platforms = platforms
        self.log = log
        self.published: set[str] = set()
        self.builder: FreshBuilder | None = None

    def close(self) -> None:
        if self.builder is not None:
            self.builder.__exit__()

    def forge_builder(self) -> FreshBuilder:
        if self.builder is None:
            self.builder = FreshBuilder(self.registry, self.mirrored_hosts).__enter__()
        return self.builder

    def archive(self, stand_in: StandIn, platform: str, fingerprint: str) -> Path:
        key = platform_fingerprint(fingerprint, platform)
        prefix = f"{split_ref(stand_in.name)[1].replace('/', '-')}-{platform.replace('/', '-')}"
        dest = CACHE / f"{prefix}-{key}.tar"
        CACHE.mkdir(parents=True, exist_ok=True)
        # One test worker builds it; the other waits and finds it.
        with (CACHE / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not dest.exists():
                partial = dest.with_suffix(".partial")
                started = time.monotonic()
                self.log(f"forge: {stand_in.name} for {platform} building ...")
                build_for(stand_in, platform, fingerprint, self.forge_builder(), partial)
                partial.rename(dest)
                for stale in CACHE.glob(f"{prefix}-*.tar"):  # an older recipe's
                    if stale != dest:
                        stale.unlink()
                self.log(f"forge: {stand_in.name} for {platform} built in {time.monotonic() - started:.0f}s ({key})")
        return dest

    def publish(self, refs: list[str], target_platform_refs: list[str]) -> None:
        """Publishes refs (the syntax frontend, the builders: the engine's platform alone) and
        target_platform_refs (every platform), with what their other platforms' stand-ins build on."""
        everything = stand_ins()
        foreign = required(everything, target_platform_refs)
        made = fingerprints(required(everything, [*refs, *target_platform_refs]))
        # Their bases first: a stand-in for another platform is built FROM them through the mirror.
        for stand_in in foreign:
            archives = {p: self.archive(stand_in, p, made[stand_in.name]) for p in self.platforms}
            for tag in stand_in.tags:
                if tag not in self.published:
                    publish(self.registry, tag, archives)
                    self.published.add(tag)
        for ref in refs:
            if ref not in self.published and ref != "scratch":
                publish(self.registry, ref)
                self.published.add(ref)
