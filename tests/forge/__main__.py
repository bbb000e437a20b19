"""`python -m tests.forge`: scripts/lib/setup.sh's entry point to the forge."""

import os
import sys

from tests.forge.forge import forge, registries_reachable, required
from tests.forge.standins import stand_ins

USAGE = """usage: python -m tests.forge needed
       python -m tests.forge IMAGE ...

needed   exits 0 when no container registry answers (or DFT_FORGE=always), so stand-ins are needed
IMAGE    forges the stand-ins for these references, and what they are built on"""


def main(argv: list[str]) -> int:
    always = os.environ.get("DFT_FORGE", "auto") == "always"
    if not argv or argv[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    if argv == ["needed"]:
        return 0 if always or not registries_reachable() else 1
    if not always and registries_reachable():
        print("forge: the official registries answer; builds pull the real base images")
        return 0
    needed = required(stand_ins(), argv)
    # A line per stand-in as it is made (a cold forge takes minutes), not all at the end: a CI log is a pipe.
    sys.stdout.reconfigure(line_buffering=True)
    print(f"forge: no container registry in reach; {len(needed)} stand-ins for {len(argv)} images")
    try:
        forge(needed)
    except RuntimeError as error:  # what failed, and its log's tail
        print(error, file=sys.stderr)
        return 1
    return 0


sys.exit(main(sys.argv[1:]))
