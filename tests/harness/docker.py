"""Thin helpers over the Docker CLI: build, run, probe, inspect. Failures carry the CLI's output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


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

    def cached(self, marker: str) -> bool:
        """Whether the step whose instruction contains `marker` came from the layer cache."""
        steps: dict[str, list[str]] = {}
        for line in self.log.splitlines():
            if line.startswith("#") and " " in line:
                step, rest = line.split(" ", 1)
                steps.setdefault(step, []).append(rest)
        return any(any(marker in line for line in lines) and any(line == "CACHED" for line in lines)
                   for lines in steps.values())


def build(context: Path, tag: str, *options: str, target: str | None = None,
          ca_bundle: Path | None = CA_BUNDLE) -> Build:
    # No provenance attestation: the classic image store cannot keep it, and BuildKit 0.13 (Docker 26)
    # can crash the engine capturing it for concurrent builds.
    args = ["build", "--progress=plain", "--provenance=false", f"--tag={tag}", *options]
    if ca_bundle is not None and ca_bundle.exists():
        args.append(f"--secret=id=ca_bundle,src={ca_bundle}")
    if target:
        args.append(f"--target={target}")
    started = time.monotonic()
    result = docker(*args, str(context))
    return Build(tag, time.monotonic() - started, result.stderr + result.stdout)


def inspect(ref: str, kind: str = "image") -> dict:
    return json.loads(docker(kind, "inspect", ref).stdout)[0]


def image_size(tag: str) -> int:
    return int(inspect(tag)["Size"])


class Container:
    """A detached container with its port published on loopback only."""

    def __init__(self, image: str, port: int, *run_options: str):
        self.port = port
        self.id = docker("run", "--detach", f"--publish=127.0.0.1::{port}", *run_options, image).stdout.strip()

    def __enter__(self) -> "Container":
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

    def url(self, path: str) -> str:
        host_port = docker("port", self.id, f"{self.port}/tcp").stdout.split()[0].rsplit(":", 1)[1]
        return f"http://127.0.0.1:{host_port}{path}"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def process_uid(self) -> int:
        """The uid the container's main process really runs as, read on the engine's side."""
        header, process = docker("top", self.id, "-o", "pid,uid").stdout.splitlines()[:2]
        return int(dict(zip(header.split(), process.split()))["UID"])

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
