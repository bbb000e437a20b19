"""Node.js's stand-ins, where no container registry answers: node:<major>-trixie-slim and distroless
nodejs<major>, with the release forge.yml pins for each node_version choice, its official build from the
npm registry, and the npm (and up to Node 24 corepack) that release bundles by its own changelog."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from functools import partial
from pathlib import Path

from dft.languages import Profile, resolve
from tests.forge.forge import StandIn, image, releases

RECIPES = Path(__file__).parent / "forge"

# The npm cpu of each architecture's Node.js builds (node-linux-<cpu>).
NODE_CPU = {"amd64": "x64", "arm64": "arm64"}
# The first major that no longer bundles corepack.
WITHOUT_COREPACK = 25
# The first major whose docker-library images add no yarn 1.
WITHOUT_YARN = 26


def npm_tarballs(packages: dict[str, str], context: Path) -> None:
    """Puts each package (name@version) at context/<key>.tgz, as the host's `npm pack` fetches it from the
    npm registry (with the host's npm settings: registry, cache, CA). npm checks the tarball against the
    sha512 the registry gives for it (dist.integrity), so no hash of it is pinned here."""
    if shutil.which("npm") is None:
        raise RuntimeError("forge: Node.js comes from the npm registry through the host's npm, which is missing "
                           "(Debian: apt-get install npm)")
    with tempfile.TemporaryDirectory(prefix="forge-npm-") as tmp:
        for key, spec in packages.items():
            packed = subprocess.run(["npm", "pack", "--json", f"--pack-destination={tmp}", spec],
                                    check=False, capture_output=True, text=True, cwd=tmp)
            if packed.returncode != 0:
                raise RuntimeError(f"forge: npm pack {spec} failed (is the npm registry in reach?):\n"
                                   + "\n".join(packed.stderr.splitlines()[-10:]))
            shutil.move(Path(tmp) / json.loads(packed.stdout)[0]["filename"], context / f"{key}.tgz")


def bundled(changelog: str, release: str, package: str) -> str | None:
    """The version of `package` (npm, corepack) a Node.js release bundles, by its changelog: the newest
    "deps: upgrade|update <package> to X" entry in that release's section or an older one."""
    start = changelog.find(f'<a id="{release}"></a>')
    if start < 0:
        raise RuntimeError(f"forge: the changelog of Node.js {release} has no section for it")
    found = re.search(rf"\*\*deps\*\*: (?:upgrade|update) {package} to v?(\d[\w.-]*)", changelog[start:])
    return found.group(1) if found else None


def node_dist(release: str, tools: bool, yarn: str | None, context: Path, architecture: str) -> None:
    """Puts the official Node.js build for the architecture at context/node.tgz and, with `tools`, the
    npm it bundles at npm.tgz, the corepack it bundles (up to Node 24) at corepack.tgz, and yarn 1 at
    yarn.tgz when `yarn` is given: each from the npm registry. Which npm and corepack the release bundles
    is what its own changelog (the CHANGELOG.md inside the node-linux package) last upgraded them to at or
    before that release: derived, not pinned, so a Renovate bump of the release needs nothing else."""
    if architecture not in NODE_CPU:
        raise RuntimeError(f"forge: no Node.js build for {architecture}; the forge knows {sorted(NODE_CPU)}")
    npm_tarballs({"node": f"node-linux-{NODE_CPU[architecture]}@{release}"}, context)
    if not tools:
        return
    with tarfile.open(context / "node.tgz") as archive:
        changelog = archive.extractfile("package/CHANGELOG.md").read().decode()
    wanted = ["npm"] + ["corepack"] * (int(release.split(".")[0]) < WITHOUT_COREPACK)
    packages = {}
    for package in wanted:
        version = bundled(changelog, release, package)
        if version is None:
            raise RuntimeError(f"forge: the changelog of Node.js {release} names no {package} it bundles")
        packages[package] = f"{package}@{version}"
    npm_tarballs(packages | ({"yarn": f"yarn@{yarn}"} if yarn else {}), context)


def stand_ins(profile: Profile, pins: dict) -> list[StandIn]:
    slim, distroless = image(profile, "node:"), image(profile, "gcr.io/distroless/nodejs")
    made = []
    for major, release in releases(profile, pins).items():
        if not release.startswith(f"{major}."):
            raise SystemExit(f"forge: templates/node/forge.yml: {release} is not a release of Node.js {major}")
        yarn = pins["yarn"] if int(major) < WITHOUT_YARN else None
        made.append(StandIn(tags=(resolve(slim, NODE_VERSION=major), resolve(slim, NODE_VERSION=release)),
                            recipe="node-slim", root=RECIPES, inputs=partial(node_dist, release, True, yarn),
                            build_args={"NODE_VERSION": release, **({"YARN_VERSION": yarn} if yarn else {})}))
        # Node links libatomic since 25: distroless adds libatomic1 to its nodejs26 images (and no others).
        made.append(StandIn(tags=(resolve(distroless, NODE_VERSION=major),), recipe="distroless-nodejs", root=RECIPES,
                            build_args={"NODEJS_PACKAGES": "libatomic1"} if int(major) >= 26 else {},
                            inputs=partial(node_dist, release, False, None)))
    return made
