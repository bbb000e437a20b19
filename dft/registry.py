"""A real OCI registry and fresh BuildKit builders, both on this machine's loopback, for the promises of a
release: a multi-platform push with attestations, the registry cache, a signature.

- LocalRegistry: Debian's docker-registry (distribution 2.8.2) on 127.0.0.1 and a free port, plain HTTP,
  its storage in a temporary folder.
- FreshBuilder: a buildkitd of its own (empty state, a unix socket), which pulls every base-image host
  through the LocalRegistry as a mirror, registered with buildx as a `remote` builder.
- publish(): puts an image of the engine into the registry as a mirror would hold it
  (golang:1.27-trixie -> 127.0.0.1:PORT/library/golang:1.27-trixie), and, given the same image for
  another platform, one multi-platform index under that name.

No container registry answers here, so the base images a FreshBuilder pulls are the forge's stand-ins,
published into the LocalRegistry first (tests/forge/platforms.py adds the ones for other platforms).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dft.docker import DockerError, docker

REGISTRY_BINARY = "/usr/bin/docker-registry"  # Debian's docker-registry package (distribution 2.8.2)
DOCKER_HUB = "docker.io"
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def split_ref(ref: str) -> tuple[str, str, str]:
    """An image reference as (host, repository, tag), Docker Hub's short names spelled out:
    golang:1.27-trixie -> (docker.io, library/golang, 1.27-trixie)."""
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = DOCKER_HUB, ref
    name, _, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "latest")
    if host == DOCKER_HUB and "/" not in name:
        name = f"library/{name}"
    return host, name, tag


def wait_until(ready, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log and log.exists() else ""
    raise DockerError(f"{what} did not answer within {timeout:.0f} s\n{tail}")


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL: the process was started by us, in a session of its own."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LocalRegistry:
    """docker-registry on 127.0.0.1 (never another address), plain HTTP, deletes allowed; gone on exit."""

    def __init__(self) -> None:
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"

    def __enter__(self) -> LocalRegistry:
        if not os.access(REGISTRY_BINARY, os.X_OK):
            raise DockerError(f"{REGISTRY_BINARY} is missing: scripts/lib/setup.sh installs it "
                              "(apt-get install docker-registry)")
        self.dir = Path(tempfile.mkdtemp(prefix="dft-registry-"))
        config = self.dir / "config.yml"
        # JSON is YAML: distribution reads this as its configuration file.
        config.write_text(json.dumps({
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.dir / "data")}, "delete": {"enabled": True}},
            "http": {"addr": self.host},
        }))
        self.log = self.dir / "registry.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen([REGISTRY_BINARY, "serve", str(config)], stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until(self.answers, 30, f"docker-registry on {self.host}", self.log)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        stop(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)

    def answers(self) -> bool:
        if self.process.poll() is not None:
            raise DockerError(f"docker-registry exited ({self.process.returncode}):\n{self.log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def ref(self, path: str) -> str:
        return f"{self.host}/{path}"

    def mirrored(self, ref: str) -> str:
        """Where a mirror of ref's registry holds it: the repository without its host."""
        _, name, tag = split_ref(ref)
        return self.ref(f"{name}:{tag}")

    def request(self, method: str, path: str, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[bytes, dict[str, str]]:
        request = urllib.request.Request(f"http://{self.host}{path}", data=data, method=method,
                                         headers=headers or {})
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read(), dict(response.headers)

    def manifest(self, ref: str) -> tuple[dict, str]:
        """The manifest (or index) a reference in this registry names, and its digest."""
        path, _, reference = ref.removeprefix(f"{self.host}/").partition("@")
        if not reference:
            path, _, reference = path.rpartition(":")
        body, headers = self.request("GET", f"/v2/{path}/manifests/{reference}", headers={"Accept": MANIFEST_TYPES})
        return json.loads(body), headers.get("Docker-Content-Digest", "sha256:" + hashlib.sha256(body).hexdigest())

    def blob(self, repository: str, digest: str) -> bytes:
        return self.request("GET", f"/v2/{repository}/blobs/{digest}")[0]

    def push_archive(self, archive: Path, ref: str) -> str:
        """Pushes the image of an OCI archive (buildx's `--output type=oci`) under ref; returns its digest.
        A few lines of the distribution API, so a cached archive needs no builder to be pushed again."""
        path, _, tag = ref.removeprefix(f"{self.host}/").rpartition(":")
        with tarfile.open(archive) as tar:
            def read(name: str) -> bytes:
                return tar.extractfile(name).read()

            index = json.loads(read("index.json"))
            (top,) = index["manifests"]
            for member in tar.getmembers():  # every blob, layers first: a manifest's blobs must be there
                if member.isfile() and member.name.startswith("blobs/sha256/"):
                    digest = "sha256:" + member.name.rsplit("/", 1)[1]
                    location = self.request("POST", f"/v2/{path}/blobs/uploads/")[1]["Location"]
                    separator = "&" if "?" in location else "?"
                    self.request("PUT", f"{location.removeprefix(f'http://{self.host}')}{separator}digest={digest}",
                                 data=read(member.name), headers={"Content-Type": "application/octet-stream"})
            if top["mediaType"].endswith("index.v1+json"):
                for child in json.loads(read(f"blobs/sha256/{top['digest'].split(':')[1]}"))["manifests"]:
                    self.request("PUT", f"/v2/{path}/manifests/{child['digest']}",
                                 data=read(f"blobs/sha256/{child['digest'].split(':')[1]}"),
                                 headers={"Content-Type": child["mediaType"]})
            self.request("PUT", f"/v2/{path}/manifests/{tag}", data=read(f"blobs/sha256/{top['digest'].split(':')[1]}"),
                         headers={"Content-Type": top["mediaType"]})
        return top["digest"]


def buildkit_binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DockerError(f"{name} is missing: scripts/lib/setup.sh builds it into $DFT_HOME/bin (ensure_buildkit)")
    return found


class FreshBuilder:
    """A buildkitd with empty state, on a unix socket in a temporary folder, pulling the given registry hosts
    through the LocalRegistry as their mirror; registered as a buildx `remote` builder. Its build steps use
    the host's network (a dependency step downloads from the package registries); it listens on nothing but
    its socket. Removed on exit: the buildx entry, the daemon, its state."""

    def __init__(self, registry: LocalRegistry, mirrored_hosts: list[str], rootless_user: str | None = None) -> None:
        self.registry = registry
        self.mirrored_hosts = sorted(set(mirrored_hosts) | {DOCKER_HUB})
        self.name = f"dft-{uuid.uuid4().hex[:10]}"
        # Given a user: buildkitd runs as that user under rootlesskit, with no process sandbox, as the
        # generated GitLab CI's rootless BuildKit service does.
        self.rootless_user = rootless_user

    def config(self) -> str:
        lines = [
            f'root = "{self.dir / "root"}"',
            "[grpc]", f'  address = ["unix://{self.socket}"]',
            # The host's runc; the host's network for RUN steps (no CNI here); no garbage collection of a
            # builder that lives for one test session.
            "[worker.oci]", "  enabled = true", f'  binary = "{shutil.which("runc") or "runc"}"',
            '  networkMode = "host"', "  gc = false",
            "[worker.containerd]", "  enabled = false",
        ]
        for host in self.mirrored_hosts:
            lines += [f'[registry."{host}"]', f'  mirrors = ["{self.registry.host}"]']
        lines += [f'[registry."{self.registry.host}"]', "  http = true", "  insecure = true"]
        return "\n".join(lines) + "\n"

    def __enter__(self) -> FreshBuilder:
        buildkitd = buildkit_binary("buildkitd")
        self.dir = Path(tempfile.mkdtemp(prefix="dft-buildkitd-"))
        self.socket = self.dir / "buildkitd.sock"
        (self.dir / "buildkitd.toml").write_text(self.config())
        self.log = self.dir / "buildkitd.log"
        command = [buildkitd, "--config", str(self.dir / "buildkitd.toml")]
        if self.rootless_user:
            # The user's own folder, with copies of the binaries: $DFT_HOME may be where it cannot read.
            binaries = self.dir / "bin"
            binaries.mkdir()
            for binary in (buildkitd, buildkit_binary("rootlesskit")):
                shutil.copy(binary, binaries)
            (self.dir / "run").mkdir(mode=0o700)
            for path in (self.dir, binaries, self.dir / "run"):
                shutil.chown(path, self.rootless_user)
            os.chmod(self.dir, 0o755)
            command = ["runuser", "-u", self.rootless_user, "--", "env", f"XDG_RUNTIME_DIR={self.dir / 'run'}",
                       f"PATH={binaries}:/usr/sbin:/usr/bin:/sbin:/bin", "rootlesskit",
                       f"--state-dir={self.dir / 'run' / 'rootlesskit'}", "buildkitd", *command[1:],
                       "--oci-worker-no-process-sandbox"]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        try:
            wait_until(self.socket.exists, 60, f"buildkitd ({self.socket})", self.log)
            docker("buildx", "create", "--name", self.name, "--driver", "remote", f"unix://{self.socket}")
            docker("buildx", "inspect", "--bootstrap", self.name, timeout=120)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        docker("buildx", "rm", "--force", self.name, check=False)
        if self.rootless_user:  # runuser, then rootlesskit, pass SIGTERM on; buildkitd is their child
            os.killpg(self.process.pid, signal.SIGTERM)
        stop(self.process)
        # buildkitd unmounts its snapshots on a clean stop; whatever it left mounted would make rmtree fail.
        with open("/proc/self/mounts") as mounts:
            for mount in reversed([line.split()[1] for line in mounts if str(self.dir) in line]):
                subprocess.run(["umount", "-l", mount], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def platforms(self) -> list[str]:
        """The platforms buildkitd found it can run (arm64 through qemu's binfmt_misc entry)."""
        inspected = docker("buildx", "inspect", self.name).stdout
        line = next(line for line in inspected.splitlines() if line.strip().startswith("Platforms:"))
        return [p.strip().rstrip("*") for p in line.split(":", 1)[1].split(",")]

    def bake(self, project: Path, *targets: str, env: dict[str, str], options: tuple[str, ...] = ()) -> Bake:
        """`docker buildx bake` of the project's docker-bake.hcl on this builder, with the variables in env;
        rawjson progress, so that each step's cache state can be read."""
        if env.get("CA_BUNDLE"):  # bake reads a file outside the project only with leave
            options = (f"--allow=fs.read={env['CA_BUNDLE']}", *options)
        args = ["docker", "buildx", "bake", "--builder", self.name, "--progress=rawjson", *options, *targets]
        started = time.monotonic()
        result = subprocess.run(args, cwd=project, env={**os.environ, **env}, capture_output=True, text=True,
                                timeout=3600)
        seconds = time.monotonic() - started
        if result.returncode != 0:
            tail = "\n".join(Bake(result.stderr, seconds).plain().splitlines()[-60:])
            raise DockerError(f"{' '.join(args[1:])} failed in {project} ({result.returncode}):\n{tail}")
        return Bake(result.stderr, seconds)

    def build(self, context: Path, *options: str) -> None:
        """`docker buildx build` on this builder (the forge's stand-ins for other platforms)."""
        result = subprocess.run(["docker", "buildx", "build", "--builder", self.name, "--progress=plain", *options,
                                 str(context)], capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
            raise DockerError(f"docker buildx build {' '.join(options)} failed:\n{tail}")


@dataclass
class Bake:
    """A bake's rawjson progress: one JSON status per line (vertexes, their logs)."""

    log: str
    seconds: float

    def vertexes(self) -> dict[str, dict]:
        """Each step by its digest, its last status merged over the earlier ones."""
        found: dict[str, dict] = {}
        for line in self.log.splitlines():
            try:
                status = json.loads(line)
            except json.JSONDecodeError:
                continue
            for vertex in status.get("vertexes") or []:
                found.setdefault(vertex["digest"], {}).update({k: v for k, v in vertex.items() if v is not None})
        return found

    def steps(self) -> list[tuple[str, bool]]:
        """(name, cached) of every Dockerfile step that ran or came from the cache, e.g.
        ('[linux/arm64 deps 4/4] RUN ... go mod download', True)."""
        return [(v["name"], bool(v.get("cached"))) for v in self.vertexes().values()
                if v.get("name", "").startswith("[") and not v["name"].startswith(("[internal]", "[auth]"))
                and (v.get("completed") or v.get("cached"))]

    def ran(self) -> list[str]:
        return [name for name, cached in self.steps() if not cached]

    def seconds_for(self, architecture: str) -> float:
        """The span from the first start to the last end of the steps building the image for `architecture`:
        its platform's own steps ('[linux/arm64 deps 2/4]') and those cross-built for it on another
        ('[linux/amd64->arm64 build 3/4]')."""
        spans = [(_instant(v["started"]), _instant(v["completed"])) for v in self.vertexes().values()
                 if v.get("started") and v.get("completed")
                 and re.match(rf"\[\S*\b{architecture} ", v.get("name", ""))]
        return max(end for _, end in spans) - min(start for start, _ in spans) if spans else 0.0

    def plain(self) -> str:
        """The logs the steps wrote, as text: for failure messages."""
        lines = []
        for line in self.log.splitlines():
            try:
                status = json.loads(line)
            except json.JSONDecodeError:
                lines.append(line)
                continue
            for vertex in status.get("vertexes") or []:
                if vertex.get("error"):
                    lines.append(f"{vertex.get('name')}: {vertex['error']}")
            for entry in status.get("logs") or []:
                lines.append(_decoded(entry.get("data", "")))
        return "\n".join(lines)


def _instant(timestamp: str) -> float:
    """Seconds since the epoch of BuildKit's RFC 3339 time, nanoseconds cut to what datetime holds."""
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", timestamp)).timestamp()


def _decoded(data: str) -> str:
    try:
        return base64.b64decode(data).decode(errors="replace").rstrip("\n")
    except ValueError:
        return data


def publish(registry: LocalRegistry, ref: str, platform_archives: dict[str, Path] | None = None) -> str:
    """Puts the engine's image `ref` into the registry where a mirror holds it; given archives of the same image
    for other platforms (OCI archives, as tests/forge/platforms.py caches them), makes that name one
    multi-platform index of them all. Returns the mirrored reference."""
    mirrored = registry.mirrored(ref)
    platform_archives = platform_archives or {}
    engine_platform = docker("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", ref).stdout.strip()
    local = f"{mirrored}-{engine_platform.replace('/', '-')}" if platform_archives else mirrored
    docker("tag", ref, local)
    try:
        docker("push", "--quiet", local)  # 127.0.0.0/8 is an insecure registry to Docker by default
    finally:
        docker("rmi", local, check=False)
    if platform_archives:
        sources = [local]
        for platform, archive in sorted(platform_archives.items()):
            sources.append(f"{mirrored}-{platform.replace('/', '-')}")
            registry.push_archive(archive, sources[-1])
        docker("buildx", "imagetools", "create", "--tag", mirrored, *sources)
    return mirrored
