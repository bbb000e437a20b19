"""What a test run needs: `python -m dft.needs [pytest args]` asks pytest which tests the
arguments select, and prints the images their build-tier tests build on, one a line, then what they need
from the host beside an engine (`pytest.mark.host`: a local registry, buildkitd, emulation, cosign), one
`host NAME` line each. It prints nothing when only the render tier is selected, so `scripts/test` starts
no engine and forges nothing for it, and only what a language needs for `-k go` or `-k python`.
"""

from __future__ import annotations

import contextlib
import io
import sys

import pytest


class Needs:
    """A pytest plugin that reads the selected items' `images` markers."""

    def __init__(self) -> None:
        self.images: set[str] = set()
        self.host: set[str] = set()
        self.unnamed: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            if item.get_closest_marker("build") is None:
                continue
            named = {ref for marker in item.iter_markers("images") for ref in marker.args}
            if not named:
                self.unnamed.append(item.nodeid)
            self.images |= named
            self.host |= {need for marker in item.iter_markers("host") for need in marker.args}


def main(argv: list[str]) -> int:
    needs = Needs()
    output = io.StringIO()
    # In this process, after the run's own arguments: collection only, no workers.
    with contextlib.redirect_stdout(output):
        code = pytest.main(["--collect-only", "-qq", *argv, "-n", "0"], plugins=[needs])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        print(output.getvalue(), file=sys.stderr)
        return code
    if needs.unnamed:
        print("these build-tier tests name no images (pytest.mark.images): " + ", ".join(needs.unnamed),
              file=sys.stderr)
        return 1
    print("\n".join([*sorted(needs.images), *(f"host {need}" for need in sorted(needs.host))]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
