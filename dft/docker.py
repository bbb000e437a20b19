"""Thin helpers over the Docker CLI: build, run, probe, inspect. Failures carry the CLI's output."""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import zstandard

# Handed to every build as the BuildKit secret ca_bundle, as a developer behind a TLS-intercepting
# proxy would: this machine's trust store by default, harmless where nothing intercepts.
CA_BUNDLE = Path(os.environ.get("DFT_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))


class DockerError(AssertionError):
    pass


def docker(*args: str, timeout: float = 1800, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise DockerError(f"docker {' '.join(args)} failed ({result.returncode}):\n{tail}")
    return result


@dataclass
class Build:
    tag: str
    seconds: float
    log: str

    def steps(self) -> dict[str, list[str]]:
        """The log's lines by BuildKit step ("#7"), each step's first line naming its instruction."""
        steps: dict[str, list[str]] = {}
        for line in self.log.splitlines():
            if line.startswith("#") and " " in line:
                step, rest = line.split(" ", 1)
                steps.setdefault(step, []).append(rest)
        return steps

    def cached_steps(self) -> list[str]:
        """The instructions of the steps that came from the layer cache."""
        return [lines[0] for lines in self.steps().values() if "CACHED" in lines]

    def cached(self, marker: str) -> bool:
        """Whether the step whose instruction contains `marker` came from the layer cache."""
        return any(marker in step for step in self.cached_steps())


@dataclass(frozen=True)
class Engine:
    docker: str
    buildkit: str
    buildx: str
    storage: str

    def __str__(self) -> str:
        # Debian's docker.io does not stamp the BuildKit it vendors: it reports v0.0.0+unknown.
        buildkit = "unstamped (v0.0.0+unknown)" if self.buildkit.startswith("v0.0.0") else self.buildkit
        return f"Docker {self.docker}, BuildKit {buildkit}, buildx {self.buildx}, {self.storage} image store"

    @property
    def has_build_checks(self) -> bool:
        """`docker build --check` came with buildx 0.15."""
        return tuple(int(n) for n in re.findall(r"\d+", self.buildx)[:2]) >= (0, 15)


@cache
def engine() -> Engine:
    """The engine the suite builds on, as the run's summary reports it."""
    server = json.loads(docker("version", "--format", "{{json .Server}}").stdout)
    builder = docker("buildx", "inspect").stdout
    buildkit = re.search(r"^BuildKit version:\s*(\S+)", builder, re.MULTILINE)
    buildx = docker("buildx", "version").stdout.split()
    info = json.loads(docker("info", "--format", "{{json .}}").stdout)
    store = "containerd" if "containerd.snapshotter" in json.dumps(info.get("DriverStatus")) else info["Driver"]
    return Engine(server["Version"], buildkit.group(1) if buildkit else "unknown",
                  buildx[1] if len(buildx) > 1 else "unknown", store)


def build(context: Path, tag: str, *options: str, target: str | None = None,
          ca_bundle: Path | None = CA_BUNDLE) -> Build:
    args = ["build", "--progress=plain", f"--tag={tag}", *options]
    if ca_bundle is not None and ca_bundle.exists():
        args.append(f"--secret=id=ca_bundle,src={ca_bundle}")
    if target:
        args.append(f"--target={target}")
    started = time.monotonic()
    result = docker(*args, str(context))
    return Build(tag, time.monotonic() - started, result.stderr + result.stdout)


def bake(project: Path, *targets: str, env: dict[str, str] | None = None, options: tuple[str, ...] = (),
         ca_bundle: Path | None = CA_BUNDLE) -> Build:
    """`docker buildx bake` of the project's own docker-bake.hcl, its variables from `env`, as a developer
    or CI runs it (the project's compose.yaml left out, as CI leaves it). The CA bundle goes in through
    the file's CA_BUNDLE variable; bake asks leave to read a file outside the project (--allow)."""
    env = dict(env or {})
    if ca_bundle is not None and ca_bundle.exists():
        env["CA_BUNDLE"] = str(ca_bundle)
        options = (f"--allow=fs.read={ca_bundle}", *options)
    args = ["docker", "buildx", "bake", "--progress=plain", "--file=docker-bake.hcl", *options, *targets]
    started = time.monotonic()
    result = subprocess.run(args, cwd=project, capture_output=True, text=True, timeout=1800,
                            env={**os.environ, **env})
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise DockerError(f"{' '.join(args[1:])} in {project} failed ({result.returncode}):\n{tail}")
    return Build(",".join(targets), time.monotonic() - started, result.stderr + result.stdout)


def bake_plan(project: Path, *targets: str, env: dict[str, str] | None = None) -> dict:
    """What `docker buildx bake --print` resolves the targets to: no build, no engine needed."""
    result = subprocess.run(["docker", "buildx", "bake", "--print", "--file=docker-bake.hcl", *targets],
                            cwd=project, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise DockerError(f"bake --print {' '.join(targets)} in {project} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def inspect(ref: str, kind: str = "image") -> dict:
    return json.loads(docker(kind, "inspect", ref).stdout)[0]


def image_size(tag: str) -> int:
    return int(inspect(tag)["Size"])


class Container:
    """A detached container with its port (and a management port, when it has one) published on loopback only."""

    def __init__(self, image: str, port: int, *run_options: str, management_port: int | None = None):
        self.port = port
        published = [f"--publish=127.0.0.1::{p}" for p in (port, management_port) if p]
        self.id = docker("run", "--detach", *published, *run_options, image).stdout.strip()

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc) -> None:
        docker("rm", "--force", self.id, check=False)

    @property
    def state(self) -> dict:
        return inspect(self.id, "container")["State"]

    def logs(self) -> str:
        result = docker("logs", self.id, check=False)
        return result.stdout + result.stderr

    def wait_healthy(self, timeout: float = 30) -> float:
        """Seconds until Docker reports the HEALTHCHECK healthy; fails with the logs otherwise."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            state = self.state
            if state.get("Health", {}).get("Status") == "healthy":
                return time.monotonic() - started
            if not state["Running"]:
                raise DockerError(f"container exited ({state['ExitCode']}) before turning healthy:\n{self.logs()}")
            time.sleep(0.25)
        raise DockerError(f"not healthy within {timeout:.0f} s: {self.state.get('Health')}\n{self.logs()}")

    def url(self, path: str, port: int | None = None) -> str:
        host_port = docker("port", self.id, f"{port or self.port}/tcp").stdout.split()[0].rsplit(":", 1)[1]
        return f"http://127.0.0.1:{host_port}{path}"

    def get(self, path: str, port: int | None = None) -> tuple[int, str]:
        """GET path on the container's port (or on `port`, when published): the status and the body."""
        try:
            with urllib.request.urlopen(self.url(path, port), timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def process_uid(self) -> int:
        """The uid the container's main process really runs as, read on the engine's side."""
        header, process = docker("top", self.id, "-o", "pid,uid").stdout.splitlines()[:2]
        return int(dict(zip(header.split(), process.split(), strict=False))["UID"])

    def stop(self, grace: int = 10) -> float:
        """Sends SIGTERM (then SIGKILL after `grace` seconds); returns how long the stop took."""
        started = time.monotonic()
        docker("stop", f"--time={grace}", self.id)
        return time.monotonic() - started


def image_files(tag: str) -> dict[str, tarfile.TarInfo]:
    """Every path in the image's filesystem, flattened, with its metadata: works without a shell."""
    container = docker("create", tag, "never-run").stdout.strip()
    try:
        export = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=export.stdout, mode="r|") as tar:
            files = {"/" + member.name.lstrip("./"): member for member in tar}
        export.wait()
        return files
    finally:
        docker("rm", container, check=False)


def read_file(tag: str, path: str) -> str:
    """One file's text from an image, shell or not; symbolic links are followed."""
    container = docker("create", tag, "never-run").stdout.strip()
    try:
        archive = subprocess.run(["docker", "cp", f"{container}:{path}", "-"], capture_output=True, check=True).stdout
    finally:
        docker("rm", container, check=False)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.next()
        if member.issym():
            return read_file(tag, str(Path(path).parent / member.linkname))
        return tar.extractfile(member).read().decode()


@contextmanager
def cache_exclusive() -> Iterator[None]:
    """Held across test workers by builds that ignore the layer cache and by builds that must find it.
    BuildKit merges the identical steps of concurrent builds, and a --no-cache build makes the steps
    it shares with a build on the other worker run again there too."""
    with (Path(tempfile.gettempdir()) / "dft-build-cache.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def isolate_cache_mounts(project: Path) -> str:
    """Gives the project's cache mounts ids of their own, for a build that must start with them empty
    (a first build on a new machine, a download that must really happen). `--no-cache` empties the
    mounts too, but the empty ones then replace the mounts every other build shares.
    Returns the id prefix, for prune_cache_mounts."""
    prefix = f"dft-isolated-{uuid.uuid4().hex[:12]}"
    dockerfile = project / "Dockerfile"
    text, count = re.subn(r"--mount=type=cache,", lambda m: f"{m.group()}id={prefix}-{uuid.uuid4().hex[:6]},",
                          dockerfile.read_text())
    assert count, f"{dockerfile}: no cache mounts to isolate"
    dockerfile.write_text(text)
    return prefix


def prune_cache_mounts(prefix: str) -> None:
    """Drops the cache mounts isolate_cache_mounts made, once their build is done."""
    docker("builder", "prune", "--force", f"--filter=description~={prefix}", check=False)


def _decompressed(blob: bytes) -> bytes:
    """An image blob's bytes as tar or JSON: layers may be stored gzip- or zstd-compressed (the
    containerd image store, OCI archives) or plain (the classic store's `docker save`)."""
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob)
    if blob[:4] == b"\x28\xb5\x2f\xfd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(blob)
    return blob


def find_in_archive(archive: Path, needle: bytes) -> list[str]:
    """The members of an image archive (`docker save`, OCI layout) whose contents hold `needle`,
    layers decompressed; each found inside a layer is named with the file that holds it."""
    found = []
    with tarfile.open(archive) as outer:
        for member in outer:
            if not member.isfile():
                continue
            data = _decompressed(outer.extractfile(member).read())
            if needle not in data:
                continue
            files = []
            try:
                with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                    files = [f"{member.name}: /{inner.name}" for inner in layer
                             if inner.isfile() and needle in layer.extractfile(inner).read()]
            except tarfile.TarError:
                pass  # not a layer: the config, a manifest or the history
            found += files or [member.name]
    return found


def layer_sizes(tag: str, workdir: Path) -> dict[str, int]:
    """Each layer of an image, by its diff ID (the digest of its uncompressed tar, as RootFS.Layers lists
    them), with its uncompressed size in bytes."""
    archive = workdir / "layers.tar"
    docker("save", "--output", str(archive), tag)
    wanted = set(inspect(tag)["RootFS"]["Layers"])
    sizes = {}
    try:
        with tarfile.open(archive) as outer:
            for member in outer:
                if member.isfile():
                    data = _decompressed(outer.extractfile(member).read())
                    digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
                    if digest in wanted:
                        sizes[digest] = len(data)
    finally:
        archive.unlink()
    return sizes


def find_in_image(tag: str, needle: bytes, workdir: Path) -> list[str]:
    """Where `needle` occurs in an image: every layer, the config and the history."""
    archive = workdir / "image.tar"
    docker("save", "--output", str(archive), tag)
    try:
        return find_in_archive(archive, needle)
    finally:
        archive.unlink()
