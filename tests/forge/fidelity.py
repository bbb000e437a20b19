"""What the stand-ins' fidelity tests share (tests/test_forge.py, templates/<language>/test_standins.py):
the Debian release every image comes from, a command run in an image, its ENV, and the shells no
distroless image may have. They run against whatever the engine holds under each reference: the forge's
stand-ins, or the official images where a registry is in reach."""

from __future__ import annotations

from dft import docker as d
from dft.languages import common

CODENAME, VERSION = common()["debian"]["codename"], common()["debian"]["version"]
DEBIAN_SLIM = f"debian:{CODENAME}-slim"
SHELLS = ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/dash", "/bin/busybox")


def run(image: str, *command: str) -> str:
    return d.docker("run", "--rm", "--network=none", "--entrypoint", command[0], image, *command[1:]).stdout


def env(image: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in d.inspect(image)["Config"]["Env"] or [])
